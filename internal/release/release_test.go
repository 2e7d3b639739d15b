package release

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	const c1 = "4b11d3e700373da7b6d86d74452c8fce20accbcd"
	const c2 = "0123456789abcdef0123456789abcdef01234567"
	good := "# Changelog\n\n## 0.3.0 — unreleased\n### Added\n- x\n\n## 0.2.0 — 2026-12-09 — commit " + c2 + "\n\n## 0.1.0 — 2026-12-08 — commit " + c1 + "\n"
	rs, err := Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 || !rs[0].Unreleased || rs[1].Commit != c2 || rs[2].Version != "0.1.0" || rs[2].Line != 9 {
		t.Fatalf("parsed %+v", rs)
	}
	if l, ok := Latest(rs); !ok || l.Version != "0.2.0" {
		t.Errorf("Latest = %+v, %v", l, ok)
	}
	if v := ProgramVersion(rs); v != "0.3.0-dev" {
		t.Errorf("ProgramVersion = %q", v)
	}
	if v := ProgramVersion(rs[1:]); v != "0.2.0" {
		t.Errorf("ProgramVersion of a released top = %q", v)
	}
	// The release commit itself: its heading has no commit yet; Latest is the one before.
	cut, err := Parse([]byte("## 0.2.0 — 2026-12-09\n## 0.1.0 — 2026-12-08 — commit " + c1 + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := Latest(cut); l.Version != "0.1.0" || ProgramVersion(cut) != "0.2.0" {
		t.Errorf("at the release commit: Latest %+v, ProgramVersion %q", l, ProgramVersion(cut))
	}
	for name, tc := range map[string]struct{ text, want string }{
		"free heading":          {"## Notes\n", `"## Notes" is not a release heading`},
		"short commit":          {"## 0.1.0 — 2026-12-08 — commit 4b11d3e\n", "is not a release heading"},
		"unreleased second":     {"## 0.2.0 — 2026-12-09 — commit " + c2 + "\n## 0.1.0 — unreleased\n", "only the first release heading may be unreleased"},
		"version not older":     {"## 0.1.0 — 2026-12-09 — commit " + c2 + "\n## 0.1.0 — 2026-12-08 — commit " + c1 + "\n", "version 0.1.0 is not older than 0.1.0"},
		"minor ordering":        {"## 0.9.0 — 2026-12-09 — commit " + c2 + "\n## 0.10.0 — 2026-12-08 — commit " + c1 + "\n", "version 0.10.0 is not older than 0.9.0"},
		"date later than newer": {"## 0.2.0 — 2026-12-08 — commit " + c2 + "\n## 0.1.0 — 2026-12-09 — commit " + c1 + "\n", "date 2026-12-09 is later"},
		"commit twice":          {"## 0.2.0 — 2026-12-09 — commit " + c1 + "\n## 0.1.0 — 2026-12-08 — commit " + c1 + "\n", "is already release 0.2.0's"},
		"empty":                 {"# Changelog\n", "no release heading"},
	} {
		if _, err := Parse([]byte(tc.text)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", name, err, tc.want)
		}
	}
}
