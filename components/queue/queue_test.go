package queue

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	for _, tc := range []struct {
		name string
		args func() *Args
		want []string // the messages, in order; none = valid
	}{
		{"nil", func() *Args { return nil }, []string{"queue: args are required"}},
		{"valid", validArgs, nil},
		{"empty", func() *Args { return &Args{} }, []string{
			"Name is required",
			"Partition is required",
			"Region is required",
			"AccountID is required",
		}},
		{"no account", func() *Args {
			a := validArgs()
			a.AccountID = ""
			return a
		}, []string{"AccountID is required"}},
		{"long name, no receives, short DLQ retention: stacks' rules, not checked here", func() *Args {
			a := validArgs()
			a.Name = strings.Repeat("q", 80)
			a.MaxReceiveCount, a.ReceiveWaitTimeSeconds, a.DlqRetentionSeconds = 0, 0, 60
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
