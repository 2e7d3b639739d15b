package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/stacks"
	"github.com/eventscale/eventscale/tests/engine/charts"
	"github.com/eventscale/eventscale/tests/integration"
	"github.com/eventscale/eventscale/tests/verify"
)

// requireTools returns the real tools, skipping the test when none is named (a developer's
// `go test` without `make test-engine`), failing it when CI=true.
func requireTools(t *testing.T) Tools {
	t.Helper()
	tools, ok, err := ToolsFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s, %s and %s are not set (CI=true, so this fails instead of skipping): run make test-engine", EnvPulumi, EnvKubernetes, EnvEKS)
		}
		t.Skipf("%s, %s and %s are not set: run make test-engine", EnvPulumi, EnvKubernetes, EnvEKS)
	}
	return tools
}

// chartConfig points both chart keys at the mirror: the only change the tier makes to a stack's
// configuration. It returns the keys as the Automation API sets them (paths into the sections)
// and applies the same change to raw, the stack file's config as the offline runner reads it.
func chartConfig(t *testing.T, m *charts.Mirror, raw map[string]string) map[string]string {
	t.Helper()
	set := map[string]string{
		"karpenter.chartRepository": m.KarpenterRepository,
		"keda.chartRepository":      m.KedaRepository,
	}
	for path, v := range set {
		section, field, _ := strings.Cut(path, ".")
		key := stacks.Namespace + ":" + section
		obj := map[string]any{}
		if s := raw[key]; s != "" {
			if err := json.Unmarshal([]byte(s), &obj); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
		}
		obj[field] = v
		b, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		raw[key] = string(b)
	}
	return set
}

// previewed is what a preview showed: the step of each resource, by URN.
type previewed struct {
	mu    sync.Mutex
	steps map[string]string
	types map[string]string
}

// collect reads the engine's events until the channel closes.
func (p *previewed) collect(ch <-chan events.EngineEvent, done chan<- struct{}) {
	defer close(done)
	for e := range ch {
		if e.ResourcePreEvent == nil {
			continue
		}
		md := e.ResourcePreEvent.Metadata
		p.mu.Lock()
		p.steps[md.URN] = string(md.Op)
		p.types[md.URN] = md.Type
		p.mu.Unlock()
	}
}

// chartChildren returns the previewed objects of the chart resource chartURN, as
// "<apiVersion> <Kind> <namespace>/<name>" (or "<apiVersion> <Kind> <name>"), from their URNs:
// the chart's children are named "<chart name>:<namespace>/<name>".
func (p *previewed) chartChildren(chartURN string) []string {
	chart := resource.URN(chartURN)
	var out []string
	for urn, typ := range p.types {
		u := resource.URN(urn)
		if !strings.HasPrefix(string(u.QualifiedType()), string(chart.QualifiedType())+"$") {
			continue
		}
		name, ok := strings.CutPrefix(u.Name(), chart.Name()+":")
		if !ok {
			continue
		}
		out = append(out, objectID(typ, name))
	}
	slices.Sort(out)
	return out
}

// objectID is "<apiVersion> <Kind> <name>" of a kubernetes:<group>/<version>:<Kind> token.
func objectID(token, name string) string {
	parts := strings.Split(token, ":")
	if len(parts) != 3 {
		return token + " " + name
	}
	apiVersion := strings.TrimPrefix(parts[1], "core/")
	return apiVersion + " " + parts[2] + " " + name
}

// rendered returns the objects Helm renders from the chart's sources with the program's release,
// namespace and values (CRDs included), in objectID form.
func rendered(t *testing.T, ch integration.Chart, kubeVersion string) []string {
	t.Helper()
	lc, err := integration.FindLocalChart(ch.ChartName())
	if err != nil {
		t.Fatal(err)
	}
	objs, err := verify.Render(lc.Dir, verify.RenderOptions{
		ReleaseName: ch.Release, Namespace: ch.Namespace, KubeVersion: kubeVersion, Values: ch.Values,
		ChartVersion: lc.Version, AppVersion: lc.Version,
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range lc.CRDs {
		crd, err := verify.ParseCRD(f.Data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, "apiextensions.k8s.io/v1 CustomResourceDefinition "+crd.Name)
	}
	for _, o := range objs {
		md, _ := o["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		if ns, _ := md["namespace"].(string); ns != "" {
			name = ns + "/" + name
		} else if namespaced(o) {
			name = ch.Namespace + "/" + name
		}
		out = append(out, fmt.Sprintf("%s %s %s", o["apiVersion"], o["kind"], name))
	}
	slices.Sort(out)
	return out
}

// namespaced tells the kinds the charts render that live in a namespace.
func namespaced(o map[string]any) bool {
	switch o["kind"] {
	case "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "APIService",
		"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "PriorityClass", "Namespace":
		return false
	}
	return true
}

// TestFirstPreview is what `pulumi preview` in CI shows a user before the first deploy: on an
// empty stack, the real engine runs the program's entry point with the stack's own Pulumi.yaml and
// Pulumi.<stack>.yaml (the chart keys pointed at the mirror), and the preview lists, as creates,
// every resource the program registers (the same set the offline plan records) and every object
// of both charts (the set Helm renders from the same chart sources and values).
func TestFirstPreview(t *testing.T) {
	tools := requireTools(t)
	mirror := charts.Serve(t)
	w, err := NewWorld(t.TempDir(), WorldOptions{Tools: tools, ExtraEnv: map[string]string{"SSL_CERT_FILE": mirror.CAFile}})
	if err != nil {
		t.Fatal(err)
	}
	kubeVersion, err := integration.KubernetesVersion()
	if err != nil {
		t.Fatal(err)
	}
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			raw, err := stacks.ReadStackFile(filepath.Join(verify.RepoRoot(), "Pulumi."+stack+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			set := chartConfig(t, mirror, raw)
			rec, err := offline.Run(stack, raw, offline.Options{})
			if err != nil {
				t.Fatalf("offline run: %v", err)
			}

			s, err := w.Stack(ctx, stack)
			if err != nil {
				t.Fatal(err)
			}
			for path, v := range set {
				if err := s.SetConfigWithOptions(ctx, path, auto.ConfigValue{Value: v}, &auto.ConfigOptions{Path: true}); err != nil {
					t.Fatalf("setting %s: %v", path, err)
				}
			}
			p := &previewed{steps: map[string]string{}, types: map[string]string{}}
			ch := make(chan events.EngineEvent)
			done := make(chan struct{})
			go p.collect(ch, done)
			var out bytes.Buffer
			start := time.Now()
			res, err := s.Preview(ctx, optpreview.EventStreams(ch), optpreview.ProgressStreams(&out), optpreview.ErrorProgressStreams(&out))
			<-done
			t.Logf("preview of %s took %s", stack, time.Since(start).Round(time.Second))
			if err != nil {
				t.Fatalf("preview: %v\n%s", err, tail(out.String(), 80))
			}
			t.Logf("change summary: %v", res.ChangeSummary)

			var missing, notCreate []string
			for _, r := range rec.Resources {
				if r.StandIn || r.URN == "" {
					continue
				}
				op, ok := p.steps[r.URN]
				switch {
				case !ok:
					missing = append(missing, r.URN)
				case op != "create":
					notCreate = append(notCreate, r.URN+" ("+op+")")
				}
			}
			if len(missing) > 0 {
				t.Errorf("%d resources the program registers are not in the preview:\n  %s\npreviewed:\n  %s", len(missing), strings.Join(missing, "\n  "), strings.Join(slices.Sorted(maps.Keys(p.steps)), "\n  "))
			}
			if len(notCreate) > 0 {
				t.Errorf("on an empty stack every step is a create:\n  %s", strings.Join(notCreate, "\n  "))
			}

			k8s, err := integration.Collect(rec)
			if err != nil {
				t.Fatal(err)
			}
			if len(k8s.Charts) != 2 {
				t.Fatalf("want the Karpenter and KEDA charts, the program registers %d", len(k8s.Charts))
			}
			for _, c := range k8s.Charts {
				got, want := p.chartChildren(c.URN), rendered(t, c, kubeVersion)
				if !slices.Equal(got, want) {
					t.Errorf("chart %s: the preview lists\n  %s\nHelm renders\n  %s", c.Name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
				} else {
					t.Logf("chart %s: %d objects previewed, as Helm renders them", c.Name, len(got))
				}
			}
		})
	}
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
