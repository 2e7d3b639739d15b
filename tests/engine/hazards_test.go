package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/eventscale/eventscale/components/karpenter"
	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/stacks"
)

const (
	typeFargateProfile   = "aws:eks/fargateProfile:FargateProfile"
	typePolicy           = "aws:iam/policy:Policy"
	typePolicyAttachment = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
)

// TestUpgradeHazards runs the dev stack through two upgrades of a running stack, in one `up`
// after the first, with the stand-in's replacement rules (terraform-provider-aws's ForceNew
// fields, delete-before-replace as pulumi-aws's bridge decides it):
//
//   - the Fargate profile's selectors change (fargate.namespaces gains a namespace): at every
//     point of the engine's step sequence, every namespace both the old and the new
//     configuration put on Fargate (kube-system with CoreDNS and Karpenter, keda) is selected by
//     a profile that exists (fargateGaps says when a profile exists). A profile replaced
//     delete-before-create leaves the system pods without one until the new profile is active;
//   - a Karpenter version bump: the state is the one the previous release left (each controller
//     policy's description names the Karpenter minor version before infra.KarpenterVersion's,
//     where it names one), and the up must update the six controller policies and their
//     attachments in place or leave them, never replace them (an IAM policy's description is
//     ForceNew).
func TestUpgradeHazards(t *testing.T) {
	t.Parallel()
	const stack = "dev"
	began := time.Now()
	c := startCluster(t)
	w, mirror, _ := newTestWorld(t, clusterEnv(c))
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	raw, set := stackConfig(t, mirror, stack)
	cfg, err := stacks.Load(raw, offline.Project, stack)
	if err != nil {
		t.Fatal(err)
	}
	s, err := w.Stack(ctx, stack)
	if err != nil {
		t.Fatal(err)
	}
	setConfig(t, ctx, s, set)
	_, res, out, took, err := upEvents(ctx, s)
	if err != nil {
		t.Fatalf("up: %v\n%s", err, tail(out, 120))
	}
	t.Logf("first up: %s, %v", took.Round(time.Second), *res.Summary.ResourceChanges)

	before := state(t, ctx, s)
	profiles := fargateProfiles(before.Resources)
	policies := rewindControllerPolicies(t, ctx, s)
	oldNS := cfg.Fargate.Namespaces
	newNS := append(slices.Clone(oldNS), "karpenter")
	editStackFile(t, s, func(config map[string]any) {
		section, _ := config[stacks.Namespace+":fargate"].(map[string]any)
		if section == nil {
			section = map[string]any{}
			config[stacks.Namespace+":fargate"] = section
		}
		section["namespaces"] = newNS
	})
	evs, res, out, took, err := upRecorded(ctx, s)
	if err != nil {
		t.Fatalf("up after the upgrade: %v\n%s", err, tail(out, 120))
	}
	t.Logf("upgrade up: %s, %v; the test so far %s", took.Round(time.Second), *res.Summary.ResourceChanges, time.Since(began).Round(time.Second))

	t.Run("fargate profile", func(t *testing.T) {
		var must []string
		for _, ns := range oldNS {
			if slices.Contains(newNS, ns) {
				must = append(must, ns)
			}
		}
		gaps, created, trace := fargateGaps(profiles, evs, must)
		t.Logf("Fargate profile steps: %s", strings.Join(trace, "; "))
		if created == 0 {
			t.Errorf("fargate.namespaces %v -> %v created no Fargate profile", oldNS, newNS)
		}
		for _, g := range gaps {
			t.Errorf("system pods without a Fargate profile: %s (profile steps: %s)", g, strings.Join(trace, "; "))
		}
	})
	t.Run("karpenter controller policies", func(t *testing.T) {
		if want := len(infra.KarpenterControllerPolicies(infra.KarpenterScope{})); len(policies) != want {
			t.Fatalf("found %d Karpenter controller policies in the state, want %d: %v", len(policies), want, policies)
		}
		for _, p := range replacedSteps(evs, func(md apitype.StepEventMetadata) bool {
			return (md.Type == typePolicy || md.Type == typePolicyAttachment) && isControllerPolicy(md.URN)
		}) {
			t.Errorf("a Karpenter version bump replaced %s", p)
		}
	})
}

// fargateProfile is one Fargate profile of a state: its URN and the namespaces it selects.
type fargateProfile struct {
	urn        string
	namespaces []string
}

// fargateProfiles are the Fargate profiles among resources.
func fargateProfiles(resources []apitype.ResourceV3) []fargateProfile {
	var ps []fargateProfile
	for _, r := range resources {
		if string(r.Type) == typeFargateProfile {
			ps = append(ps, fargateProfile{string(r.URN), selectedNamespaces(r.Inputs)})
		}
	}
	return ps
}

// selectedNamespaces are the namespaces of a Fargate profile's selectors input.
func selectedNamespaces(inputs map[string]any) []string {
	var ns []string
	sel, _ := inputs["selectors"].([]any)
	for _, s := range sel {
		if m, ok := s.(map[string]any); ok {
			if n, ok := m["namespace"].(string); ok {
				ns = append(ns, n)
			}
		}
	}
	return ns
}

// fargateGaps walks the engine's events of an up that started from the Fargate profiles before,
// and reports each point where a namespace of must is selected by no profile that exists. A
// profile exists from the end of the step that creates it (its resOutputsEvent: EKS reports the
// profile ACTIVE only when the create returns, and pods are scheduled on Fargate only through an
// active profile) to the start of the step that deletes it (its resourcePreEvent: the profile is
// DELETING from then on, and EKS stops Fargate pods it selected). created counts the profiles the
// up created; trace lists the profile steps in order.
func fargateGaps(before []fargateProfile, evs []apitype.EngineEvent, must []string) (gaps []string, created int, trace []string) {
	type instance struct{ urn, generation string }
	live := map[instance][]string{}
	for _, p := range before {
		live[instance{p.urn, "old"}] = p.namespaces
	}
	for _, e := range evs {
		switch {
		case e.ResourcePreEvent != nil && e.ResourcePreEvent.Metadata.Type == typeFargateProfile:
			md := e.ResourcePreEvent.Metadata
			if md.Op != apitype.OpDelete && md.Op != apitype.OpDeleteReplaced {
				continue
			}
			trace = append(trace, fmt.Sprintf("%s %s starts", md.Op, md.URN))
			delete(live, instance{md.URN, "old"})
			selected := map[string]bool{}
			for _, ns := range live {
				for _, n := range ns {
					selected[n] = true
				}
			}
			for _, n := range must {
				if !selected[n] {
					gaps = append(gaps, fmt.Sprintf("namespace %s from the start of %s %s", n, md.Op, md.URN))
				}
			}
		case e.ResOutputsEvent != nil && e.ResOutputsEvent.Metadata.Type == typeFargateProfile:
			md := e.ResOutputsEvent.Metadata
			if md.Op != apitype.OpCreate && md.Op != apitype.OpCreateReplacement || md.New == nil {
				continue
			}
			created++
			ns := selectedNamespaces(md.New.Inputs)
			trace = append(trace, fmt.Sprintf("%s %s %v done", md.Op, md.URN, ns))
			live[instance{md.URN, "new"}] = ns
		}
	}
	return gaps, created, trace
}

// replacedSteps are the steps of evs (their start) that replace a resource match selects: a
// replace, a create of its replacement or a delete of the replaced one.
func replacedSteps(evs []apitype.EngineEvent, match func(apitype.StepEventMetadata) bool) []string {
	var steps []string
	for _, e := range evs {
		if e.ResourcePreEvent == nil {
			continue
		}
		md := e.ResourcePreEvent.Metadata
		switch md.Op {
		case apitype.OpReplace, apitype.OpCreateReplacement, apitype.OpDeleteReplaced:
			if match(md) {
				steps = append(steps, fmt.Sprintf("%s (%s; replacing keys %v)", md.URN, md.Op, md.Keys))
			}
		}
	}
	return steps
}

// isControllerPolicy reports whether urn is one of the Karpenter component's controller policies
// or their attachments (components/karpenter names them <component>-controller-<key>).
func isControllerPolicy(urn string) bool {
	u := resource.URN(urn)
	return strings.Contains(string(u.QualifiedType()), karpenter.TypeToken+"$") && strings.Contains(u.Name(), "-controller-")
}

// rewindControllerPolicies turns the stack's state into the one the Karpenter release before
// infra.KarpenterVersion left: each controller policy's description (inputs and outputs) names
// the previous minor version where it names the current one, "v1.13" for "v1.14". It returns the
// URNs of the controller policies. A description that names no version is left as it is: a bump
// does not change it.
func rewindControllerPolicies(t *testing.T, ctx context.Context, s auto.Stack) []string {
	t.Helper()
	var major, minor int
	if _, err := fmt.Sscanf(infra.KarpenterVersion, "%d.%d", &major, &minor); err != nil || minor == 0 {
		t.Fatalf("infra.KarpenterVersion %q: want major.minor.patch with a minor above 0 (%v)", infra.KarpenterVersion, err)
	}
	current, previous := fmt.Sprintf("v%d.%d", major, minor), fmt.Sprintf("v%d.%d", major, minor-1)
	dep, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(dep.Deployment, &st); err != nil {
		t.Fatal(err)
	}
	resources, _ := st["resources"].([]any)
	var urns []string
	for _, r := range resources {
		m, _ := r.(map[string]any)
		urn, _ := m["urn"].(string)
		if m["type"] != typePolicy || !isControllerPolicy(urn) {
			continue
		}
		urns = append(urns, urn)
		for _, k := range []string{"inputs", "outputs"} {
			props, _ := m[k].(map[string]any)
			d, _ := props["description"].(string)
			if !strings.Contains(d, current) {
				t.Logf("%s: the description %q names no %s; a Karpenter bump leaves it", urn, d, current)
				continue
			}
			props["description"] = strings.ReplaceAll(d, current, previous)
		}
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	dep.Deployment = b
	if err := s.Import(ctx, dep); err != nil {
		t.Fatalf("importing the state of the previous Karpenter release: %v", err)
	}
	return urns
}

// upRecorded runs `pulumi up` and returns every engine event in the order the engine sent it,
// and the output.
func upRecorded(ctx context.Context, s auto.Stack) ([]apitype.EngineEvent, auto.UpResult, string, time.Duration, error) {
	ch := make(chan events.EngineEvent)
	var evs []apitype.EngineEvent
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range ch {
			evs = append(evs, e.EngineEvent)
		}
	}()
	var out bytes.Buffer
	start := time.Now()
	res, err := s.Up(ctx, optup.EventStreams(ch), optup.ProgressStreams(&out), optup.ErrorProgressStreams(&out))
	took := time.Since(start)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		return nil, res, out.String(), took, fmt.Errorf("the engine's event stream did not end 30s after the up (%v)", err)
	}
	return evs, res, out.String(), took, err
}

// TestFargateGaps checks fargateGaps on the two orders the engine can replace the system profile
// in: create the new profile first (no gap), or delete the old one first (delete-before-replace:
// kube-system and keda without a profile until the new one is active).
func TestFargateGaps(t *testing.T) {
	t.Parallel()
	const urn = "urn:pulumi:dev::eventscale::eventscale:cluster:Cluster$" + typeFargateProfile + "::cluster-fargate-system"
	before := []fargateProfile{{urn, []string{"kube-system", "keda"}}}
	step := func(pre bool, op apitype.OpType, ns ...string) apitype.EngineEvent {
		var sel []any
		for _, n := range ns {
			sel = append(sel, map[string]any{"namespace": n})
		}
		md := apitype.StepEventMetadata{Op: op, URN: urn, Type: typeFargateProfile, New: &apitype.StepEventStateMetadata{Inputs: map[string]any{"selectors": sel}}}
		if pre {
			return apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: md}}
		}
		return apitype.EngineEvent{ResOutputsEvent: &apitype.ResOutputsEvent{Metadata: md}}
	}
	must := []string{"kube-system", "keda"}
	newNS := []string{"kube-system", "keda", "karpenter"}
	createFirst := []apitype.EngineEvent{
		step(true, apitype.OpCreateReplacement, newNS...), step(false, apitype.OpCreateReplacement, newNS...),
		step(true, apitype.OpReplace), step(false, apitype.OpReplace),
		step(true, apitype.OpDeleteReplaced), step(false, apitype.OpDeleteReplaced),
	}
	gaps, created, _ := fargateGaps(before, createFirst, must)
	if len(gaps) > 0 || created != 1 {
		t.Errorf("create before delete: gaps %v, created %d; want none and 1", gaps, created)
	}
	deleteFirst := []apitype.EngineEvent{
		step(true, apitype.OpDeleteReplaced), step(false, apitype.OpDeleteReplaced),
		step(true, apitype.OpReplace), step(false, apitype.OpReplace),
		step(true, apitype.OpCreateReplacement, newNS...), step(false, apitype.OpCreateReplacement, newNS...),
	}
	gaps, created, _ = fargateGaps(before, deleteFirst, must)
	if len(gaps) != 2 || created != 1 {
		t.Errorf("delete before create: gaps %v, created %d; want kube-system and keda, and 1", gaps, created)
	}
	// A profile that is still being created selects nothing yet.
	overlapping := []apitype.EngineEvent{step(true, apitype.OpCreateReplacement, newNS...), step(true, apitype.OpDeleteReplaced)}
	if gaps, _, _ := fargateGaps(before, overlapping, must); len(gaps) != 2 {
		t.Errorf("a delete that starts before the new profile is active: gaps %v, want kube-system and keda", gaps)
	}
}
