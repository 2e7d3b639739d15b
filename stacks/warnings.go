package stacks

import (
	"fmt"
	"time"

	"github.com/eventscale/eventscale/infra"
)

// Warnings returns what a person planning this (valid) configuration on day `now` should know
// but that does not make it invalid: a Kubernetes version leaving or out of EKS standard support,
// or outside the range the pinned KEDA release is tested on. Each names the key and quotes the
// value. `pulumi preview`/`up` print them as warnings and the offline plan prints them too; the
// clock is a parameter so that tests can pin the day.
func (c Config) Warnings(now time.Time) []string {
	var out []string
	if r, ok := infra.KubernetesReleaseOf(c.Cluster.Version); ok {
		for _, w := range r.Warnings(now) {
			out = append(out, fmt.Sprintf("%s %q: %s", key("cluster", "version"), c.Cluster.Version, w))
		}
	}
	return out
}
