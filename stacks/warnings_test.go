package stacks

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/internal/stacktest"
)

// TestKubernetesVersionsAcceptedAndWarned pins the day to 2026-12-01: every accepted minor
// validates, and only 1.33 (extended support), 1.34 (standard support ends the next day) and 1.36
// (outside KEDA 2.20's tested range) warn, each naming the key and quoting the value.
func TestKubernetesVersionsAcceptedAndWarned(t *testing.T) {
	t.Parallel()
	on := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		version string
		want    string // "" = no warning
	}{
		{"1.33", "extended support since 2026-07-29"},
		{"1.34", "leaves EKS standard support on 2026-12-02"},
		{"1.35", ""},
		{"1.36", "outside the range KEDA 2.20.2 is tested on"},
	} {
		cfg := validConfig()
		cfg.Cluster.Version = c.version
		require.NoError(t, cfg.Validate(), c.version)
		got := cfg.Warnings(on)
		if c.want == "" {
			assert.Empty(t, got, c.version)
			continue
		}
		if assert.Len(t, got, 1, c.version) {
			assert.True(t, strings.HasPrefix(got[0], `eventscale:cluster.version "`+c.version+`": `), got[0])
			assert.Contains(t, got[0], c.want)
		}
	}
}

// TestShippedStacksDoNotWarnToday: the stack files choose a version in good standing on the day
// the table was last read; their only warning is the public endpoint's, which each shipped stack
// has on purpose (dev, a demo, open to the internet; prod restricted to a documentation range, a
// placeholder to replace). A later day may warn; that is the point of the warning.
func TestShippedStacksDoNotWarnToday(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"dev":  `eventscale:cluster.publicAccessCidrs[0] "0.0.0.0/0": the cluster's API endpoint is open to the internet`,
		"prod": `eventscale:cluster.publicAccessCidrs[0] "192.0.2.0/24" is in the documentation range 192.0.2.0/24 (RFC 5737): nobody reaches the endpoint from there`,
	}
	for _, stack := range stacktest.Names(t) {
		raw, err := ReadStackFile("../Pulumi." + stack + ".yaml")
		require.NoError(t, err)
		cfg, err := Load(raw, Namespace, stack)
		require.NoError(t, err)
		got := cfg.Warnings(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
		if assert.Len(t, got, 1, stack) {
			assert.Contains(t, got[0], want[stack], stack)
		}
		assert.Len(t, cfg.Warnings(time.Date(2027, 3, 27, 0, 0, 0, 0, time.UTC)), 2, stack+" on 1.35 after its standard support")
	}
}

// TestEndpointWarnings: a public endpoint open to the internet, or restricted to an RFC 5737
// documentation range (or a network inside one), warns naming the key, its index and the value;
// a private-only endpoint and other ranges are silent.
func TestEndpointWarnings(t *testing.T) {
	t.Parallel()
	on := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		cidrs  []string
		public bool
		want   []string
	}{
		{[]string{testEgressCidr}, true, nil},
		{[]string{"0.0.0.0/0"}, true, []string{`eventscale:cluster.publicAccessCidrs[0] "0.0.0.0/0": the cluster's API endpoint is open to the internet (CIS EKS 5.4.1)`}},
		{[]string{testEgressCidr, "203.0.113.0/24"}, true, []string{`eventscale:cluster.publicAccessCidrs[1] "203.0.113.0/24" is in the documentation range 203.0.113.0/24 (RFC 5737)`}},
		{[]string{"198.51.100.7/32"}, true, []string{`eventscale:cluster.publicAccessCidrs[0] "198.51.100.7/32" is in the documentation range 198.51.100.0/24`}},
		{[]string{"192.0.2.0/24", "0.0.0.0/0"}, true, []string{"publicAccessCidrs[0]", "publicAccessCidrs[1]"}},
		{[]string{"192.0.0.0/16"}, true, nil}, // holds 192.0.2.0/24 but is not inside it
		{[]string{"0.0.0.0/0"}, false, nil},   // no public endpoint: the list is not used
	} {
		cfg := validConfig()
		cfg.Cluster.PublicAccessCidrs, cfg.Cluster.EndpointPublicAccess = c.cidrs, c.public
		require.NoError(t, cfg.Validate(), "%v", c.cidrs)
		got := cfg.Warnings(on)
		if !assert.Len(t, got, len(c.want), "%v public=%v: %q", c.cidrs, c.public, got) {
			continue
		}
		for i, w := range c.want {
			assert.Contains(t, got[i], w)
		}
	}
}

// TestSpotServiceLinkedRoleWarning: asking for the account's EC2 Spot service-linked role in a
// stack whose NodePool allows no spot is valid (the role is harmless, and kept while spot is off
// it spares a failed create when spot comes back) but warned about, naming the key and quoting
// the capacity types; every other combination is silent.
func TestSpotServiceLinkedRoleWarning(t *testing.T) {
	t.Parallel()
	on := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	yes, no := true, false
	for _, c := range []struct {
		name          string
		capacityTypes []string
		create        *bool
		want          bool
	}{
		{"on-demand, unset", []string{"on-demand"}, nil, false},
		{"on-demand, false", []string{"on-demand"}, &no, false},
		{"on-demand, true", []string{"on-demand"}, &yes, true},
		{"reserved and on-demand, true", []string{"reserved", "on-demand"}, &yes, true},
		{"spot, unset", []string{"spot", "on-demand"}, nil, false},
		{"spot, true", []string{"spot"}, &yes, false},
		{"spot, false (the role exists already)", []string{"spot", "on-demand"}, &no, false},
	} {
		cfg := validConfig()
		cfg.Karpenter.NodePool.CapacityTypes = c.capacityTypes
		cfg.Karpenter.CreateSpotServiceLinkedRole = c.create
		require.NoError(t, cfg.Validate(), c.name)
		got := cfg.Warnings(on)
		if !c.want {
			assert.Empty(t, got, c.name)
			continue
		}
		if assert.Len(t, got, 1, c.name) {
			assert.True(t, strings.HasPrefix(got[0], "eventscale:karpenter.createSpotServiceLinkedRole true: "), got[0])
			assert.Contains(t, got[0], "AWSServiceRoleForEC2Spot")
			assert.Contains(t, got[0], fmt.Sprintf("eventscale:karpenter.nodePool.capacityTypes %q allows no spot", c.capacityTypes))
		}
	}
}
