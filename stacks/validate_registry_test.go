package stacks

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/infra"
)

// TestValidateRejectsNetworkAndRegistry: each bad value of the flow-log and registry keys is
// refused naming its key and quoting the value, and an immutable repository refuses a workload
// on "latest", naming the workload's key.
func TestValidateRejectsNetworkAndRegistry(t *testing.T) {
	t.Parallel()
	checkRejects(t, []rejectCase{
		{"flow log traffic type", func(c *Config) { c.Network.FlowLogs.TrafficType = "all" },
			[]string{`eventscale:network.flowLogs.trafficType must be one of ACCEPT, REJECT, ALL, got "all"`}},
		{"flow log traffic type empty", func(c *Config) { c.Network.FlowLogs.TrafficType = "" },
			[]string{"eventscale:network.flowLogs.trafficType", `got ""`}},
		{"flow log retention not a CloudWatch value", func(c *Config) { c.Network.FlowLogs.RetentionDays = 100 },
			[]string{"eventscale:network.flowLogs.retentionDays must be one of", "90, 120", "got 100"}},
		{"flow log retention zero (never expire) is not offered", func(c *Config) { c.Network.FlowLogs.RetentionDays = 0 },
			[]string{"eventscale:network.flowLogs.retentionDays", "got 0"}},
		{"tag mutability", func(c *Config) { c.Registry.ImageTagMutability = "immutable" },
			[]string{`eventscale:registry.imageTagMutability must be "IMMUTABLE" or "MUTABLE", got "immutable"`}},
		{"keep no tagged image", func(c *Config) { c.Registry.KeepTaggedImages = 0 },
			[]string{"eventscale:registry.keepTaggedImages must be 1 or more", "got 0"}},
		{"untagged expiry", func(c *Config) { c.Registry.UntaggedExpiryDays = -1 },
			[]string{"eventscale:registry.untaggedExpiryDays must be 1 or more", "got -1"}},
		{"latest in an immutable repository", func(c *Config) { c.Workloads[0].ImageTag = "latest" },
			[]string{`eventscale:workloads[0].imageTag is "latest", but eventscale:registry.imageTagMutability is "IMMUTABLE"`}},
	})
}

// TestValidateAcceptsNetworkAndRegistry: what the rules above must not refuse.
func TestValidateAcceptsNetworkAndRegistry(t *testing.T) {
	t.Parallel()
	for name, mutate := range map[string]func(*Config){
		"the defaults": func(c *Config) {},
		"flow logs off, other values unread": func(c *Config) {
			c.Network.FlowLogs = infra.FlowLogSettings{Enabled: false, TrafficType: "", RetentionDays: 0}
		},
		"REJECT only":                       func(c *Config) { c.Network.FlowLogs.TrafficType = "REJECT" },
		"latest in a mutable repository":    func(c *Config) { c.Registry.ImageTagMutability = infra.MutableTags; c.Workloads[0].ImageTag = "latest" },
		"latest from an image of elsewhere": func(c *Config) { c.Workloads[0].Image = "ghcr.io/example/worker:1"; c.Workloads[0].ImageTag = "latest" },
	} {
		c := validConfig()
		mutate(&c)
		assert.NoError(t, c.Validate(), name)
	}
	for _, d := range infra.LogRetentionDays {
		c := validConfig()
		c.Network.FlowLogs.RetentionDays = d
		assert.NoError(t, c.Validate(), "retention %d", d)
	}
}

// TestDefaultsAreTheSafeChoices: flow logs on (all traffic, 90 days), the network unprotected
// (prod protects it), an immutable repository that keeps its images on destroy.
func TestDefaultsAreTheSafeChoices(t *testing.T) {
	t.Parallel()
	d := Defaults()
	assert.Equal(t, infra.FlowLogSettings{Enabled: true, TrafficType: "ALL", RetentionDays: 90}, d.Network.FlowLogs)
	assert.False(t, d.Network.Protect)
	assert.Equal(t, infra.RegistrySettings{ImageTagMutability: "IMMUTABLE", KeepTaggedImages: 30, UntaggedExpiryDays: 14, ForceDelete: false}, d.Registry)
}

// TestLoadDecodesFlowLogsAndRegistryStrictly: a misspelt key inside flowLogs or registry is
// refused with its full path, and a value of the wrong type names its key.
func TestLoadDecodesFlowLogsAndRegistryStrictly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw  map[string]string
		want string
	}{
		{raw("eventscale:network", `{"flowLogs":{"retention":30}}`), "eventscale:network.flowLogs.retention"},
		{raw("eventscale:registry", `{"imageTagMutable":"MUTABLE"}`), "eventscale:registry.imageTagMutable"},
		{raw("eventscale:registry", `{"keepTaggedImages":"ten"}`), "eventscale:registry.keepTaggedImages"},
		{raw("eventscale:regsitry", `{}`), `unknown config key "eventscale:regsitry"`},
	} {
		_, err := Load(tc.raw, "eventscale", "staging")
		require.Error(t, err, tc.want)
		assert.Contains(t, err.Error(), tc.want)
	}
}
