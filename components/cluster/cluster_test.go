package cluster

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/internal/required/requiredtest"
	"github.com/eventscale/eventscale/infra"
)

func validArgs() *Args {
	return &Args{
		ClusterSettings: infra.ClusterSettings{Name: "eventscale-test", Version: "1.35"},
		VpcID:           pulumi.String("vpc-1"), PrivateSubnetIDs: pulumi.ToStringArray([]string{"subnet-1", "subnet-2"}),
		Fargate:   infra.FargateSettings{Namespaces: []string{"kube-system", "keda"}},
		Partition: "aws", Region: "us-west-2", AccountID: "123456789012",
	}
}

// TestArgsValidate: only presence is checked, and the messages come in a fixed order. Repeated
// admin ARNs and the Fargate namespace count are stacks.Validate's, under the config keys.
func TestArgsValidate(t *testing.T) {
	t.Parallel()
	requiredtest.Run(t, kind, validArgs, []string{
		"Name is required", "Version is required",
		"Partition is required", "Region is required", "AccountID is required",
		"VpcID and PrivateSubnetIDs are required",
		"Fargate.Namespaces is required: the Fargate profile needs at least one namespace",
	},
		requiredtest.C("no subnets", requiredtest.Without(validArgs, func(a *Args) { a.PrivateSubnetIDs = nil }), []string{"VpcID and PrivateSubnetIDs are required"}),
		requiredtest.C("repeated admin and six namespaces: stacks' rules, not checked here", requiredtest.Without(validArgs, func(a *Args) {
			a.AdminPrincipalArns = []string{"arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/a"}
			a.Fargate.Namespaces = []string{"a", "b", "c", "d", "e", "f"}
		}), nil),
	)
}
