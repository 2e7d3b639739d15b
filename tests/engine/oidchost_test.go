package engine

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
)

// TestOIDCHostServesOnlyTheRegionalOIDCHosts: through the stand-in proxy, a client trusting only
// its CA reaches oidc.eks.<region>.amazonaws.com over TLS; a CONNECT to any other host is refused
// and recorded.
func TestOIDCHostServesOnlyTheRegionalOIDCHosts(t *testing.T) {
	h, err := StartOIDCHost(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	caPEM, err := os.ReadFile(h.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	proxy, err := url.Parse(h.ProxyURL)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: &tls.Config{RootCAs: roots}}}

	resp, err := client.Get("https://oidc.eks.us-west-2.amazonaws.com/")
	if err != nil {
		t.Fatalf("through the stand-in: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status %d, want 404", resp.StatusCode)
	}
	if _, err := client.Get("https://sts.amazonaws.com/"); err == nil {
		t.Error("a CONNECT to sts.amazonaws.com went through")
	}
	// A CONNECT to a loopback address is relayed: here, to a server of the test's own.
	local := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	defer local.Close()
	// http.Transport sends a plain-http request through the proxy without CONNECT; ask for a
	// CONNECT the way pulumi-eks's agent does, with a raw request.
	conn, err := net.Dial("tcp", proxy.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	target := strings.TrimPrefix(local.URL, "http://")
	fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\nGET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, target, target)
	reply, _ := io.ReadAll(conn)
	if !strings.Contains(string(reply), "200 Connection established") || !strings.Contains(string(reply), "418") {
		t.Errorf("CONNECT to %s through the stand-in: %q", target, reply)
	}
	if got := h.Tunnelled(); len(got) != 1 || got[0] != target {
		t.Errorf("tunnelled %v", got)
	}
	if got := h.Served(); len(got) != 1 || got[0] != "oidc.eks.us-west-2.amazonaws.com:443" {
		t.Errorf("served %v", got)
	}
	if got := h.Refused(); len(got) != 1 || got[0] != "CONNECT sts.amazonaws.com:443" {
		t.Errorf("refused %v", got)
	}
}
