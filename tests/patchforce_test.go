package tests

import (
	"maps"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/internal/stacktest"
)

// TestKubernetesObjectsForceTheirFields: every Kubernetes object a shipped stack registers
// (not the charts', which are Helm's) carries infra.PatchForceAnnotation, so `pulumi up` takes
// back a field changed out of band instead of failing on the apply conflict; the engine tier
// shows it on a NodePool changed by another field manager.
func TestKubernetesObjectsForceTheirFields(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, stack string) {
		n := 0
		for _, r := range stackRun(t, stack).Resources {
			if !r.Custom || !strings.HasPrefix(r.Type, "kubernetes:") || strings.HasPrefix(r.Type, "kubernetes:helm.sh/") {
				continue
			}
			n++
			assert.Equal(t, "true", offline.Lookup(r.Inputs, "metadata", "annotations", infra.PatchForceAnnotation), "%s %s", r.Type, r.Name)
		}
		assert.Greater(t, n, 5, "the stack registers Kubernetes objects")
	})
}

// withoutPatchForce returns a copy of a Kubernetes object's inputs without the
// infra.PatchForceAnnotation the program adds to every object it registers (failing t when it is
// missing), and without metadata.annotations when that was the only one: the object as its
// builder in infra made it.
func withoutPatchForce(t *testing.T, inputs map[string]any) map[string]any {
	t.Helper()
	out := maps.Clone(inputs)
	meta, _ := out["metadata"].(map[string]any)
	annotations, _ := meta["annotations"].(map[string]any)
	assert.Equal(t, "true", annotations[infra.PatchForceAnnotation], "metadata.annotations")
	meta, annotations = maps.Clone(meta), maps.Clone(annotations)
	delete(annotations, infra.PatchForceAnnotation)
	if len(annotations) == 0 {
		delete(meta, "annotations")
	} else {
		meta["annotations"] = annotations
	}
	out["metadata"] = meta
	return out
}
