package program

import (
	"strings"
	"testing"

	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/tests/twin/spec"
)

func TestFromProgramFindsTheScalingObjects(t *testing.T) {
	root := spec.MustRepoRoot(t)
	for _, stack := range spec.Stacks {
		t.Run(stack, func(t *testing.T) {
			o, err := FromProgram(root, stack)
			if err != nil {
				t.Fatal(err)
			}
			if o.Region == "" {
				t.Error("no region output")
			}
			target := spec.Str(o.ScaledObject, "spec", "scaleTargetRef", "name")
			if got := spec.Str(o.Deployment, "metadata", "name"); got != target {
				t.Errorf("Deployment %q, ScaledObject targets %q", got, target)
			}
			if spec.Str(o.TriggerAuthentication, "kind") != "TriggerAuthentication" {
				t.Errorf("TriggerAuthentication: %v", o.TriggerAuthentication)
			}
			if got, want := spec.Str(o.EC2NodeClass, "metadata", "name"), spec.Str(o.NodePool, "spec", "template", "spec", "nodeClassRef", "name"); got != want {
				t.Errorf("EC2NodeClass %q, NodePool refers to %q", got, want)
			}
			if spec.Fingerprint(o.ScaledObject) != spec.Fingerprint(o.ScaledObject) {
				t.Error("fingerprint not stable")
			}
		})
	}
}

func TestFromRecordingRequiresEveryObject(t *testing.T) {
	root := spec.MustRepoRoot(t)
	// A recording without a NodePool must be refused, naming what is missing.
	rec, err := offline.RunStackFile(root, "dev")
	if err != nil {
		t.Fatal(err)
	}
	kept := rec.Resources[:0]
	for _, r := range rec.Resources {
		if r.Type != spec.TypeNodePool {
			kept = append(kept, r)
		}
	}
	rec.Resources = kept
	if _, err := FromRecording(rec); err == nil || !strings.Contains(err.Error(), spec.TypeNodePool) {
		t.Fatalf("want an error naming %s, got %v", spec.TypeNodePool, err)
	}
}

// TestLoadMatchesFromProgram checks that what the twin modules load (cmd/twin-objects, JSON)
// is what the program registers.
func TestLoadMatchesFromProgram(t *testing.T) {
	root := spec.MustRepoRoot(t)
	loaded, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, stack := range spec.Stacks {
		direct, err := FromProgram(root, stack)
		if err != nil {
			t.Fatal(err)
		}
		l := loaded[stack]
		if spec.Fingerprint(direct) != spec.Fingerprint(l) {
			t.Errorf("%s: loaded objects differ from the program's", stack)
		}
		if spec.Fingerprint(direct.ScaledObject) != spec.Fingerprint(l.ScaledObject) {
			t.Errorf("%s: ScaledObject fingerprints differ", stack)
		}
	}
}
