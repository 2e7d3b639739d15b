package infra

import "maps"

// DiscoveryTagKey marks the subnets and the security group Karpenter launches nodes into.
const DiscoveryTagKey = "karpenter.sh/discovery"

// BaseTags are the tags every taggable AWS resource of a stack carries: the user's tags from
// config, over which the project, stack and manager tags are set (they cannot be overridden,
// so cost reports and clean-up scripts can rely on them).
func BaseTags(project, stack string, user map[string]string) map[string]string {
	out := make(map[string]string, len(user)+3)
	maps.Copy(out, user)
	out["eventscale:project"] = project
	out["eventscale:stack"] = stack
	out["managed-by"] = "pulumi"
	return out
}

// WithTags returns a copy of base with extra set over it.
func WithTags(base map[string]string, extra map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(extra))
	maps.Copy(out, base)
	maps.Copy(out, extra)
	return out
}
