package tests

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/infra"
)

// TestChartMirrors: karpenter.chartRepository and keda.chartRepository move each chart to a mirror
// in either form helm/v4 Chart takes (an OCI chart reference alone, or the chart's name with the
// Helm repository's URL), and the versions stay the program's pins.
func TestChartMirrors(t *testing.T) {
	t.Parallel()
	const (
		oci  = "oci://registry.example.com:5443/mirror/charts"
		repo = "https://charts.example.com/helm"
	)
	for _, tc := range []struct {
		name                      string
		karpenter, keda           string
		karpenterChart, kedaChart string
		karpenterRepo, kedaRepo   any // repositoryOpts.repo, nil when the chart carries no repository options
	}{
		{"oci karpenter, https keda", oci, repo, oci + "/karpenter", "keda", nil, repo},
		{"https karpenter, oci keda", repo, oci, "karpenter", oci + "/keda", repo, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := runEdited(t, map[string]string{
				"eventscale:karpenter": `{"chartRepository":"` + tc.karpenter + `"}`,
				"eventscale:keda":      `{"chartRepository":"` + tc.keda + `"}`,
			})
			require.NoError(t, err)
			for _, c := range []struct {
				resource, chart, version string
				repo                     any
			}{
				{"karpenter", tc.karpenterChart, infra.KarpenterVersion, tc.karpenterRepo},
				{"keda-chart", tc.kedaChart, infra.KedaVersion, tc.kedaRepo},
			} {
				in := one(t, e.rec, typeChart, c.resource).Inputs
				assert.Equal(t, c.chart, in["chart"], c.resource)
				assert.Equal(t, c.version, in["version"], c.resource)
				if c.repo == nil {
					assert.NotContains(t, in, "repositoryOpts", "%s: an OCI chart's reference names its registry", c.resource)
				} else {
					assert.Equal(t, map[string]any{"repo": c.repo}, in["repositoryOpts"], c.resource)
				}
			}
		})
	}
}

// TestChartMirrorRefused: a mirror over plain http stops the run before anything is registered,
// naming the key.
func TestChartMirrorRefused(t *testing.T) {
	t.Parallel()
	e, err := runEdited(t, map[string]string{"eventscale:keda": `{"chartRepository":"http://charts.example.com"}`})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `eventscale:keda.chartRepository "http://charts.example.com" is plain http`)
	if e.rec != nil {
		assert.Empty(t, e.rec.Charts())
	}
}
