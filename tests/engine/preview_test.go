package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/stacks"
	"github.com/eventscale/eventscale/tests/engine/charts"
	"github.com/eventscale/eventscale/tests/integration"
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
		integration.RequirePrerequisite(t, fmt.Errorf("%s, %s and %s are not set: run make test-engine", EnvPulumi, EnvKubernetes, EnvEKS))
	}
	return tools
}

// stackConfig reads Pulumi.<stack>.yaml of the tree at src (the repository's root, or an
// earlier release's, Release.Src) as the offline runner does and points both chart keys at the
// mirror: the only change the tier makes to a stack's configuration. It returns the config with
// that change (raw) and the keys as the Automation API sets them (paths into the sections).
func stackConfig(t *testing.T, m *charts.Mirror, src, stack string) (raw, set map[string]string) {
	t.Helper()
	raw, err := stacks.ReadStackFile(filepath.Join(src, "Pulumi."+stack+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	set = map[string]string{
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
	return raw, set
}

// previewed is what a preview showed: the step of each resource, by URN.
type previewed struct {
	mu    sync.Mutex
	steps map[string]string
	types map[string]string
	// diffs are the top-level input keys an update or replacement changes, and detailed the
	// provider's detailed diff paths (as the engine reports them).
	diffs, detailed map[string][]string
	took            time.Duration
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
		if len(md.Diffs) > 0 {
			p.diffs[md.URN] = md.Diffs
		}
		if len(md.DetailedDiff) > 0 {
			p.detailed[md.URN] = slices.Sorted(maps.Keys(md.DetailedDiff))
		}
		p.mu.Unlock()
	}
}

// firstPreview is what `pulumi preview` in CI shows a user before the first deploy: on the empty
// stack s, the real engine runs the program's entry point with the stack's own Pulumi.yaml and
// Pulumi.<stack>.yaml (the chart keys pointed at the mirror), and the preview lists, as creates,
// every resource the program registers: the same set, by URN, that the offline plan records
// (rec, of the same configuration raw).
//
// The charts' own objects are not in a first preview, and cannot be: the engine calls a remote
// component's Construct only once its provider's configuration is known (pkg/v3 v3.274.1,
// resource/plugin/provider_plugin.go, Construct: "If the provider is not fully configured. Pretend
// we are the provider and call RegisterResource to get the URN."), and the Kubernetes provider's
// kubeconfig holds the EKS cluster's endpoint and certificate authority, known only once the
// cluster exists. So `pulumi preview` on an empty stack, against AWS as here, shows each chart as
// one component; a preview once the cluster exists shows every object it renders.
func firstPreview(t *testing.T, ctx context.Context, s auto.Stack, rec *offline.Recording, raw map[string]string, oidc *OIDCHost) {
	t.Helper()
	p, res, out, err := preview(ctx, s)
	if err != nil {
		t.Fatalf("first preview: %v\n%s", err, tail(out, 80))
	}
	t.Logf("first preview: %s, %v", p.took.Round(time.Second), res.ChangeSummary)

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
		t.Errorf("%d resources the program registers are not in the first preview:\n  %s\npreviewed:\n  %s", len(missing), strings.Join(missing, "\n  "), strings.Join(slices.Sorted(maps.Keys(p.steps)), "\n  "))
	}
	if len(notCreate) > 0 {
		t.Errorf("on an empty stack every step is a create:\n  %s", strings.Join(notCreate, "\n  "))
	}

	// pulumi-eks read the OIDC provider's thumbprint from the stack region's OIDC host, in
	// the preview already (through HTTPS_PROXY, answered by the stand-in).
	if host := "oidc.eks." + raw[stacks.RegionKey] + ".amazonaws.com:443"; !slices.Contains(oidc.Served(), host) {
		t.Errorf("pulumi-eks did not reach %s through the proxy (served %v)", host, oidc.Served())
	}
	// The real pulumi-eks provider constructed the cluster: its own resources are in the
	// preview, under the eks:index:Cluster component the offline plan only stands in for.
	for _, typ := range []string{"aws:eks/cluster:Cluster", "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:ec2/securityGroup:SecurityGroup", "pulumi:providers:kubernetes"} {
		n := 0
		for urn, ty := range p.types {
			if ty == typ && strings.Contains(string(resource.URN(urn).QualifiedType()), "eks:index:Cluster$") {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no %s under the eks:index:Cluster component in the first preview", typ)
		}
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
