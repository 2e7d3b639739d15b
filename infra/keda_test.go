package infra

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// kedaChartDir is the KEDA chart fixture (../shared/reference from the repository root).
var kedaChartDir = filepath.Join("..", "..", "shared", "reference", "charts", "keda")

func testKedaSpec() KedaSpec {
	return KedaSpec{
		ClusterName: "eventscale-dev", OperatorReplicas: 2, RoleArn: "arn:aws:iam::123456789012:role/keda",
		OperatorCPU: "500m", OperatorMemory: "1Gi", MetricsServerCPU: "250m", MetricsServerMemory: "512Mi",
		WebhooksCPU: "100m", WebhooksMemory: "256Mi",
	}
}

func toMap(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// leafPaths lists the dotted paths of every leaf of a decoded JSON/YAML object.
func leafPaths(prefix string, v any, out *[]string) {
	if m, ok := v.(map[string]any); ok && len(m) > 0 {
		for k, x := range m {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			leafPaths(p, x, out)
		}
		return
	}
	*out = append(*out, prefix)
}

func lookup(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func TestKedaValues(t *testing.T) {
	t.Parallel()
	v := toMap(t, KedaValues(testKedaSpec()))
	for path, want := range map[string]any{
		"podIdentity.aws.irsa.enabled":           true,
		"podIdentity.aws.irsa.roleArn":           "arn:aws:iam::123456789012:role/keda",
		"serviceAccount.operator.name":           KedaOperatorServiceAccount,
		"serviceAccount.operator.create":         true,
		"operator.replicaCount":                  float64(2),
		"clusterName":                            "eventscale-dev",
		"resources.operator.requests.cpu":        "500m",
		"resources.operator.limits.cpu":          "500m",
		"resources.operator.limits.memory":       "1Gi",
		"resources.metricServer.requests.memory": "512Mi",
		"resources.metricServer.limits.memory":   "512Mi",
		"resources.webhooks.requests.cpu":        "100m",
		"resources.webhooks.limits.cpu":          "100m",
	} {
		got, ok := lookup(v, path)
		if assert.True(t, ok, "values lack %s", path) {
			assert.Equal(t, want, got, path)
		}
	}
	// The tutorial's bug: the fallback annotations land on all three KEDA service accounts.
	sa := v["serviceAccount"].(map[string]any)
	assert.NotContains(t, sa, "annotations")
	assert.NotContains(t, sa["operator"], "annotations")
	assert.NotContains(t, sa, "metricServer")
	assert.NotContains(t, sa, "webhooks")
}

// Every value the program sets must be a key the chart's own values.yaml declares: a typo
// (e.g. metricsServer instead of metricServer under resources) would be silently ignored by Helm.
func TestKedaValuesExistInChart(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(kedaChartDir, "values.yaml"))
	if os.IsNotExist(err) {
		t.Skipf("KEDA chart fixture %s is absent: fill it with `helm pull kedacore/keda --version %s --untar`", kedaChartDir, KedaVersion)
	}
	require.NoError(t, err)
	var defaults map[string]any
	require.NoError(t, yaml.Unmarshal(data, &defaults))
	var paths []string
	leafPaths("", toMap(t, KedaValues(testKedaSpec())), &paths)
	sort.Strings(paths)
	require.NotEmpty(t, paths)
	for _, p := range paths {
		_, ok := lookup(defaults, p)
		assert.True(t, ok, "chart %s values.yaml has no key %s", KedaVersion, p)
	}
}

// The chart reads podIdentity.aws.irsa only in the operator's service account template.
func TestKedaChartReadsIRSAOnlyForOperator(t *testing.T) {
	t.Parallel()
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(kedaChartDir, "templates", rel))
		if os.IsNotExist(err) {
			t.Skipf("KEDA chart fixture %s is absent: fill it with `helm pull kedacore/keda --version %s --untar`", kedaChartDir, KedaVersion)
		}
		require.NoError(t, err)
		return string(b)
	}
	assert.Contains(t, read("manager/serviceaccount.yaml"), ".Values.podIdentity.aws.irsa.roleArn")
	assert.NotContains(t, read("metrics-server/serviceaccount.yaml"), "irsa")
	assert.NotContains(t, read("webhooks/serviceaccount.yaml"), "irsa")
}
