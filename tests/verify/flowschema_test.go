package verify_test

import (
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"

	"github.com/eventscale/eventscale/components/karpenter"
	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/stacks"
	"github.com/eventscale/eventscale/tests/verify"
)

// TestKarpenterNamespaceAndFlowSchemasDecodeStrictly: in kube-system (dev and prod) the program
// sends no Namespace and no FlowSchema for Karpenter; in another namespace its Namespace and
// both FlowSchemas decode strictly into k8s.io/api (core/v1, flowcontrol/v1) and pass the API
// server's metadata rules (FlowSchemas are cluster-scoped).
func TestKarpenterNamespaceAndFlowSchemasDecodeStrictly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, stack, namespace string
		edits                  map[string]string
	}{
		{name: "dev", stack: "dev", namespace: "kube-system"},
		{name: "prod", stack: "prod", namespace: "kube-system"},
		{name: "prod in namespace karpenter", stack: "prod", namespace: "karpenter", edits: map[string]string{
			"eventscale:karpenter": `{"namespace":"karpenter","replicas":2}`,
			"eventscale:fargate":   `{"namespaces":["kube-system","karpenter","keda"]}`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw, err := stacks.ReadStackFile(filepath.Join(verify.RepoRoot(), "Pulumi."+tc.stack+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.edits {
				raw[k] = v
			}
			rec, err := offline.Run(tc.stack, raw, offline.Options{})
			if err != nil {
				t.Fatalf("running the program: %v", err)
			}
			var namespaces, flowSchemas []map[string]any
			for _, r := range rec.Resources {
				if !strings.Contains(r.Parent, karpenter.TypeToken) {
					continue
				}
				switch r.Type {
				case "kubernetes:core/v1:Namespace":
					namespaces = append(namespaces, r.Inputs)
				case "kubernetes:flowcontrol.apiserver.k8s.io/v1:FlowSchema":
					flowSchemas = append(flowSchemas, r.Inputs)
				}
			}
			if tc.namespace == "kube-system" {
				if len(namespaces)+len(flowSchemas) > 0 {
					t.Fatalf("in kube-system the program must send no Namespace and no FlowSchema for Karpenter, got %v %v", namespaces, flowSchemas)
				}
				return
			}
			if len(namespaces) != 1 {
				t.Fatalf("want the controller's Namespace, got %v", namespaces)
			}
			if err := verify.ValidateBuiltin(namespaces[0]); err != nil {
				t.Error(err)
			}
			var ns corev1.Namespace
			if err := verify.DecodeStrict(namespaces[0], &ns); err != nil {
				t.Fatal(err)
			}
			if ns.Name != tc.namespace {
				t.Errorf("Namespace %q, want %q", ns.Name, tc.namespace)
			}

			// The mocks record registrations concurrently: match by name, not by order.
			want := map[string]infra.FlowSchema{}
			for _, fs := range infra.KarpenterFlowSchemas(tc.namespace, "karpenter") {
				want[fs.Metadata.Name] = fs
			}
			if len(flowSchemas) != len(want) {
				t.Fatalf("want %d FlowSchemas, got %d", len(want), len(flowSchemas))
			}
			for _, obj := range flowSchemas {
				if err := verify.ValidateBuiltin(obj); err != nil {
					t.Error(err)
				}
				var fs flowcontrolv1.FlowSchema
				if err := verify.DecodeStrict(obj, &fs); err != nil {
					t.Fatal(err)
				}
				w, ok := want[fs.Name]
				if !ok || fs.Namespace != "" {
					t.Errorf("FlowSchema %q in namespace %q, want one of %v, cluster-scoped", fs.Name, fs.Namespace, mapKeys(want))
					continue
				}
				delete(want, fs.Name)
				if fs.Spec.PriorityLevelConfiguration.Name != w.Spec.PriorityLevelConfiguration.Name || fs.Spec.MatchingPrecedence != w.Spec.MatchingPrecedence {
					t.Errorf("%s: priority level %q precedence %d, want %q %d", fs.Name, fs.Spec.PriorityLevelConfiguration.Name,
						fs.Spec.MatchingPrecedence, w.Spec.PriorityLevelConfiguration.Name, w.Spec.MatchingPrecedence)
				}
				if fs.Spec.DistinguisherMethod == nil || fs.Spec.DistinguisherMethod.Type != flowcontrolv1.FlowDistinguisherMethodByUserType {
					t.Errorf("%s: distinguisherMethod %v, want ByUser", fs.Name, fs.Spec.DistinguisherMethod)
				}
				if len(fs.Spec.Rules) != 1 {
					t.Fatalf("%s: %d rules, want 1", fs.Name, len(fs.Spec.Rules))
				}
				subj := fs.Spec.Rules[0].Subjects
				if len(subj) != 1 || subj[0].Kind != flowcontrolv1.SubjectKindServiceAccount || subj[0].ServiceAccount == nil ||
					subj[0].ServiceAccount.Namespace != tc.namespace || subj[0].ServiceAccount.Name != "karpenter" {
					t.Errorf("%s: subjects %+v, want the controller's service account %s/karpenter", fs.Name, subj, tc.namespace)
				}
				if len(fs.Spec.Rules[0].ResourceRules) != 1 {
					t.Errorf("%s: %d resource rules, want 1", fs.Name, len(fs.Spec.Rules[0].ResourceRules))
				}
			}
		})
	}
}
