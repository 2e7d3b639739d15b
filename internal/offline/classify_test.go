package offline

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// classifyRecording holds one resource of each kind the classifiers tell apart.
func classifyRecording() *Recording {
	return &Recording{Resources: []Resource{
		{Type: "kubernetes:core/v1:Namespace", Name: "ns", Inputs: map[string]any{"apiVersion": "v1", "kind": "Namespace"}},
		{Type: "kubernetes:helm.sh/v4:Chart", Name: "chart", Inputs: map[string]any{"chart": "keda", "kind": "not an object"}},
		{Type: "pulumi:providers:kubernetes", Name: "provider", Inputs: map[string]any{"kubeconfig": "{}"}},
		{Type: "kubernetes:yaml/v2:ConfigGroup", Name: "group", Inputs: map[string]any{"yaml": "kind: FlowSchema"}},
		{Type: "kubernetes:apps/v1:Deployment", Name: "deploy", Inputs: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment"}},
		{Type: "aws:iam/role:Role", Name: "role", Inputs: map[string]any{
			"name":             "r",
			"assumeRolePolicy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}`,
			"description":      "mentions Statement but is not JSON",
			"tags":             map[string]any{"Statement": "a map, not JSON text"},
		}},
		{Type: "aws:iam/rolePolicy:RolePolicy", Name: "inline", Inputs: map[string]any{
			"policy": `{"Statement":[]}`,
			"other":  `{"NoStatement":[],"x":"Statement"}`,
		}},
		{Type: "aws:sqs/queue:Queue", Name: "q", Inputs: map[string]any{"policy": `["Statement"]`}},
	}}
}

func names(rs []Resource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Name
	}
	return out
}

func TestKubernetesObjectsAreObjectsOnly(t *testing.T) {
	t.Parallel()
	rec := classifyRecording()
	assert.Equal(t, []string{"ns", "deploy"}, names(rec.KubernetesObjects()),
		"neither the chart, the provider nor a component without apiVersion/kind")
	assert.Equal(t, []string{"chart"}, names(rec.Charts()))
	assert.Empty(t, (&Recording{}).KubernetesObjects())
}

func TestIAMDocumentsFindsPolicyTextOnly(t *testing.T) {
	t.Parallel()
	docs := classifyRecording().IAMDocuments()
	require.Len(t, docs, 2)
	assert.Equal(t, "role", docs[0].Resource.Name)
	assert.Equal(t, "assumeRolePolicy", docs[0].Input)
	assert.Equal(t, "2012-10-17", docs[0].Document["Version"])
	assert.Equal(t, "inline", docs[1].Resource.Name)
	assert.Equal(t, "policy", docs[1].Input)
	assert.Equal(t, map[string]any{"Statement": []any{}}, docs[1].Document)
}

func TestPolicyDocument(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		v    any
		ok   bool
	}{
		{"policy text", `{"Statement":[{"Effect":"Deny"}]}`, true},
		{"not a string", map[string]any{"Statement": []any{}}, false},
		{"no statement", `{"Version":"2012-10-17"}`, false},
		{"statement only in a value", `{"Sid":"Statement"}`, false},
		{"not JSON", `Statement`, false},
		{"a JSON array", `[{"Statement":[]}]`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, ok := PolicyDocument(tc.v)
			assert.Equal(t, tc.ok, ok)
			if ok {
				assert.Contains(t, doc, "Statement")
			}
		})
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	v := map[string]any{"spec": map[string]any{"replicas": int64(2), "list": []any{"x"}}}
	assert.Equal(t, int64(2), Lookup(v, "spec", "replicas"))
	assert.Equal(t, v, Lookup(v), "an empty path is v itself")
	assert.Nil(t, Lookup(v, "spec", "missing"))
	assert.Nil(t, Lookup(v, "spec", "list", "0"), "lists are not indexed")
	assert.Nil(t, Lookup("text", "spec"))
}
