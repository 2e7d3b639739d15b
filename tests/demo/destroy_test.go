package demo

// A destroy on the demo's cluster while Karpenter's nodes exist: the program's Kubernetes
// objects deleted in the order `pulumi destroy` deletes them, each controller's process stopped
// where that destroy deletes its Deployment, and then nothing may be left: no NodeClaim, no
// Node, no object waiting on a finalizer. See docs/demo.md ("Destroy").

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/tests/integration"
)

// destroyBound is how long prod's destroy may take, from its first delete until every object
// it deleted is gone, every NodeClaim and Node with them, and nothing waits on a finalizer:
// measured 12.6–12.8 s with 3 nodes on the idle machine (the NodePool gone after 5.5 s), so a
// loaded CI machine has more than four times that (docs/demo.md).
const destroyBound = 60 * time.Second

// wrongOrderWait is how long the wrong order is watched: more than twice what the right order
// took in all, five times what the NodePool took (docs/demo.md). Nothing in the cluster but
// Karpenter removes karpenter.sh/termination, so a longer wait would only cost time.
const wrongOrderWait = 30 * time.Second

// nodeClaims are Karpenter's NodeClaims.
var nodeClaims = schema.GroupVersionResource{Group: "karpenter.sh", Version: "v1", Resource: "nodeclaims"}

// destroyAntichains returns the indexes of resources in the order Pulumi's destroy deletes
// them: a list of antichains, each deleted in parallel and completely before the next begins
// (github.com/pulumi/pulumi/pkg/v3@v3.274.1, resource/deploy/step_generator.go,
// ScheduleDeletes: repeatedly take every resource none of whose dependencies is still
// condemned, then reverse the list). A resource's dependencies are as that engine's
// DependencyGraph.DependenciesOf has them (resource/graph/dependency_graph.go): its dependsOn
// (which the recording holds with its input dependencies), and for a dependency on a
// component every descendant of it registered earlier; its provider; and its parent. So
// everything that depends on a resource is gone before it is deleted, and resources with no
// path between them may go together. Within an antichain the order is the registration order.
func destroyAntichains(resources []offline.Resource) ([][]int, error) {
	index := map[string]int{}
	for i, r := range resources {
		index[r.URN] = i
	}
	descendants := map[string][]int{}
	for i, r := range resources {
		for p := r.Parent; p != ""; {
			descendants[p] = append(descendants[p], i)
			j, ok := index[p]
			if !ok {
				break
			}
			p = resources[j].Parent
		}
	}
	deps := make([]map[int]bool, len(resources))
	for i, r := range resources {
		deps[i] = map[int]bool{}
		add := func(urn string) {
			if j, ok := index[urn]; ok && j != i {
				deps[i][j] = true
			}
		}
		for _, d := range r.Depends {
			add(d)
			if j, ok := index[d]; ok && !resources[j].Custom {
				for _, c := range descendants[d] {
					if c < i {
						deps[i][c] = true
					}
				}
			}
		}
		if k := strings.LastIndex(r.Provider, "::"); k > 0 {
			add(r.Provider[:k]) // a provider reference is <URN>::<id>
		}
		add(r.Parent)
	}
	condemned := map[int]bool{}
	for i := range resources {
		condemned[i] = true
	}
	var antichains [][]int
	for len(condemned) > 0 {
		var next []int
		for i := range condemned {
			free := true
			for j := range deps[i] {
				if condemned[j] {
					free = false
					break
				}
			}
			if free {
				next = append(next, i)
			}
		}
		if len(next) == 0 {
			return nil, fmt.Errorf("a dependency cycle among %d resources", len(condemned))
		}
		sort.Ints(next)
		for _, i := range next {
			delete(condemned, i)
		}
		antichains = append(antichains, next)
	}
	slices.Reverse(antichains)
	return antichains, nil
}

// destroyStep is what deleting one recorded resource does on the demo's cluster.
type destroyStep struct {
	// what names the recorded resource (type and name).
	what string
	// objects are deleted (foreground, as the Kubernetes provider deletes) and awaited.
	objects []map[string]any
	// stop are the processes stopped (a chart's controllers: deleting the chart's objects
	// deletes their Deployments).
	stop []string
	// chart is the chart's name, for a chart.
	chart string
}

// destroyStep maps a recorded resource to the demo world: an object applyStack applied is
// deleted; the EC2NodeClass's stand-in, the KWOKNodeClass, is deleted in its place; a chart
// stands for its objects, of which the demo runs the controllers as processes and holds only
// KEDA's APIService and its Service: those are deleted and the processes stopped. Everything
// else (AWS resources, components, providers) has nothing here (ok is false).
func (w *world) destroyStep(r offline.Resource) (step destroyStep, ok bool) {
	step.what = r.Type + " " + r.Name
	switch {
	case r.IsChart():
		for _, c := range w.stack.Charts {
			if c.URN != r.URN {
				continue
			}
			step.chart = c.ChartName()
			switch step.chart {
			case "keda":
				step.objects = []map[string]any{
					{"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": map[string]any{"name": "v1beta1.external.metrics.k8s.io"}},
					{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "keda-operator-metrics-apiserver", "namespace": c.Namespace}},
				}
				step.stop = []string{"keda-adapter", "keda-operator"}
			case "karpenter":
				step.stop = []string{"karpenter"}
			default:
				w.t.Fatalf("the stack installs chart %s, which the demo does not run", c.Chart)
			}
			return step, true
		}
		w.t.Fatalf("chart %s is not in the stack's charts", r.URN)
	case r.Type == "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass":
		step.objects = []map[string]any{{"apiVersion": "karpenter.kwok.sh/v1alpha1", "kind": "KWOKNodeClass", "metadata": map[string]any{"name": kwokNodeClass}}}
		step.what += " (its stand-in, the KWOKNodeClass)"
		return step, true
	case w.applied[r.URN] != nil:
		step.objects = []map[string]any{w.applied[r.URN]}
		return step, true
	}
	return step, false
}

// destroyRun is what one destroy did.
type destroyRun struct {
	// start is when the destroy began.
	start time.Time
	// took is from the first delete until every object deleted was gone (or the bound).
	took time.Duration
	// left are the objects still there when the bound ran out (none when it completed).
	left []string
	// log is one line per antichain that did something.
	log []string
}

// destroy deletes the program's objects from the cluster as `pulumi destroy` would
// (destroyAntichains over the recording), stopping each chart's controllers where the chart's
// objects go. Charts named in early are instead stopped before anything is deleted: the wrong
// order a missing dependency would allow. It stops at the first antichain not gone within
// bound of the start, and reports what was left.
func (w *world) destroy(rec *offline.Recording, bound time.Duration, early ...string) destroyRun {
	t := w.t
	t.Helper()
	ctx := t.Context()
	order, err := destroyAntichains(rec.Resources)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	run := destroyRun{start: start}
	deadline := start.Add(bound)
	for _, r := range rec.Resources {
		if step, ok := w.destroyStep(r); ok && slices.Contains(early, step.chart) {
			w.stopProcesses(step.stop)
			run.log = append(run.log, fmt.Sprintf("before anything else (the wrong order): %s, stopped %v", step.what, step.stop))
		}
	}
	for k, chain := range order {
		var deleted []string
		var wait []map[string]any
		var stopped []string
		for _, i := range chain {
			step, ok := w.destroyStep(rec.Resources[i])
			if !ok || slices.Contains(early, step.chart) {
				continue
			}
			deleted = append(deleted, step.what)
			for _, obj := range step.objects {
				if err := w.client.Delete(ctx, obj, metav1.DeletePropagationForeground); err != nil && !apierrors.IsNotFound(err) {
					t.Fatalf("destroy: deleting %s: %v", integration.Identity(obj), err)
				}
				wait = append(wait, obj)
			}
			stopped = append(stopped, step.stop...)
		}
		if len(deleted) == 0 {
			continue
		}
		w.stopProcesses(stopped)
		for {
			wait = slices.DeleteFunc(wait, func(obj map[string]any) bool {
				_, err := w.client.Get(ctx, obj)
				return apierrors.IsNotFound(err)
			})
			if len(wait) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		line := fmt.Sprintf("antichain %d: %s", k, strings.Join(deleted, ", "))
		if len(stopped) > 0 {
			line += fmt.Sprintf("; stopped %v", stopped)
		}
		run.log = append(run.log, fmt.Sprintf("%s; ended at %s", line, time.Since(start).Round(100*time.Millisecond)))
		if len(wait) > 0 {
			for _, obj := range wait {
				run.left = append(run.left, integration.Identity(obj))
			}
			run.log = append(run.log, fmt.Sprintf("not gone after %s: %v", bound, run.left))
			break
		}
	}
	run.took = time.Since(start)
	return run
}

// stopProcesses stops the named processes of the cluster together, as deleting their
// Deployments would (SIGTERM, SIGKILL after 10 s).
func (w *world) stopProcesses(names []string) {
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() { errs[i] = w.cluster.StopProcess(n, 10*time.Second) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		w.t.Fatalf("stopping %v: %v", names, err)
	}
}

// leftovers are what a complete destroy must not leave: NodeClaims, Nodes, and (when sweep is
// set) every object of every listable resource type that is being deleted and held by a
// finalizer.
type leftovers struct {
	claims, nodes []string
	waiting       []string
}

func (l leftovers) empty() bool { return len(l.claims)+len(l.nodes)+len(l.waiting) == 0 }

func (l leftovers) String() string {
	return fmt.Sprintf("NodeClaims %v, Nodes %v, waiting on a finalizer %v", l.claims, l.nodes, l.waiting)
}

// look lists the NodeClaims and Nodes, and, with sweep, every object with a deletionTimestamp
// and finalizers (each served resource type that can be listed, through discovery).
func (w *world) look(ctx context.Context, sweep bool) (leftovers, error) {
	var l leftovers
	claims, err := w.dyn.Resource(nodeClaims).List(ctx, metav1.ListOptions{})
	if err != nil {
		return l, err
	}
	for _, c := range claims.Items {
		l.claims = append(l.claims, fmt.Sprintf("%s (deleting %v, finalizers %v)", c.GetName(), c.GetDeletionTimestamp() != nil, c.GetFinalizers()))
	}
	nodes, err := w.kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return l, err
	}
	for _, n := range nodes.Items {
		l.nodes = append(l.nodes, fmt.Sprintf("%s (deleting %v, finalizers %v)", n.Name, n.DeletionTimestamp != nil, n.Finalizers))
	}
	if !sweep {
		return l, nil
	}
	lists, err := w.kube.Discovery().ServerPreferredResources()
	if err != nil && len(lists) == 0 {
		return l, err
	}
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			return l, err
		}
		for _, res := range list.APIResources {
			if strings.Contains(res.Name, "/") || !slices.Contains(res.Verbs, "list") {
				continue
			}
			items, err := w.dyn.Resource(gv.WithResource(res.Name)).List(ctx, metav1.ListOptions{})
			if err != nil {
				continue // e.g. an aggregated API whose server is gone with its APIService
			}
			for _, it := range items.Items {
				if it.GetDeletionTimestamp() != nil && len(it.GetFinalizers()) > 0 {
					name := it.GetName()
					if ns := it.GetNamespace(); ns != "" {
						name = ns + "/" + name
					}
					l.waiting = append(l.waiting, fmt.Sprintf("%s %s %v", res.Kind, name, it.GetFinalizers()))
				}
			}
		}
	}
	return l, nil
}

// destroyWithNodes runs destroy(rec, bound, early...) once Karpenter's nodes are there to be
// destroyed with (a NodeClaim and a Node at least; it fails t otherwise), and logs the run's
// lines after label. It returns the NodeClaims and Nodes there before, and the run.
func (w *world) destroyWithNodes(label string, rec *offline.Recording, bound time.Duration, early ...string) (leftovers, destroyRun) {
	t := w.t
	t.Helper()
	before, err := w.look(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(before.nodes) == 0 || len(before.claims) == 0 {
		t.Fatalf("%s: no nodes to destroy with: %s", label, before)
	}
	run := w.destroy(rec, bound, early...)
	for _, l := range run.log {
		t.Logf("%s: %s", label, l)
	}
	return before, run
}

// destroyAndCheck runs the destroy in the program's order while Karpenter's nodes exist and
// fails unless, within destroyBound of its start, every object it deleted is gone, with every
// NodeClaim and Node, and nothing waits on a finalizer. It returns the time that took and how
// many nodes there were.
func (w *world) destroyAndCheck(rec *offline.Recording) (took time.Duration, nodes int) {
	t := w.t
	t.Helper()
	ctx := t.Context()
	before, run := w.destroyWithNodes("destroy", rec, destroyBound)
	if len(run.left) > 0 {
		l, _ := w.look(ctx, true)
		t.Fatalf("destroy: not done within %s; %s", destroyBound, l)
	}
	var last leftovers
	var err error
	for {
		if last, err = w.look(ctx, true); err != nil {
			t.Fatal(err)
		}
		if last.empty() || time.Since(run.start) > destroyBound {
			break
		}
		time.Sleep(time.Second)
	}
	took = time.Since(run.start)
	if !last.empty() {
		t.Fatalf("destroy: after %s, left %s", took.Round(time.Millisecond), last)
	}
	t.Logf("destroy with %d nodes and %d NodeClaims: every object gone, no NodeClaim, no Node, nothing waiting on a finalizer after %s (bound %s)",
		len(before.nodes), len(before.claims), took.Round(time.Millisecond), destroyBound)
	return took, len(before.nodes)
}

// destroyKarpenterFirst is the wrong order, shown to fail: Karpenter's controller stopped
// before anything is deleted, as a NodePool that did not depend on Karpenter's Deployment
// would allow. After wrongOrderWait the NodePool is not gone: its NodeClaims, being deleted,
// keep karpenter.sh/termination, which nothing else removes, and their Nodes stay.
func (w *world) destroyKarpenterFirst(rec *offline.Recording) {
	t := w.t
	t.Helper()
	before, run := w.destroyWithNodes("wrong order", rec, wrongOrderWait, "karpenter")
	after, err := w.look(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(run.left, func(s string) bool { return strings.Contains(s, " NodePool ") }) {
		t.Errorf("with Karpenter stopped first, the NodePool went within %s (left: %v); want it held by its NodeClaims", wrongOrderWait, run.left)
	}
	if len(after.claims) == 0 || len(after.nodes) == 0 {
		t.Errorf("with Karpenter stopped first: before %s; after %s; want NodeClaims and Nodes left", before, after)
	}
	for _, c := range after.claims {
		if !strings.Contains(c, "deleting true") || !strings.Contains(c, "karpenter.sh/termination") {
			t.Errorf("NodeClaim %s: want it being deleted and held by karpenter.sh/termination", c)
		}
	}
	t.Logf("wrong order, Karpenter stopped first: after %s, %s", run.took.Round(time.Millisecond), after)
}

// TestDestroyAntichains checks the schedule against Pulumi's on a small graph (a chain, a
// resource nothing touches, a provider, a component and its children) and, on the dev and
// prod programs, the order the demo's destroy relies on: KEDA's custom resources before KEDA's
// chart, the NodePool before the EC2NodeClass before Karpenter's chart, the workload's objects
// before their Namespace.
func TestDestroyAntichains(t *testing.T) {
	small := []offline.Resource{
		{URN: "p", Custom: true},
		{URN: "comp"},
		{URN: "c", Custom: true, Parent: "comp", Provider: "p::id"},
		{URN: "b", Custom: true, Depends: []string{"comp"}},
		{URN: "a", Custom: true, Depends: []string{"b"}},
		{URN: "alone", Custom: true},
	}
	got, err := destroyAntichains(small)
	if err != nil {
		t.Fatal(err)
	}
	names := func(chains [][]int, rs []offline.Resource) [][]string {
		var out [][]string
		for _, ch := range chains {
			var n []string
			for _, i := range ch {
				n = append(n, rs[i].URN)
			}
			out = append(out, n)
		}
		return out
	}
	// Pulumi peels the resources whose dependencies are gone first and reverses: "alone", the
	// provider and the component, which depend on nothing, are in the last antichain; b waits
	// for comp's child c (a dependency on a component is one on its children registered
	// earlier); c for its parent comp and its provider p.
	want := [][]string{{"a"}, {"b"}, {"c"}, {"p", "comp", "alone"}}
	if fmt.Sprint(names(got, small)) != fmt.Sprint(want) {
		t.Errorf("antichains %v, want %v", names(got, small), want)
	}
	if _, err := destroyAntichains([]offline.Resource{{URN: "x", Depends: []string{"y"}}, {URN: "y", Depends: []string{"x"}}}); err == nil {
		t.Error("a cycle must be an error")
	}

	for _, stack := range []string{"dev", "prod"} {
		rec, _ := stackRun(t, stack, nil)
		order, err := destroyAntichains(rec.Resources)
		if err != nil {
			t.Fatal(err)
		}
		at := map[string]int{}
		for k, ch := range order {
			for _, i := range ch {
				r := rec.Resources[i]
				if !strings.HasPrefix(r.Type, "kubernetes:") {
					continue
				}
				key := strings.TrimPrefix(r.Type, "kubernetes:")
				if r.IsChart() {
					key = "chart " + r.Name
				}
				if r.Type == "kubernetes:core/v1:Namespace" {
					key += " " + r.Name
				}
				if _, dup := at[key]; dup && !r.IsChart() && r.Type != "kubernetes:core/v1:Namespace" {
					t.Fatalf("%s: two %s", stack, key)
				}
				at[key] = k
			}
		}
		for _, before := range [][2]string{
			{"keda.sh/v1alpha1:ScaledObject", "chart keda-chart"},
			{"keda.sh/v1alpha1:TriggerAuthentication", "chart keda-chart"},
			{"karpenter.sh/v1:NodePool", "karpenter.k8s.aws/v1:EC2NodeClass"},
			{"karpenter.k8s.aws/v1:EC2NodeClass", "chart karpenter"},
			{"keda.sh/v1alpha1:ScaledObject", "apps/v1:Deployment"},
			{"apps/v1:Deployment", "core/v1:Namespace workload-worker-namespace"},
			{"core/v1:ServiceAccount", "core/v1:Namespace workload-worker-namespace"},
			{"chart keda-chart", "core/v1:Namespace keda-namespace"},
		} {
			a, okA := at[before[0]]
			b, okB := at[before[1]]
			if !okA || !okB || a >= b {
				t.Errorf("%s: %s in antichain %d (%v), %s in %d (%v): want the first deleted before the second", stack, before[0], a, okA, before[1], b, okB)
			}
		}
		if t.Failed() || testing.Verbose() {
			for k, ch := range order {
				var n []string
				for _, i := range ch {
					if r := rec.Resources[i]; strings.HasPrefix(r.Type, "kubernetes:") && !strings.HasPrefix(r.Type, "kubernetes:index") {
						n = append(n, r.Type+" "+r.Name)
					}
				}
				if len(n) > 0 {
					t.Logf("%s antichain %d: %s", stack, k, strings.Join(n, ", "))
				}
			}
		}
	}
}
