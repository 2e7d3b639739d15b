package verify

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	karpenterapis "github.com/aws/karpenter-provider-aws/pkg/apis"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/eventscale/eventscale/internal/reference"
)

// The versions the code pins must be the ones go.mod resolves (and so the
// ones whose embedded CRDs are compiled into this test). The KEDA chart's
// module version is derived from the program's pin, infra.KedaVersion, so a
// go.mod that requires another chart release (or lost the requirement to
// `go mod tidy`) fails here.
func TestModuleVersionsMatchGoMod(t *testing.T) {
	t.Parallel()
	for mod, version := range map[string]string{
		KarpenterModule: KarpenterVersion,
		KEDAModule:      KEDAVersion,
		KEDAChartModule: KEDAChartModuleVersion,
	} {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", mod).CombinedOutput()
		if err != nil {
			t.Errorf("go list -m %s: %v: %s (tests/verify/go.mod must require %s %s)", mod, err, bytes.TrimSpace(out), mod, version)
			continue
		}
		if got := strings.TrimSpace(string(out)); got != version {
			t.Errorf("go.mod has %s %s, code pins %s", mod, got, version)
		}
	}
}

// The Karpenter module embeds its CRDs in pkg/apis; the files read from the
// module directory must be exactly those bytes.
func TestKarpenterCRDFilesMatchEmbedded(t *testing.T) {
	t.Parallel()
	byName := crdsByFileName(t, KarpenterCRDFiles)
	for name, embedded := range map[string][]byte{
		"karpenter.sh_nodepools.yaml":           karpenterapis.NodePoolCRD,
		"karpenter.sh_nodeclaims.yaml":          karpenterapis.NodeClaimCRD,
		"karpenter.k8s.aws_ec2nodeclasses.yaml": karpenterapis.EC2NodeClassCRD,
		"karpenter.sh_nodeoverlays.yaml":        karpenterapis.NodeOverlayCRD,
	} {
		if got, ok := byName[name]; !ok {
			t.Errorf("%s missing from module directory", name)
		} else if !bytes.Equal(got, embedded) {
			t.Errorf("%s differs from the bytes embedded in %s/pkg/apis", name, KarpenterModule)
		}
	}
}

// The CRDs loaded from the modules are byte-identical to the reference copies
// in ../shared/reference/crds (which were taken from the upstream tags). Only
// the team's checkout has that folder; elsewhere this comparison is skipped.
func TestUpstreamCRDsMatchReference(t *testing.T) {
	t.Parallel()
	ref := reference.Path(t, "crds", "the comparison of the module CRDs with upstream copies")
	for sub, load := range map[string]func() ([]CRDFile, error){"karpenter": KarpenterCRDFiles, "keda": KEDACRDFiles} {
		loaded := crdsByFileName(t, load)
		refFiles, err := ReadCRDDir(filepath.Join(ref, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, rf := range refFiles {
			name := filepath.Base(rf.Path)
			if got, ok := loaded[name]; !ok {
				t.Errorf("%s/%s: not in the module", sub, name)
			} else if !bytes.Equal(got, rf.Data) {
				t.Errorf("%s/%s: module copy (%d bytes) differs from the reference (%d bytes)", sub, name, len(got), len(rf.Data))
			}
		}
	}
}

// crdsByFileName is the CRD files load returns, keyed by file name; the test fails when they
// cannot be loaded.
func crdsByFileName(t *testing.T, load func() ([]CRDFile, error)) map[string][]byte {
	t.Helper()
	files, err := load()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string][]byte{}
	for _, f := range files {
		byName[filepath.Base(f.Path)] = f.Data
	}
	return byName
}

func TestDefaultValidatorKnowsAllUpstreamKinds(t *testing.T) {
	t.Parallel()
	v := testValidator(t)
	known := map[schema.GroupVersionKind]bool{}
	for _, gvk := range v.Kinds() {
		known[gvk] = true
	}
	for _, gvk := range []schema.GroupVersionKind{
		{Group: "karpenter.sh", Version: "v1", Kind: "NodePool"},
		{Group: "karpenter.sh", Version: "v1", Kind: "NodeClaim"},
		{Group: "karpenter.k8s.aws", Version: "v1", Kind: "EC2NodeClass"},
		{Group: "karpenter.sh", Version: "v1alpha1", Kind: "NodeOverlay"},
		{Group: "keda.sh", Version: "v1alpha1", Kind: "ScaledObject"},
		{Group: "keda.sh", Version: "v1alpha1", Kind: "ScaledJob"},
		{Group: "keda.sh", Version: "v1alpha1", Kind: "TriggerAuthentication"},
		{Group: "keda.sh", Version: "v1alpha1", Kind: "ClusterTriggerAuthentication"},
		{Group: "eventing.keda.sh", Version: "v1alpha1", Kind: "CloudEventSource"},
	} {
		if !known[gvk] {
			t.Errorf("validator does not know %s; knows %v", gvk, v.Kinds())
		}
	}
}

func TestModuleDir(t *testing.T) {
	t.Parallel()
	dir, err := ModuleDir(KEDAModule, KEDAVersion)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "config", "crd", "bases", "keda.sh_scaledobjects.yaml")); err != nil {
		t.Errorf("module dir %s lacks the ScaledObject CRD: %v", dir, err)
	}
}
