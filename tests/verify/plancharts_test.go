package verify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderPlanChartsRefusesWhatItCannotRender: a plan's chart file that is not a pinned chart,
// or has a field the program never writes, is an error naming the file; a plan without chart
// files says to run the plan.
func TestRenderPlanChartsRefusesWhatItCannotRender(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, file, want string }{
		{"other chart", "chart: oci://example.com/charts/other\nversion: 1.0.0\nname: other\nnamespace: other\n",
			`charts/x.yaml: chart "oci://example.com/charts/other" version "1.0.0" is not a pinned chart`},
		{"other version", "chart: keda\nversion: 2.0.0\nname: keda\nnamespace: keda\n",
			`charts/x.yaml: chart "keda" version "2.0.0" is not a pinned chart`},
		{"unknown field", "chart: keda\nversoin: 2.20.2\n", `charts/x.yaml: error unmarshaling JSON: while decoding JSON: json: unknown field "versoin"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "charts"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "charts", "x.yaml"), []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := RenderPlanCharts(dir, kubeVersion); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
	if _, err := RenderPlanCharts(t.TempDir(), kubeVersion); err == nil || !strings.Contains(err.Error(), "run the offline plan") {
		t.Errorf("error %v for a folder without charts/, want one saying to run the offline plan", err)
	}
}

// TestWriteObjectsNamesFilesByKindAndName: one file per object, named as cmd/plan names the
// program's own; two objects that would share a file are an error.
func TestWriteObjectsNamesFilesByKindAndName(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keda")
	sa := map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "keda-operator"}}
	if err := WriteObjects(dir, []map[string]any{sa}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "ServiceAccount--keda-operator.yaml"))
	if err != nil || !strings.Contains(string(b), "name: keda-operator") {
		t.Fatalf("%s: %q, %v", dir, b, err)
	}
	if err := WriteObjects(t.TempDir(), []map[string]any{sa, sa}); err == nil || !strings.Contains(err.Error(), `kind "ServiceAccount" name "keda-operator": no file name of its own`) {
		t.Errorf("error %v for two objects of one kind and name", err)
	}
}
