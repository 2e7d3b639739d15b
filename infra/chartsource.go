package infra

import "strings"

// OCIScheme is the scheme of a chart repository that is an OCI registry (oci://host[:port]/path);
// any other repository is a Helm HTTP repository (an index.yaml and the chart archives).
const OCIScheme = "oci://"

// HelmChartSource is where the Kubernetes provider's Helm fetches a chart from, in the two forms
// helm/v4 Chart takes (pulumi-kubernetes sdk/v4 v4.32.0, go/kubernetes/helm/v4/chart.go, "Chart
// Resolution"): Chart alone, "oci://host/path/<name>", for a chart in an OCI registry (Helm's
// --repo does not take an OCI registry), or Chart "<name>" with Repo, the Helm repository's URL
// (RepositoryOpts.repo), for a chart in a Helm HTTP repository.
type HelmChartSource struct {
	// Chart is the chart reference.
	Chart string
	// Repo is the Helm repository's URL; empty for an OCI chart.
	Repo string
}

// NewHelmChartSource returns the source of the chart called name in repository, an OCI registry
// path (oci://...) or a Helm HTTP repository URL, as stacks.Validate admits them (no trailing
// slash). The version is not part of it: the program pins it.
func NewHelmChartSource(repository, name string) HelmChartSource {
	if strings.HasPrefix(repository, OCIScheme) {
		return HelmChartSource{Chart: repository + "/" + name}
	}
	return HelmChartSource{Chart: name, Repo: repository}
}
