package kube

import (
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/infra"
)

// ChartRepositoryOpts is the helm/v4 Chart's RepositoryOpts for src: none for an OCI chart, whose
// reference names its registry, otherwise the Helm repository's URL. Credentials and CA files
// are not set here: the provider's Helm finds them in its own configuration (docs/charts.md).
func ChartRepositoryOpts(src infra.HelmChartSource) helmv4.RepositoryOptsPtrInput {
	if src.Repo == "" {
		return nil
	}
	return &helmv4.RepositoryOptsArgs{Repo: pulumi.String(src.Repo)}
}

// ChartObjects is every object a helm/v4 Chart renders, as resources to depend on. A dependency
// on the Chart alone, a remote component, records the component and not its children, so it does
// not order deletions against them: whatever a chart's controller must outlive (the custom
// resources it puts finalizers on) depends on these as well (pulumi.DependsOnInputs).
func ChartObjects(resources pulumi.ArrayOutput) pulumi.ResourceArrayOutput {
	return resources.ApplyT(func(rs []any) []pulumi.Resource {
		out := []pulumi.Resource{}
		for _, r := range rs {
			if res, ok := r.(pulumi.Resource); ok {
				out = append(out, res)
			}
		}
		return out
	}).(pulumi.ResourceArrayOutput)
}
