package stacks

import (
	"slices"

	"github.com/eventscale/eventscale/infra"
)

func (c Config) validateRegistry(v *validator) {
	r := c.Registry
	modes := []string{infra.ImmutableTags, infra.MutableTags}
	if !slices.Contains(modes, r.ImageTagMutability) {
		v.add("%s must be %q or %q, got %q", key("registry", "imageTagMutability"), infra.ImmutableTags, infra.MutableTags, r.ImageTagMutability)
	}
	if r.KeepTaggedImages < 1 {
		v.add("%s must be 1 or more (the tagged images the lifecycle policy keeps), got %d", key("registry", "keepTaggedImages"), r.KeepTaggedImages)
	}
	if r.UntaggedExpiryDays < 1 {
		v.add("%s must be 1 or more (days before an untagged image expires), got %d", key("registry", "untaggedExpiryDays"), r.UntaggedExpiryDays)
	}
	if r.ImageTagMutability != infra.ImmutableTags {
		return
	}
	// An immutable repository takes a tag once: a worker on "latest" would run the first image
	// ever pushed under it, and every later push of "latest" fails.
	for i, w := range c.Workloads {
		if w.Image == "" && w.ImageTag == infra.LatestTag {
			v.add("%s:workloads[%d].imageTag is %q, but %s is %q: a tag can be pushed only once there, so pin a version such as \"1.0.0\" (or set %s to %q)",
				Namespace, i, w.ImageTag, key("registry", "imageTagMutability"), r.ImageTagMutability, key("registry", "imageTagMutability"), infra.MutableTags)
		}
	}
}

// imageRepositoryUsed reports whether a workload takes its image from the stack's repository.
func (c Config) imageRepositoryUsed() bool {
	return slices.ContainsFunc(c.Workloads, func(w infra.WorkloadSettings) bool { return w.Image == "" })
}
