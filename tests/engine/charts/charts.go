// Package charts is the engine tier's chart mirror: the Karpenter and KEDA charts the program
// pins, packaged from the Go modules tests/verify reads them from, served on 127.0.0.1 over TLS
// the way a private mirror serves them, so that the real Kubernetes provider's Helm can fetch
// them with no Internet access. Karpenter's chart is an OCI artifact in an in-memory registry
// (go-containerregistry's pkg/registry, pushed with Helm's own registry client), KEDA's is in a
// Helm HTTP repository (index.yaml and the chart archive) served by net/http; one TLS listener
// serves both, with a certificate from a CA the package generates.
//
// It is a stand-in for the publishers' registries (public.ecr.aws, kedacore.github.io): the
// charts are packaged here from the release sources, not the archives upstream published, so it
// cannot show that the published archives match those sources, nor anything about the publishers'
// registries themselves (authentication, rate limits, redirects to blob storage).
package charts

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/provenance"
	helmregistry "helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"

	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/tests/integration/pki"
	"github.com/eventscale/eventscale/tests/verify"
)

const (
	// KarpenterPath is the OCI repository path the Karpenter chart is pushed under, as upstream
	// publishes it (oci://public.ecr.aws/karpenter/karpenter).
	KarpenterPath = "karpenter"
	// KedaPath is the URL path of the Helm repository holding the KEDA chart.
	KedaPath = "/charts"
)

// Mirror is a running chart mirror. It stops with the test that started it.
type Mirror struct {
	// KarpenterRepository is the value for karpenter.chartRepository: an OCI registry path,
	// oci://127.0.0.1:<port>/karpenter, holding karpenter:1.14.1.
	KarpenterRepository string
	// KedaRepository is the value for keda.chartRepository: a Helm repository,
	// https://127.0.0.1:<port>/charts, holding keda 2.20.2.
	KedaRepository string
	// CAFile is the PEM file of the CA that signed the server's certificate, the only root a
	// client needs to trust (for example through SSL_CERT_FILE, which Go's crypto/x509 reads on
	// Linux, or Helm's caFile).
	CAFile string
	// Host is 127.0.0.1:<port>.
	Host string
}

// Serve packages both charts, starts the mirror on 127.0.0.1 and registers its shutdown with
// t.Cleanup. It fails t if a chart cannot be found, packaged or pushed.
func Serve(t testing.TB) *Mirror {
	t.Helper()
	dir := t.TempDir()
	caPEM, serverCert, err := newCertificates()
	if err != nil {
		t.Fatalf("charts: certificates: %v", err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o644); err != nil {
		t.Fatalf("charts: %v", err)
	}

	karpenterTgz, err := Package(KarpenterChart, filepath.Join(dir, "karpenter"))
	if err != nil {
		t.Fatalf("charts: %v", err)
	}
	kedaDir := filepath.Join(dir, "keda")
	kedaTgz, err := Package(KedaChart, kedaDir)
	if err != nil {
		t.Fatalf("charts: %v", err)
	}

	mux := http.NewServeMux()
	mux.Handle("/v2/", registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	mux.Handle(KedaPath+"/", http.StripPrefix(KedaPath, http.FileServer(http.Dir(kedaDir))))
	srv := httptest.NewUnstartedServer(mux)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS() // httptest listens on 127.0.0.1 only
	t.Cleanup(srv.Close)

	host := strings.TrimPrefix(srv.URL, "https://")
	m := &Mirror{
		KarpenterRepository: "oci://" + host + "/" + KarpenterPath,
		KedaRepository:      srv.URL + KedaPath,
		CAFile:              caFile,
		Host:                host,
	}
	if err := writeIndex(kedaDir, kedaTgz, m.KedaRepository); err != nil {
		t.Fatalf("charts: KEDA repository index: %v", err)
	}
	if err := push(karpenterTgz, host, caFile, dir); err != nil {
		t.Fatalf("charts: pushing the Karpenter chart: %v", err)
	}
	return m
}

// Chart names one chart the program installs and where its sources are.
type Chart struct {
	// Name and Version are the chart's name and the release the program pins.
	Name, Version string
	// Dir finds the chart's source directory in the Go module cache.
	Dir func() (string, error)
	// CRDs, when set, are the CRD manifests to put in the chart's crds/ folder. Karpenter's
	// charts/karpenter/crds holds symbolic links to pkg/apis/crds, which the module zip leaves
	// out; the chart upstream publishes carries the files themselves, so the mirror adds them
	// back from the same module.
	CRDs func() ([]verify.CRDFile, error)
}

var (
	// KarpenterChart is Karpenter's chart from the github.com/aws/karpenter-provider-aws module
	// at v1.14.1 (charts/karpenter, with the CRDs of pkg/apis/crds in crds/), the source
	// tests/verify renders.
	KarpenterChart = Chart{Name: infra.KarpenterChartName, Version: infra.KarpenterVersion, Dir: verify.KarpenterChartDir, CRDs: verify.KarpenterCRDFiles}
	// KedaChart is KEDA's chart from the github.com/kedacore/charts module at
	// v2.20.2+incompatible (keda/).
	KedaChart = Chart{Name: infra.KedaChart, Version: infra.KedaVersion, Dir: verify.KEDAChartDir}
)

// Load reads the chart's sources and stamps the pinned release into its metadata. Karpenter's
// Chart.yaml at the v1.14.1 tag still says version and appVersion 1.13.0 (upstream's release
// pipeline sets them when it publishes the OCI chart), so both are set to the pinned release, the
// version the program asks for (docs/charts.md). KEDA's Chart.yaml at v2.20.2 already says 2.20.2;
// Load fails if a chart's name differs or its version is neither the pin nor, for Karpenter,
// the 1.13.0 the tag carries.
func Load(c Chart) (*chart.Chart, error) {
	dir, err := c.Dir()
	if err != nil {
		return nil, err
	}
	chrt, err := loader.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", dir, err)
	}
	md := chrt.Metadata
	if md.Name != c.Name {
		return nil, fmt.Errorf("%s/Chart.yaml names chart %q, want %q", dir, md.Name, c.Name)
	}
	if md.Version != c.Version && !(c.Name == infra.KarpenterChartName && md.Version == karpenterTagChartVersion) {
		return nil, fmt.Errorf("%s/Chart.yaml says version %s, want %s", dir, md.Version, c.Version)
	}
	md.Version, md.AppVersion = c.Version, c.Version
	if c.CRDs != nil {
		files, err := c.CRDs()
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			chrt.Files = append(chrt.Files, &chart.File{Name: "crds/" + filepath.Base(f.Path), Data: f.Data})
		}
	}
	return chrt, nil
}

// karpenterTagChartVersion is what charts/karpenter/Chart.yaml says at the v1.14.1 tag
// (github.com/aws/karpenter-provider-aws@v1.14.1).
const karpenterTagChartVersion = "1.13.0"

// Package writes the chart, as Load returns it, as <name>-<version>.tgz into outDir (created if
// missing) with the Helm SDK and returns the archive's path.
func Package(c Chart, outDir string) (string, error) {
	chrt, err := Load(c)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", err
	}
	return chartutil.Save(chrt, outDir)
}

// writeIndex writes the Helm repository's index.yaml beside the archive, with the archive's URL
// under baseURL.
func writeIndex(dir, tgz, baseURL string) error {
	chrt, err := loader.Load(tgz)
	if err != nil {
		return err
	}
	digest, err := provenance.DigestFile(tgz)
	if err != nil {
		return err
	}
	idx := repo.NewIndexFile()
	if err := idx.MustAdd(chrt.Metadata, filepath.Base(tgz), baseURL, digest); err != nil {
		return err
	}
	return idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644)
}

// push pushes the archive to host/KarpenterPath/<name>:<version> with Helm's registry client,
// trusting only the mirror's CA.
func push(tgz, host, caFile, dir string) error {
	data, err := os.ReadFile(tgz)
	if err != nil {
		return err
	}
	chrt, err := loader.LoadArchive(bytes.NewReader(data))
	if err != nil {
		return err
	}
	client, err := helmregistry.NewRegistryClientWithTLS(io.Discard, "", "", caFile, false, filepath.Join(dir, "registry.json"), false)
	if err != nil {
		return err
	}
	ref := fmt.Sprintf("%s/%s/%s:%s", host, KarpenterPath, chrt.Metadata.Name, chrt.Metadata.Version)
	_, err = client.Push(data, ref)
	return err
}

// newCertificates returns a fresh CA, as PEM, and a server certificate it signed for 127.0.0.1
// (and localhost), both valid for a day.
func newCertificates() (caPEM []byte, server tls.Certificate, err error) {
	ca, err := pki.NewCA("eventscale engine-tier chart mirror CA")
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	server, err = ca.Server([]net.IP{net.IPv4(127, 0, 0, 1)}, "localhost")
	return ca.PEM(), server, err
}
