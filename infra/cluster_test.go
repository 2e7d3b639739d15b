package infra

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestFargateProfileName: the name is infra.FirstFargateProfileName and 8 hex digits of the
// sorted namespaces and subnets, stable for the same sets in any order and different when
// either set changes.
func TestFargateProfileName(t *testing.T) {
	t.Parallel()
	ns, subnets := []string{"kube-system", "keda"}, []string{"subnet-a", "subnet-b"}
	name := FargateProfileName(ns, subnets)
	assert.Regexp(t, `^system-[0-9a-f]{8}$`, name)
	assert.Equal(t, name, FargateProfileName([]string{"keda", "kube-system"}, []string{"subnet-b", "subnet-a"}))
	assert.NotEqual(t, name, FargateProfileName([]string{"kube-system", "karpenter", "keda"}, subnets))
	assert.NotEqual(t, name, FargateProfileName(ns, []string{"subnet-a", "subnet-c"}))
	assert.NotEqual(t, name, FargateProfileName([]string{"kube-system"}, []string{"keda", "subnet-a", "subnet-b"}),
		"namespaces and subnets are kept apart")
}
