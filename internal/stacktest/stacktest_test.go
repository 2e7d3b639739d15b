package stacktest

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// The shipped stacks are the repository's stack files, dev and prod among them, sorted.
func TestNames(t *testing.T) {
	t.Parallel()
	names := Names(t)
	if !slices.IsSorted(names) || !slices.Contains(names, "dev") || !slices.Contains(names, "prod") {
		t.Fatalf("Names() = %v, want the sorted stacks, dev and prod among them", names)
	}
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(Root(), "Pulumi."+n+".yaml")); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	if _, err := os.Stat(filepath.Join(Root(), "Pulumi.yaml")); err != nil {
		t.Errorf("Root() = %s holds no Pulumi.yaml: %v", Root(), err)
	}
}

// Each runs f once per stack, in subtests named after them.
func TestEach(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	t.Run("stacks", func(t *testing.T) {
		Each(t, func(t *testing.T, stack string) {
			if t.Name() != "TestEach/stacks/"+stack {
				t.Errorf("subtest %s for stack %s", t.Name(), stack)
			}
			mu.Lock()
			seen = append(seen, stack)
			mu.Unlock()
		})
	})
	slices.Sort(seen)
	if !slices.Equal(seen, Names(t)) {
		t.Errorf("ran %v, want %v", seen, Names(t))
	}
}
