package tests

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/internal/stacktest"
)

const typeFargateProfile = "aws:eks/fargateProfile:FargateProfile"

// The Karpenter namespace layout before its default moved to kube-system: the keys a stack
// deployed with it pins (docs/karpenter.md, "Upgrading").
var oldKarpenterLayout = map[string]string{
	"eventscale:karpenter": `{"namespace":"karpenter"}`,
	"eventscale:fargate":   `{"namespaces":["kube-system","karpenter","keda"]}`,
}

// fargateProfile is the Fargate profile of a recorded stack and the namespaces it selects.
func fargateProfile(t *testing.T, rec *offline.Recording) (offline.Resource, []string) {
	t.Helper()
	fp := one(t, rec, typeFargateProfile, "cluster-fargate-system")
	var selected []string
	for _, s := range fp.Inputs["selectors"].([]any) {
		selected = append(selected, str(s.(map[string]any)["namespace"]))
	}
	return fp, selected
}

// subnetIDs are the subnet ids a recorded Fargate profile places its pods in.
func subnetIDs(fp offline.Resource) []string {
	var ids []string
	for _, id := range fp.Inputs["subnetIds"].([]any) {
		ids = append(ids, str(id))
	}
	return ids
}

// TestFargateProfileReplacedCreateFirst: a change of the Fargate namespaces must create the
// new profile before the old one is deleted. The profile's name follows its namespaces and
// subnets (a change is a replacement under a new name, which can exist beside the old one), the program
// asks for create-before-delete explicitly, and the resource keeps the first release's URN and
// ignores changes of its name, so a stack the first release deployed (profile "system") keeps
// its profile while its namespaces stay as they are.
func TestFargateProfileReplacedCreateFirst(t *testing.T) {
	t.Parallel()
	moved, err := runEdited(t, oldKarpenterLayout)
	require.NoError(t, err)
	reordered, err := runEdited(t, map[string]string{"eventscale:fargate": `{"namespaces":["keda","kube-system"]}`})
	require.NoError(t, err)
	dev := karpenterStack(t, "dev")

	names := map[string]string{}
	for label, rec := range map[string]*offline.Recording{"dev": dev.rec, "old layout": moved.rec, "reordered": reordered.rec} {
		fp, selected := fargateProfile(t, rec)
		assert.Equal(t, "urn:pulumi:dev::eventscale::eventscale:cluster:Cluster$aws:eks/fargateProfile:FargateProfile::cluster-fargate-system",
			fp.URN, "%s: the first release's URN, so its state is this resource", label)
		assert.Empty(t, fp.Aliases, label)
		name := str(fp.Inputs["fargateProfileName"])
		assert.Len(t, subnetIDs(fp), 3, label)
		assert.Equal(t, infra.FargateProfileName(selected, subnetIDs(fp)), name, label)
		assert.Equal(t, []string{"fargateProfileName"}, fp.IgnoreChanges,
			"%s: a stack the first release deployed keeps the name %q until the profile is replaced", label, infra.FirstFargateProfileName)
		if assert.NotNil(t, fp.DeleteBeforeReplace, label) {
			assert.False(t, *fp.DeleteBeforeReplace, "%s: the replacement is created before the old profile is deleted", label)
		}
		names[label] = name
	}
	assert.NotEqual(t, names["dev"], names["old layout"], "other namespaces, another name: both profiles can exist during the move")
	assert.Equal(t, names["dev"], names["reordered"], "the same namespaces in another order keep the name")
	assert.NotEqual(t, infra.FirstFargateProfileName, names["dev"], "no new profile takes the first release's name")
}

// TestKarpenterPolicyDescriptionsFrozen: the six controller policies keep the descriptions (and
// the resource names, from which pulumi-aws names them) the first release created them with:
// a description is ForceNew, so any other text, such as one that follows infra.KarpenterVersion,
// would replace the six policies and their attachments on the next `pulumi up`.
func TestKarpenterPolicyDescriptionsFrozen(t *testing.T) {
	t.Parallel()
	// The first release's resource names and descriptions, as its `pulumi up` sent them.
	firstRelease := []struct{ resource, description string }{
		{"karpenter-controller-node-lifecycle", "Karpenter controller: NodeLifecyclePolicy (upstream v1.14 reference)"},
		{"karpenter-controller-iam-integration", "Karpenter controller: IAMIntegrationPolicy (upstream v1.14 reference)"},
		{"karpenter-controller-eks-integration", "Karpenter controller: EKSIntegrationPolicy (upstream v1.14 reference)"},
		{"karpenter-controller-interruption", "Karpenter controller: InterruptionPolicy (upstream v1.14 reference)"},
		{"karpenter-controller-resource-discovery", "Karpenter controller: ResourceDiscoveryPolicy (upstream v1.14 reference)"},
		{"karpenter-controller-zonal-shift", "Karpenter controller: ZonalShiftPolicy (upstream v1.14 reference)"},
	}
	stacktest.Each(t, func(t *testing.T, stack string) {
		k := karpenterStack(t, stack)
		require.Len(t, byType(k.rec, typePolicy), len(firstRelease))
		for _, want := range firstRelease {
			p := one(t, k.rec, typePolicy, want.resource)
			assert.Equal(t, want.description, p.Inputs["description"], want.resource)
			assert.NotContains(t, p.Inputs, "name", "%s: pulumi-aws names the policy after its resource name and keeps the name", want.resource)
			assert.NotContains(t, p.Inputs, "namePrefix", want.resource)
			assert.NotContains(t, p.Inputs, "path", "%s: path is ForceNew too", want.resource)
		}
	})
}

// TestKarpenterOldLayoutPinned: a stack deployed before karpenter.namespace's default moved to
// kube-system keeps its layout by pinning the two keys of oldKarpenterLayout (the note in
// docs/karpenter.md): the controller in namespace karpenter, its IRSA subject there, the
// Namespace object it owned, and a profile that selects the three namespaces in their old
// order. Taking the defaults instead removes exactly the Namespace and the two FlowSchemas (the
// chart moves to kube-system, the role's trust changes in place), and brings a profile under
// another name, created before the old one is deleted.
func TestKarpenterOldLayoutPinned(t *testing.T) {
	t.Parallel()
	old, err := runEdited(t, oldKarpenterLayout)
	require.NoError(t, err)
	dev := karpenterStack(t, "dev")

	_, selected := fargateProfile(t, old.rec)
	assert.Equal(t, []string{"kube-system", "karpenter", "keda"}, selected, "the old default's order: no change of the selectors")
	assert.Equal(t, "karpenter", one(t, old.rec, typeChart, "karpenter").Inputs["namespace"])
	assert.Equal(t, "karpenter", offline.Lookup(one(t, old.rec, typeNamespace, "karpenter-namespace").Inputs, "metadata", "name"))
	trust := decodePolicy(t, one(t, old.rec, typeRole, "karpenter-controller-role").Inputs["assumeRolePolicy"])
	assert.Contains(t, trust.JSON(), `:sub":"system:serviceaccount:karpenter:karpenter"`)

	urns := func(k karpenterRun) map[string]bool {
		m := map[string]bool{}
		for _, r := range k.rec.Resources {
			m[r.URN] = true
		}
		return m
	}
	oldURNs, newURNs := urns(old), urns(dev)
	var onlyOld, onlyNew []string
	for u := range oldURNs {
		if !newURNs[u] {
			onlyOld = append(onlyOld, u)
		}
	}
	for u := range newURNs {
		if !oldURNs[u] {
			onlyNew = append(onlyNew, u)
		}
	}
	comp := "urn:pulumi:dev::eventscale::eventscale:karpenter:Karpenter$"
	assert.ElementsMatch(t, []string{
		comp + typeNamespace + "::karpenter-namespace",
		comp + typeFlowSchema + "::karpenter-flowschema-leader-election",
		comp + typeFlowSchema + "::karpenter-flowschema-workload",
	}, onlyOld, "what taking the defaults deletes")
	assert.Empty(t, onlyNew, "taking the defaults adds no resource")
	oldFP, _ := fargateProfile(t, old.rec)
	newFP, _ := fargateProfile(t, dev.rec)
	assert.NotEqual(t, oldFP.Inputs["fargateProfileName"], newFP.Inputs["fargateProfileName"])
}
