package tests

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/internal/release"
	"github.com/eventscale/eventscale/internal/stacktest"
	"github.com/eventscale/eventscale/stacks"
)

// TestReleaseRecord checks CHANGELOG.md, the record of releases, against the program: its
// version is the changelog's (the coming release with -dev while unreleased), the stack exports
// it, and every recorded release is a commit of this checkout's history (where git has one), an
// ancestor of HEAD: the upgrade test of the engine tier builds the newest one.
func TestReleaseRecord(t *testing.T) {
	root := stacktest.Root()
	releases, err := release.Read(root)
	require.NoError(t, err)
	assert.Equal(t, release.ProgramVersion(releases), stacks.Version, "stacks.Version against CHANGELOG.md's first heading")
	_, ok := release.Latest(releases)
	assert.True(t, ok, "CHANGELOG.md records no released commit")
	assert.Equal(t, stacks.Version, stackRun(t, "dev").Outputs["programVersion"], "the programVersion output")

	if _, err := exec.Command("git", "-C", root, "rev-parse", "--git-dir").Output(); err != nil {
		t.Logf("no git checkout at %s: the recorded commits are not checked", root)
		return
	}
	if out, _ := exec.Command("git", "-C", root, "rev-parse", "--is-shallow-repository").Output(); strings.TrimSpace(string(out)) == "true" {
		t.Fatalf("%s is a shallow clone: the recorded releases' commits may be missing (git fetch --unshallow)", root)
	}
	for _, r := range releases {
		if r.Unreleased {
			continue
		}
		if err := exec.Command("git", "-C", root, "merge-base", "--is-ancestor", r.Commit, "HEAD").Run(); err != nil {
			t.Errorf("%s line %d: release %s's commit %s is not an ancestor of HEAD: %v", release.File, r.Line, r.Version, r.Commit, err)
		}
	}
}
