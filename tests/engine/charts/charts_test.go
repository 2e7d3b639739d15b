package charts

import (
	"io"
	"log"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/cli"
	helmregistry "helm.sh/helm/v3/pkg/registry"

	"github.com/eventscale/eventscale/infra"
)

// helmSettings are Helm settings whose caches and configuration files are in a fresh directory,
// so nothing from the machine's own Helm configuration takes part.
func helmSettings(t *testing.T) *cli.EnvSettings {
	t.Helper()
	dir := t.TempDir()
	s := cli.New()
	s.RepositoryCache = filepath.Join(dir, "cache")
	s.RepositoryConfig = filepath.Join(dir, "repositories.yaml")
	s.RegistryConfig = filepath.Join(dir, "registry.json")
	return s
}

// locate fetches the chart the program would ask for from repository (the value of its
// chartRepository key) the way the Kubernetes provider's Helm does: the reference and repository
// from infra.NewHelmChartSource, action.ChartPathOptions.LocateChart, the pinned version, and
// client for OCI registries. caFile, when set, is the repository's CA (helm/v4 Chart's
// repositoryOpts.caFile). It returns the chart archive Helm downloaded.
func locate(t *testing.T, settings *cli.EnvSettings, client *helmregistry.Client, repository, name, version, caFile string) (string, error) {
	t.Helper()
	src := infra.NewHelmChartSource(repository, name)
	install := action.NewInstall(&action.Configuration{})
	install.SetRegistryClient(client)
	install.Version = version
	install.RepoURL = src.Repo
	install.CaFile = caFile
	return install.LocateChart(src.Chart, settings)
}

// checkChart checks that the archive at path is the pinned release of c with the templates of
// its sources.
func checkChart(t *testing.T, path string, c Chart) {
	t.Helper()
	got, err := loader.Load(path)
	if err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	if got.Metadata.Name != c.Name || got.Metadata.Version != c.Version || got.Metadata.AppVersion != c.Version {
		t.Errorf("%s: chart %s version %s appVersion %s, want %s %s (both)", path, got.Metadata.Name, got.Metadata.Version, got.Metadata.AppVersion, c.Name, c.Version)
	}
	dir, err := c.Dir()
	if err != nil {
		t.Fatal(err)
	}
	want, err := loader.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Templates) == 0 {
		t.Fatalf("%s: the module's chart has no templates", dir)
	}
	files := func(c *chart.Chart) map[string]string {
		m := map[string]string{}
		for _, f := range c.Templates {
			m[f.Name] = string(f.Data)
		}
		return m
	}
	gotT, wantT := files(got), files(want)
	for name, data := range wantT {
		if g, ok := gotT[name]; !ok {
			t.Errorf("%s: template %s missing", path, name)
		} else if g != data {
			t.Errorf("%s: template %s differs from %s/%s", path, name, dir, name)
		}
	}
	for name := range gotT {
		if _, ok := wantT[name]; !ok {
			t.Errorf("%s: template %s is not in %s", path, name, dir)
		}
	}
	// The CRDs Helm installs before the templates: for Karpenter, every file of the module's
	// pkg/apis/crds, byte for byte, as in the chart upstream publishes.
	gotCRDs := map[string]string{}
	for _, f := range got.CRDObjects() {
		gotCRDs[f.Filename] = string(f.File.Data)
	}
	wantCRDs := map[string]string{}
	if c.CRDs != nil {
		files, err := c.CRDs()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			wantCRDs[got.Name()+"/crds/"+filepath.Base(f.Path)] = string(f.Data)
		}
	}
	if c.Name == "karpenter" && len(wantCRDs) < 4 {
		t.Errorf("%s: want at least Karpenter's NodePool, NodeClaim, EC2NodeClass and NodeOverlay CRDs, have %d", path, len(wantCRDs))
	}
	if !maps.Equal(gotCRDs, wantCRDs) {
		t.Errorf("%s: crds/ holds %v, want %v", path, slices.Sorted(maps.Keys(gotCRDs)), slices.Sorted(maps.Keys(wantCRDs)))
	}
}

// TestMirrorServesThePinnedCharts: Helm fetches Karpenter's chart from the OCI registry and KEDA's
// from the Helm repository, trusting only the mirror's CA, and gets the pinned releases with
// their sources' templates.
func TestMirrorServesThePinnedCharts(t *testing.T) {
	m := Serve(t)
	for _, host := range []string{m.KarpenterRepository, m.KedaRepository} {
		if !strings.Contains(host, "://127.0.0.1:") {
			t.Errorf("mirror %q is not on 127.0.0.1", host)
		}
	}
	settings := helmSettings(t)
	client, err := helmregistry.NewRegistryClientWithTLS(io.Discard, "", "", m.CAFile, false, settings.RegistryConfig, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		repository string
		chart      Chart
	}{
		{m.KarpenterRepository, KarpenterChart},
		{m.KedaRepository, KedaChart},
	} {
		path, err := locate(t, settings, client, tc.repository, tc.chart.Name, tc.chart.Version, m.CAFile)
		if err != nil {
			t.Fatalf("%s from %s: %v", tc.chart.Name, tc.repository, err)
		}
		checkChart(t, path, tc.chart)
	}
	if KarpenterChart.Version != "1.14.1" || KedaChart.Version != "2.20.2" {
		t.Errorf("pins moved (karpenter %s, keda %s): check the packaging notes in Load", KarpenterChart.Version, KedaChart.Version)
	}
}

// TestMirrorRefusesUntrustedClients: without the mirror's CA, Helm refuses both repositories'
// certificates, so a pull that succeeds does trust the CA.
func TestMirrorRefusesUntrustedClients(t *testing.T) {
	m := Serve(t)
	settings := helmSettings(t)
	client, err := helmregistry.NewClient(helmregistry.ClientOptCredentialsFile(settings.RegistryConfig), helmregistry.ClientOptWriter(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		repository string
		chart      Chart
	}{{m.KarpenterRepository, KarpenterChart}, {m.KedaRepository, KedaChart}} {
		_, err := locate(t, settings, client, tc.repository, tc.chart.Name, tc.chart.Version, "")
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("%s from %s without its CA: got %v, want a certificate error", tc.chart.Name, tc.repository, err)
		}
	}
}

// TestHelmFallsBackToPlainHTTPForOCI records a behaviour of Helm v3.22.0's registry client that
// docs/charts.md warns about: an oci:// registry that answers in plain HTTP is used over plain
// HTTP although nothing asked for it (helm pkg/registry/fallback.go retries a request over http
// when the TLS handshake is answered with "HTTP/"). So karpenter.chartRepository's oci:// cannot
// by itself guarantee TLS; only the registry's own configuration can.
func TestHelmFallsBackToPlainHTTPForOCI(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0)))) // plain HTTP, 127.0.0.1
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	tgz, err := Package(KarpenterChart, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(tgz)
	if err != nil {
		t.Fatal(err)
	}
	settings := helmSettings(t)
	plain, err := helmregistry.NewClient(helmregistry.ClientOptPlainHTTP(), helmregistry.ClientOptWriter(io.Discard), helmregistry.ClientOptCredentialsFile(settings.RegistryConfig))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Push(data, host+"/"+KarpenterPath+"/karpenter:"+KarpenterChart.Version); err != nil {
		t.Fatal(err)
	}
	// The client the provider builds for a chart without repositoryOpts and plainHttp.
	client, err := helmregistry.NewClient(helmregistry.ClientOptCredentialsFile(settings.RegistryConfig), helmregistry.ClientOptWriter(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	path, err := locate(t, settings, client, "oci://"+host+"/"+KarpenterPath, KarpenterChart.Name, KarpenterChart.Version, "")
	if err != nil {
		t.Fatalf("Helm no longer falls back to plain HTTP (update docs/charts.md): %v", err)
	}
	checkChart(t, path, KarpenterChart)
}
