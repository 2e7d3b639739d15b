package pki

import (
	"crypto/x509"
	"net"
	"testing"
)

// TestServerCertificateVerifiesAgainstTheCAOnly: a serving certificate verifies for its names
// and addresses with the CA as the only root, not for another name, and not against another CA.
func TestServerCertificateVerifiesAgainstTheCAOnly(t *testing.T) {
	ca, err := NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewCA("other CA")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.Server([]net.IP{net.IPv4(127, 0, 0, 1)}, "oidc.eks.us-west-2.amazonaws.com")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(srv.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pool := func(c *CA) *x509.CertPool {
		p := x509.NewCertPool()
		if !p.AppendCertsFromPEM(c.PEM()) {
			t.Fatal("CA PEM does not parse")
		}
		return p
	}
	for _, name := range []string{"oidc.eks.us-west-2.amazonaws.com", "127.0.0.1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool(ca), DNSName: name}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool(ca), DNSName: "oidc.eks.eu-west-1.amazonaws.com"}); err == nil {
		t.Error("verified for a name it was not issued for")
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool(other), DNSName: "127.0.0.1"}); err == nil {
		t.Error("verified against another CA")
	}
	if ca2, _ := ca.Server(nil, "a"); ca2.Certificate == nil {
		t.Error("second certificate not issued")
	}
}
