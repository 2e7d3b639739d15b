package keda

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/internal/required/requiredtest"
	"github.com/eventscale/eventscale/infra"
)

func validArgs() *Args {
	return &Args{
		KedaSettings: infra.KedaSettings{
			Namespace: "keda", OperatorReplicas: 1,
			OperatorCPU: "500m", OperatorMemory: "1Gi", MetricsServerCPU: "500m", MetricsServerMemory: "1Gi",
			WebhooksCPU: "250m", WebhooksMemory: "512Mi", ChartRepository: "https://kedacore.github.io/charts",
		},
		ClusterName:     "eventscale-test",
		OidcProviderArn: pulumi.String("arn:aws:iam::123456789012:oidc-provider/x"), OidcProviderURL: pulumi.String("https://x"),
		QueueArns: []pulumi.StringInput{pulumi.String("arn:aws:sqs:us-west-2:123456789012:q")},
		Provider:  &kubernetes.Provider{},
	}
}

// TestArgsValidate: only presence is checked, and the messages come in a fixed order. The
// replica range and the quantities are stacks.Validate's, under the config keys.
func TestArgsValidate(t *testing.T) {
	t.Parallel()
	requiredtest.Run(t, kind, validArgs, []string{
		"Namespace is required", "ClusterName is required", "OperatorCPU is required",
		"OperatorMemory is required", "MetricsServerCPU is required", "MetricsServerMemory is required",
		"WebhooksCPU is required", "WebhooksMemory is required", "ChartRepository is required",
		"OidcProviderArn and OidcProviderURL are required",
		"Provider is required",
	},
		requiredtest.C("no queues", requiredtest.Without(validArgs, func(a *Args) { a.QueueArns = nil }), nil),
		requiredtest.C("a nil queue ARN", requiredtest.Without(validArgs, func(a *Args) { a.QueueArns = append(a.QueueArns, nil) }), []string{"QueueArns[1] is required"}),
		requiredtest.C("no operator replicas: stacks' rule, not checked here", requiredtest.Without(validArgs, func(a *Args) { a.OperatorReplicas = 0 }), nil),
	)
}
