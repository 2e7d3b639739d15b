package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/eventscale/eventscale/components/karpenter"
	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/stacks"
	"github.com/eventscale/eventscale/tests/engine/awsstandin"
	"github.com/eventscale/eventscale/tests/verify"
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
//     point of the up (the creates and deletes the engine asks of the aws provider, in the order
//     the stand-in logs them), every namespace both the old and the new configuration put on
//     Fargate (kube-system with CoreDNS and Karpenter, keda) is selected by a profile that exists
//     (fargateGaps says when a profile exists). A profile replaced delete-before-create leaves
//     the system pods without one until the new profile is active;
//   - a Karpenter version bump: the state is the one the previous Karpenter release left
//     (rewindControllerPolicies: older policy documents, and the previous minor version in a
//     description that follows the version), and the up must update the six controller
//     policies and their attachments in place or leave them, never replace them (an IAM
//     policy's description is ForceNew): no engine step of theirs is part of a replacement.
func TestUpgradeHazards(t *testing.T) {
	t.Parallel()
	const stack = "dev"
	began := time.Now()
	c := startCluster(t)
	w, mirror, _ := newTestWorld(t, clusterEnv(c))
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	raw, set := stackConfig(t, mirror, verify.RepoRoot(), stack)
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
	opsBefore := len(readOps(t, w.AWSLog))
	steps, res, out, took, err := upEvents(ctx, s)
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
		after := fargateProfiles(state(t, ctx, s).Resources)
		gaps, created, trace := fargateGaps(profiles, after, readOps(t, w.AWSLog)[opsBefore:], must)
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
		for urn, op := range steps {
			typ := string(resource.URN(urn).Type())
			if (typ == typePolicy || typ == typePolicyAttachment) && isControllerPolicy(urn) && replacing[apitype.OpType(op)] {
				t.Errorf("a Karpenter version bump replaced %s (%s)", urn, op)
			}
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

// fargateGaps walks the stand-in aws provider's operations of an up (ops, in the order the engine
// asked for them) that started from the Fargate profiles before and ended with those after, and
// reports each point where a namespace of must is selected by no profile that exists. A profile
// exists from the end of its create (the stand-in logs a create when it has made the resource;
// EKS reports a profile ACTIVE only when the create returns, and schedules pods on Fargate only
// through an active profile) to the start of its delete (the profile is DELETING from then on,
// and EKS stops the Fargate pods it selected). A created profile selects what it selects in the
// state after. created counts the profiles the up created; trace lists their operations in order.
func fargateGaps(before, after []fargateProfile, ops []awsstandin.Op, must []string) (gaps []string, created int, trace []string) {
	type instance struct{ urn, generation string }
	selects := map[string][]string{}
	for _, p := range after {
		selects[p.urn] = p.namespaces
	}
	live := map[instance][]string{}
	for _, p := range before {
		live[instance{p.urn, "old"}] = p.namespaces
	}
	for _, op := range ops {
		if op.Type != typeFargateProfile {
			continue
		}
		switch op.Op {
		case "create":
			created++
			live[instance{op.URN, "new"}] = selects[op.URN]
			trace = append(trace, fmt.Sprintf("%s created, selecting %v", op.URN, selects[op.URN]))
		case "delete":
			trace = append(trace, fmt.Sprintf("%s (the old one) deleting", op.URN))
			delete(live, instance{op.URN, "old"})
			selected := map[string]bool{}
			for _, ns := range live {
				for _, n := range ns {
					selected[n] = true
				}
			}
			for _, n := range must {
				if !selected[n] {
					gaps = append(gaps, fmt.Sprintf("namespace %s from the deletion of %s", n, op.URN))
				}
			}
		}
	}
	return gaps, created, trace
}

// replacing are the steps of a replacement: the replace, the create of the replacement and the
// delete of the replaced resource (the last one upEvents records for a URN is one of them).
var replacing = map[apitype.OpType]bool{apitype.OpReplace: true, apitype.OpCreateReplacement: true, apitype.OpDeleteReplaced: true}

// isControllerPolicy reports whether urn is one of the Karpenter component's controller policies
// or their attachments (components/karpenter names them <component>-controller-<key>).
func isControllerPolicy(urn string) bool {
	u := resource.URN(urn)
	return strings.Contains(string(u.QualifiedType()), karpenter.TypeToken+"$") && strings.Contains(u.Name(), "-controller-")
}

// rewindControllerPolicies turns the stack's state into the one the Karpenter release before
// infra.KarpenterVersion left, in what a bump changes in the six controller policies: each
// policy's document lacks its last statement (a newer upstream reference adds permissions;
// IAM updates a document in place, as a new policy version), and a description that follows the
// version names the previous minor one ("v1.13" for "v1.14"). A description follows the version
// when it names the current minor version and is not the frozen first release's text
// (infra.KarpenterControllerPolicyDescription, which names the reference the policies were first
// written from and must not change: an IAM policy's description is ForceNew). It returns the
// controller policies' URNs.
func rewindControllerPolicies(t *testing.T, ctx context.Context, s auto.Stack) []string {
	t.Helper()
	var major, minor int
	if _, err := fmt.Sscanf(infra.KarpenterVersion, "%d.%d", &major, &minor); err != nil || minor == 0 {
		t.Fatalf("infra.KarpenterVersion %q: want major.minor.patch with a minor above 0 (%v)", infra.KarpenterVersion, err)
	}
	current, previous := fmt.Sprintf("v%d.%d", major, minor), fmt.Sprintf("v%d.%d", major, minor-1)
	frozen := map[string]string{}
	for _, p := range infra.KarpenterControllerPolicies(infra.KarpenterScope{}) {
		frozen["-controller-"+p.Key] = infra.KarpenterControllerPolicyDescription(p.Name)
	}
	st := state(t, ctx, s)
	var urns []string
	for _, r := range st.Resources {
		if string(r.Type) != typePolicy || !isControllerPolicy(string(r.URN)) {
			continue
		}
		urns = append(urns, string(r.URN))
		name := r.URN.Name()
		d, _ := r.Inputs["description"].(string)
		follows := strings.Contains(d, current) && d != frozen[name[strings.Index(name, "-controller-"):]]
		for _, props := range []map[string]any{r.Inputs, r.Outputs} {
			if follows {
				props["description"] = strings.ReplaceAll(d, current, previous)
			}
			if doc, ok := props["policy"].(string); ok {
				props["policy"] = withoutLastStatement(t, doc)
			}
		}
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Import(ctx, apitype.UntypedDeployment{Version: 3, Deployment: b}); err != nil {
		t.Fatalf("importing the state of the previous Karpenter release: %v", err)
	}
	return urns
}

// withoutLastStatement is the IAM policy document doc without its last statement (doc when it
// has one statement or fewer).
func withoutLastStatement(t *testing.T, doc string) string {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatalf("policy document %q: %v", doc, err)
	}
	stmts, _ := d["Statement"].([]any)
	if len(stmts) < 2 {
		return doc
	}
	d["Statement"] = stmts[:len(stmts)-1]
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFargateGaps checks fargateGaps on the two orders the engine can replace the system profile
// in: create the new profile first (no gap), or delete the old one first (delete-before-replace:
// kube-system and keda without a profile until the new one is active).
func TestFargateGaps(t *testing.T) {
	t.Parallel()
	const urn = "urn:pulumi:dev::eventscale::eventscale:cluster:Cluster$" + typeFargateProfile + "::cluster-fargate-system"
	before := []fargateProfile{{urn, []string{"kube-system", "keda"}}}
	after := []fargateProfile{{urn, []string{"kube-system", "keda", "karpenter"}}}
	must := []string{"kube-system", "keda"}
	op := func(name string) awsstandin.Op { return awsstandin.Op{Op: name, URN: urn, Type: typeFargateProfile} }
	other := awsstandin.Op{Op: "create", URN: "urn:pulumi:dev::eventscale::aws:iam/policy:Policy::p", Type: "aws:iam/policy:Policy"}

	gaps, created, _ := fargateGaps(before, after, []awsstandin.Op{op("check"), op("diff"), op("create"), other, op("delete")}, must)
	if len(gaps) > 0 || created != 1 {
		t.Errorf("create before delete: gaps %v, created %d; want none and 1", gaps, created)
	}
	gaps, created, _ = fargateGaps(before, after, []awsstandin.Op{op("check"), op("diff"), op("delete"), other, op("create")}, must)
	if len(gaps) != 2 || created != 1 {
		t.Errorf("delete before create: gaps %v, created %d; want kube-system and keda, and 1", gaps, created)
	}
	// A new profile that selects less than the old one leaves what it dropped uncovered.
	narrower := []fargateProfile{{urn, []string{"kube-system"}}}
	if gaps, _, _ := fargateGaps(before, narrower, []awsstandin.Op{op("create"), op("delete")}, must); len(gaps) != 1 {
		t.Errorf("a replacement without keda: gaps %v, want keda", gaps)
	}
}
