package infra

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNewHelmChartSource(t *testing.T) {
	t.Parallel()
	assert.Equal(t, HelmChartSource{Chart: KarpenterChart}, NewHelmChartSource(KarpenterChartRepository, KarpenterChartName),
		"the default: the chart Karpenter publishes")
	assert.Equal(t, HelmChartSource{Chart: "oci://127.0.0.1:5000/keda"}, NewHelmChartSource("oci://127.0.0.1:5000", KedaChart),
		"an OCI chart is named by its reference alone")
	assert.Equal(t, HelmChartSource{Chart: KedaChart, Repo: KedaChartRepo}, NewHelmChartSource(KedaChartRepo, KedaChart))
	assert.Equal(t, HelmChartSource{Chart: "karpenter", Repo: "https://charts.example.com/helm"}, NewHelmChartSource("https://charts.example.com/helm", KarpenterChartName),
		"a Helm repository holds the chart under its name")
}
