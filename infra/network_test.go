package infra

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSubnetPlan(t *testing.T) {
	t.Parallel()
	cases := []struct {
		vpc               string
		azs, priv, pub    int
		wantPriv, wantPub []string
		wantErr           string
	}{
		{vpc: "10.0.0.0/16", azs: 3, priv: 19, pub: 24,
			wantPriv: []string{"10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"},
			wantPub:  []string{"10.0.96.0/24", "10.0.97.0/24", "10.0.98.0/24"}},
		{vpc: "10.20.0.0/16", azs: 2, priv: 20, pub: 26,
			wantPriv: []string{"10.20.0.0/20", "10.20.16.0/20"},
			wantPub:  []string{"10.20.32.0/26", "10.20.32.64/26"}},
		// Alignment: a /19 after /24s starts on the next /19 boundary.
		{vpc: "172.16.0.0/16", azs: 2, priv: 24, pub: 19,
			wantPriv: []string{"172.16.0.0/24", "172.16.1.0/24"},
			wantPub:  []string{"172.16.32.0/19", "172.16.64.0/19"}},
		{vpc: "10.0.0.0/18", azs: 3, priv: 19, pub: 24, wantErr: "no room left for a /19"},
		{vpc: "10.0.0.0/16", azs: 3, priv: 15, pub: 24, wantErr: "must lie between"},
		{vpc: "nope", azs: 3, priv: 19, pub: 24, wantErr: `"nope" is not an IPv4 CIDR`},
	}
	for _, tc := range cases {
		priv, pub, err := SubnetPlan(tc.vpc, tc.azs, tc.priv, tc.pub)
		if tc.wantErr != "" {
			require.ErrorContains(t, err, tc.wantErr, tc.vpc)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.wantPriv, priv)
		assert.Equal(t, tc.wantPub, pub)
		all := append(append([]string{}, priv...), pub...)
		vpc := netip.MustParsePrefix(tc.vpc)
		for i, a := range all {
			pa := netip.MustParsePrefix(a)
			assert.True(t, vpc.Contains(pa.Addr()), "%s inside %s", a, tc.vpc)
			for _, b := range all[i+1:] {
				assert.False(t, pa.Overlaps(netip.MustParsePrefix(b)), "%s overlaps %s", a, b)
			}
		}
	}
}

func TestRestrictedNodeTag(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"kubernetes.io/cluster/prod", "karpenter.sh/nodepool", "karpenter.sh/nodeclaim", "karpenter.k8s.aws/ec2nodeclass", "eks:eks-cluster-name", "aws:cloudformation:stack-id", ""} {
		assert.NotEmpty(t, RestrictedNodeTag(k), k)
	}
	for _, k := range []string{"team", "karpenter.sh/discovery", "kubernetes.io/role/elb", "Name"} {
		assert.Empty(t, RestrictedNodeTag(k), k)
	}
}

func TestBaseTagsCannotBeOverridden(t *testing.T) {
	t.Parallel()
	user := map[string]string{"team": "a", "eventscale:stack": "spoof"}
	got := BaseTags("eventscale", "dev", user)
	assert.Equal(t, map[string]string{"team": "a", "eventscale:stack": "dev", "eventscale:project": "eventscale", "managed-by": "pulumi"}, got)
	assert.Equal(t, "spoof", user["eventscale:stack"], "the caller's map is not mutated")
}
