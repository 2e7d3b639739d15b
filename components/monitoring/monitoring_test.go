package monitoring

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/internal/required/requiredtest"
	"github.com/eventscale/eventscale/infra"
)

func validArgs() *Args {
	return &Args{
		MonitoringSettings: infra.MonitoringSettings{Enabled: true, OldestMessageAgeSeconds: 900},
		ClusterName:        "eventscale-test", Partition: "aws", Region: "us-west-2", AccountID: "123456789012",
		Queues: []Queue{{Workload: "worker", Name: pulumi.String("eventscale-test-worker"), DlqName: pulumi.String("eventscale-test-worker-dlq")}},
	}
}

// TestArgsValidate: only presence is checked, and the messages come in a fixed order. The
// threshold's range, the addresses and the topic ARN are stacks.Validate's, under the config keys.
func TestArgsValidate(t *testing.T) {
	t.Parallel()
	requiredtest.Run(t, kind, validArgs, []string{
		"ClusterName is required", "Partition is required", "Region is required", "AccountID is required",
		"Queues are required (at least one workload)",
	},
		requiredtest.C("queue without names", requiredtest.Without(validArgs, func(a *Args) {
			a.Queues = append(a.Queues, Queue{})
		}), []string{"Queues[1].Workload is required", "Queues[1].Name is required", "Queues[1].DlqName is required"}),
		requiredtest.C("age 0, bad address: stacks' rules, not checked here", requiredtest.Without(validArgs, func(a *Args) {
			a.OldestMessageAgeSeconds, a.AlarmEmails = 0, []string{"not an address"}
		}), nil),
	)
}
