package permissions_test

import (
	"path"
	"testing"

	"github.com/eventscale/eventscale/internal/permissions"
)

// TestFlowLogRolePatternMatchesThePlan: the role every plan's VPC flow log passes matches the
// pattern its iam:PassRole is limited to (the role's name with the suffix Pulumi appends, which
// the plan's stand-in derives).
func TestFlowLogRolePatternMatchesThePlan(t *testing.T) {
	_, recs := usage(t)
	for stack, rec := range recs {
		n := 0
		for _, r := range rec.Resources {
			if r.Type != "aws:ec2/flowLog:FlowLog" {
				continue
			}
			n++
			arn, _ := r.Inputs["iamRoleArn"].(string)
			if ok, err := path.Match(permissions.FlowLogRolePattern, arn); err != nil || !ok {
				t.Errorf("%s: the flow log passes %q, which %s does not match", stack, arn, permissions.FlowLogRolePattern)
			}
		}
		if n != 1 {
			t.Errorf("%s: %d flow logs, want 1", stack, n)
		}
	}
}
