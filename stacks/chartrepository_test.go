package stacks

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChartRepositoryRules: karpenter.chartRepository and keda.chartRepository take an OCI registry
// path or an https Helm repository, and each refusal names the key and quotes the value (its
// password redacted).
func TestChartRepositoryRules(t *testing.T) {
	t.Parallel()
	sections := []struct {
		key string
		set func(*Config, string)
	}{
		{"eventscale:karpenter.chartRepository", func(c *Config, v string) { c.Karpenter.ChartRepository = v }},
		{"eventscale:keda.chartRepository", func(c *Config, v string) { c.Keda.ChartRepository = v }},
	}
	accepted := []string{
		"oci://public.ecr.aws/karpenter",
		"https://kedacore.github.io/charts",
		"oci://127.0.0.1:5000",
		"oci://registry.example.com:8443/mirror/aws-charts/karpenter_v1",
		"oci://123456789012.dkr.ecr.us-west-2.amazonaws.com/charts",
		"https://nexus.example.com/repository/helm-proxy",
		"https://[::1]:8443/charts",
	}
	rejected := []struct {
		val  string
		want string // besides the key
	}{
		{"", "is required"},
		{"http://charts.example.com", `"http://charts.example.com" is plain http`},
		{"ftp://charts.example.com", `(scheme oci or https), got "ftp://charts.example.com"`},
		{"charts.example.com/keda", `(scheme oci or https), got "charts.example.com/keda"`},
		{"oci:registry.example.com", `must name a host after oci://, got "oci:registry.example.com"`},
		{"https:///charts", `must name a host after https://, got "https:///charts"`},
		{"https://:8443/charts", `must name a host, got "https://:8443/charts"`},
		{"oci://registry.example.com:0/charts", `port must be from 1 to 65535, got "oci://registry.example.com:0/charts"`},
		{"oci://registry.example.com:70000/charts", `port must be from 1 to 65535`},
		{"oci://registry.example.com:port/charts", `got "oci://registry.example.com:port/charts"`},
		{"https://charts.example.com/", `must not end with '/', got "https://charts.example.com/"`},
		{"oci://registry.example.com/charts/", `must not end with '/'`},
		{"https://charts.example.com/index?x=1", `must not have a query or fragment (the program appends the chart's name), got "https://charts.example.com/index?x=1"`},
		{"https://charts.example.com/charts#keda", `must not have a query or fragment`},
		{"https://charts.example.com/a b", `without spaces, got "https://charts.example.com/a b"`},
		{" oci://registry.example.com", `without spaces`},
		{"oci://registry.example.com/Charts", `path must be an OCI repository path`},
		{"oci://registry.example.com/charts//aws", `path must be an OCI repository path`},
		{"https://deploy:s3cret@charts.example.com", `must not carry credentials, got "https://deploy:xxxxx@charts.example.com"`},
		{"oci://deploy@registry.example.com/charts", `must not carry credentials`},
	}
	for _, s := range sections {
		for _, val := range accepted {
			c := validConfig()
			s.set(&c, val)
			assert.NoError(t, c.Validate(), "%s = %q", s.key, val)
		}
		for _, tc := range rejected {
			c := validConfig()
			s.set(&c, tc.val)
			err := c.Validate()
			require.Error(t, err, "%s = %q", s.key, tc.val)
			msg := err.Error()
			assert.Len(t, strings.Split(msg, "\n"), 1, "one problem for %q: %s", tc.val, msg)
			assert.Contains(t, msg, s.key)
			assert.Contains(t, msg, tc.want)
			assert.NotContains(t, msg, "s3cret")
		}
	}
}
