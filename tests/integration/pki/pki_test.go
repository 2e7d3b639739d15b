package pki

import (
	"bytes"
	"crypto/tls"
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

// TestIssueAndWriteFiles: a client certificate verifies for client authentication only, and
// the files WriteFiles writes load back as the same key pair.
func TestIssueAndWriteFiles(t *testing.T) {
	ca, err := NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.Issue("front-proxy-client", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, nil)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(client.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.PEM())
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate for client authentication: %v", err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots}); err == nil {
		t.Error("client certificate verified for server authentication")
	}
	if leaf.Subject.CommonName != "front-proxy-client" {
		t.Errorf("common name %q, want front-proxy-client", leaf.Subject.CommonName)
	}

	certFile, keyFile, err := WriteFiles(t.TempDir(), "client", client)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(loaded.Certificate[0], client.Certificate[0]) {
		t.Error("the written certificate is not the issued one")
	}
}
