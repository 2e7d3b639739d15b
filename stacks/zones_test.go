package stacks

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/infra"
)

// useast1 is a lookup of us-east-1 in one account: names a to f and their zone IDs, use1-az3
// (which EKS refuses) first.
var useast1 = struct{ names, ids []string }{
	[]string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"},
	[]string{"use1-az3", "use1-az1", "use1-az2", "use1-az4", "use1-az6", "use1-az5"},
}

// networkWith is the default network section, changed by mutate (when not nil).
func networkWith(mutate func(*infra.NetworkSettings)) infra.NetworkSettings {
	n := Defaults().Network
	if mutate != nil {
		mutate(&n)
	}
	return n
}

// TestChooseZonesSkipsUnsupported: a zone EKS refuses is skipped where the lookup lists it,
// first or in the middle, and the next supported zones take its place in the lookup's order.
func TestChooseZonesSkipsUnsupported(t *testing.T) {
	t.Parallel()
	got, err := chooseZones(networkWith(nil), "us-east-1", useast1.names, useast1.ids)
	require.NoError(t, err)
	assert.Equal(t, []string{"us-east-1b", "us-east-1c", "us-east-1d"}, got)

	ids := []string{"use1-az1", "use1-az3", "use1-az2", "use1-az4"}
	got, err = chooseZones(networkWith(nil), "us-east-1", useast1.names[:4], ids)
	require.NoError(t, err)
	assert.Equal(t, []string{"us-east-1a", "us-east-1c", "us-east-1d"}, got)
}

// TestChooseZonesKeepsDeployedZones: for every order a lookup may return us-east-1's six zones
// in, and every zone count, the zones chosen are exactly the first azCount whenever none of
// them is use1-az3, the choice made before zones were skipped; so upgrading replaces no subnet
// of such a stack. Otherwise they are the first azCount others, in the lookup's order.
func TestChooseZonesKeepsDeployedZones(t *testing.T) {
	t.Parallel()
	checked := 0
	for perm := range permutations(useast1.ids) {
		for azCount := 2; azCount <= 5; azCount++ {
			got, err := chooseZones(networkWith(func(n *infra.NetworkSettings) { n.AzCount = azCount }), "us-east-1", useast1.names, perm)
			require.NoError(t, err)
			if !slices.Contains(perm[:azCount], "use1-az3") {
				require.Equal(t, useast1.names[:azCount], got, "ids %v", perm)
				checked++
				continue
			}
			var want []string
			for i, id := range perm {
				if id != "use1-az3" && len(want) < azCount {
					want = append(want, useast1.names[i])
				}
			}
			require.Equal(t, want, got, "ids %v", perm)
		}
	}
	assert.Positive(t, checked)
}

// permutations yields every order of xs.
func permutations(xs []string) func(yield func([]string) bool) {
	return func(yield func([]string) bool) {
		var rec func(k int) bool
		p := slices.Clone(xs)
		rec = func(k int) bool {
			if k == len(p) {
				return yield(slices.Clone(p))
			}
			for i := k; i < len(p); i++ {
				p[k], p[i] = p[i], p[k]
				if !rec(k + 1) {
					return false
				}
				p[k], p[i] = p[i], p[k]
			}
			return true
		}
		rec(0)
	}
}

// TestChooseZonesExplicit: zone IDs resolve to this account's names in the configured order;
// names are kept, also one the lookup does not list (its state may be other than available).
func TestChooseZonesExplicit(t *testing.T) {
	t.Parallel()
	got, err := chooseZones(networkWith(func(n *infra.NetworkSettings) {
		n.AvailabilityZoneIds = []string{"use1-az4", "use1-az1", "use1-az6"}
	}), "us-east-1", useast1.names, useast1.ids)
	require.NoError(t, err)
	assert.Equal(t, []string{"us-east-1d", "us-east-1b", "us-east-1e"}, got)

	names := []string{"us-east-1f", "us-east-1b", "us-east-1g"}
	got, err = chooseZones(networkWith(func(n *infra.NetworkSettings) { n.AvailabilityZones = names }), "us-east-1", useast1.names, useast1.ids)
	require.NoError(t, err)
	assert.Equal(t, names, got)
}

// TestChooseZonesRefuses: each error names the key, the index and the value, or the zone
// count, the region and the zones supported and skipped.
func TestChooseZonesRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		mutate     func(*infra.NetworkSettings)
		names, ids []string
		want       string
	}{
		{"a named zone that is, in this account, one EKS refuses", func(n *infra.NetworkSettings) {
			n.AvailabilityZones = []string{"us-east-1b", "us-east-1a", "us-east-1c"}
		}, useast1.names, useast1.ids,
			`eventscale:network.availabilityZones[1] is "us-east-1a", in this account zone use1-az3, in which EKS does not allow cluster subnets (https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html): choose another zone, or choose zones by ID with eventscale:network.availabilityZoneIds`},
		{"a zone ID the region does not list", func(n *infra.NetworkSettings) {
			n.AvailabilityZoneIds = []string{"use1-az1", "usw2-az1", "use1-az2"}
		}, useast1.names[:3], useast1.ids[:3],
			`eventscale:network.availabilityZoneIds[1] is "usw2-az1", which is not an available zone of region us-east-1 in this account (available: us-east-1a (use1-az3), us-east-1b (use1-az1), us-east-1c (use1-az2))`},
		{"too few zones once one is skipped", nil, useast1.names[:3], useast1.ids[:3],
			"eventscale:network.azCount is 3 but region us-east-1 has only 2 available zones EKS supports (us-east-1b (use1-az1), us-east-1c (use1-az2)); " +
				"skipped us-east-1a (use1-az3), in which EKS does not allow cluster subnets (https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html): " +
				"lower it or list eventscale:network.availabilityZoneIds"},
		{"too few zones", nil, useast1.names[1:3], useast1.ids[1:3],
			"eventscale:network.azCount is 3 but region us-east-1 has only 2 available zones EKS supports (us-east-1b (use1-az1), us-east-1c (use1-az2)): lower it or list eventscale:network.availabilityZoneIds"},
		{"a lookup without zone IDs", nil, useast1.names, nil,
			"looking up availability zones of us-east-1: got 6 zone names but 0 zone IDs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := chooseZones(networkWith(tc.mutate), "us-east-1", tc.names, tc.ids)
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

// TestZoneIDsAccepted: zone IDs of the stack's count, none repeated or refused by EKS, pass,
// and load from the stack file's key.
func TestZoneIDsAccepted(t *testing.T) {
	t.Parallel()
	c := validConfig()
	c.Network.AvailabilityZoneIds = []string{"usw2-az4", "usw2-az1", "usw2-az2"}
	require.NoError(t, c.Validate())

	cfg, err := Load(raw("aws:region", "us-east-1", "eventscale:network", `{"azCount":2,"availabilityZoneIds":["use1-az1","use1-az6"]}`), "eventscale", "staging")
	require.NoError(t, err)
	assert.Equal(t, []string{"use1-az1", "use1-az6"}, cfg.Network.AvailabilityZoneIds)
}
