package infra

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPodSecurityLabels(t *testing.T) {
	t.Parallel()
	assert.Equal(t, map[string]string{
		"pod-security.kubernetes.io/enforce":         "restricted",
		"pod-security.kubernetes.io/enforce-version": PodSecurityVersion,
		"pod-security.kubernetes.io/audit":           "restricted",
		"pod-security.kubernetes.io/audit-version":   PodSecurityVersion,
		"pod-security.kubernetes.io/warn":            "restricted",
		"pod-security.kubernetes.io/warn-version":    PodSecurityVersion,
	}, PodSecurityLabels(PodSecurityRestricted))

	in := map[string]string{"team": "a", "pod-security.kubernetes.io/enforce": "privileged"}
	got := WithPodSecurity(in, PodSecurityBaseline)
	assert.Equal(t, "a", got["team"])
	assert.Equal(t, "baseline", got["pod-security.kubernetes.io/enforce"], "the level wins over a label of the same key")
	assert.Equal(t, "privileged", in["pod-security.kubernetes.io/enforce"], "the input is not mutated")
	assert.Len(t, WithPodSecurity(nil, PodSecurityRestricted), 6)
}

// The pinned policy version moves with the default Kubernetes version: whoever bumps the default
// reads the new minor's Pod Security Standards changes and bumps the pin.
func TestPodSecurityVersionFollowsDefault(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "v"+DefaultKubernetesVersion, PodSecurityVersion,
		"bump PodSecurityVersion with DefaultKubernetesVersion after reading the policy changes of the new minor")
}

// Every level the stack uses is one of the standard's, and the stack's own levels are the
// strictest (KEDA's and Karpenter's are checked against their charts' pods by tests/integration).
func TestPodSecurityLevelsOfTheStack(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []string{"restricted", "baseline", "privileged"}, PodSecurityLevels)
	assert.Equal(t, PodSecurityRestricted, WorkloadPodSecurityLevel)
	for _, l := range []string{KedaPodSecurityLevel, KarpenterPodSecurityLevel} {
		assert.Contains(t, PodSecurityLevels, l)
	}
}
