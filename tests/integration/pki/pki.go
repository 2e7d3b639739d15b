// Package pki issues the test tiers' throw-away certificates: a CA per server or trust domain a
// tier starts on 127.0.0.1 (the integration cluster's CA and its front-proxy CA, the engine
// tier's chart mirror and OIDC host stand-in) and certificates signed by it, all P-256 and valid
// from an hour ago for a day.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// CA is a self-signed certificate authority.
type CA struct {
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
	der    []byte
	serial atomic.Int64
}

// NewCA creates a CA named name (its subject's common name).
func NewCA(name string) (*CA, error) {
	cert, key, der, err := issue(&x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}, nil, nil)
	if err != nil {
		return nil, err
	}
	ca := &CA{cert: cert, key: key, der: der}
	ca.serial.Store(1)
	return ca, nil
}

// PEM is the CA's certificate, PEM-encoded: what a client trusts.
func (ca *CA) PEM() []byte { return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.der}) }

// Server issues a serving certificate for the given IP addresses and DNS names (the first name,
// or else the first address, is its common name).
func (ca *CA) Server(ips []net.IP, dnsNames ...string) (tls.Certificate, error) {
	cn := ""
	switch {
	case len(dnsNames) > 0:
		cn = dnsNames[0]
	case len(ips) > 0:
		cn = ips[0].String()
	}
	return ca.Issue(cn, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, ips, dnsNames...)
}

// Issue issues a certificate with common name cn for a new key, for the extended key usages
// usages (server, client authentication) and the given IP addresses and DNS names. The chain
// holds the certificate only; a client completes it with the CA.
func (ca *CA) Issue(cn string, usages []x509.ExtKeyUsage, ips []net.IP, dnsNames ...string) (tls.Certificate, error) {
	_, key, der, err := issue(&x509.Certificate{
		SerialNumber: big.NewInt(ca.serial.Add(1)),
		Subject:      pkix.Name{CommonName: cn},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  usages,
		IPAddresses:  ips,
		DNSNames:     dnsNames,
	}, ca.cert, ca.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// WriteFiles writes cert's certificate and key, PEM-encoded, to <dir>/<name>.crt and
// <dir>/<name>.key (mode 0600), for servers that read them from files.
func WriteFiles(dir, name string, cert tls.Certificate) (certFile, keyFile string, err error) {
	key, ok := cert.PrivateKey.(*ecdsa.PrivateKey)
	if !ok || len(cert.Certificate) == 0 {
		return "", "", fmt.Errorf("pki: %s is not a certificate of this package", name)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

// issue creates a P-256 key and a certificate from tmpl for it, valid from an hour ago for a
// day, signed by parent with parentKey, or self-signed when parent is nil.
func issue(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, []byte, error) {
	now := time.Now()
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(24*time.Hour)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, der, err
}
