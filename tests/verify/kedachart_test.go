package verify

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/reference"
)

// The KEDA chart comes from the github.com/kedacore/charts module at the
// program's pin, and it is that release: Chart.yaml's name, version and
// appVersion.
func TestKEDAChartFromModule(t *testing.T) {
	t.Parallel()
	dir, err := KEDAChartDir()
	if err != nil {
		t.Fatal(err)
	}
	mod, err := ModuleDir(KEDAChartModule, KEDAChartModuleVersion)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(mod, KEDAChartPath); dir != want {
		t.Errorf("KEDAChartDir() = %s, want %s", dir, want)
	}
	meta, err := ReadChartMetadata(dir)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Name != infra.KedaChart || meta.Version != infra.KedaVersion || meta.AppVersion != infra.KedaVersion {
		t.Errorf("%s@%s %s/Chart.yaml: name %q version %q appVersion %q; the program pins chart %s %s",
			KEDAChartModule, KEDAChartModuleVersion, KEDAChartPath, meta.Name, meta.Version, meta.AppVersion, infra.KedaChart, infra.KedaVersion)
	}
}

// chartFiles reads every regular file under dir, keyed by its slash path
// relative to dir.
func chartFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// The module's chart is file for file the upstream copy in
// ../shared/reference/charts/keda (taken from the kedacore/charts tag). Only
// the team's checkout has that folder; elsewhere this comparison is skipped.
func TestKEDAChartMatchesReference(t *testing.T) {
	t.Parallel()
	ref := reference.Path(t, "charts/keda", "the comparison of the KEDA chart module with an upstream copy")
	dir, err := KEDAChartDir()
	if err != nil {
		t.Fatal(err)
	}
	got, want := chartFiles(t, dir), chartFiles(t, ref)
	if len(want) == 0 {
		t.Fatalf("%s holds no files", ref)
	}
	for name, w := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s: in the reference copy, not in the module", name)
		} else if !bytes.Equal(g, w) {
			t.Errorf("%s: module copy (%d bytes) differs from the reference (%d bytes)", name, len(g), len(w))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: in the module, not in the reference copy", name)
		}
	}
}

// programKedaValues are the chart values the program builds (infra.NewKedaChartValues),
// decoded as Helm sees them.
func programKedaValues(t *testing.T) map[string]any {
	t.Helper()
	return toObject(t, infra.NewKedaChartValues(infra.KedaChartSettings{
		KedaSettings: infra.KedaSettings{
			OperatorReplicas: 2,
			OperatorCPU:      "500m", OperatorMemory: "1Gi", MetricsServerCPU: "250m", MetricsServerMemory: "512Mi",
			WebhooksCPU: "100m", WebhooksMemory: "256Mi",
		},
		ClusterName: "eventscale-dev", RoleArn: "arn:aws:iam::123456789012:role/keda",
	}))
}

// valueLeafPaths lists the dotted paths of every leaf of a decoded values object.
func valueLeafPaths(prefix string, v any, out *[]string) {
	if m, ok := v.(map[string]any); ok && len(m) > 0 {
		for k, x := range m {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			valueLeafPaths(p, x, out)
		}
		return
	}
	*out = append(*out, prefix)
}

// hasValuePath reports whether the dotted path exists in a decoded values object.
func hasValuePath(m map[string]any, path string) bool {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = obj[k]; !ok {
			return false
		}
	}
	return true
}

// Every value the program sets must be a key the chart's own values.yaml
// declares: a typo (e.g. metricsServer instead of metricServer under
// resources) would be silently ignored by Helm.
func TestKEDAValuesExistInChart(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(kedaChart(t), "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var defaults map[string]any
	if err := yaml.Unmarshal(data, &defaults); err != nil {
		t.Fatal(err)
	}
	var paths []string
	valueLeafPaths("", programKedaValues(t), &paths)
	sort.Strings(paths)
	if len(paths) == 0 {
		t.Fatal("the program sets no KEDA chart values")
	}
	for _, p := range paths {
		if !hasValuePath(defaults, p) {
			t.Errorf("chart %s values.yaml has no key %s", infra.KedaVersion, p)
		}
	}
}

// The chart reads podIdentity.aws.irsa only in the operator's service account
// template.
func TestKEDAChartReadsIRSAOnlyForOperator(t *testing.T) {
	t.Parallel()
	dir := kedaChart(t)
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(dir, "templates", filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if s := read("manager/serviceaccount.yaml"); !strings.Contains(s, ".Values.podIdentity.aws.irsa.roleArn") {
		t.Error("the operator's service account template does not read .Values.podIdentity.aws.irsa.roleArn")
	}
	for _, rel := range []string{"metrics-server/serviceaccount.yaml", "webhooks/serviceaccount.yaml"} {
		if strings.Contains(read(rel), "irsa") {
			t.Errorf("templates/%s reads irsa values", rel)
		}
	}
}
