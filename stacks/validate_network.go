package stacks

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/eventscale/eventscale/infra"
)

func (c Config) validateNetwork(v *validator) {
	n := c.Network
	vpc, err := netip.ParsePrefix(n.VpcCidr)
	switch {
	case err != nil || !vpc.Addr().Is4():
		v.add("%s must be an IPv4 CIDR such as \"10.0.0.0/16\", got %q", key("network", "vpcCidr"), n.VpcCidr)
		vpc = netip.Prefix{}
	case vpc.Masked() != vpc:
		v.add("%s has host bits set: %q is not a network address (did you mean %q?)", key("network", "vpcCidr"), n.VpcCidr, vpc.Masked().String())
		vpc = netip.Prefix{}
	case vpc.Bits() < 16 || vpc.Bits() > 24:
		v.add("%s must have a prefix length from /16 to /24 (AWS allows /16 to /28; EKS needs room for pods), got %q", key("network", "vpcCidr"), n.VpcCidr)
		vpc = netip.Prefix{}
	}
	if n.AzCount < 2 || n.AzCount > 6 {
		v.add("%s must be from 2 to 6 (EKS needs subnets in at least two zones), got %d", key("network", "azCount"), n.AzCount)
	}
	c.validateZones(v)
	if n.NatGateways != infra.NatSingle && n.NatGateways != infra.NatOnePerAz {
		v.add("%s must be %q or %q, got %q", key("network", "natGateways"), infra.NatSingle, infra.NatOnePerAz, n.NatGateways)
	}
	checkPrefixLen := func(field string, bits int) bool {
		if bits < 16 || bits > 28 {
			v.add("%s must be from 16 to 28, got %d", key("network", field), bits)
			return false
		}
		if vpc.IsValid() && bits < vpc.Bits() {
			v.add("%s (%d) is shorter than the VPC's /%d", key("network", field), bits, vpc.Bits())
			return false
		}
		return true
	}
	if f := n.FlowLogs; f.Enabled {
		if !slices.Contains(infra.FlowLogTrafficTypes, f.TrafficType) {
			v.add("%s must be one of %s, got %q", key("network", "flowLogs.trafficType"), strings.Join(infra.FlowLogTrafficTypes, ", "), f.TrafficType)
		}
		checkLogRetention(v, key("network", "flowLogs.retentionDays"), f.RetentionDays)
	}
	okPriv := checkPrefixLen("privateSubnetPrefixLength", n.PrivateSubnetPrefixLength)
	okPub := checkPrefixLen("publicSubnetPrefixLength", n.PublicSubnetPrefixLength)
	if !vpc.IsValid() || n.AzCount < 2 || n.AzCount > 6 {
		return
	}
	// Explicit subnets: syntax, inside the VPC, count. Computed ones: they must fit.
	var all []netip.Prefix
	var names []string
	for _, side := range []struct {
		field string
		cidrs []string
	}{{"privateSubnetCidrs", n.PrivateSubnetCidrs}, {"publicSubnetCidrs", n.PublicSubnetCidrs}} {
		if len(side.cidrs) == 0 {
			continue
		}
		if len(side.cidrs) != n.AzCount {
			v.add("%s lists %d subnets but %s is %d (one subnet per zone)", key("network", side.field), len(side.cidrs), key("network", "azCount"), n.AzCount)
		}
		for i, s := range side.cidrs {
			p, err := netip.ParsePrefix(s)
			name := fmt.Sprintf("%s[%d]", key("network", side.field), i)
			switch {
			case err != nil || !p.Addr().Is4() || p.Masked() != p:
				v.add("%s must be an IPv4 network such as \"10.0.0.0/19\", got %q", name, s)
			case !vpc.Contains(p.Addr()) || p.Bits() < vpc.Bits():
				v.add("%s %q is outside %s %q", name, s, key("network", "vpcCidr"), n.VpcCidr)
			case p.Bits() > 28:
				v.add("%s %q is smaller than /28, the smallest subnet AWS allows", name, s)
			default:
				all = append(all, p)
				names = append(names, fmt.Sprintf("%s %q", name, s))
			}
		}
	}
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			if all[i].Overlaps(all[j]) {
				v.add("%s overlaps %s", names[i], names[j])
			}
		}
	}
	if okPriv && okPub && (len(n.PrivateSubnetCidrs) == 0 || len(n.PublicSubnetCidrs) == 0) {
		if _, _, err := infra.SubnetPlan(n.VpcCidr, n.AzCount, n.PrivateSubnetPrefixLength, n.PublicSubnetPrefixLength); err != nil {
			v.add("%s %q cannot hold %d private /%d and %d public /%d subnets: %v", key("network", "vpcCidr"), n.VpcCidr,
				n.AzCount, n.PrivateSubnetPrefixLength, n.AzCount, n.PublicSubnetPrefixLength, err)
		}
	}
}

// validateZones checks the explicit zones: by name (availabilityZones) or by zone ID
// (availabilityZoneIds), not both; one per azCount, no repeats; names of the region; IDs of the
// shape AWS gives them and not in a zone EKS refuses cluster subnets in. Whether a name's zone
// is one of those depends on the account, so the stack checks it after its zone lookup.
func (c Config) validateZones(v *validator) {
	n := c.Network
	names, ids := key("network", "availabilityZones"), key("network", "availabilityZoneIds")
	if len(n.AvailabilityZones) > 0 && len(n.AvailabilityZoneIds) > 0 {
		v.add("%s and %s are mutually exclusive: choose the zones by name (which maps to a different zone per account) or by zone ID (the same in every account), got %q and %q",
			names, ids, n.AvailabilityZones, n.AvailabilityZoneIds)
	}
	for _, list := range []struct {
		key   string
		zones []string
	}{{names, n.AvailabilityZones}, {ids, n.AvailabilityZoneIds}} {
		if len(list.zones) > 0 && len(list.zones) != n.AzCount {
			v.add("%s lists %d zones but %s is %d", list.key, len(list.zones), key("network", "azCount"), n.AzCount)
		}
		for i, z := range list.zones {
			if slices.Index(list.zones, z) != i {
				v.add("%s[%d] repeats zone %q", list.key, i, z)
			}
		}
	}
	for i, z := range n.AvailabilityZones {
		if c.Region != "" && (!strings.HasPrefix(z, c.Region) || len(z) != len(c.Region)+1) {
			v.add("%s[%d] must be a zone of region %q such as %q, got %q", names, i, c.Region, c.Region+"a", z)
		}
	}
	for i, id := range n.AvailabilityZoneIds {
		region, unsupported := infra.EKSUnsupportedZoneIDs[id]
		switch {
		case !infra.IsZoneID(id):
			v.add("%s[%d] must be an availability zone ID such as \"use1-az1\", got %q", ids, i, id)
		case unsupported:
			v.add("%s[%d] is %q, a zone of %s in which EKS does not allow cluster subnets (%s): choose another zone",
				ids, i, id, region, infra.EKSUnsupportedZonesSource)
		}
	}
}
