package infra

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKarpenterFlowSchemas compares the FlowSchemas with the values recorded from upstream's
// step15-apply-flowschemas.sh (see KarpenterFlowSchemas), for a controller in "karpenter".
func TestKarpenterFlowSchemas(t *testing.T) {
	t.Parallel()
	const subject = `"subjects":[{"kind":"ServiceAccount","serviceAccount":{"namespace":"karpenter","name":"karpenter"}}]`
	want := []string{
		`{"apiVersion":"flowcontrol.apiserver.k8s.io/v1","kind":"FlowSchema","metadata":{"name":"karpenter-leader-election"},
		  "spec":{"priorityLevelConfiguration":{"name":"leader-election"},"matchingPrecedence":200,"distinguisherMethod":{"type":"ByUser"},
		    "rules":[{` + subject + `,
		      "resourceRules":[{"verbs":["get","create","update"],"apiGroups":["coordination.k8s.io"],"resources":["leases"],"namespaces":["*"]}]}]}}`,
		`{"apiVersion":"flowcontrol.apiserver.k8s.io/v1","kind":"FlowSchema","metadata":{"name":"karpenter-workload"},
		  "spec":{"priorityLevelConfiguration":{"name":"workload-high"},"matchingPrecedence":1000,"distinguisherMethod":{"type":"ByUser"},
		    "rules":[{` + subject + `,
		      "nonResourceRules":[{"verbs":["*"],"nonResourceURLs":["*"]}],
		      "resourceRules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"],"clusterScope":true,"namespaces":["*"]}]}]}}`,
	}
	got := KarpenterFlowSchemas("karpenter", "karpenter")
	require.Len(t, got, len(want))
	for i, fs := range got {
		b, err := json.Marshal(fs)
		require.NoError(t, err)
		assert.JSONEq(t, want[i], string(b), fs.Metadata.Name)
	}

	// The subject follows the configured namespace and service account, in both schemas.
	for _, fs := range KarpenterFlowSchemas("autoscaler", "karpenter-controller") {
		require.Len(t, fs.Spec.Rules, 1)
		assert.Equal(t, []FlowSubject{{Kind: "ServiceAccount", ServiceAccount: &FlowServiceAccount{Namespace: "autoscaler", Name: "karpenter-controller"}}},
			fs.Spec.Rules[0].Subjects, fs.Metadata.Name)
	}
}

func TestKarpenterNeedsFlowSchemas(t *testing.T) {
	t.Parallel()
	assert.False(t, KarpenterNeedsFlowSchemas("kube-system"), "the built-in FlowSchemas cover kube-system's service accounts")
	for _, ns := range []string{"karpenter", "autoscaler", "default"} {
		assert.True(t, KarpenterNeedsFlowSchemas(ns), ns)
	}
}

func TestIsSystemNamespace(t *testing.T) {
	t.Parallel()
	for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		assert.True(t, IsSystemNamespace(ns), ns)
	}
	for _, ns := range []string{"karpenter", "keda", "kube-systems", ""} {
		assert.False(t, IsSystemNamespace(ns), ns)
	}
}
