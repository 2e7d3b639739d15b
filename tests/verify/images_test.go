package verify

import (
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/eventscale/eventscale/infra"
)

// TestKarpenterImageRecordMatchesTheModuleChart checks the program's record of published
// controller images against a published source this machine can read: the chart in the
// karpenter-provider-aws module at the pinned tag, whose values.yaml still carries the previous
// release's image (upstream fills in the new one on a release branch). If the record's entry for
// that release disagrees with the module, the record was not copied from its source.
func TestKarpenterImageRecordMatchesTheModuleChart(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(karpenterChart(t), "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		Controller struct {
			Image struct {
				Repository, Tag, Digest string
			} `json:"image"`
		} `json:"controller"`
	}
	if err := yaml.Unmarshal(raw, &values); err != nil {
		t.Fatal(err)
	}
	img := values.Controller.Image
	var found bool
	for _, rec := range infra.KarpenterControllerImages {
		if rec.Tag != img.Tag {
			continue
		}
		found = true
		if rec.Digest != img.Digest || rec.Repository != img.Repository {
			t.Errorf("record %s says %s@%s, the module %s@%s chart says %s:%s@%s",
				rec.Tag, rec.Repository, rec.Digest, KarpenterModule, KarpenterVersion, img.Repository, img.Tag, img.Digest)
		}
	}
	if !found {
		t.Errorf("the module's chart pins controller %s@%s, which infra.KarpenterControllerImages does not record", img.Tag, img.Digest)
	}
	if img.Tag == infra.KarpenterVersion {
		t.Logf("the module's chart now pins %s itself; the program's override could go", img.Tag)
	}
}
