package engine

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/yaml"

	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/internal/stacktest"
	"github.com/eventscale/eventscale/stacks"
	"github.com/eventscale/eventscale/tests/verify"

	"github.com/eventscale/eventscale/tests/engine/awsstandin"
	"github.com/eventscale/eventscale/tests/integration"
)

// startCluster starts the integration tier's real etcd, kube-apiserver and kube-controller-manager
// (anonymous /healthz allowed: pulumi-eks polls it without credentials before it goes on) and the
// kubelet stand-in, all stopped with t; it skips like the other tiers when a binary is missing,
// and fails when CI=true.
func startCluster(t *testing.T) *integration.Cluster {
	t.Helper()
	kcm, err := integration.KubeControllerManagerPath()
	integration.RequirePrerequisite(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := integration.Start(ctx, integration.Options{ControllerManager: kcm, AnonymousHealth: true, Logf: t.Logf})
	if err != nil {
		if os.Getenv("CI") != "true" && c == nil {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	k, err := StartKubelet(ctx, c.Config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := k.Stop(); err != nil {
			t.Error(err)
		}
	})
	return c
}

// clusterEnv points the aws stand-in's EKS cluster and the aws CLI's token at c.
func clusterEnv(c *integration.Cluster) map[string]string {
	return map[string]string{
		awsstandin.EnvEKSEndpoint: c.URL,
		awsstandin.EnvEKSCAData:   base64.StdEncoding.EncodeToString(c.Config.TLSClientConfig.CAData),
		awsstandin.EnvEKSIssuer:   c.URL,
		awsstandin.EnvToken:       c.Config.BearerToken,
	}
}

// upEvents runs `pulumi up` and returns each resource's step, by URN, and the output.
func upEvents(ctx context.Context, s auto.Stack) (map[string]string, auto.UpResult, string, time.Duration, error) {
	steps := map[string]string{}
	var mu sync.Mutex
	ch := make(chan events.EngineEvent)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range ch {
			if e.ResourcePreEvent != nil {
				mu.Lock()
				steps[e.ResourcePreEvent.Metadata.URN] = string(e.ResourcePreEvent.Metadata.Op)
				mu.Unlock()
			}
		}
	}()
	var out bytes.Buffer
	start := time.Now()
	res, err := s.Up(ctx, optup.EventStreams(ch), optup.ProgressStreams(&out), optup.ErrorProgressStreams(&out))
	took := time.Since(start)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
	}
	mu.Lock()
	defer mu.Unlock()
	return maps.Clone(steps), res, out.String(), took, err
}

// editStackFile changes the stack's own settings file in the project copy, as a user edits
// Pulumi.<stack>.yaml: edit gets the `config:` map (structured values decoded) to change.
func editStackFile(t *testing.T, s auto.Stack, edit func(config map[string]any)) {
	t.Helper()
	path := filepath.Join(s.Workspace().WorkDir(), "Pulumi."+s.Name()+".yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	cfg, _ := file["config"].(map[string]any)
	edit(cfg)
	out, err := yaml.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readBack compares every Kubernetes object the program registers (the offline recording of the
// same config) and every object of both charts (rendered by Helm from the same sources with the
// recording's values, the cluster endpoint replaced by the tier's) with what the API server
// stores: every field we set must be there with the value we set (integration.Missing).
// expectedObject is one object the API server should hold: from is the program resource's URN or
// "chart <name>".
type expectedObject struct {
	from string
	body map[string]any
}

func readBack(t *testing.T, ctx context.Context, c *integration.Cluster, rec *offline.Recording) int {
	t.Helper()
	client, err := integration.NewClient(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	wants := expectedObjects(t, client, c, rec)
	for _, w := range wants {
		got, err := client.Get(ctx, w.body)
		if err != nil {
			t.Errorf("%s: %s: %v", w.from, integration.Identity(w.body), err)
			continue
		}
		if m := integration.Missing(w.body, got); len(m) > 0 {
			t.Errorf("%s: %s differs from what was sent:\n  %s", w.from, integration.Identity(w.body), strings.Join(m, "\n  "))
		}
	}
	return len(wants)
}

// expectedObjects are the objects readBack compares, with their namespaces filled in.
func expectedObjects(t *testing.T, client *integration.Client, c *integration.Cluster, rec *offline.Recording) []expectedObject {
	t.Helper()
	stack, err := integration.Collect(rec)
	if err != nil {
		t.Fatal(err)
	}
	kubeVersion, err := integration.KubernetesVersion()
	if err != nil {
		t.Fatal(err)
	}
	var wants []expectedObject
	for _, o := range stack.Objects {
		body, err := verify.DeepCopyJSON(o.Body)
		if err != nil {
			t.Fatal(err)
		}
		if namespaceOf(body) == "" {
			if ns, err := client.Namespaced(fmt.Sprint(body["apiVersion"]), fmt.Sprint(body["kind"])); err == nil && ns {
				integration.SetNamespace(body, "default")
			}
		}
		wants = append(wants, expectedObject{o.URN, body})
	}
	for _, ch := range stack.Charts {
		lc, err := integration.FindLocalChart(ch.ChartName())
		if err != nil {
			t.Fatal(err)
		}
		values, err := verify.DeepCopyJSON(ch.Values)
		if err != nil {
			t.Fatal(err)
		}
		if settings, ok := values["settings"].(map[string]any); ok && settings["clusterEndpoint"] != nil {
			settings["clusterEndpoint"] = c.URL
		}
		objs, err := verify.Render(lc.Dir, verify.RenderOptions{ReleaseName: ch.Release, Namespace: ch.Namespace, KubeVersion: kubeVersion,
			Values: values, ChartVersion: lc.Version, AppVersion: lc.Version})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if namespaceOf(o) == "" {
				if ns, err := client.Namespaced(fmt.Sprint(o["apiVersion"]), fmt.Sprint(o["kind"])); err == nil && ns {
					integration.SetNamespace(o, ch.Namespace)
				}
			}
			wants = append(wants, expectedObject{"chart " + ch.Name, o})
		}
	}
	return wants
}

// TestLifecycle runs every shipped stack (each on a cluster of its own) through the real engine
// and providers against the real API server, as a user who upgrades does: a first preview of the
// empty stack lists every resource the program registers (firstPreview); the previous release's
// program deploys the stack from that release's stack file (upFromRelease; a stack the release
// did not ship starts empty instead); the checkout's preview and up of it replace and delete
// nothing outside upgradeAllowed, and never what neverReplaced lists (previewUpgrade); the API
// server holds every object of the stack and of both charts as sent; a second preview and a
// refresh show no change; pulumi-eks creates no principal of its own, the EKS cluster waits for
// its log group and is protected with cluster.protect (checkClusterBaseline); the worker
// Deployment has 0 replicas. Then, each on one stack (runsHere): adding secrets encryption to a
// cluster created without it updates the cluster in place (addEncryptionToRunningCluster), and a
// NodePool field changed out of band is reported by refresh and preview and restored by up
// (nodePoolDrift); an edit of the stack file (a workload's maxReplicas, the NodePool's CPU limit,
// the worker image's tag) updates exactly the ScaledObject, the NodePool and the Deployment in
// place, the Deployment keeps 0 replicas through that update, and the HPA's 3 through a preview
// (no change) and another update (workerReplicas). Destroy deletes every custom resource before
// its controller and leaves the API server empty (a stack with protected resources: all but
// those and what they need, until `pulumi state unprotect`).
func TestLifecycle(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, lifecycle)
}

// The lifecycle's checks that run on one shipped stack only (runsHere).
const (
	// checkEncryptionAndDrift: secrets encryption added to a running cluster, and a NodePool
	// field changed out of band, refreshed, previewed and restored.
	checkEncryptionAndDrift = iota
	// checkEditAndReplicas: an edit of the stack file updates exactly its objects, and the
	// worker Deployment's replicas stay 0 through an update and the HPA's through another.
	checkEditAndReplicas
)

// runsHere reports whether the lifecycle of stack runs check: the shipped stacks take the
// checks in turn, in the order of their names.
func runsHere(t *testing.T, stack string, check int) bool {
	names := stacktest.Names(t)
	return names[check%len(names)] == stack
}

func lifecycle(t *testing.T, stack string) {
	c := startCluster(t)
	w, mirror, oidc := newTestWorld(t, clusterEnv(c))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	// A stack the previous release shipped starts as its user has it: that release's stack
	// file, deployed by that release's program; the checkout's program then upgrades it. A
	// stack added since starts empty, with the checkout's files.
	prev := previousRelease(t)
	upgrade := prev.hasStack(stack)
	src := verify.RepoRoot()
	if upgrade {
		src = prev.Src
	}
	raw, set := stackConfig(t, mirror, src, stack)
	rec, err := offline.Run(stack, raw, offline.Options{})
	if err != nil {
		t.Fatalf("offline run: %v", err)
	}
	s, err := w.StackFrom(ctx, stack, src)
	if err != nil {
		t.Fatal(err)
	}
	setConfig(t, ctx, s, set)
	if err := w.UseProjectFile(stack, verify.RepoRoot()); err != nil {
		t.Fatal(err)
	}
	firstPreview(t, ctx, s, rec, raw, oidc)
	if upgrade {
		upFromRelease(t, ctx, w, s, prev)
		previewUpgrade(t, ctx, w, s, prev)
	}

	steps, res, out, took, err := upEvents(ctx, s)
	if err != nil {
		t.Fatalf("up: %v\n%s", err, tail(out, 120))
	}
	t.Logf("up: %s, %v", took.Round(time.Second), *res.Summary.ResourceChanges)
	if upgrade {
		for _, problem := range upgradeProblems(steps, upgradeAllowed, neverReplaced) {
			t.Errorf("the upgrade from release %s: %s", prev.Version, problem)
		}
	} else {
		for urn, op := range steps {
			if op != "create" {
				t.Errorf("up of an empty stack: %s is %s", urn, op)
			}
		}
	}
	t.Logf("read back %d objects", readBack(t, ctx, c, rec))

	p, pres, pout, err := preview(ctx, s, optpreview.ExpectNoChanges())
	if err != nil {
		t.Fatalf("a second preview shows changes: %v\n%s", err, tail(pout, 80))
	}
	t.Logf("no-change preview: %s, %v", p.took.Round(time.Second), pres.ChangeSummary)
	r, rres, rout, err := refresh(ctx, s, optrefresh.ExpectNoChanges())
	if err != nil {
		t.Fatalf("refresh after up shows changes: %v %v\n%s", err, r.diffs, tail(rout, 80))
	}
	t.Logf("no-change refresh: %v", *rres.Summary.ResourceChanges)

	cfg, err := stacks.Load(raw, offline.Project, stack)
	if err != nil {
		t.Fatal(err)
	}
	checkClusterBaseline(t, state(t, ctx, s), cfg)
	workers := newWorkerReplicas(t, c, cfg)
	workers.check(t, ctx, true, 0, "up created the worker Deployments")
	// The checks of the engine's and the providers' behaviour rather than of a stack's settings
	// run on one shipped stack each (runsHere), so that the lifecycles, which run side by
	// side, take about as long as each other.
	if runsHere(t, stack, checkEncryptionAndDrift) {
		addEncryptionToRunningCluster(t, ctx, s)
		nodePoolDrift(t, ctx, c, s, rec)
	}
	if runsHere(t, stack, checkEditAndReplicas) {
		editStackFile(t, s, func(cfg map[string]any) {
			wl := cfg["eventscale:workloads"].([]any)[0].(map[string]any)
			maxReplicas := 2.0 // the default (stacks/defaults.go)
			if v, ok := wl["maxReplicas"].(float64); ok {
				maxReplicas = v
			}
			wl["maxReplicas"] = maxReplicas + 1
			wl["imageTag"] = "engine-tier-edit"
			kp, _ := cfg["eventscale:karpenter"].(map[string]any)
			if kp == nil {
				kp = map[string]any{}
				cfg["eventscale:karpenter"] = kp
			}
			np, _ := kp["nodePool"].(map[string]any)
			if np == nil {
				np = map[string]any{}
				kp["nodePool"] = np
			}
			limit := 4 // the default (stacks/defaults.go)
			if v, ok := np["limitCpu"].(string); ok {
				if limit, err = strconv.Atoi(v); err != nil {
					t.Fatalf("karpenter.nodePool.limitCpu %q: %v", v, err)
				}
			}
			np["limitCpu"] = strconv.Itoa(limit + 2)
		})
		steps, res, out, took, err = upEvents(ctx, s)
		if err != nil {
			t.Fatalf("up after the edit: %v\n%s", err, tail(out, 120))
		}
		t.Logf("update: %s, %v", took.Round(time.Second), *res.Summary.ResourceChanges)
		wantUpdated := []string{
			"kubernetes:apps/v1:Deployment workload-worker-deployment",
			"kubernetes:karpenter.sh/v1:NodePool karpenter-nodepool",
			"kubernetes:keda.sh/v1alpha1:ScaledObject workload-worker-scaled-object",
		}
		if updated := updatedResources(t, steps); !slices.Equal(updated, wantUpdated) {
			t.Errorf("updated %v, want exactly %v", updated, wantUpdated)
		}
		// The update before any scaler wrote the count (Pulumi's field manager still owns it) sends
		// the live 0: without the ignored field in the apply the server would default it to 1.
		workers.check(t, ctx, false, 0, "an update of the Deployment before anything scaled it")
		// The HPA scales it; the next update (a new image) leaves the HPA's count.
		workers.scaleAsHPA(t, ctx, 3)
		workers.check(t, ctx, false, 3, "the HPA's scale update")
		if _, _, pout, err := preview(ctx, s, optpreview.ExpectNoChanges()); err != nil {
			t.Errorf("a preview after the HPA scaled the Deployment shows changes: %v\n%s", err, tail(pout, 40))
		}
		upNewImageTag(t, ctx, s, "engine-tier-edit-2", "workload-"+cfg.Workloads[0].Name+"-deployment")
		workers.check(t, ctx, false, 3, "an update of the Deployment after the HPA scaled it")
	}

	controllers := Finalizers(cfg.Karpenter.Namespace, cfg.Keda.Namespace)
	checkDestroyOrder(t, ctx, s, controllers)

	// destroy, with the controllers' finalizers in play: every custom resource must be gone
	// before its controller's Deployment, or it stays Terminating and destroy cannot finish.
	fc, err := StartFinalizerController(c.Config, controllers)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // the stand-in controllers put their finalizers on
	var dout bytes.Buffer
	dctx, dcancel := context.WithTimeout(ctx, 6*time.Minute)
	defer dcancel()
	start := time.Now()
	dres, err := s.Destroy(dctx, optdestroy.ProgressStreams(&dout), optdestroy.ErrorProgressStreams(&dout))
	fc.Stop()
	events := fc.Events()
	if cfg.Queue.Protect || cfg.Network.Protect || cfg.Cluster.Protect {
		// A stack that protects its queues, its network or its cluster (prod): destroy deletes
		// everything else, then fails naming them; they stay with what they need (what they
		// depend on: for the cluster its role, key and log group; the stack, their components,
		// the provider). One way on Pulumi's message names: `pulumi state unprotect`, then destroy.
		if err == nil || !strings.Contains(dout.String(), "because it is protected") {
			t.Fatalf("destroy of a stack with protected resources: %v\n%s", err, tail(dout.String(), 40))
		}
		t.Logf("destroy, refused for the protected resources: %s; controllers: %v", time.Since(start).Round(time.Second), events)
		left := state(t, ctx, s).Resources
		needed := protectedWithNeeds(left)
		// Children inherit protect from their parent: pulumi-eks's component (protected with
		// cluster.protect) passes it to its security groups, rules, OIDC provider and providers,
		// which are counted apart from what the program protects itself.
		protected := map[resource.URN]bool{}
		for _, r := range left {
			protected[r.URN] = r.Protect
		}
		kept, inherited := map[string]int{}, map[string]int{}
		for _, r := range left {
			switch {
			case r.Protect && protected[r.Parent]:
				inherited[string(r.Type)]++
			case r.Protect:
				kept[string(r.Type)]++
			case r.Custom && !strings.HasPrefix(string(r.Type), "pulumi:providers:") && !needed[r.URN]:
				t.Errorf("the refused destroy left %s, which is neither protected nor needed by a protected resource", r.URN)
			}
		}
		want := map[string]int{}
		if cfg.Queue.Protect {
			want["aws:sqs/queue:Queue"] = 2 * len(cfg.Workloads) // each workload's queue and DLQ
		}
		if cfg.Network.Protect {
			want["aws:ec2/vpc:Vpc"] = 1
			want["aws:ec2/subnet:Subnet"] = 2 * cfg.Network.AzCount // a private and a public one per zone
			if cfg.Network.FlowLogs.Enabled {
				want["aws:cloudwatch/logGroup:LogGroup"] = 1
			}
		}
		if cfg.Cluster.Protect {
			want["eks:index:Cluster"], want[typeKMSKey] = 1, 1 // pulumi-eks's component and the secrets key
			if inherited[typeEKSCluster] != 1 {
				t.Errorf("the EKS cluster did not inherit protect from pulumi-eks's component: %v", inherited)
			}
		} else if len(inherited) > 0 {
			t.Errorf("resources inherited protect from no protected component: %v", inherited)
		}
		if !maps.Equal(kept, want) {
			t.Errorf("the refused destroy kept the protected %v, want %v (and, inherited from their parents, %v)", kept, want, inherited)
		}
		t.Logf("protected and kept: %v; inherited protect from their parents: %v", kept, inherited)
		if _, stderr, _, err := s.Workspace().PulumiCommand().Run(ctx, s.Workspace().WorkDir(), nil, nil, nil, envList(s.Workspace().GetEnvVars()),
			"state", "unprotect", "--all", "--yes", "--stack", s.Name()); err != nil {
			t.Fatalf("pulumi state unprotect --all: %v\n%s", err, stderr)
		}
		dout.Reset()
		start = time.Now()
		dres, err = s.Destroy(dctx, optdestroy.ProgressStreams(&dout), optdestroy.ErrorProgressStreams(&dout))
		if err == nil {
			if left := state(t, ctx, s).Resources; len(left) > 0 {
				t.Errorf("after unprotect and destroy the state still holds %d resources", len(left))
			}
		}
	}
	if err != nil {
		t.Fatalf("destroy: %v (controllers: %v)\n%s", err, events, tail(dout.String(), 80))
	}
	t.Logf("destroy: %s, %v; controllers: %v", time.Since(start).Round(time.Second), *dres.Summary.ResourceChanges, events)
	for _, cf := range controllers {
		gone := slices.Index(events, "gone "+cf.Controller)
		if gone < 0 {
			t.Errorf("destroy did not delete %s", cf.Controller)
		}
		for i, e := range events {
			if strings.HasPrefix(e, "released ") && i > gone && gone >= 0 && slices.ContainsFunc(cf.Resources, func(r CustomResource) bool {
				return strings.HasPrefix(e, "released "+r.Resource+" ")
			}) {
				t.Errorf("%s after its controller was gone", e)
			}
		}
	}
	client, err := integration.NewClient(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range expectedObjects(t, client, c, rec) {
		if _, err := client.Get(ctx, w.body); err == nil {
			t.Errorf("after destroy, %s (%s) is still in the API server", integration.Identity(w.body), w.from)
		} else if !apierrors.IsNotFound(err) {
			t.Errorf("after destroy, reading %s: %v", integration.Identity(w.body), err)
		}
	}
}

// checkDestroyOrder asserts, from the stack's state after up, that each custom resource whose
// deletion needs a controller running (those it puts its finalizer on, and the NodePool, whose
// NodeClaims carry Karpenter's) depends, directly or through other resources, on that
// controller's Deployment (the chart's child, not only the chart component): Pulumi deletes a
// resource only after everything that depends on it, so then the controller outlives its
// resources on every destroy, however the engine parallelises it.
func checkDestroyOrder(t *testing.T, ctx context.Context, s auto.Stack, controllers []ControllerFinalizers) {
	t.Helper()
	for _, p := range destroyOrderProblems(state(t, ctx, s).Resources, controllers) {
		t.Error(p)
	}
}

// destroyOrderProblems is checkDestroyOrder's walk over a state's resources: what is wrong,
// nothing when every resource of NeedController reaches its controller's Deployment through
// dependencies and property dependencies, and each such type is in the state.
func destroyOrderProblems(resources []apitype.ResourceV3, controllers []ControllerFinalizers) []string {
	edges := map[string][]string{}
	for _, r := range resources {
		u := string(r.URN)
		for _, d := range r.Dependencies {
			edges[u] = append(edges[u], string(d))
		}
		for _, ds := range r.PropertyDependencies {
			for _, d := range ds {
				edges[u] = append(edges[u], string(d))
			}
		}
	}
	reaches := func(from, to string) bool {
		seen := map[string]bool{}
		todo := []string{from}
		for len(todo) > 0 {
			u := todo[0]
			todo = todo[1:]
			if u == to {
				return true
			}
			if seen[u] {
				continue
			}
			seen[u] = true
			todo = append(todo, edges[u]...)
		}
		return false
	}
	var problems []string
	for _, cf := range controllers {
		var deployment string
		for _, r := range resources {
			if r.Type == "kubernetes:apps/v1:Deployment" && strings.HasSuffix(string(r.URN), ":"+cf.Controller) {
				deployment = string(r.URN)
			}
		}
		if deployment == "" {
			problems = append(problems, fmt.Sprintf("no Deployment %s in the state", cf.Controller))
			continue
		}
		owners := map[string]Owner{}
		for _, o := range cf.Owners {
			owners[o.Token()] = o
		}
		for _, cr := range cf.NeedController() {
			n := 0
			for _, r := range resources {
				if string(r.Type) != cr.Token() {
					continue
				}
				n++
				if reaches(string(r.URN), deployment) {
					continue
				}
				if o, ok := owners[cr.Token()]; ok {
					problems = append(problems, fmt.Sprintf("%s does not depend on %s: a destroy may delete the controller first and leave its %ss (%s) and what they stand for behind", r.URN, deployment, o.Owned, o.Finalizer))
				} else {
					problems = append(problems, fmt.Sprintf("%s does not depend on %s: a destroy may delete the controller first and leave it Terminating", r.URN, deployment))
				}
			}
			if n == 0 {
				problems = append(problems, fmt.Sprintf("no %s in the state (one of %s's)", cr.Kind, cf.Controller))
			}
		}
	}
	return problems
}

// namespaceOf is metadata.namespace of obj, or "".
func namespaceOf(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	ns, _ := meta["namespace"].(string)
	return ns
}

// envList is env as the KEY=value list PulumiCommand.Run takes.
func envList(env map[string]string) []string {
	var l []string
	for k, v := range env {
		l = append(l, k+"="+v)
	}
	return l
}

// state is the stack's state (`pulumi stack export`).
func state(t *testing.T, ctx context.Context, s auto.Stack) apitype.DeploymentV3 {
	t.Helper()
	dep, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var st apitype.DeploymentV3
	if err := json.Unmarshal(dep.Deployment, &st); err != nil {
		t.Fatal(err)
	}
	return st
}
