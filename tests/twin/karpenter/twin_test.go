package karpenter

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/karpenter/pkg/operator/logging"

	"github.com/eventscale/eventscale/tests/twin/spec"
)

type env struct {
	root    string
	objs    *spec.Objects
	ctx     context.Context
	cluster *Cluster
	batch   [2]time.Duration
}

func setup(t *testing.T, stack string) *env {
	t.Helper()
	log.SetLogger(logging.NopLogger)
	root := spec.MustRepoRoot(t)
	m := spec.StartMoto(t)
	s, err := NewStack(context.Background(), root, stack, m.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &env{root: root, objs: s.Objects, ctx: s.Context, cluster: s.Cluster, batch: [2]time.Duration{s.Core.BatchIdleDuration, s.Core.BatchMaxDuration}}
}

func (e *env) schedule(t *testing.T, replicas int) Result {
	t.Helper()
	r, err := e.cluster.Schedule(e.ctx, replicas)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func workloadRequests(t *testing.T, c *Cluster) corev1.ResourceList {
	t.Helper()
	out := corev1.ResourceList{}
	for _, ctr := range c.Deployment.Spec.Template.Spec.Containers {
		for k, v := range ctr.Resources.Requests {
			q := out[k]
			q.Add(v)
			out[k] = q
		}
	}
	return out
}

// TestDevClaims checks the tutorial's node claims for the dev stack's own NodePool, EC2NodeClass
// and Deployment: each worker pod gets its own 2-vCPU node, and the NodePool's CPU limit of 4
// stops a third node, leaving the third pod Pending.
func TestDevClaims(t *testing.T) {
	e := setup(t, "dev")
	allowed := e.cluster.Allowed()
	var names []string
	for _, it := range allowed {
		names = append(names, it.Name)
		if cpu := it.Capacity[corev1.ResourceCPU]; cpu.Cmp(resource.MustParse("2")) != 0 {
			t.Errorf("%s has %s vCPU; the claims assume 2-vCPU nodes", it.Name, cpu.String())
		}
		// One worker fits, two do not: what "each pod gets its own node" rests on.
		alloc, req := e.cluster.Allocatable(it), workloadRequests(t, e.cluster)
		one, two := req.Cpu().DeepCopy(), req.Cpu().DeepCopy()
		two.Add(*req.Cpu())
		if alloc.Cpu().Cmp(one) < 0 || alloc.Cpu().Cmp(two) >= 0 {
			t.Errorf("%s: allocatable %s CPU after DaemonSets; worker requests %s: want room for exactly one", it.Name, alloc.Cpu(), req.Cpu())
		}
		t.Logf("%s: capacity %s CPU / %s, allocatable for pods after DaemonSets %s CPU / %s, max pods %s",
			it.Name, it.Capacity.Cpu(), it.Capacity.Memory(), alloc.Cpu(), alloc.Memory(), it.Capacity.Pods())
	}
	if strings.Join(names, ",") != "m5.large,m6i.large" {
		t.Fatalf("dev NodePool admits %v; the claims assume m5.large and m6i.large", names)
	}
	if cpu := e.cluster.NodePool.Spec.Limits[corev1.ResourceCPU]; cpu.Cmp(resource.MustParse("4")) != 0 {
		t.Fatalf("dev NodePool cpu limit %s; the claims assume 4", cpu.String())
	}

	for _, c := range []struct {
		pods, nodes, pending int
	}{
		{0, 0, 0}, // empty queue → 0 pods → 0 nodes
		{1, 1, 0},
		{2, 2, 0}, // queueLength 1 and 2 messages → 2 pods → 2 nodes
		{3, 2, 1}, // 3 replicas under the CPU limit → 2 nodes and 1 pod Pending
		{4, 2, 2},
	} {
		t.Run(fmt.Sprintf("%d pods", c.pods), func(t *testing.T) {
			r := e.schedule(t, c.pods)
			if len(r.Nodes) != c.nodes || r.Pending != c.pending {
				t.Fatalf("%d pods → %d nodes, %d Pending (%v); want %d nodes, %d Pending", c.pods, len(r.Nodes), r.Pending, r.Reasons, c.nodes, c.pending)
			}
			for _, n := range r.Nodes {
				if n.Pods != 1 || n.CapacityType != "on-demand" {
					t.Errorf("node %+v: want 1 pod on on-demand capacity", n)
				}
				if n.Zone != "" {
					t.Errorf("node %+v: pinned to %s; dev sets no zone spread, so EC2 Fleet picks the zone", n, n.Zone)
				}
				for _, typ := range strings.Split(n.InstanceType, "/") {
					if typ != "m5.large" && typ != "m6i.large" {
						t.Errorf("node type %s not allowed by the NodePool", typ)
					}
				}
			}
			if c.pending > 0 && !strings.Contains(strings.Join(r.Reasons, ";"), "limit") {
				t.Errorf("Pending pods are not blamed on the NodePool limits: %v", r.Reasons)
			}
			t.Logf("%d pods → %s, Pending %d %v", c.pods, nodesCell(r), r.Pending, r.Reasons)
		})
	}
	// With the limit lifted, the same third pod gets a third node: the limit, not the
	// instance types, leaves it Pending.
	e.cluster.NodePool.Spec.Limits = nil
	if r := e.schedule(t, 3); len(r.Nodes) != 3 || r.Pending != 0 {
		t.Fatalf("without limits 3 pods → %d nodes, %d Pending; want 3, 0", len(r.Nodes), r.Pending)
	}
}

// TestProdScales checks the prod NodePool against the prod workload: every allowed type is
// from c/m/r generation > 5, the largest replica count schedules without Pending pods, and
// spot capacity is used when the NodePool allows it.
func TestProdScales(t *testing.T) {
	e := setup(t, "prod")
	allowed := e.cluster.Allowed()
	if len(allowed) < 10 {
		t.Fatalf("prod NodePool admits only %d instance types", len(allowed))
	}
	for _, it := range allowed {
		cat := it.Requirements.Get("karpenter.k8s.aws/instance-category").Any()
		if !strings.Contains("cmr", cat) || cat == "" {
			t.Errorf("%s: category %q", it.Name, cat)
		}
	}
	before := e.schedule(t, 2)
	r := e.schedule(t, 50)
	// Passes must not leak into each other (the launch filters change the offerings of the
	// instance types they get; Karpenter lists them afresh for every pass and launch).
	if after := e.schedule(t, 2); nodesCell(after) != nodesCell(before) {
		t.Errorf("2 pods → %s before a 50-pod pass, %s after", nodesCell(before), nodesCell(after))
	}
	if r.Pending != 0 || len(r.Nodes) == 0 {
		t.Fatalf("50 pods → %d nodes, %d Pending %v", len(r.Nodes), r.Pending, r.Reasons)
	}
	for _, n := range r.Nodes {
		if n.CapacityType != "spot" {
			t.Errorf("node %+v: the prod NodePool allows spot, which Karpenter prefers", n)
		}
	}
	t.Logf("50 pods → %s, $%.3f/h", nodesCell(r), r.HourlyPrice())
}

// TestProdSpreadsWorkers: from 100 messages up, prod's workers run on at least 3 nodes in at
// least 2 zones, so one spot interruption or one zone event never stops every worker, and no
// node is larger than the NodePool's instance-cpu bound. The replica counts are KEDA's from zero
// (ceil(messages / queueLength), capped at maxReplicaCount) for the table's message counts.
func TestProdSpreadsWorkers(t *testing.T) {
	e := setup(t, "prod")
	// The instance types offer capacity in every zone of the EC2NodeClass, so a spread can be met.
	zones := map[string]bool{}
	for _, it := range e.cluster.Allowed() {
		for _, o := range it.Offerings.Available() {
			zones[o.Zone()] = true
		}
	}
	if len(zones) < 3 || len(e.cluster.NodeClass.Status.Subnets) < 3 {
		t.Fatalf("prod's instance types are offered in zones %v over %d subnets; the spread needs 3", spec.SortedKeys(zones), len(e.cluster.NodeClass.Status.Subnets))
	}
	bound := -1
	for _, r := range e.cluster.NodePool.Spec.Template.Spec.Requirements {
		if r.Key == "karpenter.k8s.aws/instance-cpu" && r.Operator == corev1.NodeSelectorOpLt && len(r.Values) == 1 {
			fmt.Sscan(r.Values[0], &bound)
			bound-- // Lt N+1: at most N vCPUs
		}
	}
	if bound < 1 {
		t.Errorf("the prod NodePool has no karpenter.k8s.aws/instance-cpu Lt bound: one node may carry every worker")
	}
	maxReplicas, _ := spec.Get(e.objs.ScaledObject, "spec", "maxReplicaCount").(float64)
	triggers, _ := spec.Get(e.objs.ScaledObject, "spec", "triggers").([]any)
	if len(triggers) != 1 || maxReplicas < 1 {
		t.Fatalf("ScaledObject: maxReplicaCount %v, %d triggers", maxReplicas, len(triggers))
	}
	queueLength, err := strconv.Atoi(spec.Str(triggers[0].(map[string]any), "metadata", "queueLength"))
	if err != nil || queueLength < 1 {
		t.Fatalf("queueLength: %v", err)
	}
	for _, messages := range spec.TableMessages("prod") {
		if messages < 100 {
			continue
		}
		pods := min(int(maxReplicas), (messages+queueLength-1)/queueLength)
		t.Run(fmt.Sprintf("%d messages, %d pods", messages, pods), func(t *testing.T) {
			r := e.schedule(t, pods)
			t.Logf("%d pods → %s; per zone %s; Pending %d", pods, nodesCell(r), zonesCell(r), r.Pending)
			if r.Pending != 0 {
				t.Errorf("%d pods Pending: %v", r.Pending, r.Reasons)
			}
			if len(r.Nodes) < 3 || r.PinnedZones() < 2 {
				t.Errorf("%d workers on %d nodes in %d zones (%s); want at least 3 nodes in at least 2 zones", pods, len(r.Nodes), r.PinnedZones(), zonesCell(r))
			}
			// The spread held (Karpenter did not have to relax it): every node is pinned to a
			// zone, and the zones' worker counts differ by at most maxSkew 1.
			nodes, perZone := zoneGroups(r)
			if nodes[AnyZone] > 0 {
				t.Errorf("%d nodes not pinned to a zone", nodes[AnyZone])
			}
			counts := slices.Collect(maps.Values(perZone))
			if len(counts) > 0 && slices.Max(counts)-slices.Min(counts) > 1 {
				t.Errorf("workers per zone %v: skew above 1, the zone spread was relaxed", perZone)
			}
			for _, n := range r.Nodes {
				if bound >= 1 && n.CPU.Cmp(*resource.NewQuantity(int64(bound), resource.DecimalSI)) > 0 {
					t.Errorf("node %s has %s vCPUs, above the NodePool's bound of %d", n.InstanceType, n.CPU.String(), bound)
				}
			}
		})
	}
}

// TestScalingTable joins the KEDA half's decisions (out/twin/keda-<stack>.json) with the
// scheduler's results into docs/scaling-table.md: it writes the file when TWIN_UPDATE=1 and
// otherwise fails if the committed file (or the README's copy between the scaling-table
// markers) differs from what it computes.
func TestScalingTable(t *testing.T) {
	var tables []StackTable
	var latency []Latency
	var daemonSets []DaemonSet
	var root string
	for _, stack := range spec.Stacks {
		e := setup(t, stack)
		root = e.root
		d, err := spec.ReadDecisions(e.root, stack, spec.Fingerprint(e.objs.ScaledObject))
		if err != nil {
			spec.Require(t, "%v", err)
		}
		if len(d.Rows) != len(spec.TableMessages(stack)) {
			t.Fatalf("%s: %d KEDA rows, want %d", stack, len(d.Rows), len(spec.TableMessages(stack)))
		}
		st := StackTable{Stack: stack, Region: e.objs.Region, Decisions: d}
		req := workloadRequests(t, e.cluster)
		st.Workload = fmt.Sprintf("%s CPU / %s per pod", req.Cpu(), req.Memory())
		st.Scaling = fmt.Sprintf("min %d, max %d, queueLength %d, activationQueueLength %d, scaleOnInFlight %v",
			d.MinReplicas, d.MaxReplicas, d.QueueLength, d.ActivationQueueLength, d.ScaleOnInFlight)
		st.NodePool = nodePoolSummary(e)
		for _, row := range d.Rows {
			r := e.schedule(t, int(row.Replicas))
			if r.Pending+podsOnNodes(r) != int(row.Replicas) {
				t.Fatalf("%s: %d pods, %d placed + %d Pending", stack, row.Replicas, podsOnNodes(r), r.Pending)
			}
			st.Results = append(st.Results, r)
		}
		tables = append(tables, st)
		scaleUp := spec.Get(e.objs.ScaledObject, "spec", "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleUp")
		latency = append(latency, Latency{
			Stack:                        stack,
			PollingInterval:              time.Duration(d.PollingInterval) * time.Second,
			Cooldown:                     time.Duration(d.CooldownPeriod) * time.Second,
			MaxReplicas:                  d.MaxReplicas,
			BatchIdle:                    e.batch[0],
			BatchMax:                     e.batch[1],
			ConsolidateAfter:             spec.Str(e.objs.NodePool, "spec", "disruption", "consolidateAfter"),
			HPASteps:                     DefaultScaleUpSteps(d.MaxReplicas),
			ScaleUpPolicyIsTheHPADefault: scaleUp == nil,
		})
		daemonSets = e.cluster.DaemonSets
	}
	doc := Render(tables, latency, daemonSets)
	path := filepath.Join(root, "docs", "scaling-table.md")
	if os.Getenv("TWIN_UPDATE") == "1" {
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run `make scaling-table`", err)
	}
	if string(got) != doc {
		t.Fatalf("%s is stale: run `make scaling-table` and commit it. It should be:\n%s", path, doc)
	}
	page, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(spec.CopyFile)))
	if err != nil {
		t.Fatal(err)
	}
	block, ok, err := spec.CopyBlock(string(page))
	switch {
	case err != nil:
		t.Fatal(err)
	case !ok:
		t.Fatalf("%s has no %s … %s block: paste docs/scaling-table.md between those markers", spec.CopyFile, spec.CopyBegin, spec.CopyEnd)
	case block != strings.TrimSpace(doc):
		t.Fatalf("%s's scaling table differs from docs/scaling-table.md: paste the file between the markers again", spec.CopyFile)
	}
	t.Logf("\n%s", doc)
}

func podsOnNodes(r Result) int {
	n := 0
	for _, node := range r.Nodes {
		n += node.Pods
	}
	return n
}

func nodePoolSummary(e *env) string {
	np := e.cluster.NodePool
	var reqs []string
	for _, r := range np.Spec.Template.Spec.Requirements {
		switch r.Key {
		case corev1.LabelOSStable:
			continue
		}
		reqs = append(reqs, fmt.Sprintf("%s %s %s", shortKey(r.Key), r.Operator, strings.Join(r.Values, ",")))
	}
	cpu, mem := np.Spec.Limits[corev1.ResourceCPU], np.Spec.Limits[corev1.ResourceMemory]
	return fmt.Sprintf("%s; %d instance types; limits cpu %s, memory %s", strings.Join(reqs, "; "), len(e.cluster.Allowed()), cpu.String(), mem.String())
}

func shortKey(k string) string {
	if i := strings.LastIndex(k, "/"); i >= 0 {
		return k[i+1:]
	}
	return k
}

// TestModulesAreThePinnedKarpenter keeps Modules equal to the Karpenter modules this module
// builds with.
func TestModulesAreThePinnedKarpenter(t *testing.T) {
	for _, m := range Modules {
		path, _, _ := strings.Cut(m, " ")
		got, err := spec.ModuleVersion(".", path)
		if err != nil {
			t.Fatal(err)
		}
		if got != m {
			t.Errorf("built with %q, Modules says %q", got, m)
		}
	}
}

func TestDefaultScaleUpSteps(t *testing.T) {
	for n, want := range map[int32]int{1: 0, 2: 1, 5: 1, 6: 2, 10: 2, 50: 5} {
		if got := DefaultScaleUpSteps(n); got != want {
			t.Errorf("DefaultScaleUpSteps(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestZonesCell(t *testing.T) {
	for _, c := range []struct {
		nodes []Node
		want  string
	}{
		{nil, "—"},
		{[]Node{{Pods: 1}, {Pods: 1}}, "2 nodes in any zone"},
		{[]Node{{Pods: 1, Zone: "z-a"}}, "1 zone: 1 node, 1 pod"},
		{[]Node{{Pods: 3, Zone: "z-a"}, {Pods: 4, Zone: "z-a"}}, "1 zone: 2 nodes, 7 pods"},
		{[]Node{{Pods: 7, Zone: "z-b"}, {Pods: 6, Zone: "z-a"}, {Pods: 7, Zone: "z-c"}}, "3 zones: 1/1/1 nodes, 7/7/6 pods"},
		{[]Node{{Pods: 7, Zone: "z-a"}, {Pods: 1, Zone: "z-a"}, {Pods: 7, Zone: "z-b"}, {Pods: 2}}, "2 zones: 2/1 nodes, 8/7 pods; 1 node in any zone"},
	} {
		r := Result{Nodes: c.nodes}
		if got := zonesCell(r); got != c.want {
			t.Errorf("zonesCell(%+v) = %q, want %q", c.nodes, got, c.want)
		}
	}
	if got := (Result{Nodes: []Node{{Zone: "a"}, {Zone: "a"}, {}}}).PinnedZones(); got != 1 {
		t.Errorf("PinnedZones = %d, want 1 (nodes in any zone do not count)", got)
	}
}

func TestKebab(t *testing.T) {
	for in, want := range map[string]string{"batchMaxDuration": "batch-max-duration", "clusterName": "cluster-name", "x": "x"} {
		if got := kebab(in); got != want {
			t.Errorf("kebab(%q) = %q, want %q", in, got, want)
		}
	}
}
