package demo

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eventscale/eventscale/tests/integration"
)

// The measured timeline is written on every run to out/demo/timeline.md (git-ignored); with
// DEMO_UPDATE=1 also to docs/demo-timeline.md and into docs/scaling.md between these markers.
// Otherwise docs/scaling.md's copy is checked against the measurement: the same scenarios, message
// counts and peaks, and every time within timelineTolerance of the measured one (the times
// move by a controller period from run to run, and by more on a loaded machine).
const (
	timelineBegin = "<!-- demo-timeline:begin -->"
	timelineEnd   = "<!-- demo-timeline:end -->"
)

// timeClose reports whether a published time r is close enough to the measured m: within 30 s,
// or within a factor of 4 either way. KEDA polls every 10 s and the HPA syncs every 15 s, so a
// point moves by a period or two from run to run; on a loaded CI machine (the demo tier runs
// beside the engine tier) prod's drain took 3.3 times as long once. A published time that is further
// off, say after a change of cooldown, consolidateAfter or maxReplicas, fails.
func timeClose(r, m time.Duration) bool {
	return (r-m).Abs() <= 30*time.Second || (r <= 4*m && m <= 4*r)
}

// timelineHeader are the table's columns.
var timelineHeader = []string{"scenario", "messages", "first pod Running", "all pods Running", "nodes Ready", "queue drained", "replicas 0", "nodes 0", "peak pods / nodes / zones", "processed", "destroy"}

// secs renders a duration as whole seconds, "—" when not measured.
func secs(d time.Duration) string {
	if d == 0 {
		return "—"
	}
	return fmt.Sprintf("%d s", int(math.Round(d.Seconds())))
}

// row is the table row of tm.
func (tm timing) row() []string {
	return []string{tm.Scenario, fmt.Sprint(tm.Messages), secs(tm.FirstRunning), secs(tm.AllRunning), secs(tm.NodesReady),
		secs(tm.Drained), secs(tm.ReplicasZero), secs(tm.NodesZero),
		fmt.Sprintf("%d / %d / %d", tm.PeakPods, tm.PeakNodes, tm.Zones), tm.processed(), secs(tm.Destroyed)}
}

// processed is the table's last cell: how many distinct messages the workers' records hold
// (the scenario fails unless it is every message sent, repeats only where SQS redelivered a
// message whose delete it had confirmed: see checkDelivery), how many of them were sent during
// the scale-down, and those repeats with their bound. Only the part before the first " (" is
// compared with the published table: the repeats depend on the machine's load.
func (tm timing) processed() string {
	s := fmt.Sprintf("%d of %d", tm.Recorded, tm.Messages+tm.Late)
	if tm.Late > 0 {
		s += fmt.Sprintf(" (%d sent as the pods scaled down)", tm.Late)
	}
	if tm.Redelivered > 0 {
		s += fmt.Sprintf(" (%d redelivered by moto after a confirmed delete, at most %d allowed)", tm.Redelivered, tm.MaxRedelivered)
	}
	return s
}

// renderTimeline is the Markdown table of the timings, in the order of order.
func renderTimeline(tms []timing, order []string) string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(timelineHeader, " | ") + " |\n|")
	for range timelineHeader {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, name := range order {
		for _, tm := range tms {
			if tm.Scenario == name {
				b.WriteString("| " + strings.Join(tm.row(), " | ") + " |\n")
			}
		}
	}
	return b.String()
}

// readmeTimeline returns the table rows of docs/scaling.md's copy between the markers, cells trimmed.
func readmeTimeline(readme string) ([][]string, error) {
	_, rest, ok := strings.Cut(readme, timelineBegin)
	if !ok {
		return nil, fmt.Errorf("docs/scaling.md has no %s", timelineBegin)
	}
	block, _, ok := strings.Cut(rest, timelineEnd)
	if !ok {
		return nil, fmt.Errorf("docs/scaling.md has no %s", timelineEnd)
	}
	var rows [][]string
	for _, line := range strings.Split(block, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "| ---") || strings.HasPrefix(line, "| "+timelineHeader[0]+" |") {
			continue
		}
		var cells []string
		for _, c := range strings.Split(strings.Trim(line, "|"), "|") {
			cells = append(cells, strings.TrimSpace(c))
		}
		rows = append(rows, cells)
	}
	return rows, nil
}

// compareTimeline returns what differs between the published rows and the measured ones.
func compareTimeline(readme [][]string, measured []timing, order []string) []string {
	var diffs []string
	byName := map[string][]string{}
	for _, r := range readme {
		if len(r) == len(timelineHeader) {
			byName[r[0]] = r
		} else {
			diffs = append(diffs, fmt.Sprintf("docs/scaling.md row %v has %d cells, want %d", r, len(r), len(timelineHeader)))
		}
	}
	if len(readme) != len(order) {
		diffs = append(diffs, fmt.Sprintf("docs/scaling.md has %d rows, the measurement %d", len(readme), len(order)))
	}
	for _, tm := range measured {
		got, ok := byName[tm.Scenario]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("docs/scaling.md has no row %q", tm.Scenario))
			continue
		}
		want := tm.row()
		for i, cell := range want {
			if timelineHeader[i] == "peak pods / nodes / zones" {
				if !peaksClose(got[i], cell) {
					diffs = append(diffs, fmt.Sprintf("%s, %s: docs/scaling.md %q, measured %q (pods and nodes within a factor of 2)", tm.Scenario, timelineHeader[i], got[i], cell))
				}
				continue
			}
			if strings.HasSuffix(cell, " s") || strings.HasSuffix(got[i], " s") {
				m, errM := time.ParseDuration(strings.ReplaceAll(cell, " ", ""))
				r, errR := time.ParseDuration(strings.ReplaceAll(got[i], " ", ""))
				if errM != nil || errR != nil || !timeClose(r, m) {
					diffs = append(diffs, fmt.Sprintf("%s, %s: docs/scaling.md %q, measured %q (want within 30 s or a factor of 4)", tm.Scenario, timelineHeader[i], got[i], cell))
				}
				continue
			}
			if timelineHeader[i] == "processed" {
				got[i], _, _ = strings.Cut(got[i], " (")
				cell, _, _ = strings.Cut(cell, " (")
			}
			if got[i] != cell {
				diffs = append(diffs, fmt.Sprintf("%s, %s: docs/scaling.md %q, measured %q", tm.Scenario, timelineHeader[i], got[i], cell))
			}
		}
	}
	return diffs
}

// peaksClose reports whether the published "pods / nodes / zones" cell is close to the measured
// one: pods and nodes each within a factor of 2. The zones are not compared: where no spread
// is asked for, Karpenter's choice of zone varies from run to run; the scenarios assert the
// zones they need. Prod's peaks depend on where the HPA's syncs fall during its drain.
func peaksClose(readme, measured string) bool {
	var r, m [3]int
	if _, err := fmt.Sscanf(readme, "%d / %d / %d", &r[0], &r[1], &r[2]); err != nil {
		return false
	}
	if _, err := fmt.Sscanf(measured, "%d / %d / %d", &m[0], &m[1], &m[2]); err != nil {
		return false
	}
	for i := range 2 {
		if r[i] > 2*m[i] || m[i] > 2*r[i] {
			return false
		}
	}
	return true
}

// checkTimeline writes the measured table and checks (or, with DEMO_UPDATE=1, updates) the
// copy in docs/scaling.md.
func checkTimeline(t *testing.T, order []string) {
	t.Helper()
	timingsMu.Lock()
	measured := append([]timing(nil), timings...)
	timingsMu.Unlock()
	if len(measured) != len(order) {
		t.Fatalf("%d of %d scenarios measured a timeline", len(measured), len(order))
	}
	table := renderTimeline(measured, order)
	root := integration.RepoRoot()
	out := filepath.Join(root, "out", "demo", "timeline.md")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("measured timeline (%s):\n%s", out, table)
	readmePath := filepath.Join(root, "docs", "scaling.md")
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("DEMO_UPDATE") == "1" {
		before, rest, ok1 := strings.Cut(string(readme), timelineBegin)
		_, after, ok2 := strings.Cut(rest, timelineEnd)
		if !ok1 || !ok2 {
			t.Fatalf("docs/scaling.md lacks the markers %s … %s", timelineBegin, timelineEnd)
		}
		if err := os.WriteFile(readmePath, []byte(before+timelineBegin+"\n"+table+timelineEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "docs", "demo-timeline.md"), []byte("# The demo tier's measured timeline\n\nGenerated by `make demo-timeline` (tests/demo, DEMO_UPDATE=1); see docs/demo.md.\n\n"+table), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("docs/scaling.md and docs/demo-timeline.md updated")
		return
	}
	rows, err := readmeTimeline(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	if diffs := compareTimeline(rows, measured, order); len(diffs) > 0 {
		t.Errorf("docs/scaling.md's demo timeline does not match this run (regenerate with make demo-timeline):\n%s", strings.Join(diffs, "\n"))
	}
}

func TestCompareTimeline(t *testing.T) {
	tm := timing{Scenario: "s", Messages: 2, FirstRunning: 9 * time.Second, AllRunning: 19 * time.Second, NodesReady: 18 * time.Second,
		Drained: 100 * time.Second, PeakPods: 2, PeakNodes: 2, Zones: 1, Recorded: 2}
	order := []string{"s"}
	rows, err := readmeTimeline("x\n" + timelineBegin + "\n" + renderTimeline([]timing{tm}, order) + timelineEnd + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if d := compareTimeline(rows, []timing{tm}, order); len(d) != 0 {
		t.Errorf("a table compared with itself: %v", d)
	}
	slower := tm
	slower.Drained = 330 * time.Second // 3.3 times the README's 100 s: close enough
	if d := compareTimeline(rows, []timing{slower}, order); len(d) != 0 {
		t.Errorf("40 s off a 100 s point is within tolerance: %v", d)
	}
	slower.Zones = 3 // not compared
	slower.PeakNodes = 3
	if d := compareTimeline(rows, []timing{slower}, order); len(d) != 0 {
		t.Errorf("3 nodes against 2 and other zones are close enough: %v", d)
	}
	slower.FirstRunning = 45 * time.Second // 36 s and 5 times the README's 9 s: too far
	slower.PeakNodes = 5
	if d := compareTimeline(rows, []timing{slower}, order); len(d) != 2 {
		t.Errorf("want 2 differences (first pod Running, peak), got %v", d)
	}
	if d := compareTimeline(nil, []timing{tm}, order); len(d) != 2 {
		t.Errorf("an empty README block: want the row count and the missing row, got %v", d)
	}
	if _, err := readmeTimeline("no markers"); err == nil {
		t.Error("a README without the markers must be an error")
	}
}
