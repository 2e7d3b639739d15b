package workload

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/internal/required/requiredtest"
	"github.com/eventscale/eventscale/infra"
)

func validArgs() *Args {
	return &Args{
		WorkloadSettings: infra.WorkloadSettings{
			Name: "worker", Namespace: "worker",
			CPU: "1", Memory: "3Gi", Concurrency: 1,
			MaxProcessingSeconds: 30, MinReplicas: 0, MaxReplicas: 2,
			ZoneSpread: "none",
		},
		Queue:    infra.QueueSettings{ReceiveWaitTimeSeconds: 20, VisibilityTimeoutSeconds: 60},
		Region:   "us-west-2",
		ImageRef: pulumi.String("ghcr.io/example/worker:1"), QueueURL: pulumi.String("https://sqs/q"), QueueArn: pulumi.String("arn:aws:sqs:us-west-2:123456789012:q"),
		OidcProviderArn: pulumi.String("arn:aws:iam::123456789012:oidc-provider/x"), OidcProviderURL: pulumi.String("https://x"),
		Provider:  &kubernetes.Provider{},
		DependsOn: []pulumi.Resource{&kubernetes.Provider{}},
	}
}

// TestArgsValidate: only presence is checked, and the messages come in a fixed order. The
// visibility timeout against the processing time, the replica bounds and the zone spread modes
// are stacks.Validate's, under the config keys.
func TestArgsValidate(t *testing.T) {
	t.Parallel()
	requiredtest.Run(t, kind, validArgs, []string{
		"Name is required", "Namespace is required", "Region is required",
		"CPU is required", "Memory is required", "ImageRef is required",
		"QueueURL is required", "QueueArn is required", "OidcProviderArn is required", "OidcProviderURL is required",
		"Provider is required",
		"DependsOn is required: the ScaledObject and TriggerAuthentication need KEDA's CRDs (KEDA's Ready)",
	},
		requiredtest.C("no queue, no KEDA", requiredtest.Without(validArgs, func(a *Args) { a.QueueURL, a.DependsOn = nil, nil }), []string{
			"QueueURL is required",
			"DependsOn is required: the ScaledObject and TriggerAuthentication need KEDA's CRDs (KEDA's Ready)",
		}),
		requiredtest.C("visibility not above processing, min above max, unknown spread: stacks' rules, not checked here", requiredtest.Without(validArgs, func(a *Args) {
			a.Queue.VisibilityTimeoutSeconds, a.MinReplicas, a.MaxReplicas, a.ZoneSpread = 30, 3, 2, "always"
		}), nil),
	)
}
