package stacks

import (
	"fmt"
	"time"

	"github.com/eventscale/eventscale/infra"
)

// Warnings returns what a person planning this (valid) configuration on day `now` should know
// but that does not make it invalid: a Kubernetes version leaving or out of EKS standard support,
// or outside the range the pinned KEDA release is tested on; a public API endpoint open to the
// internet, or restricted to a documentation range that nothing reaches; the account's EC2 Spot
// service-linked role asked for by a stack whose NodePool allows no spot. Each names the key and
// quotes the value. `pulumi preview`/`up` print them as warnings and the offline plan prints them
// too; the clock is a parameter so that tests can pin the day.
func (c Config) Warnings(now time.Time) []string {
	var out []string
	if r, ok := infra.KubernetesReleaseOf(c.Cluster.Version); ok {
		for _, w := range r.Warnings(now) {
			out = append(out, fmt.Sprintf("%s %q: %s", key("cluster", "version"), c.Cluster.Version, w))
		}
	}
	out = append(out, c.endpointWarnings()...)
	// Not an error: the role is harmless without spot, and keeping it in the stack while spot is
	// off for a while spares the stack a failed create ("has been taken") when spot comes back.
	k := c.Karpenter
	if p := k.CreateSpotServiceLinkedRole; p != nil && *p && !k.AllowsSpot() {
		out = append(out, fmt.Sprintf("%s true: the stack creates the account's EC2 Spot service-linked role (%s), "+
			"but %s %q allows no spot; leave the key unset to create it only for spot", key("karpenter", "createSpotServiceLinkedRole"),
			infra.SpotServiceLinkedRoleName, key("karpenter", "nodePool.capacityTypes"), k.NodePool.CapacityTypes))
	}
	return out
}

// endpointWarnings are the public endpoint's warnings: open to the internet (0.0.0.0/0 written
// in the stack file: allowed, as for a demo, but CIS 5.4.1 asks for the endpoint to be
// restricted), or restricted to an RFC 5737 documentation range, a placeholder from which no
// request comes (and which EKS may refuse as reserved: cluster-endpoint.adoc, "The blocks cannot
// include reserved addresses").
func (c Config) endpointWarnings() []string {
	cl := c.Cluster
	if !cl.EndpointPublicAccess {
		return nil
	}
	var out []string
	k := key("cluster", "publicAccessCidrs")
	for i, cidr := range cl.PublicAccessCidrs {
		if cidr == infra.OpenToTheInternet {
			out = append(out, fmt.Sprintf("%s[%d] %q: the cluster's API endpoint is open to the internet (CIS EKS 5.4.1); "+
				"list your deploy runner's and administrators' egress ranges instead", k, i, cidr))
		}
		if d, ok := infra.DocumentationRange(cidr); ok {
			out = append(out, fmt.Sprintf("%s[%d] %q is in the documentation range %s (RFC 5737): nobody reaches the endpoint from there; "+
				"replace it with your deploy runner's egress range", k, i, cidr, d))
		}
	}
	return out
}
