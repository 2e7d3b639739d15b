package spec

import (
	"errors"
	"fmt"
	"strings"
)

// Markers delimit the copy of docs/scaling-table.md at the top of docs/scaling.md (CopyFile).
const (
	CopyBegin = "<!-- scaling-table:begin -->"
	CopyEnd   = "<!-- scaling-table:end -->"
	// CopyFile is the page, relative to the repository root, that holds the copy.
	CopyFile = "docs/scaling.md"
)

// Table renders a Markdown table.
func Table(header []string, rows [][]string) string {
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + strings.ReplaceAll(c, "|", `\|`) + " |")
		}
		b.WriteString("\n")
	}
	line(header)
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
	}
	line(sep)
	for _, r := range rows {
		line(r)
	}
	return b.String()
}

// CopyBlock returns what stands between the markers in page, trimmed, and whether both
// markers are there. One marker without the other is an error.
func CopyBlock(page string) (string, bool, error) {
	i := strings.Index(page, CopyBegin)
	j := strings.Index(page, CopyEnd)
	switch {
	case i < 0 && j < 0:
		return "", false, nil
	case i < 0 || j < 0:
		return "", false, errors.New(CopyFile + " has only one of the scaling-table markers")
	case j < i:
		return "", false, fmt.Errorf("%s: %s comes before %s", CopyFile, CopyEnd, CopyBegin)
	}
	return strings.TrimSpace(page[i+len(CopyBegin) : j]), true, nil
}

// Thousands formats n with thousands separators (10000 → "10,000").
func Thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + Thousands(-n)
	}
	var out []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	return string(out)
}
