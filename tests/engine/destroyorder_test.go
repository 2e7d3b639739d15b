package engine

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// syntheticState is a state shaped like the program's after up (the charts' Deployments as
// the charts' children; a custom resource depends on its chart component and, through
// DependsOnInputs, on the chart's objects), with the NodePool's dependencies given by
// nodePoolDeps (names of resources in it).
func syntheticState(nodePoolDeps ...string) []apitype.ResourceV3 {
	urn := func(parent tokens.Type, typ, name string) resource.URN {
		return resource.NewURN("dev", "eventscale", parent, tokens.Type(typ), name)
	}
	chart := tokens.Type("eventscale:karpenter:Karpenter$kubernetes:helm.sh/v4:Chart")
	kedaChart := tokens.Type("eventscale:keda:Keda$kubernetes:helm.sh/v4:Chart")
	byName := map[string]resource.URN{
		"karpenter-chart":      urn("eventscale:karpenter:Karpenter", "kubernetes:helm.sh/v4:Chart", "karpenter"),
		"karpenter-deployment": urn(chart, "kubernetes:apps/v1:Deployment", "karpenter:kube-system/karpenter"),
		"keda-chart":           urn("eventscale:keda:Keda", "kubernetes:helm.sh/v4:Chart", "keda-chart"),
		"keda-deployment":      urn(kedaChart, "kubernetes:apps/v1:Deployment", "keda-chart:keda/keda-operator"),
		"nodeclass":            urn("eventscale:karpenter:Karpenter", "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "karpenter-nodeclass"),
		"nodepool":             urn("eventscale:karpenter:Karpenter", "kubernetes:karpenter.sh/v1:NodePool", "karpenter-nodepool"),
		"trigger-auth":         urn("eventscale:workload:Workload", "kubernetes:keda.sh/v1alpha1:TriggerAuthentication", "workload-worker-trigger-auth"),
		"scaled-object":        urn("eventscale:workload:Workload", "kubernetes:keda.sh/v1alpha1:ScaledObject", "workload-worker-scaled-object"),
	}
	deps := func(names ...string) []resource.URN {
		var out []resource.URN
		for _, n := range names {
			out = append(out, byName[n])
		}
		return out
	}
	r := func(name string, dependsOn ...string) apitype.ResourceV3 {
		u := byName[name]
		return apitype.ResourceV3{URN: u, Type: u.Type(), Custom: true, Dependencies: deps(dependsOn...)}
	}
	return []apitype.ResourceV3{
		r("karpenter-chart"), r("karpenter-deployment"), r("keda-chart"), r("keda-deployment"),
		r("nodeclass", "karpenter-chart", "karpenter-deployment"),
		r("nodepool", nodePoolDeps...),
		r("trigger-auth", "keda-chart", "keda-deployment"),
		r("scaled-object", "keda-chart", "keda-deployment", "trigger-auth"),
	}
}

// TestDestroyOrderProblems is the proof that checkDestroyOrder can fail, on synthetic states:
// the walk passes when every resource that needs a controller reaches its Deployment (the
// NodePool directly or through the EC2NodeClass), and names the NodePool when it depends only
// on the chart component, or when it is missing from the state.
func TestDestroyOrderProblems(t *testing.T) {
	controllers := Finalizers("kube-system", "keda")
	for _, tc := range []struct {
		name  string
		state []apitype.ResourceV3
		want  []string // substrings, one per expected problem
	}{
		{"the program's shape: the NodePool through the EC2NodeClass and the chart's objects",
			syntheticState("karpenter-chart", "karpenter-deployment", "nodeclass"), nil},
		{"the NodePool only through the EC2NodeClass",
			syntheticState("nodeclass"), nil},
		{"the NodePool on the chart component only",
			syntheticState("karpenter-chart"),
			[]string{"NodePool::karpenter-nodepool does not depend on urn:pulumi:dev::eventscale::eventscale:karpenter:Karpenter$kubernetes:helm.sh/v4:Chart$kubernetes:apps/v1:Deployment::karpenter:kube-system/karpenter: a destroy may delete the controller first and leave its NodeClaims (karpenter.sh/termination)"}},
		{"no NodePool in the state",
			slices.DeleteFunc(syntheticState(), func(r apitype.ResourceV3) bool { return strings.HasSuffix(string(r.URN), "::karpenter-nodepool") }),
			[]string{"no NodePool in the state (one of kube-system/karpenter's)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := destroyOrderProblems(tc.state, controllers)
			if len(got) != len(tc.want) {
				t.Fatalf("problems %q, want %d: %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %q, want it to contain %q", got[i], w)
				}
			}
		})
	}
}
