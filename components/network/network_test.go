package network

import (
	"testing"

	"github.com/eventscale/eventscale/components/internal/required/requiredtest"
	"github.com/eventscale/eventscale/infra"
)

func validArgs() *Args {
	return &Args{
		NetworkSettings: infra.NetworkSettings{
			VpcCidr:            "10.0.0.0/16",
			AvailabilityZones:  []string{"us-west-2a", "us-west-2b"},
			PrivateSubnetCidrs: []string{"10.0.0.0/19", "10.0.32.0/19"},
			PublicSubnetCidrs:  []string{"10.0.96.0/24", "10.0.97.0/24"},
		},
		ClusterName: "eventscale-test",
	}
}

// TestArgsValidate: only presence is checked, and the messages come in a fixed order. Ranges
// and syntax (the VPC CIDR, the zone count) are stacks.Validate's, under the config keys.
func TestArgsValidate(t *testing.T) {
	t.Parallel()
	requiredtest.Run(t, kind, validArgs, []string{
		"VpcCidr is required", "AvailabilityZones is required",
		"ClusterName is required (it is the karpenter.sh/discovery tag value)",
	},
		requiredtest.C("a zone without its public subnet", requiredtest.Without(validArgs, func(a *Args) { a.PublicSubnetCidrs = a.PublicSubnetCidrs[:1] }), []string{"need one private and one public subnet CIDR per zone: 2 zones, 2 private, 1 public"}),
		requiredtest.C("flow logs need the account's placement", requiredtest.Without(validArgs, func(a *Args) {
			a.FlowLogs.Enabled = true
		}), []string{"Partition is required", "Region is required", "AccountID is required"}),
		requiredtest.C("flow logs placed", requiredtest.Without(validArgs, func(a *Args) {
			a.FlowLogs.Enabled, a.Partition, a.Region, a.AccountID = true, "aws", "us-west-2", "123456789012"
		}), nil),
		requiredtest.C("one zone and a CIDR that is not one: stacks' rules, not checked here", requiredtest.Without(validArgs, func(a *Args) {
			a.VpcCidr, a.AvailabilityZones = "10.0.0.0/33", a.AvailabilityZones[:1]
			a.PrivateSubnetCidrs, a.PublicSubnetCidrs = a.PrivateSubnetCidrs[:1], a.PublicSubnetCidrs[:1]
		}), nil),
	)
}
