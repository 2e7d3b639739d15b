// Package stacktest gives the tests that must hold for every environment the stacks the
// repository ships: one per Pulumi.<stack>.yaml at its root. A stack file added to the
// repository (README, "Adding an environment") is then loaded, validated, planned and deployed
// by those tests like dev and prod, without editing them.
package stacktest

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// Names returns the shipped stacks, sorted: the <stack> of every Pulumi.<stack>.yaml at the
// repository root. It fails tb when there is none.
func Names(tb testing.TB) []string {
	tb.Helper()
	root := Root()
	files, err := filepath.Glob(filepath.Join(root, "Pulumi.*.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml"))
	}
	slices.Sort(names)
	if len(names) == 0 {
		tb.Fatalf("no Pulumi.<stack>.yaml in %s", root)
	}
	return names
}

// Each runs f for every shipped stack, each in a parallel subtest named after it.
func Each(t *testing.T, f func(t *testing.T, stack string)) {
	t.Helper()
	for _, stack := range Names(t) {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			f(t, stack)
		})
	}
}

// Root is the repository root (internal/reference finds ../shared beside it too): two levels above this source file (internal/stacktest), or,
// where the build trimmed paths, the nearest parent of the working directory that holds
// Pulumi.yaml.
func Root() string {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	}
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "Pulumi.yaml")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}
