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
