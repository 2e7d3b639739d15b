package engine

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/eventscale/eventscale/tests/integration/pki"
)

// oidcHostPattern is the regional host pulumi-eks 2.8.1 reads the IAM OIDC provider's thumbprint
// from: https://oidc.eks.<region>.<dnsSuffix> on port 443, not the cluster's issuer URL
// (node_modules/@pulumi/eks/cluster.js, createCore, and cert-thumprint.js, getThumbprint). It
// retries 12 times, 5 s apart, then fails the cluster.
var oidcHostPattern = regexp.MustCompile(`^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com:443$`)

// OIDCHost is a STAND-IN for the regional EKS OIDC hosts, reached the way pulumi-eks reaches
// them through a corporate proxy: it is an HTTP CONNECT proxy on 127.0.0.1 (pulumi-eks takes the
// proxy from HTTPS_PROXY) that, for oidc.eks.<region>.amazonaws.com:443, terminates TLS itself
// with a certificate for that host from its own CA (Node trusts it through NODE_EXTRA_CA_CERTS)
// and answers 404. It relays a CONNECT to a loopback address (the tier's API server, whose
// /healthz pulumi-eks polls through the same proxy), and refuses a CONNECT to any other host with
// 403 and records it, so the tier can assert that nothing else left the machine through it. What it cannot show: AWS's real
// certificate chain, so the thumbprint the OIDC provider gets is of this CA's certificate.
type OIDCHost struct {
	// ProxyURL is the value for HTTPS_PROXY; CAFile the value for NODE_EXTRA_CA_CERTS.
	ProxyURL, CAFile string

	ca        *pki.CA
	ln        net.Listener
	mu        sync.Mutex
	served    []string
	refused   []string
	tunnelled []string
	certs     map[string]*tls.Certificate
	wg        sync.WaitGroup
}

// StartOIDCHost starts the stand-in on a free 127.0.0.1 port, writing its CA to dir/oidc-ca.pem.
// Stop it with Close.
func StartOIDCHost(dir string) (*OIDCHost, error) {
	ca, err := pki.NewCA("eventscale engine-tier EKS OIDC host stand-in CA")
	if err != nil {
		return nil, err
	}
	caFile := filepath.Join(dir, "oidc-ca.pem")
	if err := os.WriteFile(caFile, ca.PEM(), 0o644); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &OIDCHost{ProxyURL: "http://" + ln.Addr().String(), CAFile: caFile, ca: ca, ln: ln, certs: map[string]*tls.Certificate{}}
	h.wg.Add(1)
	go h.accept()
	return h, nil
}

// Served lists the hosts (host:port) the stand-in answered, Refused the CONNECT targets it refused.
func (h *OIDCHost) Served() []string { h.mu.Lock(); defer h.mu.Unlock(); return slices.Clone(h.served) }

// Refused lists the CONNECT targets the stand-in refused.
func (h *OIDCHost) Refused() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.refused)
}

// Close stops the listener and waits for the connections being served.
func (h *OIDCHost) Close() error {
	err := h.ln.Close()
	h.wg.Wait()
	return err
}

func (h *OIDCHost) accept() {
	defer h.wg.Done()
	for {
		conn, err := h.ln.Accept()
		if err != nil {
			return
		}
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(time.Minute))
			h.serve(conn)
		}()
	}
}

// serve handles one proxy connection: CONNECT oidc.eks.<region>.amazonaws.com:443, then TLS as
// that host.
func (h *OIDCHost) serve(conn net.Conn) {
	br := bufio.NewReader(conn)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	target := req.Host
	if host, _, err := net.SplitHostPort(target); err == nil && req.Method == http.MethodConnect && net.ParseIP(host).IsLoopback() {
		h.tunnel(conn, br, target)
		return
	}
	if req.Method != http.MethodConnect || !oidcHostPattern.MatchString(target) {
		h.mu.Lock()
		h.refused = append(h.refused, req.Method+" "+target)
		h.mu.Unlock()
		fmt.Fprintf(conn, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
		return
	}
	host, _, _ := net.SplitHostPort(target)
	cert, err := h.certificate(host)
	if err != nil {
		fmt.Fprintf(conn, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
		return
	}
	if _, err := fmt.Fprintf(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	h.mu.Lock()
	h.served = append(h.served, target)
	h.mu.Unlock()
	tlsConn := tls.Server(&bufferedConn{Conn: conn, r: br}, &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12})
	if err := tlsConn.Handshake(); err != nil {
		return
	}
	inner := bufio.NewReader(tlsConn)
	if r, err := http.ReadRequest(inner); err == nil {
		_, _ = io.Copy(io.Discard, r.Body)
		fmt.Fprintf(tlsConn, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	}
	_ = tlsConn.Close()
}

// tunnel relays a CONNECT to a loopback address, as a proxy does: pulumi-eks's health check of
// the cluster endpoint (GET <endpoint>/healthz) also goes through HTTPS_PROXY, since it ignores
// NO_PROXY, and the endpoint is the tier's API server on 127.0.0.1.
func (h *OIDCHost) tunnel(conn net.Conn, br *bufio.Reader, target string) {
	upstream, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		fmt.Fprintf(conn, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	defer upstream.Close()
	h.mu.Lock()
	h.tunnelled = append(h.tunnelled, target)
	h.mu.Unlock()
	if _, err := fmt.Fprintf(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	_ = conn.SetDeadline(time.Time{})
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(upstream, br)
		if tc, ok := upstream.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		close(copied)
	}()
	_, _ = io.Copy(conn, upstream)
	_ = conn.Close()
	<-copied
}

// Tunnelled lists the loopback targets (host:port) the stand-in relayed.
func (h *OIDCHost) Tunnelled() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.tunnelled)
}

func (h *OIDCHost) certificate(host string) (*tls.Certificate, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c, ok := h.certs[host]; ok {
		return c, nil
	}
	c, err := h.ca.Server(nil, host)
	if err != nil {
		return nil, err
	}
	h.certs[host] = &c
	return &c, nil
}

// bufferedConn reads first what the proxy's request reader already buffered.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
