package infra

import (
	"fmt"
	"net/netip"
	"strings"
)

// NetworkSettings is the `eventscale:network` section: the VPC and its subnets. It is the config
// section (stacks.Config.Network) and the settings of the network component (network.Args), which
// the stack gives the resolved zones and subnets (AvailabilityZones, PrivateSubnetCidrs and
// PublicSubnetCidrs filled in).
type NetworkSettings struct {
	// VpcCidr is the VPC's IPv4 block.
	VpcCidr string `json:"vpcCidr"`
	// AzCount is how many availability zones the subnets span (2 to 6).
	AzCount int `json:"azCount"`
	// AvailabilityZones names the zones explicitly; empty means AvailabilityZoneIds, or else the
	// first AzCount available zones of the region that EKS supports (EKSUnsupportedZoneIDs).
	AvailabilityZones []string `json:"availabilityZones"`
	// PrivateSubnetPrefixLength is the prefix length of each private (node and pod) subnet.
	PrivateSubnetPrefixLength int `json:"privateSubnetPrefixLength"`
	// PublicSubnetPrefixLength is the prefix length of each public (load balancer, NAT) subnet.
	PublicSubnetPrefixLength int `json:"publicSubnetPrefixLength"`
	// PrivateSubnetCidrs sets the private subnets explicitly (one per zone); empty means carved from VpcCidr.
	PrivateSubnetCidrs []string `json:"privateSubnetCidrs"`
	// PublicSubnetCidrs sets the public subnets explicitly (one per zone); empty means carved from VpcCidr.
	PublicSubnetCidrs []string `json:"publicSubnetCidrs"`
	// NatGateways is NatSingle (one NAT gateway, cheaper) or NatOnePerAz (zone-redundant egress).
	NatGateways string `json:"natGateways"`
	// AvailabilityZoneIds chooses the zones by zone ID (use1-az1), the same in every account;
	// the stack resolves them to the account's zone names. At most one of AvailabilityZones and
	// AvailabilityZoneIds is set.
	AvailabilityZoneIds []string `json:"availabilityZoneIds"`
	// FlowLogs records the VPC's IP traffic in a CloudWatch Logs log group.
	FlowLogs FlowLogSettings `json:"flowLogs"`
	// Protect marks the VPC, its subnets and the flow-log group `protect`, so `pulumi destroy`
	// (or a change that would replace them) stops at them (prod).
	Protect bool `json:"protect"`
}

// FlowLogSettings is `eventscale:network`'s flowLogs: the VPC flow log. On by default, as the EKS
// Best Practices Guide advises ("Log network traffic metadata",
// https://docs.aws.amazon.com/eks/latest/best-practices/network-security.html, read 2026-12-07) and
// the CIS AWS Foundations Benchmark requires ("Ensure VPC flow logging is enabled in all VPCs",
// 3.7 in v3.0.0; terraform-aws-modules/vpc v6.6.0 leaves enable_flow_log false).
type FlowLogSettings struct {
	// Enabled creates the flow log, its log group and the role it publishes with.
	Enabled bool `json:"enabled"`
	// TrafficType is the traffic recorded: FlowLogTrafficTypes (ACCEPT, REJECT or ALL).
	TrafficType string `json:"trafficType"`
	// RetentionDays is how long the log group keeps the records: one of LogRetentionDays.
	RetentionDays int `json:"retentionDays"`
}

// FlowLogTrafficTypes are the flow log traffic types EC2 accepts (CreateFlowLogs' TrafficType;
// terraform-aws-modules/vpc v6.6.0 variables.tf, flow_log_traffic_type: "Valid values: ACCEPT,
// REJECT, ALL", default "ALL"; read 2026-12-07).
var FlowLogTrafficTypes = []string{"ACCEPT", "REJECT", "ALL"}

// FlowLogGroupName is the name of the log group a cluster's VPC flow log publishes to, under the
// /aws/vpc-flow-log/ prefix terraform-aws-modules/vpc v6.6.0 gives its flow-log groups
// (variables.tf, flow_log_cloudwatch_log_group_name_prefix).
func FlowLogGroupName(clusterName string) string { return "/aws/vpc-flow-log/" + clusterName }

// FlowLogService is the service principal that publishes flow logs with the role it is given.
const FlowLogService = "vpc-flow-logs.amazonaws.com"

// FlowLogTrust lets the VPC flow logs service assume the flow log's role, for this account's flow
// logs in region only: the aws:SourceAccount and aws:SourceArn conditions the Amazon VPC User
// Guide recommends against the confused deputy ("IAM role for publishing flow logs to CloudWatch
// Logs", https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html, read
// 2026-12-07; the flow log's id is not known before it exists, so its ARN is a wildcard there,
// as that page allows).
func FlowLogTrust(partition, region, accountID string) PolicyDocument {
	return ServiceTrust(FlowLogService, map[string]map[string]any{
		"StringEquals": {"aws:SourceAccount": accountID},
		"ArnLike":      {"aws:SourceArn": fmt.Sprintf("arn:%s:ec2:%s:%s:vpc-flow-log/*", partition, region, accountID)},
	})
}

// FlowLogPolicy lets the flow log's role publish to its log group and nothing else: the actions
// terraform-aws-modules/vpc v6.6.0 grants its flow-log role (vpc-flow-logs.tf,
// vpc_flow_log_cloudwatch: CreateLogStream, PutLogEvents, DescribeLogGroups, DescribeLogStreams on
// the group's ARNs). The Amazon VPC User Guide's minimum (page above) adds logs:CreateLogGroup on
// "*", which a role whose group the program creates does not need. The resources are the log group
// (LogGroupArn) and its streams (":*"; the log-stream ARN of the Service Authorization Reference,
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html).
func FlowLogPolicy(logGroupArn string) PolicyDocument {
	return NewPolicy(Statement{
		Sid:    "PublishFlowLogs",
		Effect: "Allow",
		Action: []string{
			"logs:CreateLogStream",
			"logs:PutLogEvents",
			"logs:DescribeLogGroups",
			"logs:DescribeLogStreams",
		},
		Resource: []string{logGroupArn, logGroupArn + ":*"},
	})
}

// OneNatPerAz reports whether every zone gets its own NAT gateway (otherwise one NAT in the
// first zone serves all).
func (s NetworkSettings) OneNatPerAz() bool { return s.NatGateways == NatOnePerAz }

// NAT gateway strategies (NetworkSettings.NatGateways).
const (
	NatSingle   = "single"
	NatOnePerAz = "onePerAz"
)

// SubnetPlan carves azCount private subnets of /privateBits and then azCount public subnets of
// /publicBits out of vpcCidr, in order and aligned, so the result never overlaps. It fails when
// the VPC is too small.
func SubnetPlan(vpcCidr string, azCount, privateBits, publicBits int) (private, public []string, err error) {
	vpc, err := netip.ParsePrefix(vpcCidr)
	if err != nil || !vpc.Addr().Is4() {
		return nil, nil, fmt.Errorf("%q is not an IPv4 CIDR", vpcCidr)
	}
	vpc = vpc.Masked()
	if privateBits < vpc.Bits() || publicBits < vpc.Bits() || privateBits > 32 || publicBits > 32 {
		return nil, nil, fmt.Errorf("subnet prefix lengths /%d and /%d must lie between the VPC's /%d and /32", privateBits, publicBits, vpc.Bits())
	}
	base := vpc.Addr().As4()
	next := uint64(uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3]))
	end := next + 1<<(32-vpc.Bits())
	take := func(bits int) (string, error) {
		size := uint64(1) << (32 - bits)
		if rem := next % size; rem != 0 {
			next += size - rem
		}
		if next+size > end {
			return "", fmt.Errorf("the VPC has no room left for a /%d", bits)
		}
		a := uint32(next)
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), bits)
		next += size
		return p.String(), nil
	}
	for i := 0; i < azCount; i++ {
		s, err := take(privateBits)
		if err != nil {
			return nil, nil, err
		}
		private = append(private, s)
	}
	for i := 0; i < azCount; i++ {
		s, err := take(publicBits)
		if err != nil {
			return nil, nil, err
		}
		public = append(public, s)
	}
	return private, public, nil
}

// restrictedNodeTags are the EC2NodeClass tag keys Karpenter's CRD refuses (CEL rules on
// spec.tags of karpenter.k8s.aws/v1 EC2NodeClass), because Karpenter sets them itself.
var restrictedNodeTags = []struct{ prefix, reason string }{
	{"kubernetes.io/cluster", "Karpenter sets kubernetes.io/cluster/<name> itself"},
	{"karpenter.sh/nodepool", "Karpenter sets it to the NodePool's name"},
	{"karpenter.sh/nodeclaim", "Karpenter sets it to the NodeClaim's name"},
	{"karpenter.k8s.aws/ec2nodeclass", "Karpenter sets it to the EC2NodeClass's name"},
	{"eks:eks-cluster-name", "Karpenter sets it to the cluster name"},
}

// RestrictedNodeTag returns why key may not be an EC2NodeClass tag, or "" when it may.
func RestrictedNodeTag(key string) string {
	if key == "" {
		return "empty tag keys are not supported"
	}
	for _, r := range restrictedNodeTags {
		if key == r.prefix || (r.prefix == "kubernetes.io/cluster" && strings.HasPrefix(key, r.prefix)) {
			return r.reason
		}
	}
	if strings.HasPrefix(strings.ToLower(key), "aws:") {
		return "the aws: prefix is reserved by AWS"
	}
	return ""
}
