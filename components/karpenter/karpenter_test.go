package karpenter

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/internal/required/requiredtest"
	"github.com/eventscale/eventscale/infra"
)

func validArgs() *Args {
	return &Args{
		ClusterName: pulumi.String("eventscale-test"), ClusterEndpoint: pulumi.String("https://example"),
		OidcProviderArn: pulumi.String("arn:aws:iam::123456789012:oidc-provider/x"), OidcProviderURL: pulumi.String("https://x"),
		Provider:  &kubernetes.Provider{},
		Partition: "aws", Region: "us-west-2", AccountID: "123456789012",
		KarpenterSettings: infra.KarpenterSettings{
			Namespace: "kube-system", ServiceAccount: "karpenter", Replicas: 1,
			ControllerCPU: "1", ControllerMemory: "1Gi", ChartRepository: "oci://public.ecr.aws/karpenter",
			NodePool:  infra.NodePoolSettings{Name: "default", CapacityTypes: []string{"on-demand"}, Architectures: []string{"amd64"}},
			NodeClass: infra.NodeClassSettings{Name: "default", AmiAlias: "al2023@latest", RootVolumeSize: "20Gi"},
		},
	}
}

// TestArgsValidate: only presence is checked, and the messages come in a fixed order. The
// replica range and every other rule are stacks.Validate's, under the config keys.
func TestArgsValidate(t *testing.T) {
	t.Parallel()
	requiredtest.Run(t, kind, validArgs, []string{
		"ClusterName is required", "ClusterEndpoint is required", "OidcProviderArn is required", "OidcProviderURL is required",
		"Provider is required: every Kubernetes object must go to the cluster",
		"Partition is required", "Region is required", "AccountID is required",
		"Namespace is required", "ServiceAccount is required", "ControllerCPU is required", "ControllerMemory is required",
		"NodePool.Name is required",
		"NodeClass.Name is required", "NodeClass.AmiAlias is required", "NodeClass.RootVolumeSize is required",
		"ChartRepository is required",
		"NodePool.CapacityTypes and NodePool.Architectures must not be empty",
	},
		requiredtest.C("no provider, no architectures", requiredtest.Without(validArgs, func(a *Args) { a.Provider, a.NodePool.Architectures = nil, nil }), []string{
			"Provider is required: every Kubernetes object must go to the cluster",
			"NodePool.CapacityTypes and NodePool.Architectures must not be empty",
		}),
		requiredtest.C("no replicas: stacks' rule, not checked here", requiredtest.Without(validArgs, func(a *Args) { a.Replicas = 0 }), nil),
	)
}
