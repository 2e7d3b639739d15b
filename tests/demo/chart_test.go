package demo

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image/color"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/tests/integration"
)

// Each scenario's samples are drawn as one chart, docs/demo-<scenario>.svg
// (gonum.org/v1/plot v0.17.0, SVG through vg/vgsvg without embedded fonts): two panels
// stacked on one time axis, since a gonum plot has one y axis: the queue's depth above, the
// counts (desired replicas, pods Running and Pending, nodes Ready) below, with the timeline's
// instants as numbered vertical lines through both. The chart's data summary (per series: the
// first, last and peak value; per instant: its time) is embedded as JSON in the SVG's
// <metadata> element, and every series and instant has its legend text, so that a test can read
// a checked-in chart with encoding/xml.
//
// What this relies on in gonum.org/v1/plot@v0.17.0 (module cache, read 2026-12-08): a Plot has
// one X and one Y axis (plot.go, type Plot); plot.Align lines up the data areas of plots drawn in
// draw.Tiles (align.go), so the two panels share their x positions; vgsvg does not embed fonts
// unless asked (vg/vgsvg/vgsvg.go, EmbedFonts) and writes each text as a <text> element holding
// the string (FillString); plotter.Line with StepStyle PostStep draws a step line (plotter/line.go).

// The series' names: the legend texts, and the identifiers in the metadata.
const (
	seriesQueue    = "queue depth (visible + in flight)"
	seriesReplicas = "desired replicas"
	seriesRunning  = "pods Running"
	seriesPending  = "pods Pending"
	seriesReady    = "nodes Ready"
)

// The instants' names, as in the timeline table.
const (
	instantFirstMessage = "first message"
	instantFirstRunning = "first pod Running"
	instantDrained      = "queue drained"
	instantReplicasZero = "replicas 0"
	instantNodesZero    = "nodes 0"
)

// chartSeries are the series in drawing order: the queue (upper panel) first, then the counts;
// instantNames the instants in the timeline's order.
var (
	chartSeries  = []string{seriesQueue, seriesReplicas, seriesRunning, seriesPending, seriesReady}
	instantNames = []string{instantFirstMessage, instantFirstRunning, instantDrained, instantReplicasZero, instantNodesZero}
)

// chartLead is how long before the first message a chart starts: the idle state before it,
// so that every series visibly starts at zero (sampledFor makes sure it was sampled).
const chartLead = 3 * time.Second

// sampledFor waits until the observer has sampled for d (at most a minute), so that a chart
// starts with the state before what the scenario does next.
func (o *observer) sampledFor(d time.Duration) {
	t := o.w.t
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		o.mu.Lock()
		ok := len(o.samples) > 0 && time.Since(o.samples[0].at) >= d
		errs := o.errs
		o.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sample %s old after a minute (sampling errors: %v)", d, errs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// chartConfig is the config that shaped a scenario's timeline, as the program emitted it
// (the ScaledObject's and the NodePool's fields).
type chartConfig struct {
	PollingInterval  string `json:"pollingInterval"`
	QueueLength      string `json:"queueLength"`
	MaxReplicas      string `json:"maxReplicas"`
	Cooldown         string `json:"cooldownPeriod"`
	ConsolidateAfter string `json:"consolidateAfter"`
}

// caption is the chart's config line.
func (c chartConfig) caption() string {
	return fmt.Sprintf("pollingInterval %s s, queueLength %s, maxReplicas %s, cooldownPeriod %s s, consolidateAfter %s",
		c.PollingInterval, c.QueueLength, c.MaxReplicas, c.Cooldown, c.ConsolidateAfter)
}

// stackChartConfig reads the chart's config from the stack's ScaledObject and NodePool.
func stackChartConfig(s *integration.Stack) chartConfig {
	c := chartConfig{}
	str := func(v any) string {
		if v == nil {
			return "?"
		}
		return fmt.Sprint(v)
	}
	for _, o := range s.Objects {
		switch o.Body["kind"] {
		case "ScaledObject":
			c.PollingInterval = str(offline.Lookup(o.Body, "spec", "pollingInterval"))
			c.Cooldown = str(offline.Lookup(o.Body, "spec", "cooldownPeriod"))
			c.MaxReplicas = str(offline.Lookup(o.Body, "spec", "maxReplicaCount"))
			if trig := sliceAt(o.Body, "spec", "triggers"); len(trig) > 0 {
				c.QueueLength = str(offline.Lookup(trig[0], "metadata", "queueLength"))
			}
		case "NodePool":
			c.ConsolidateAfter = str(offline.Lookup(o.Body, "spec", "disruption", "consolidateAfter"))
		}
	}
	return c
}

// point is one corner of a step line: from At (seconds since the first message) on, the
// series has the value V.
type point struct {
	At float64 `json:"t"`
	V  int     `json:"v"`
}

// chartInput is what a chart is drawn from: it is written to out/demo/<file>.json on every run.
type chartInput struct {
	Scenario string      `json:"scenario"`
	Config   chartConfig `json:"config"`
	// Series holds each of chartSeries as the points where its value changes (and its last
	// sample): the samples, every 250 or 500 ms, are a step function, so dropping the samples
	// that repeat the one before loses nothing.
	Series map[string][]point `json:"series"`
	// Instants are the timeline's instants in seconds since the first message; an instant the
	// scenario does not reach is absent.
	Instants map[string]float64 `json:"instants"`
	// ToZero says whether the scenario waits for the return to zero (replicas and nodes 0).
	ToZero bool `json:"toZero"`
}

// seriesSummary and chartSummary are a chart's metadata: what the checks compare.
type seriesSummary struct {
	Name string `json:"name"`
	// First, Last and Peak are the series' first, last and highest values; Points how many
	// corners its line has; End when its last sample was taken.
	First  int     `json:"first"`
	Last   int     `json:"last"`
	Peak   int     `json:"peak"`
	Points int     `json:"points"`
	End    float64 `json:"end"`
}

type chartSummary struct {
	Scenario string          `json:"scenario"`
	Config   chartConfig     `json:"config"`
	ToZero   bool            `json:"toZero"`
	Series   []seriesSummary `json:"series"`
	Instants []instantTime   `json:"instants"`
}

type instantTime struct {
	Name string  `json:"name"`
	At   float64 `json:"t"`
}

// round1 rounds seconds to a tenth, so that the drawing and the metadata do not depend on
// sub-sample jitter in their last digits.
func round1(s float64) float64 { return math.Round(s*10)/10 + 0 } // + 0: no -0

// newChartInput thins samples (taken from t0-chartLead until the scenario's end) to chartInput.
func newChartInput(scenario string, cfg chartConfig, t0 time.Time, samples []sample, tm timing, toZero bool) chartInput {
	in := chartInput{Scenario: scenario, Config: cfg, Series: map[string][]point{}, Instants: map[string]float64{}, ToZero: toZero}
	value := map[string]func(sample) int{
		seriesQueue:    func(s sample) int { return s.queued },
		seriesReplicas: func(s sample) int { return int(s.replicas) },
		seriesRunning:  func(s sample) int { return s.running },
		seriesPending:  func(s sample) int { return s.pending },
		seriesReady:    func(s sample) int { return s.ready },
	}
	for _, name := range chartSeries {
		var pts []point
		for i, s := range samples {
			p := point{At: round1(s.at.Sub(t0).Seconds()), V: value[name](s)}
			if i == 0 || i == len(samples)-1 || p.V != pts[len(pts)-1].V {
				pts = append(pts, p)
			}
		}
		in.Series[name] = pts
	}
	for name, d := range map[string]time.Duration{instantFirstRunning: tm.FirstRunning, instantDrained: tm.Drained,
		instantReplicasZero: tm.ReplicasZero, instantNodesZero: tm.NodesZero} {
		if d != 0 {
			in.Instants[name] = round1(d.Seconds())
		}
	}
	in.Instants[instantFirstMessage] = 0
	return in
}

// summary is the metadata of the chart drawn from in.
func (in chartInput) summary() chartSummary {
	sum := chartSummary{Scenario: in.Scenario, Config: in.Config, ToZero: in.ToZero}
	for _, name := range chartSeries {
		pts := in.Series[name]
		ss := seriesSummary{Name: name, Points: len(pts)}
		if len(pts) > 0 {
			ss.First, ss.Last = pts[0].V, pts[len(pts)-1].V
			ss.End = pts[len(pts)-1].At
		}
		for _, p := range pts {
			ss.Peak = max(ss.Peak, p.V)
		}
		sum.Series = append(sum.Series, ss)
	}
	for _, name := range instantNames {
		if at, ok := in.Instants[name]; ok {
			sum.Instants = append(sum.Instants, instantTime{name, at})
		}
	}
	return sum
}

// seriesStyle is how each series is drawn: distinct colours (five of Okabe and Ito's eight,
// chosen to stay distinguishable with each common colour vision deficiency; hex values as
// listed in https://vizcept.com/blog/okabe-ito-palette-guide and Wong, Nature Methods 2011,
// read 2026-12-08) and distinct dash patterns, and widths that shrink in
// drawing order so that lines on the same value (2 replicas, 2 pods Running, 2 nodes Ready)
// stay visible one inside the other.
var seriesStyle = map[string]draw.LineStyle{
	seriesQueue:    {Color: color.RGBA{0x00, 0x72, 0xB2, 0xff}, Width: vg.Points(2)},
	seriesReplicas: {Color: color.RGBA{0x56, 0xB4, 0xE9, 0xff}, Width: vg.Points(5)},
	seriesRunning:  {Color: color.RGBA{0x00, 0x9E, 0x73, 0xff}, Width: vg.Points(3), Dashes: []vg.Length{vg.Points(7), vg.Points(3)}},
	seriesPending:  {Color: color.RGBA{0xD5, 0x5E, 0x00, 0xff}, Width: vg.Points(2), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}},
	seriesReady:    {Color: color.Black, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(9), vg.Points(2), vg.Points(2), vg.Points(2)}},
}

// instantLines draws the instants as numbered dotted vertical lines through a panel; the
// numbers (on the upper panel only) refer to the instant legend.
type instantLines struct {
	instants []instantTime
	numbers  bool
}

var instantStyle = draw.LineStyle{Color: color.Gray{Y: 0x60}, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(1), vg.Points(2)}}

// Plot implements plot.Plotter.
func (l instantLines) Plot(c draw.Canvas, p *plot.Plot) {
	x, _ := p.Transforms(&c)
	sty := draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, 9), XAlign: text.XCenter, YAlign: text.YBottom, Handler: plot.DefaultTextHandler}
	for i, in := range l.instants {
		xi := x(in.At)
		c.StrokeLine2(instantStyle, xi, c.Min.Y, xi, c.Max.Y)
		if l.numbers {
			// Alternate heights, so that the numbers of two close instants do not overlap.
			y := c.Max.Y + vg.Points(2) + vg.Length(i%2)*vg.Points(10)
			c.FillText(sty, vg.Point{X: xi, Y: y}, fmt.Sprint(i+1))
		}
	}
}

// chartSize is the SVG's size.
var chartWidth, chartHeight = vg.Points(720), vg.Points(420)

// renderChart draws in on c.
func renderChart(in chartInput, c draw.Canvas) error {
	sum := in.summary()
	txt := func(size vg.Length, xa text.XAlignment, ya text.YAlignment) draw.TextStyle {
		return draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, size), XAlign: xa, YAlign: ya, Handler: plot.DefaultTextHandler}
	}
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	title := txt(13, text.XLeft, text.YTop)
	c.FillText(title, vg.Point{X: c.Min.X + vg.Points(8), Y: c.Max.Y - vg.Points(6)}, in.Scenario)
	small := txt(9, text.XLeft, text.YBottom)
	c.FillText(small, vg.Point{X: c.Min.X + vg.Points(8), Y: c.Min.Y + vg.Points(6)}, in.Config.caption())

	body := draw.Crop(c, 0, 0, vg.Points(22), -vg.Points(40))
	legendW := vg.Points(235) // room for wider fallback fonts (DejaVu Serif)
	plots := draw.Crop(body, 0, -legendW, 0, 0)
	legends := draw.Crop(body, plots.Max.X-body.Min.X+vg.Points(8), 0, 0, 0)

	upper, lower := plot.New(), plot.New()
	upper.Y.Label.Text = "messages"
	lower.Y.Label.Text = "replicas, pods, nodes"
	lower.X.Label.Text = "seconds since the first message"
	upper.X.Tick.Marker = unlabelled{}
	xmin, xmax := -chartLead.Seconds(), 0.0
	for _, ss := range sum.Series {
		xmax = max(xmax, ss.End)
	}
	xmax += 0.02 * (xmax - xmin) // the last instant off the edge
	for _, p := range []*plot.Plot{upper, lower} {
		p.X.Min, p.X.Max = xmin, xmax
		p.Add(plotter.NewGrid())
	}
	// Room above the highest value for the instants' numbers, and below zero, so that a series
	// at zero is not hidden by the axis.
	upperMax := float64(max(1, sum.Series[0].Peak))
	upper.Y.Min, upper.Y.Max = -0.04*upperMax, 1.25*upperMax
	lowerMax := 1
	for _, ss := range sum.Series[1:] {
		lowerMax = max(lowerMax, ss.Peak)
	}
	lower.Y.Min, lower.Y.Max = -0.06*float64(lowerMax), 1.1*float64(lowerMax)
	lower.Y.Tick.Marker = integerTicks{}
	upper.Add(instantLines{instants: sum.Instants, numbers: true})
	lower.Add(instantLines{instants: sum.Instants})

	upperLegend, lowerLegend := plot.NewLegend(), plot.NewLegend()
	for _, l := range []*plot.Legend{&upperLegend, &lowerLegend} {
		l.Top, l.Left = true, true
		l.TextStyle.Font.Size = 10
		l.ThumbnailWidth = vg.Points(28)
		l.Padding = vg.Points(5)
	}
	for i, name := range chartSeries {
		pts := in.Series[name]
		xys := make(plotter.XYs, len(pts))
		for j, p := range pts {
			xys[j] = plotter.XY{X: p.At, Y: float64(p.V)}
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		line.StepStyle = plotter.PostStep
		line.LineStyle = seriesStyle[name]
		if i == 0 {
			upper.Add(line)
			upperLegend.Add(name, line)
		} else {
			lower.Add(line)
			lowerLegend.Add(name, line)
		}
	}
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Points(6), PadTop: vg.Points(16)}
	cs := plot.Align([][]*plot.Plot{{upper}, {lower}}, tiles, plots)
	upper.Draw(cs[0][0])
	lower.Draw(cs[1][0])

	lt := draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Points(6), PadTop: vg.Points(16)}
	upperLegend.Draw(lt.At(legends, 0, 0))
	lowerLegend.Draw(lt.At(legends, 0, 1))
	// The instants' legend, below the queue's.
	key := txt(9, text.XLeft, text.YTop)
	top := lt.At(legends, 0, 0)
	y := top.Max.Y - vg.Points(22)
	for i, name := range instantNames {
		label := fmt.Sprintf("%d  %s", i+1, name)
		at, ok := in.Instants[name]
		switch {
		case ok:
			label += fmt.Sprintf(": %s s", trimFloat(at))
		default:
			label = fmt.Sprintf("–  %s: not reached", name)
		}
		y -= vg.Points(12)
		c.FillText(key, vg.Point{X: top.Min.X + vg.Points(4), Y: y}, label)
	}
	return nil
}

// trimFloat renders seconds with one decimal, none when whole.
func trimFloat(s float64) string {
	if s == math.Trunc(s) {
		return fmt.Sprintf("%.0f", s)
	}
	return fmt.Sprintf("%.1f", s)
}

// unlabelled are the default ticks without labels (the upper panel shares the lower's x axis).
type unlabelled struct{}

// Ticks implements plot.Ticker.
func (unlabelled) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		ts[i].Label = ""
	}
	return ts
}

// integerTicks are the default ticks without fractions (the counts are whole).
type integerTicks struct{}

// Ticks implements plot.Ticker.
func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Value != math.Trunc(t.Value) {
			if t.Label == "" {
				continue
			}
			t.Label = ""
		}
		out = append(out, t)
	}
	return out
}

// chartMetadataID names the SVG's metadata element.
const chartMetadataID = "eventscale-demo-chart"

// chartSVG is the chart of in as SVG, with its summary as JSON in a <metadata> element. The
// same input gives the same bytes: no fonts embedded, no timestamps, fixed ordering.
func chartSVG(in chartInput) ([]byte, error) {
	cv := vgsvg.New(chartWidth, chartHeight)
	if err := renderChart(in, draw.New(cv)); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := cv.WriteTo(&buf); err != nil {
		return nil, err
	}
	meta, err := json.Marshal(in.summary())
	if err != nil {
		return nil, err
	}
	// After the <svg ...> start tag (encoding/json escapes <, > and &, so the JSON is plain
	// character data).
	// A generic family after the named one, for viewers without Liberation Serif.
	svg := strings.ReplaceAll(buf.String(), "font-family:Liberation Serif;", "font-family:Liberation Serif,serif;")
	i := strings.Index(svg, "<svg")
	j := strings.Index(svg[max(i, 0):], ">")
	if i < 0 || j < 0 {
		return nil, fmt.Errorf("vgsvg wrote no <svg> element")
	}
	at := i + j + 1
	return []byte(svg[:at] + "\n<metadata id=\"" + chartMetadataID + "\">" + string(meta) + "</metadata>" + svg[at:]), nil
}

// The charts the scenarios measured, by scenario label.
var (
	chartsMu sync.Mutex
	charts   = map[string]chartInput{}
)

// recordChart keeps the samples of a scenario, from chartLead before its first message t0
// until now, for its chart.
func (w *world) recordChart(obs *observer, label string, t0 time.Time, tm timing, toZero bool) {
	in := newChartInput(label, stackChartConfig(w.stack), t0, obs.since(t0.Add(-chartLead)), tm, toZero)
	chartsMu.Lock()
	defer chartsMu.Unlock()
	charts[label] = in
}

// chartFile is the chart's file name for a scenario label: demo-<scenario test name>.svg.
func chartFile(label string) string {
	for _, sc := range scenarios {
		if sc.label == label {
			return "demo-" + strings.ToLower(sc.test) + ".svg"
		}
	}
	return ""
}

// parseChart reads a chart SVG with encoding/xml: its metadata, and its texts. It fails when
// the metadata lacks a series or an instant the scenario reaches, or when the drawing lacks the
// legend text of a series or of an instant.
func parseChart(data []byte) (chartSummary, error) {
	var sum chartSummary
	dec := xml.NewDecoder(bytes.NewReader(data))
	var texts []string
	var inText, inMeta bool
	var meta strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return sum, fmt.Errorf("not well-formed XML: %w", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			switch tok.Name.Local {
			case "text":
				inText = true
				texts = append(texts, "")
			case "metadata":
				for _, a := range tok.Attr {
					if a.Name.Local == "id" && a.Value == chartMetadataID {
						inMeta = true
					}
				}
			}
		case xml.EndElement:
			switch tok.Name.Local {
			case "text":
				inText = false
			case "metadata":
				inMeta = false
			}
		case xml.CharData:
			if inText {
				texts[len(texts)-1] += string(tok)
			}
			if inMeta {
				meta.Write(tok)
			}
		}
	}
	if meta.Len() == 0 {
		return sum, fmt.Errorf("no <metadata id=%q>", chartMetadataID)
	}
	if err := json.Unmarshal([]byte(meta.String()), &sum); err != nil {
		return sum, fmt.Errorf("metadata: %w", err)
	}
	hasText := func(want string) bool {
		for _, t := range texts {
			if t == want {
				return true
			}
		}
		return false
	}
	var missing []string
	for i, name := range chartSeries {
		if i >= len(sum.Series) || sum.Series[i].Name != name {
			missing = append(missing, fmt.Sprintf("series %q in the metadata", name))
		}
		if !hasText(name) {
			missing = append(missing, fmt.Sprintf("the legend text of series %q", name))
		}
	}
	at := map[string]float64{}
	for _, it := range sum.Instants {
		at[it.Name] = it.At
	}
	for i, name := range instantNames {
		t, ok := at[name]
		if !ok && (sum.ToZero || (name != instantReplicasZero && name != instantNodesZero)) {
			missing = append(missing, fmt.Sprintf("instant %q in the metadata", name))
			continue
		}
		want := fmt.Sprintf("–  %s: not reached", name)
		if ok {
			want = fmt.Sprintf("%d  %s: %s s", i+1, name, trimFloat(t))
		}
		if !hasText(want) {
			missing = append(missing, fmt.Sprintf("the legend text %q", want))
		}
	}
	if !hasText(sum.Scenario) || !hasText(sum.Config.caption()) {
		missing = append(missing, fmt.Sprintf("the title %q or the caption %q", sum.Scenario, sum.Config.caption()))
	}
	if len(missing) > 0 {
		return sum, fmt.Errorf("missing %s", strings.Join(missing, "; "))
	}
	return sum, nil
}

// compareCharts returns what differs between a published chart's summary and the measured
// one, with the timeline table's tolerances: the same series and config, every peak within a
// factor of 2 (as the table's peak pods and nodes), every instant within 30 s or a factor of
// 4 (timeClose); and in both, every series starting at zero, and ending at zero where the
// scenario waits for the return to zero (the queue's in every scenario).
func compareCharts(pub, meas chartSummary) []string {
	var diffs []string
	if pub.Scenario != meas.Scenario || pub.Config != meas.Config || pub.ToZero != meas.ToZero {
		diffs = append(diffs, fmt.Sprintf("scenario, config or return to zero: published %q %+v %v, measured %q %+v %v",
			pub.Scenario, pub.Config, pub.ToZero, meas.Scenario, meas.Config, meas.ToZero))
	}
	for _, s := range []struct {
		what string
		sum  chartSummary
	}{{"published", pub}, {"measured", meas}} {
		for _, ss := range s.sum.Series {
			if ss.First != 0 {
				diffs = append(diffs, fmt.Sprintf("%s: %s starts at %d, want 0", s.what, ss.Name, ss.First))
			}
			if ss.Last != 0 && (s.sum.ToZero || ss.Name == seriesQueue) {
				diffs = append(diffs, fmt.Sprintf("%s: %s ends at %d, want 0", s.what, ss.Name, ss.Last))
			}
		}
	}
	diffs = append(diffs, compareNamed("series", chartSeries, pub.peaks(), meas.peaks(), func(name string, p, m float64) string {
		if p > 2*m || m > 2*p {
			return fmt.Sprintf("%s peak: published %g, measured %g (want within a factor of 2)", name, p, m)
		}
		return ""
	})...)
	diffs = append(diffs, compareNamed("instant", instantNames, pub.instants(), meas.instants(), func(name string, p, m float64) string {
		if !timeClose(time.Duration(p*float64(time.Second)), time.Duration(m*float64(time.Second))) {
			return fmt.Sprintf("%s: published %s s, measured %s s (want within 30 s or a factor of 4)", name, trimFloat(p), trimFloat(m))
		}
		return ""
	})...)
	return diffs
}

// compareNamed compares the published and the measured value of each of names: a name on one
// side only is a difference, and so is a pair far finds too far apart (its message).
func compareNamed(kind string, names []string, pub, meas map[string]float64, far func(name string, p, m float64) string) []string {
	var diffs []string
	for _, name := range names {
		p, inPub := pub[name]
		m, inMeas := meas[name]
		switch {
		case inPub && !inMeas:
			diffs = append(diffs, fmt.Sprintf("%s %q published, not measured", kind, name))
		case inMeas && !inPub:
			diffs = append(diffs, fmt.Sprintf("%s %q measured, not published", kind, name))
		case inPub:
			if d := far(name, p, m); d != "" {
				diffs = append(diffs, d)
			}
		}
	}
	return diffs
}

// peaks are the series' peaks by name; instants the instants' times.
func (sum chartSummary) peaks() map[string]float64 {
	out := map[string]float64{}
	for _, ss := range sum.Series {
		out[ss.Name] = float64(ss.Peak)
	}
	return out
}

func (sum chartSummary) instants() map[string]float64 {
	out := map[string]float64{}
	for _, it := range sum.Instants {
		out[it.Name] = it.At
	}
	return out
}

// readChart reads and parses docs/<file>.
func readChart(file string) (chartSummary, error) {
	data, err := os.ReadFile(filepath.Join(integration.RepoRoot(), "docs", file))
	if err != nil {
		return chartSummary{}, fmt.Errorf("%w (make demo-timeline writes it)", err)
	}
	sum, err := parseChart(data)
	if err != nil {
		return sum, fmt.Errorf("docs/%s: %w", file, err)
	}
	return sum, nil
}

// checkCharts writes each scenario's chart (and what it is drawn from) to out/demo, and checks
// (or, with DEMO_UPDATE=1, rewrites) the copy in docs/.
func checkCharts(t *testing.T, order []string) {
	t.Helper()
	chartsMu.Lock()
	measured := maps.Clone(charts)
	chartsMu.Unlock()
	root := integration.RepoRoot()
	if err := os.MkdirAll(filepath.Join(root, "out", "demo"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, label := range order {
		in, ok := measured[label]
		if !ok {
			t.Errorf("%s: no chart recorded", label)
			continue
		}
		file := chartFile(label)
		svg, err := chartSVG(in)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		input, err := json.MarshalIndent(in, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(root, "out", "demo", file)
		if err := os.WriteFile(out, svg, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(strings.TrimSuffix(out, ".svg")+".json", input, 0o644); err != nil {
			t.Fatal(err)
		}
		pubPath := filepath.Join(root, "docs", file)
		if os.Getenv("DEMO_UPDATE") == "1" {
			if err := os.WriteFile(pubPath, svg, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("docs/%s updated (%d bytes)", file, len(svg))
			continue
		}
		pub, err := readChart(file)
		if err != nil {
			t.Error(err)
			continue
		}
		if diffs := compareCharts(pub, in.summary()); len(diffs) > 0 {
			t.Errorf("docs/%s does not match this run (%s; regenerate with make demo-timeline):\n%s", file, out, strings.Join(diffs, "\n"))
		}
	}
}

// syntheticChart is a small run shaped like dev's: two messages, two pods on two nodes, back
// to zero.
func syntheticChart() chartInput {
	t0 := time.Unix(1_000_000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	var samples []sample
	for s := -5.0; s <= 150; s += 0.25 {
		// during is 1 from a until b, else 0.
		during := func(a, b float64) int {
			if s >= a && s < b {
				return 1
			}
			return 0
		}
		samples = append(samples, sample{at: at(s), queued: 2 * during(0, 43), replicas: int32(2 * during(3, 67)),
			running: 2 * during(9, 67), pending: 2 * during(3, 9), nodes: 2 * during(8, 142), ready: 2 * during(8, 142)})
	}
	tm := timing{FirstRunning: 9 * time.Second, Drained: 43 * time.Second, ReplicasZero: 67 * time.Second, NodesZero: 142 * time.Second}
	cfg := chartConfig{PollingInterval: "10", QueueLength: "1", MaxReplicas: "2", Cooldown: "25", ConsolidateAfter: "30s"}
	return newChartInput("dev: synthetic", cfg, t0, samples, tm, true)
}

func TestChartRoundTrip(t *testing.T) {
	in := syntheticChart()
	var twice [2][]byte
	for i := range twice {
		var err error
		if twice[i], err = chartSVG(in); err != nil {
			t.Fatal(err)
		}
	}
	svg := twice[0]
	if !bytes.Equal(svg, twice[1]) {
		t.Error("the same samples drew two different SVGs")
	}
	if b, _ := json.Marshal(round1(-0.01)); string(b) != "0" {
		t.Errorf("round1(-0.01) is written %s, want 0", b)
	}
	if got := len(in.Series[seriesQueue]); got != 4 {
		t.Errorf("queue: %d corners, want 4 (0 before the message, 2, 0 when drained, the last sample)", got)
	}
	sum, err := parseChart(svg)
	if err != nil {
		t.Fatalf("parsing the chart just drawn: %v", err)
	}
	if d := compareCharts(sum, in.summary()); len(d) != 0 {
		t.Errorf("a chart compared with its own samples: %v", d)
	}
	// What parseChart must catch: a series' legend text or an instant's missing.
	for _, drop := range []string{">" + seriesPending + "<", ">3  queue drained: 43 s<", "<metadata"} {
		broken := strings.Replace(string(svg), drop, ">x<", 1)
		if drop == "<metadata" {
			broken = strings.Replace(string(svg), drop, "<desc", 1)
			broken = strings.Replace(broken, "</metadata>", "</desc>", 1)
		}
		if _, err := parseChart([]byte(broken)); err == nil {
			t.Errorf("a chart without %q parsed", drop)
		} else {
			t.Logf("without %q: %v", drop, err)
		}
	}
}

func TestCompareCharts(t *testing.T) {
	in := syntheticChart()
	pub := in.summary()
	far := syntheticChart()
	far.Series[seriesReady] = append(far.Series[seriesReady][:2:2], point{At: 20, V: 5}, point{At: 142, V: 0}, point{At: 150, V: 0}) // 5 nodes against 2
	far.Instants[instantDrained] = 200                                                                                               // 200 s against 43
	far.Series[seriesRunning] = far.Series[seriesRunning][:len(far.Series[seriesRunning])-2]                                         // still Running at the end
	d := compareCharts(pub, far.summary())
	if len(d) != 3 {
		t.Errorf("want 3 differences (nodes peak, queue drained, pods Running not back to 0), got %d: %v", len(d), d)
	}
	// A chart whose samples begin after the messages were sent (no idle state before them).
	late := syntheticChart()
	late.Series[seriesQueue] = late.Series[seriesQueue][1:]
	if d := compareCharts(late.summary(), pub); len(d) != 1 || !strings.Contains(d[0], "starts at 2") {
		t.Errorf("want the queue starting at 2 reported, got %v", d)
	}
	noReturn := syntheticChart()
	noReturn.ToZero = false
	noReturn.Series[seriesRunning] = noReturn.Series[seriesRunning][:len(noReturn.Series[seriesRunning])-2]
	if d := compareCharts(noReturn.summary(), noReturn.summary()); len(d) != 0 {
		t.Errorf("a scenario that does not wait for zero may end with pods: %v", d)
	}
}

// TestCheckedInCharts reads every scenario's chart in docs/ (no servers needed): each must
// parse, name its scenario, and have every series and instant.
func TestCheckedInCharts(t *testing.T) {
	for _, sc := range scenarios {
		file := chartFile(sc.label)
		sum, err := readChart(file)
		if err != nil {
			t.Error(err)
			continue
		}
		if sum.Scenario != sc.label {
			t.Errorf("docs/%s is the chart of %q, want %q", file, sum.Scenario, sc.label)
		}
		if d := compareCharts(sum, sum); len(d) != 0 {
			t.Errorf("docs/%s: %v", file, d)
		}
	}
}
