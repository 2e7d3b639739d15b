package spec

import (
	"errors"
	"fmt"
	"strings"
)

// Markers delimit the README's copy of docs/scaling-table.md.
const (
	ReadmeBegin = "<!-- scaling-table:begin -->"
	ReadmeEnd   = "<!-- scaling-table:end -->"
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

// ReadmeBlock returns what stands between the markers in readme, trimmed, and whether both
// markers are there. One marker without the other is an error.
func ReadmeBlock(readme string) (string, bool, error) {
	i := strings.Index(readme, ReadmeBegin)
	j := strings.Index(readme, ReadmeEnd)
	switch {
	case i < 0 && j < 0:
		return "", false, nil
	case i < 0 || j < 0:
		return "", false, errors.New("README has only one of the scaling-table markers")
	case j < i:
		return "", false, fmt.Errorf("README's %s comes before %s", ReadmeEnd, ReadmeBegin)
	}
	return strings.TrimSpace(readme[i+len(ReadmeBegin) : j]), true, nil
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
