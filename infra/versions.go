// Package infra holds pure, resource-free building blocks of the platform: version pins,
// names and tags, IAM policy documents and Kubernetes object specs. Nothing here talks to
// Pulumi or AWS, so all of it is unit-tested with plain Go values.
package infra

// Version pins: the one place the platform's upstream versions are chosen.
const (
	// DefaultKubernetesVersion is the EKS minor version a stack gets unless it sets cluster.version.
	DefaultKubernetesVersion = "1.35"
	// MinKubernetesMinor and MaxKubernetesMinor bound the supported EKS minors: KEDA 2.20 is
	// tested on 1.33 to 1.35, and 1.33 is the oldest minor still in EKS standard support.
	MinKubernetesMinor = 33
	MaxKubernetesMinor = 35

	// KarpenterChart is the OCI chart of the Karpenter controller.
	KarpenterChart = "oci://public.ecr.aws/karpenter/karpenter"
	// KarpenterVersion is the chart and application version of Karpenter (API karpenter.sh/v1).
	KarpenterVersion = "1.14.1"

	// KedaChartRepo is the Helm repository of the KEDA chart.
	KedaChartRepo = "https://kedacore.github.io/charts"
	// KedaChart is the chart name in KedaChartRepo.
	KedaChart = "keda"
	// KedaVersion is the chart and application version of KEDA (API keda.sh/v1alpha1).
	KedaVersion = "2.20.2"
)
