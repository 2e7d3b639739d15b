package engine

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
	"os"
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
	if got := h.Served(); len(got) != 1 || got[0] != "oidc.eks.us-west-2.amazonaws.com:443" {
		t.Errorf("served %v", got)
	}
	if got := h.Refused(); len(got) != 1 || got[0] != "CONNECT sts.amazonaws.com:443" {
		t.Errorf("refused %v", got)
	}
}
