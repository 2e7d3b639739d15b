package keda

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/infra"
)

func validArgs() *Args {
	return &Args{
		KedaSettings: infra.KedaSettings{
			Namespace: "keda", OperatorReplicas: 1,
			OperatorCPU: "500m", OperatorMemory: "1Gi", MetricsServerCPU: "500m", MetricsServerMemory: "1Gi",
			WebhooksCPU: "250m", WebhooksMemory: "512Mi",
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
	for _, tc := range []struct {
		name string
		args func() *Args
		want []string // the messages, in order; none = valid
	}{
		{"nil", func() *Args { return nil }, []string{"keda: args are required"}},
		{"valid", validArgs, nil},
		{"no queues", func() *Args {
			a := validArgs()
			a.QueueArns = nil
			return a
		}, nil},
		{"empty", func() *Args { return &Args{} }, []string{
			"Namespace is required",
			"ClusterName is required",
			"OperatorCPU is required",
			"OperatorMemory is required",
			"MetricsServerCPU is required",
			"MetricsServerMemory is required",
			"WebhooksCPU is required",
			"WebhooksMemory is required",
			"OidcProviderArn and OidcProviderURL are required",
			"Provider is required",
		}},
		{"a nil queue ARN", func() *Args {
			a := validArgs()
			a.QueueArns = append(a.QueueArns, nil)
			return a
		}, []string{"QueueArns[1] is nil"}},
		{"no operator replicas: stacks' rule, not checked here", func() *Args {
			a := validArgs()
			a.OperatorReplicas = 0
			return a
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.args().validate()
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.want, strings.Split(err.Error(), "\n"))
		})
	}
}
