// Package network provides the Network component: the VPC the EKS cluster and its nodes live in.
package network

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/internal/component"
	"github.com/eventscale/eventscale/components/internal/required"
	"github.com/eventscale/eventscale/infra"
)

// TypeToken is the Pulumi type of the Network component.
const TypeToken = "eventscale:network:Network"

// Args configures a Network. Plain values decide counts and names; nothing here comes from
// another resource.
type Args struct {
	// NetworkSettings are the network's settings (the `eventscale:network` section), resolved by
	// the stack: AvailabilityZones (at least two) get one private and one public subnet each,
	// PrivateSubnetCidrs and PublicSubnetCidrs one per zone in zone order (AzCount, the prefix
	// lengths and AvailabilityZoneIds, which the stack resolves to names, are not read).
	// NatGateways infra.NatOnePerAz gives every zone its own NAT gateway; otherwise one NAT in
	// the first zone serves all. FlowLogs decides the flow log; Protect marks the VPC, the
	// subnets and the flow-log group protected.
	infra.NetworkSettings
	// ClusterName is the value of the karpenter.sh/discovery tag on private subnets, and names
	// the flow-log group (infra.FlowLogGroupName).
	ClusterName string
	// Partition, Region and AccountID place the flow log: its role's trust conditions and
	// policy name the account's flow logs and the log group's ARN. Required when
	// FlowLogs.Enabled.
	Partition, Region, AccountID string
	// Tags go on every taggable resource.
	Tags map[string]string
}

// kind is the Network component's error prefix, type token and presence checks.
var kind = component.Kind[Args]{Name: "network", Type: TypeToken, Check: (*Args).check}

// check adds a message for each value New needs that is missing (required fields, nil inputs), in a
// fixed order. Ranges and rules between fields are stacks.Validate's, which names the config key.
func (a *Args) check(c *required.Check) {
	c.Strings("VpcCidr", a.VpcCidr)
	n := len(a.AvailabilityZones)
	c.That(n > 0, "AvailabilityZones is required")
	// Each zone needs its two CIDRs: New indexes both lists by zone.
	c.That(len(a.PrivateSubnetCidrs) == n && len(a.PublicSubnetCidrs) == n,
		fmt.Sprintf("need one private and one public subnet CIDR per zone: %d zones, %d private, %d public", n, len(a.PrivateSubnetCidrs), len(a.PublicSubnetCidrs)))
	c.That(a.ClusterName != "", "ClusterName is required (it is the karpenter.sh/discovery tag value)")
	if a.FlowLogs.Enabled {
		c.Strings("Partition", a.Partition, "Region", a.Region, "AccountID", a.AccountID)
	}
}

// Network is a VPC over N availability zones with, in each zone, a public subnet (internet
// gateway route; tagged kubernetes.io/role/elb=1) and a private subnet (NAT route; tagged
// kubernetes.io/role/internal-elb=1 and karpenter.sh/discovery=<cluster>).
//
// Resources: ec2.Vpc, ec2.InternetGateway, per zone ec2.Subnet ×2 and ec2.RouteTableAssociation ×2,
// one public ec2.RouteTable, one private ec2.RouteTable per NAT gateway, and ec2.Eip + ec2.NatGateway
// (one, or one per zone). With FlowLogs.Enabled: a cloudwatch.LogGroup (infra.FlowLogGroupName,
// RetentionDays), an iam.Role only the VPC flow logs service of this account may assume
// (infra.FlowLogTrust), an iam.RolePolicy letting it write to that group only
// (infra.FlowLogPolicy), and an ec2.FlowLog of the VPC's TrafficType into the group. With Protect,
// the VPC, the subnets and the log group are protected: they run the cluster's nodes and pods,
// the NAT gateways and load balancers, and keep the flow records; `pulumi destroy` (and any
// change that would replace one) stops at them.
type Network struct {
	pulumi.ResourceState

	// VpcID is the VPC's id.
	VpcID pulumi.StringOutput `pulumi:"vpcId"`
	// PrivateSubnetIDs are the private subnets, in zone order.
	PrivateSubnetIDs pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	// PublicSubnetIDs are the public subnets, in zone order.
	PublicSubnetIDs pulumi.StringArrayOutput `pulumi:"publicSubnetIds"`
}

// New creates a Network.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Network, error) {
	comp, parent, err := component.New[Network](ctx, kind, name, args, opts...)
	if err != nil {
		return nil, err
	}
	tags := func(extra map[string]string) pulumi.StringMap {
		return pulumi.ToStringMap(infra.WithTags(args.Tags, extra))
	}
	// kept are the options of what Protect guards.
	kept := []pulumi.ResourceOption{parent}
	if args.Protect {
		kept = append(kept, pulumi.Protect(true))
	}

	vpc, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(args.VpcCidr),
		EnableDnsHostnames: pulumi.Bool(true), // EKS private endpoint and node registration need both
		EnableDnsSupport:   pulumi.Bool(true),
		Tags:               tags(map[string]string{"Name": name + "-vpc"}),
	}, kept...)
	if err != nil {
		return nil, fmt.Errorf("creating VPC: %w", err)
	}
	igw, err := ec2.NewInternetGateway(ctx, name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  tags(map[string]string{"Name": name + "-igw"}),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating internet gateway: %w", err)
	}
	publicRT, err := ec2.NewRouteTable(ctx, name+"-public-rt", &ec2.RouteTableArgs{
		VpcId:  vpc.ID(),
		Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), GatewayId: igw.ID()}},
		Tags:   tags(map[string]string{"Name": name + "-public"}),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating public route table: %w", err)
	}

	var publicIDs, privateIDs pulumi.StringArray
	var publicSubnets []*ec2.Subnet
	for i, az := range args.AvailabilityZones {
		sub, err := ec2.NewSubnet(ctx, fmt.Sprintf("%s-public-%s", name, az), &ec2.SubnetArgs{
			VpcId:               vpc.ID(),
			AvailabilityZone:    pulumi.String(az),
			CidrBlock:           pulumi.String(args.PublicSubnetCidrs[i]),
			MapPublicIpOnLaunch: pulumi.Bool(false), // nothing we launch there needs a public IP but NAT's EIP
			Tags: tags(map[string]string{
				"Name":                   fmt.Sprintf("%s-public-%s", name, az),
				"kubernetes.io/role/elb": "1",
			}),
		}, kept...)
		if err != nil {
			return nil, fmt.Errorf("creating public subnet in %s: %w", az, err)
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-public-%s", name, az), &ec2.RouteTableAssociationArgs{
			SubnetId: sub.ID(), RouteTableId: publicRT.ID(),
		}, parent); err != nil {
			return nil, fmt.Errorf("associating public subnet in %s: %w", az, err)
		}
		publicSubnets = append(publicSubnets, sub)
		publicIDs = append(publicIDs, sub.ID())
	}

	// NAT gateways: one per zone, or one in the first zone for all.
	natCount := 1
	if args.OneNatPerAz() {
		natCount = len(args.AvailabilityZones)
	}
	privateRTs := make([]*ec2.RouteTable, natCount)
	for i := 0; i < natCount; i++ {
		az := args.AvailabilityZones[i]
		eip, err := ec2.NewEip(ctx, fmt.Sprintf("%s-nat-%s", name, az), &ec2.EipArgs{
			Domain: pulumi.String("vpc"),
			Tags:   tags(map[string]string{"Name": fmt.Sprintf("%s-nat-%s", name, az)}),
		}, parent, pulumi.DependsOn([]pulumi.Resource{igw}))
		if err != nil {
			return nil, fmt.Errorf("creating NAT elastic IP in %s: %w", az, err)
		}
		nat, err := ec2.NewNatGateway(ctx, fmt.Sprintf("%s-nat-%s", name, az), &ec2.NatGatewayArgs{
			AllocationId: eip.ID(),
			SubnetId:     publicSubnets[i].ID(),
			Tags:         tags(map[string]string{"Name": fmt.Sprintf("%s-nat-%s", name, az)}),
		}, parent, pulumi.DependsOn([]pulumi.Resource{igw}))
		if err != nil {
			return nil, fmt.Errorf("creating NAT gateway in %s: %w", az, err)
		}
		rt, err := ec2.NewRouteTable(ctx, fmt.Sprintf("%s-private-rt-%s", name, az), &ec2.RouteTableArgs{
			VpcId:  vpc.ID(),
			Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), NatGatewayId: nat.ID()}},
			Tags:   tags(map[string]string{"Name": fmt.Sprintf("%s-private-%s", name, az)}),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating private route table in %s: %w", az, err)
		}
		privateRTs[i] = rt
	}

	for i, az := range args.AvailabilityZones {
		sub, err := ec2.NewSubnet(ctx, fmt.Sprintf("%s-private-%s", name, az), &ec2.SubnetArgs{
			VpcId:            vpc.ID(),
			AvailabilityZone: pulumi.String(az),
			CidrBlock:        pulumi.String(args.PrivateSubnetCidrs[i]),
			Tags: tags(map[string]string{
				"Name":                            fmt.Sprintf("%s-private-%s", name, az),
				"kubernetes.io/role/internal-elb": "1",
				infra.DiscoveryTagKey:             args.ClusterName,
			}),
		}, kept...)
		if err != nil {
			return nil, fmt.Errorf("creating private subnet in %s: %w", az, err)
		}
		rt := privateRTs[0]
		if args.OneNatPerAz() {
			rt = privateRTs[i]
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-private-%s", name, az), &ec2.RouteTableAssociationArgs{
			SubnetId: sub.ID(), RouteTableId: rt.ID(),
		}, parent); err != nil {
			return nil, fmt.Errorf("associating private subnet in %s: %w", az, err)
		}
		privateIDs = append(privateIDs, sub.ID())
	}

	if args.FlowLogs.Enabled {
		if err := flowLog(ctx, name, args, vpc, tags(nil), kept); err != nil {
			return nil, err
		}
	}

	comp.VpcID = vpc.ID().ToStringOutput()
	comp.PrivateSubnetIDs = privateIDs.ToStringArrayOutput()
	comp.PublicSubnetIDs = publicIDs.ToStringArrayOutput()
	return component.Finish(ctx, comp)
}

// flowLog creates the VPC's flow log into a log group of its own, and the role it publishes with.
func flowLog(ctx *pulumi.Context, name string, args *Args, vpc *ec2.Vpc, tags pulumi.StringMap, kept []pulumi.ResourceOption) error {
	parent := kept[0]
	groupName := infra.FlowLogGroupName(args.ClusterName)
	group, err := cloudwatch.NewLogGroup(ctx, name+"-flow-log-group", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(groupName),
		RetentionInDays: pulumi.Int(args.FlowLogs.RetentionDays),
		Tags:            tags,
	}, kept...)
	if err != nil {
		return fmt.Errorf("creating flow log group: %w", err)
	}
	role, err := iam.NewRole(ctx, name+"-flow-log-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(infra.FlowLogTrust(args.Partition, args.Region, args.AccountID).JSON()),
		Description:      pulumi.String("VPC flow log of " + args.ClusterName + ": publishes to " + groupName),
		Tags:             tags,
	}, parent)
	if err != nil {
		return fmt.Errorf("creating flow log role: %w", err)
	}
	policy, err := iam.NewRolePolicy(ctx, name+"-flow-log-policy", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: pulumi.String(infra.FlowLogPolicy(infra.LogGroupArn(args.Partition, args.Region, args.AccountID, groupName)).JSON()),
	}, parent)
	if err != nil {
		return fmt.Errorf("creating flow log role policy: %w", err)
	}
	if _, err := ec2.NewFlowLog(ctx, name+"-flow-log", &ec2.FlowLogArgs{
		VpcId:              vpc.ID(),
		TrafficType:        pulumi.String(args.FlowLogs.TrafficType),
		LogDestinationType: pulumi.String("cloud-watch-logs"),
		LogDestination:     group.Arn,
		IamRoleArn:         role.Arn,
		Tags:               tags,
	}, parent, pulumi.DependsOn([]pulumi.Resource{policy})); err != nil {
		return fmt.Errorf("creating flow log: %w", err)
	}
	return nil
}
