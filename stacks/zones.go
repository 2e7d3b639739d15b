package stacks

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/infra"
)

// availabilityZones returns the names of the zones the subnets go in (chooseZones), from the
// region's available zones that need no opt-in, names and zone IDs, in the lookup's order.
func availabilityZones(ctx *pulumi.Context, cfg Config) ([]string, error) {
	res, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{
		State: pulumi.StringRef("available"),
		Filters: []aws.GetAvailabilityZonesFilter{
			{Name: "opt-in-status", Values: []string{"opt-in-not-required"}},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("looking up availability zones of %s: %w", cfg.Region, err)
	}
	return chooseZones(cfg.Network, cfg.Region, res.Names, res.ZoneIds)
}

// chooseZones returns the names of the zones the subnets go in, given the region's available
// zones as the lookup returned them: names and zone IDs, the i-th ID that of the i-th name.
//
//   - network.availabilityZones: those names, unless one of them is, in this account, a zone
//     EKS does not allow cluster subnets in (infra.EKSUnsupportedZoneIDs). A name the lookup
//     does not return (not available right now) is kept: its zone ID is unknown.
//   - network.availabilityZoneIds: the name of each ID in this account; an ID the lookup does
//     not return is an error.
//   - otherwise the first azCount zones whose IDs EKS supports, in the lookup's order. Where
//     none of the first azCount zones is one EKS refuses, these are exactly the first azCount
//     zones, so the subnets of a stack deployed before zones were skipped stay where they are.
func chooseZones(n infra.NetworkSettings, region string, names, ids []string) ([]string, error) {
	if len(names) != len(ids) {
		return nil, fmt.Errorf("looking up availability zones of %s: got %d zone names but %d zone IDs", region, len(names), len(ids))
	}
	zone := func(i int) string { return fmt.Sprintf("%s (%s)", names[i], ids[i]) }
	var errs []error
	switch {
	case len(n.AvailabilityZones) > 0:
		for i, name := range n.AvailabilityZones {
			if j := slices.Index(names, name); j >= 0 && infra.EKSUnsupportedZoneIDs[ids[j]] != "" {
				errs = append(errs, fmt.Errorf("%s[%d] is %q, in this account zone %s, in which EKS does not allow cluster subnets (%s): choose another zone, or choose zones by ID with %s",
					key("network", "availabilityZones"), i, name, ids[j], infra.EKSUnsupportedZonesSource, key("network", "availabilityZoneIds")))
			}
		}
		return n.AvailabilityZones, errors.Join(errs...)
	case len(n.AvailabilityZoneIds) > 0:
		var out []string
		for i, id := range n.AvailabilityZoneIds {
			j := slices.Index(ids, id)
			if j < 0 {
				all := make([]string, len(names))
				for k := range names {
					all[k] = zone(k)
				}
				errs = append(errs, fmt.Errorf("%s[%d] is %q, which is not an available zone of region %s in this account (available: %s)",
					key("network", "availabilityZoneIds"), i, id, region, strings.Join(all, ", ")))
				continue
			}
			out = append(out, names[j])
		}
		return out, errors.Join(errs...)
	}
	var supported, skipped []string
	var out []string
	for i := range names {
		if infra.EKSUnsupportedZoneIDs[ids[i]] != "" {
			skipped = append(skipped, zone(i))
			continue
		}
		supported = append(supported, zone(i))
		if len(out) < n.AzCount {
			out = append(out, names[i])
		}
	}
	if len(out) < n.AzCount {
		msg := fmt.Sprintf("%s is %d but region %s has only %d available zones EKS supports (%s)",
			key("network", "azCount"), n.AzCount, region, len(supported), strings.Join(supported, ", "))
		if len(skipped) > 0 {
			msg += fmt.Sprintf("; skipped %s, in which EKS does not allow cluster subnets (%s)", strings.Join(skipped, ", "), infra.EKSUnsupportedZonesSource)
		}
		return nil, fmt.Errorf("%s: lower it or list %s", msg, key("network", "availabilityZoneIds"))
	}
	return out, nil
}
