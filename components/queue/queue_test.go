package queue

import (
	"strings"
	"testing"

	"github.com/eventscale/eventscale/components/internal/required/requiredtest"
	"github.com/eventscale/eventscale/infra"
)

func validArgs() *Args {
	return &Args{
		Name: "eventscale-test-worker", Partition: "aws", Region: "us-west-2", AccountID: "123456789012",
		QueueSettings: infra.QueueSettings{
			VisibilityTimeoutSeconds: 60, MessageRetentionSeconds: 345600, DlqRetentionSeconds: 1209600,
			MaxReceiveCount: 5, ReceiveWaitTimeSeconds: 20,
		},
	}
}

// TestArgsValidate: only presence is checked, and the messages come in a fixed order. The name
// length, the retention, receive count and wait ranges are stacks.Validate's, under the config keys.
func TestArgsValidate(t *testing.T) {
	t.Parallel()
	requiredtest.Run(t, kind, validArgs, []string{
		"Name is required", "Partition is required", "Region is required", "AccountID is required",
	},
		requiredtest.C("no account", requiredtest.Without(validArgs, func(a *Args) { a.AccountID = "" }), []string{"AccountID is required"}),
		requiredtest.C("long name, no receives, short DLQ retention: stacks' rules, not checked here", requiredtest.Without(validArgs, func(a *Args) {
			a.Name = strings.Repeat("q", 80)
			a.MaxReceiveCount, a.ReceiveWaitTimeSeconds, a.DlqRetentionSeconds = 0, 0, 60
		}), nil),
	)
}
