// Package reference is the one way code in this repository reaches ../shared/reference: verbatim
// upstream data (CRDs, charts, Karpenter's getting-started CloudFormation template) kept beside
// the team's own checkout and absent from a user's clone. A test that compares the program with
// those copies asks for them here and is skipped, saying what it skips and how to enable it, when
// the folder is absent, also with CI=true: nothing a user runs may need it. TestNoOtherReader
// fails when any other file of the repository names the folder.
package reference

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/eventscale/eventscale/internal/stacktest"
)

// Dir is the folder's path relative to the repository root.
const Dir = "../shared/reference"

// Root returns the absolute path of ../shared/reference beside the repository root (which may
// not exist).
func Root() string {
	return filepath.Clean(filepath.Join(stacktest.Root(), filepath.FromSlash(Dir)))
}

// Path returns the absolute path of rel (slash-separated, relative to ../shared/reference), or
// skips tb when it is absent: what skips is tb's test, named with why (what) and how to enable it.
func Path(tb testing.TB, rel, what string) string {
	tb.Helper()
	p := filepath.Join(Root(), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			tb.Fatalf("%s: %v", p, err)
		}
		tb.Skipf("skipping %s (%s): %s is absent. It is upstream data kept only beside the team's checkout "+
			"(%s/%s relative to the repository root; its README says where each file comes from), never in a "+
			"user's clone, and nothing else needs it. To run this test, put that file or folder there.",
			tb.Name(), what, p, Dir, rel)
	}
	return p
}

// Read returns the content of the file rel (as Path), or skips tb when it is absent.
func Read(tb testing.TB, rel, what string) []byte {
	tb.Helper()
	b, err := os.ReadFile(Path(tb, rel, what))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
