package infra

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testKedaChartSettings() KedaChartSettings {
	return KedaChartSettings{
		KedaSettings: KedaSettings{
			OperatorReplicas: 2,
			OperatorCPU:      "500m", OperatorMemory: "1Gi", MetricsServerCPU: "250m", MetricsServerMemory: "512Mi",
			WebhooksCPU: "100m", WebhooksMemory: "256Mi",
		},
		ClusterName: "eventscale-dev", RoleArn: "arn:aws:iam::123456789012:role/keda",
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
	v := toMap(t, NewKedaChartValues(testKedaChartSettings()))
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
