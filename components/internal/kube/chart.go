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
