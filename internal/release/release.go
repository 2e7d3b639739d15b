// Package release reads the project's releases from CHANGELOG.md, the one record of them: each
// release is a second-level heading "## <version> — <date> — commit <40 hex digits>", newest
// first, and at most one "## <version> — unreleased" heading above them names the release main is
// heading for; stacks.Version is that version with "-dev". The release commit itself has its
// heading without the commit ("## <version> — <date>", first, stacks.Version the version), and
// the next commit records it. The engine tier's upgrade test deploys the newest release with a
// recorded commit and then updates it with the checkout's program.
package release

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// File is the changelog's name at the repository's root.
const File = "CHANGELOG.md"

// Release is one heading of the changelog.
type Release struct {
	// Version is the release's semantic version, without a leading "v" (e.g. "0.1.0").
	Version string
	// Date is the day it was cut (YYYY-MM-DD); empty while Unreleased.
	Date string
	// Commit is the full hash of the commit the release is; empty while Unreleased, and in the
	// release commit itself.
	Commit string
	// Unreleased marks the heading of the release main is heading for.
	Unreleased bool
	// Line is the heading's line number in the file (1-based).
	Line int
}

var (
	versionRE    = `(\d+)\.(\d+)\.(\d+)`
	releasedRE   = regexp.MustCompile(`^## ` + versionRE + ` — (\d{4}-\d{2}-\d{2})(?: — commit ([0-9a-f]{40}))?$`)
	unreleasedRE = regexp.MustCompile(`^## ` + versionRE + ` — unreleased$`)
)

// Read reads and checks the changelog in the repository at root (Parse).
func Read(root string) ([]Release, error) {
	data, err := os.ReadFile(filepath.Join(root, File))
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// Parse returns the changelog's releases, newest first. Every second-level heading must be a
// release heading; at most one is unreleased and it comes first; versions strictly decrease
// and dates do not increase down the file; no commit appears twice.
func Parse(data []byte) ([]Release, error) {
	var out []Release
	commits := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t")
		if !strings.HasPrefix(line, "## ") {
			continue
		}
		var r Release
		if m := releasedRE.FindStringSubmatch(line); m != nil {
			r = Release{Version: m[1] + "." + m[2] + "." + m[3], Date: m[4], Commit: m[5], Line: n}
			if r.Commit == "" && len(out) > 0 {
				return nil, fmt.Errorf("%s:%d: %q: only the first release heading may lack its commit (the release commit itself, recorded by the next commit)", File, n, line)
			}
			if prev, ok := commits[r.Commit]; ok && r.Commit != "" {
				return nil, fmt.Errorf("%s:%d: commit %s is already release %s's", File, n, r.Commit, out[prev].Version)
			}
			commits[r.Commit] = len(out)
		} else if m := unreleasedRE.FindStringSubmatch(line); m != nil {
			r = Release{Version: m[1] + "." + m[2] + "." + m[3], Unreleased: true, Line: n}
			if len(out) > 0 {
				return nil, fmt.Errorf("%s:%d: %q: only the first release heading may be unreleased", File, n, line)
			}
		} else {
			return nil, fmt.Errorf("%s:%d: %q is not a release heading (\"## 1.2.3 — 2026-12-08 — commit <40 hex digits>\" or \"## 1.2.3 — unreleased\")", File, n, line)
		}
		if len(out) > 0 {
			prev := out[len(out)-1]
			if !Less(r.Version, prev.Version) {
				return nil, fmt.Errorf("%s:%d: version %s is not older than %s above it", File, n, r.Version, prev.Version)
			}
			if prev.Date != "" && r.Date > prev.Date {
				return nil, fmt.Errorf("%s:%d: date %s is later than %s above it", File, n, r.Date, prev.Date)
			}
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no release heading", File)
	}
	return out, nil
}

// Latest is the newest release with a recorded commit: the one a stack deployed from a release
// runs.
func Latest(releases []Release) (Release, bool) {
	for _, r := range releases {
		if !r.Unreleased && r.Commit != "" {
			return r, true
		}
	}
	return Release{}, false
}

// ProgramVersion is the version the program at the changelog's state reports: the unreleased
// heading's version with "-dev", or the newest release's.
func ProgramVersion(releases []Release) string {
	if releases[0].Unreleased {
		return releases[0].Version + "-dev"
	}
	return releases[0].Version
}

// Less reports whether semantic version a (major.minor.patch) is older than b; versions that do
// not parse compare as equal.
func Less(a, b string) bool {
	pa, pb := parts(a), parts(b)
	if pa == nil || pb == nil {
		return false
	}
	for i := range 3 {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return false
}

func parts(v string) []int {
	f := strings.Split(v, ".")
	if len(f) != 3 {
		return nil
	}
	out := make([]int, 3)
	for i, s := range f {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil
		}
		out[i] = n
	}
	return out
}
