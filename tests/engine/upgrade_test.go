package engine

import (
	"bytes"
	"context"
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
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/internal/release"
	"github.com/eventscale/eventscale/tests/integration"
	"github.com/eventscale/eventscale/tests/verify"
)

// previous is the newest recorded release's program, built once per test binary.
var previous struct {
	once sync.Once
	rel  *Release
	err  error
}

// previousRelease returns the newest release CHANGELOG.md records (internal/release), built
// from its commit (BuildRelease, cached across runs); it fails t when the checkout has no such
// commit.
func previousRelease(t *testing.T) *Release {
	t.Helper()
	previous.once.Do(func() {
		root := verify.RepoRoot()
		rs, err := release.Read(root)
		if err != nil {
			previous.err = err
			return
		}
		r, ok := release.Latest(rs)
		if !ok {
			previous.err = fmt.Errorf("%s records no release with a commit", release.File)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		start := time.Now()
		previous.rel, previous.err = BuildRelease(ctx, root, r)
		if previous.err == nil {
			t.Logf("release %s (%s): %s, built or found in %s", r.Version, r.Commit[:12], previous.rel.Runner, time.Since(start).Round(time.Second))
		}
	})
	if previous.err != nil {
		t.Fatalf("the previous release: %v", previous.err)
	}
	return previous.rel
}

// hasStack reports whether the release ships Pulumi.<stack>.yaml: a stack added since starts
// from an empty state instead.
func (r *Release) hasStack(stack string) bool {
	_, err := os.Stat(filepath.Join(r.Src, "Pulumi."+stack+".yaml"))
	return err == nil
}

// neverReplaced are the resource types an upgrade must never replace or delete, whatever the
// allowlist says: what runs the pods (the EKS cluster, its Fargate profile, its add-ons, the
// OIDC provider the IRSA roles trust), the network they run in, the queues that hold the
// messages, the keys that encrypt the secrets, Karpenter's NodePool and EC2NodeClass (deleting
// them drains every node Karpenter launched) and every Deployment (the charts' controllers and
// the workers).
var neverReplaced = []string{
	"eks:index:Cluster",
	typeEKSCluster,
	"aws:eks/fargateProfile:FargateProfile",
	"aws:eks/addon:Addon",
	"aws:iam/openIdConnectProvider:OpenIdConnectProvider",
	"aws:ec2/vpc:Vpc",
	"aws:ec2/subnet:Subnet",
	"aws:ec2/natGateway:NatGateway",
	"aws:sqs/queue:Queue",
	typeKMSKey,
	"kubernetes:karpenter.sh/v1:NodePool",
	"kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
	"kubernetes:apps/v1:Deployment",
}

// upgradeAllowed are the replacements or deletions an upgrade from the previous release may
// make, by "<type> <name>", each with its reason. Empty: this release replaces and deletes
// nothing of a stack the previous one deployed.
var upgradeAllowed = map[string]string{}

// destructiveOps are the engine's steps that replace or remove a resource.
var destructiveOps = []string{
	"replace", "create-replacement", "delete-replaced", "delete", "discard", "discard-replaced",
	"read-replacement", "import-replacement", "remove-pending-replace",
}

// upgradeProblems lists each step of steps (URN → the engine's op) that replaces or deletes a
// resource, unless allowed lists it with a reason and its type is not in never.
func upgradeProblems(steps map[string]string, allowed map[string]string, never []string) []string {
	var out []string
	for _, urn := range slices.Sorted(maps.Keys(steps)) {
		op := steps[urn]
		if !slices.Contains(destructiveOps, op) {
			continue
		}
		typ := string(resource.URN(urn).Type())
		key := typ + " " + resource.URN(urn).Name()
		switch {
		case slices.Contains(never, typ):
			out = append(out, op+" "+urn+": never allowed on upgrade")
		case allowed[key] == "":
			out = append(out, op+" "+urn+": not on the upgrade allowlist")
		}
	}
	return out
}

func TestUpgradeProblems(t *testing.T) {
	const stack = "urn:pulumi:dev::eventscale::"
	steps := map[string]string{
		stack + "eventscale:index:Karpenter$aws:iam/policy:Policy::karpenter-controller-nodes": "replace",
		stack + "aws:sqs/queue:Queue::worker-queue":                                            "delete-replaced",
		stack + "kubernetes:karpenter.sh/v1:NodePool::karpenter-nodepool":                      "update",
		stack + "aws:iam/role:Role::old-role":                                                  "delete",
		stack + "aws:iam/role:Role::kept":                                                      "same",
	}
	allowed := map[string]string{
		"aws:iam/policy:Policy karpenter-controller-nodes": "a reason",
		"aws:sqs/queue:Queue worker-queue":                 "never honoured: queues are never replaced",
	}
	got := upgradeProblems(steps, allowed, neverReplaced)
	want := []string{
		"delete " + stack + "aws:iam/role:Role::old-role: not on the upgrade allowlist",
		"delete-replaced " + stack + "aws:sqs/queue:Queue::worker-queue: never allowed on upgrade",
	}
	if !slices.Equal(got, want) {
		t.Errorf("upgradeProblems = %q, want %q", got, want)
	}
	for key, reason := range upgradeAllowed {
		typ, _, _ := strings.Cut(key, " ")
		if slices.Contains(neverReplaced, typ) || strings.TrimSpace(reason) == "" {
			t.Errorf("upgradeAllowed[%q] = %q: a type that is never replaced, or no reason", key, reason)
		}
	}
}

// upFromRelease deploys the stack with the previous release's program, Pulumi.yaml and stack
// file (in the stack's project copy), as a user of that release did.
func upFromRelease(t *testing.T, ctx context.Context, w *World, s auto.Stack, prev *Release) {
	t.Helper()
	if err := w.UseProjectFile(s.Name(), prev.Src); err != nil {
		t.Fatal(err)
	}
	sum, out, err := prev.Up(ctx, w, s)
	if err != nil {
		t.Fatalf("%v\n%s", err, tail(out, 80))
	}
	t.Logf("up with release %s: %v", prev.Version, *sum.ResourceChanges)
	for op := range *sum.ResourceChanges {
		if op != "create" {
			t.Errorf("release %s's up of an empty stack: %d %s", prev.Version, (*sum.ResourceChanges)[op], op)
		}
	}
}

// previewUpgrade is `git pull` and `pulumi preview` on a stack the previous release deployed:
// the checkout's Pulumi.yaml (the stack file stays the user's) and program; it fails t on any
// replacement or deletion upgradeProblems reports.
func previewUpgrade(t *testing.T, ctx context.Context, w *World, s auto.Stack, prev *Release) {
	t.Helper()
	if err := w.UseProjectFile(s.Name(), verify.RepoRoot()); err != nil {
		t.Fatal(err)
	}
	p, res, out, err := preview(ctx, s)
	if err != nil {
		t.Fatalf("preview of the upgrade from release %s: %v\n%s", prev.Version, err, tail(out, 80))
	}
	t.Logf("preview of the upgrade from release %s: %s, %v", prev.Version, p.took.Round(time.Second), res.ChangeSummary)
	for _, problem := range upgradeProblems(p.steps, upgradeAllowed, neverReplaced) {
		t.Errorf("the upgrade from release %s would %s (changed: %v %v)", prev.Version, problem, p.diffs[urnOf(problem)], p.detailed[urnOf(problem)])
	}
}

// urnOf is the URN in an upgradeProblems line ("<op> <urn>: ...").
func urnOf(problem string) string {
	_, rest, _ := strings.Cut(problem, " ")
	urn, _, _ := strings.Cut(rest, ": ")
	return urn
}

// refreshed is what a refresh reported: each resource's step and, for one whose state changed,
// the keys of its diff.
type refreshed struct {
	steps map[string]string
	diffs map[string][]string
}

// refresh runs `pulumi refresh` and returns what it reported per resource.
func refresh(ctx context.Context, s auto.Stack, opts ...optrefresh.Option) (refreshed, auto.RefreshResult, string, error) {
	r := refreshed{steps: map[string]string{}, diffs: map[string][]string{}}
	var mu sync.Mutex
	ch := make(chan events.EngineEvent)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range ch {
			if e.ResOutputsEvent == nil {
				continue
			}
			md := e.ResOutputsEvent.Metadata
			mu.Lock()
			r.steps[md.URN] = string(md.Op)
			keys := md.Diffs
			if len(md.DetailedDiff) > 0 {
				keys = slices.Sorted(maps.Keys(md.DetailedDiff))
			}
			if len(keys) > 0 {
				r.diffs[md.URN] = keys
			}
			mu.Unlock()
		}
	}()
	var out bytes.Buffer
	res, err := s.Refresh(ctx, append(opts, optrefresh.EventStreams(ch), optrefresh.ProgressStreams(&out), optrefresh.ErrorProgressStreams(&out))...)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
	}
	mu.Lock()
	defer mu.Unlock()
	return r, res, out.String(), err
}

// nodePoolDrift changes a field the program owns on the NodePool out of band (its CPU limit, as
// `kubectl apply --server-side --force-conflicts` by another manager would), then: refresh
// reports the NodePool, and only it, changed, in that field; preview shows an update of exactly
// that field; up puts the program's value back in the API server.
func nodePoolDrift(t *testing.T, ctx context.Context, c *integration.Cluster, s auto.Stack, rec *offline.Recording) {
	t.Helper()
	var urn string
	var body map[string]any
	for _, r := range rec.Resources {
		if r.Type == "kubernetes:karpenter.sh/v1:NodePool" {
			urn, body = r.URN, r.Inputs
		}
	}
	if urn == "" {
		t.Fatal("no NodePool in the recording")
	}
	want := body["spec"].(map[string]any)["limits"].(map[string]any)["cpu"]
	client, err := integration.NewClient(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	meta := body["metadata"].(map[string]any)
	drift := map[string]any{
		"apiVersion": body["apiVersion"], "kind": body["kind"],
		"metadata": map[string]any{"name": meta["name"]},
		"spec":     map[string]any{"limits": map[string]any{"cpu": "999"}},
	}
	if _, err := client.Apply(ctx, drift, integration.ApplyOptions{Manager: "out-of-band-edit", Force: true}); err != nil {
		t.Fatalf("changing the NodePool's CPU limit out of band: %v", err)
	}

	r, res, out, err := refresh(ctx, s)
	if err != nil {
		t.Fatalf("refresh after the out-of-band change: %v\n%s", err, tail(out, 60))
	}
	t.Logf("refresh after the out-of-band change: %v; changed: %v", *res.Summary.ResourceChanges, r.diffs)
	for u, op := range r.steps {
		if u != urn && op != "same" && op != "refresh" {
			t.Errorf("refresh reported %s as %s, want only the NodePool changed", u, op)
		}
	}
	if keys := r.diffs[urn]; !slices.ContainsFunc(keys, func(k string) bool { return strings.Contains(k, "limits") }) {
		t.Errorf("refresh did not report the NodePool's limits: %v", r.diffs)
	}

	p, _, pout, err := preview(ctx, s)
	if err != nil {
		t.Fatalf("preview after refresh: %v\n%s", err, tail(pout, 60))
	}
	for u, op := range p.steps {
		switch {
		case u == urn && op != "update":
			t.Errorf("preview after the drift: the NodePool is %q, want an update", op)
		case u != urn && op != "same":
			t.Errorf("preview after the drift: %s is %s, want same", u, op)
		}
	}
	if d := p.detailed[urn]; !slices.Equal(d, []string{"spec.limits.cpu"}) {
		t.Errorf("preview after the drift: the NodePool's changes are %v (%v), want exactly spec.limits.cpu", d, p.diffs[urn])
	}

	steps, ures, uout, took, err := upEvents(ctx, s)
	if err != nil {
		t.Fatalf("up after the drift: %v\n%s", err, tail(uout, 60))
	}
	t.Logf("up restoring the NodePool: %s, %v", took.Round(time.Second), *ures.Summary.ResourceChanges)
	if steps[urn] != "update" {
		t.Errorf("up after the drift: the NodePool is %q, want an update", steps[urn])
	}
	live, err := client.Get(ctx, drift)
	if err != nil {
		t.Fatal(err)
	}
	if got := live["spec"].(map[string]any)["limits"].(map[string]any)["cpu"]; got != want {
		t.Errorf("after up, the NodePool's CPU limit is %v, want the program's %v", got, want)
	}
}
