package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
)

const flowcontrolV1 = "flowcontrol.apiserver.k8s.io/v1"

// TestKarpenterPriority: in kube-system (dev, prod) the API server's own FlowSchemas already
// give the controller's service account the leader-election and workload-high priority levels,
// and the stack adds none; in another namespace (dev-karpenter-namespace) the stack's two
// FlowSchemas are stored as sent and point at priority levels that exist (not "Dangling").
func TestKarpenterPriority(t *testing.T) {
	for _, name := range stacksUnderTest {
		t.Run(name, func(t *testing.T) {
			e := deployed(t, name)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var karpenterNS string
			for _, c := range e.stack.Charts {
				if c.ChartName() == "karpenter" {
					karpenterNS = c.Namespace
				}
			}
			var sent []map[string]any
			for _, a := range e.dep.Applied {
				if a.Source.Chart == "" && a.Object["apiVersion"] == flowcontrolV1 && a.Object["kind"] == "FlowSchema" {
					sent = append(sent, a.Object)
					if a.Err != nil {
						t.Errorf("%s rejected: %s", Identity(a.Object), ErrorMessage(a.Err))
					}
				}
			}
			if !infra.KarpenterNeedsFlowSchemas(karpenterNS) {
				if len(sent) > 0 {
					t.Errorf("Karpenter is in %s but the stack sends %d FlowSchemas", karpenterNS, len(sent))
				}
				for _, o := range e.stack.Objects {
					if o.Body["kind"] == "Namespace" && infra.IsSystemNamespace(nameOf(o.Body)) {
						t.Errorf("the stack owns system namespace %s (%s): pulumi destroy would delete it", nameOf(o.Body), o.URN)
					}
				}
				// The premise: the built-in FlowSchemas match kube-system's service accounts.
				for fs, level := range map[string]string{"system-leader-election": "leader-election", "kube-system-service-accounts": "workload-high"} {
					got, err := e.client.Get(ctx, map[string]any{"apiVersion": flowcontrolV1, "kind": "FlowSchema", "metadata": map[string]any{"name": fs}})
					if err != nil {
						t.Errorf("built-in FlowSchema %s: %v", fs, err)
						continue
					}
					if l := offline.Lookup(got, "spec", "priorityLevelConfiguration", "name"); l != level {
						t.Errorf("built-in FlowSchema %s uses priority level %v, want %s", fs, l, level)
					}
					if !matchesKubeSystemServiceAccounts(got) {
						t.Errorf("built-in FlowSchema %s has no subject for kube-system's service accounts: %v", fs, offline.Lookup(got, "spec", "rules"))
					}
				}
				return
			}
			want := infra.KarpenterFlowSchemas(karpenterNS, "karpenter")
			if len(sent) != len(want) {
				t.Fatalf("Karpenter is in %s: want %d FlowSchemas, the stack sent %d", karpenterNS, len(want), len(sent))
			}
			for _, obj := range sent {
				level := fmt.Sprint(offline.Lookup(obj, "spec", "priorityLevelConfiguration", "name"))
				if _, err := e.client.Get(ctx, map[string]any{"apiVersion": flowcontrolV1, "kind": "PriorityLevelConfiguration", "metadata": map[string]any{"name": level}}); err != nil {
					t.Errorf("%s: priority level %s: %v", Identity(obj), level, err)
				}
				// The server's Priority and Fairness controller marks a FlowSchema whose
				// priority level does not exist as Dangling.
				var dangling any
				for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
					got, err := e.client.Get(ctx, obj)
					if err != nil {
						t.Fatalf("reading back %s: %v", Identity(obj), err)
					}
					if diffs := Missing(obj, got); len(diffs) > 0 {
						t.Errorf("%s: the server does not carry what we set: %v", Identity(obj), diffs)
					}
					dangling = condition(got, "Dangling")
					if dangling != nil || time.Now().After(deadline) {
						break
					}
				}
				if dangling != "False" {
					t.Errorf("%s: condition Dangling=%v, want False (its priority level exists)", Identity(obj), dangling)
				}
			}
		})
	}
}

func matchesKubeSystemServiceAccounts(fs map[string]any) bool {
	rules, _ := offline.Lookup(fs, "spec", "rules").([]any)
	for _, r := range rules {
		subjects, _ := offline.Lookup(r, "subjects").([]any)
		for _, s := range subjects {
			if offline.Lookup(s, "kind") == "ServiceAccount" && offline.Lookup(s, "serviceAccount", "namespace") == "kube-system" && offline.Lookup(s, "serviceAccount", "name") == "*" {
				return true
			}
		}
	}
	return false
}

func condition(obj map[string]any, typ string) any {
	conds, _ := offline.Lookup(obj, "status", "conditions").([]any)
	for _, c := range conds {
		if offline.Lookup(c, "type") == typ {
			return offline.Lookup(c, "status")
		}
	}
	return nil
}
