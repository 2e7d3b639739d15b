package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/tests/verify"
)

// requiredKinds are the kinds the design (DESIGN §1, §4, §6) promises each stack
// emits itself, besides what its charts render.
var requiredKinds = []string{"Namespace", "NetworkPolicy", "ServiceAccount", "Deployment", "NodePool", "EC2NodeClass", "ScaledObject", "TriggerAuthentication"}

// requiredCharts are the charts each stack installs.
var requiredCharts = []string{"karpenter", "keda"}

func TestServerVersion(t *testing.T) {
	e := deployed(t, "dev")
	want, err := KubernetesVersion()
	if err != nil {
		t.Fatal(err)
	}
	v := e.version
	if v.GitVersion != want {
		t.Errorf("server reports gitVersion %q, want %q (the -X ldflags of make kube-apiserver)", v.GitVersion, want)
	}
	wantMinor := strings.TrimPrefix(infra.DefaultKubernetesVersion, "1.")
	if v.Major != "1" || v.Minor != wantMinor {
		t.Errorf("server is %s.%s; the stack's default EKS version is %s: bump tests/integration/apiserver/go.mod with it",
			v.Major, v.Minor, infra.DefaultKubernetesVersion)
	}
}

// TestStacks applies everything each stack emits and checks the server's answer.
func TestStacks(t *testing.T) {
	for _, name := range stacksUnderTest {
		t.Run(name, func(t *testing.T) {
			e := deployed(t, name)
			d := e.dep

			t.Run("emits the promised kinds and charts", func(t *testing.T) {
				kinds := e.stack.Kinds()
				for _, k := range requiredKinds {
					if kinds[k] == 0 {
						t.Errorf("stack %s emits no %s (emits %v)", name, k, kinds)
					}
				}
				charts := map[string]bool{}
				for _, c := range e.stack.Charts {
					charts[c.ChartName()] = true
				}
				for _, c := range requiredCharts {
					if !charts[c] {
						t.Errorf("stack %s installs no %s chart (charts: %v)", name, c, charts)
					}
				}
			})

			t.Run("deploys without errors", func(t *testing.T) {
				for _, err := range d.Errors {
					t.Error(err)
				}
				for _, chart := range requiredCharts {
					if len(d.CRDs[chart]) == 0 {
						t.Errorf("no %s CRDs were installed", chart)
					}
				}
			})

			t.Run("every object accepted", func(t *testing.T) {
				counts := map[string]int{}
				for _, a := range d.Applied {
					counts[sourceName(a.Source)]++
					if a.Err != nil {
						t.Errorf("%s (from %s) rejected: %s", Identity(a.Object), sourceName(a.Source), ErrorMessage(a.Err))
					}
				}
				if counts["stack"] != len(e.stack.Objects) {
					t.Errorf("applied %d of the stack's %d objects", counts["stack"], len(e.stack.Objects))
				}
				t.Logf("applied per source: %v", counts)
			})

			t.Run("no warnings for the stack's objects", func(t *testing.T) {
				for _, a := range d.Applied {
					if a.Result == nil || len(a.Result.Warnings) == 0 {
						continue
					}
					if a.Source.Chart == "" {
						t.Errorf("%s: server warnings: %s", Identity(a.Object), strings.Join(a.Result.Warnings, "; "))
					} else {
						t.Logf("%s (chart %s): server warnings: %s", Identity(a.Object), a.Source.Chart, strings.Join(a.Result.Warnings, "; "))
					}
				}
			})

			t.Run("read back carries every field we set", func(t *testing.T) {
				ctx := context.Background()
				for _, a := range d.Applied {
					if a.Err != nil {
						continue
					}
					got := a.Result.Object
					if !a.DryRun {
						var err error
						if got, err = e.client.Get(ctx, a.Object); err != nil {
							t.Errorf("reading back %s: %v", Identity(a.Object), err)
							continue
						}
					}
					if diffs := Missing(a.Object, got); len(diffs) > 0 {
						t.Errorf("%s (from %s): the server does not carry what we set:\n  %s",
							Identity(a.Object), sourceName(a.Source), strings.Join(diffs, "\n  "))
					}
				}
			})

			t.Run("second apply is a no-op", func(t *testing.T) {
				ctx := context.Background()
				for _, a := range d.Applied {
					if a.Err != nil || a.DryRun {
						continue
					}
					before, err := e.client.Get(ctx, a.Object)
					if err != nil {
						t.Fatal(err)
					}
					res, err := e.client.Apply(ctx, a.Object, ApplyOptions{})
					if err != nil {
						t.Errorf("re-applying %s: %s", Identity(a.Object), ErrorMessage(err))
						continue
					}
					if diffs := Changed(before, res.Object); len(diffs) > 0 {
						t.Errorf("re-applying %s changed it: the server rewrites something we send:\n  %s",
							Identity(a.Object), strings.Join(diffs, "\n  "))
					} else if resourceVersion(before) != resourceVersion(res.Object) {
						// An object whose apply owns no field (a Namespace with only
						// a name) has no managedFields; the next apply records the
						// existing fields as "before-first-apply". Only metadata moves.
						t.Logf("re-applying %s only rewrote managedFields (resourceVersion %s -> %s)",
							Identity(a.Object), resourceVersion(before), resourceVersion(res.Object))
					}
				}
			})

			t.Run("KEDA owns the Deployment's replicas", func(t *testing.T) {
				// The program creates the worker Deployment with replicas 0 and
				// ignores the field afterwards (pulumi.IgnoreChanges). The HPA
				// that KEDA creates sets replicas through the scale subresource;
				// that update takes spec.replicas over from the applying manager,
				// which is what makes the Kubernetes provider leave an ignored
				// field out of its next apply (components/workload). So: the
				// object sends 0 and ignores it; after the HPA's update to 3 the
				// HPA's manager owns the field and ours does not; our re-apply
				// without the field (the provider's) leaves 3; with it, as an
				// update without the option would send it, it conflicts, and
				// forced it resets the count to 0.
				ctx := context.Background()
				ignored := map[string][]string{}
				for _, r := range e.stack.Resources {
					ignored[r.URN] = r.IgnoreChanges
				}
				n := 0
				for _, a := range d.Applied {
					if a.Source.Chart != "" || a.Object["kind"] != "Deployment" || a.Err != nil {
						continue
					}
					n++
					id := Identity(a.Object)
					if r := replicas(a.Object); r != "0" {
						t.Errorf("%s sets spec.replicas=%s, want 0: an absent count is created as 1", id, r)
					}
					if got := ignored[a.Source.URN]; !slices.Equal(got, []string{infra.ReplicasPath}) {
						t.Errorf("%s: ignoreChanges %v, want [%s]: KEDA owns the count after creation", id, got, infra.ReplicasPath)
					}
					live, err := e.client.Get(ctx, a.Object)
					if err != nil {
						t.Fatalf("reading %s: %v", id, err)
					}
					if r := replicas(live); r != "0" {
						t.Errorf("%s: replicas %s after our apply, want 0", id, r)
					}
					if err := e.client.UpdateScale(ctx, a.Object, 3, HPAFieldManager); err != nil {
						t.Fatalf("scaling %s as the HPA: %v", id, err)
					}
					if live, err = e.client.Get(ctx, a.Object); err != nil {
						t.Fatalf("reading %s: %v", id, err)
					}
					if owners := ReplicasOwners(live); !slices.Equal(owners, []string{HPAFieldManager}) {
						t.Errorf("%s: spec.replicas owned by %v after the HPA's scale update, want only %s", id, owners, HPAFieldManager)
					}
					without, err := verify.DeepCopyJSON(a.Object)
					if err != nil {
						t.Fatal(err)
					}
					delete(without["spec"].(map[string]any), "replicas")
					res, err := e.client.Apply(ctx, without, ApplyOptions{})
					if err != nil {
						t.Errorf("re-applying %s without replicas after the HPA scaled it: %s", id, ErrorMessage(err))
						continue
					}
					if r := replicas(res.Object); r != "3" {
						t.Errorf("%s: replicas %s after our re-apply, want the HPA's 3", id, r)
					}
					// Controls: the object as sent, with its replicas 0.
					if _, err := e.client.Apply(ctx, a.Object, ApplyOptions{DryRun: true}); !apierrors.IsConflict(err) {
						t.Errorf("control: an apply with replicas 0 after the HPA's update: %v, want a conflict on .spec.replicas", err)
					}
					res, err = e.client.Apply(ctx, a.Object, ApplyOptions{DryRun: true, Force: true})
					if err != nil {
						t.Fatalf("forced dry-run apply with replicas: %s", ErrorMessage(err))
					}
					if r := replicas(res.Object); r != "0" {
						t.Errorf("control: a forced apply with replicas 0 leaves replicas %s; the checks above prove nothing", r)
					}
					// Back to the deployed state (our manager owns replicas 0), so
					// that later tests applying this object meet no HPA's count.
					if _, err := e.client.Apply(ctx, a.Object, ApplyOptions{Force: true}); err != nil {
						t.Errorf("restoring %s: %s", id, ErrorMessage(err))
					}
				}
				if n == 0 {
					t.Error("the stack applied no Deployment")
				}
			})
		})
	}
}

// TestDependencies checks, without a server, that the program orders what the
// API server needs ordered: Pulumi creates resources in parallel unless one
// depends on another, so an object in a namespace the stack creates must
// depend on that Namespace, a chart on the namespace it installs into, and a
// custom resource on the chart that installs its CRD.
func TestDependencies(t *testing.T) {
	crdGroups := map[string]string{} // API group -> chart
	for _, chart := range requiredCharts {
		lc, err := FindLocalChart(chart)
		if err != nil {
			RequirePrerequisite(t, err)
		}
		for _, f := range lc.CRDs {
			group := crdGroup(t, f.Data)
			crdGroups[group] = chart
		}
	}
	for _, name := range stacksUnderTest {
		t.Run(name, func(t *testing.T) {
			s := loadStack(t, name)
			namespaces := map[string]string{} // name -> URN
			charts := map[string]string{}     // short name -> URN
			for _, o := range s.Objects {
				if o.Body["kind"] == "Namespace" && o.Body["apiVersion"] == "v1" {
					namespaces[nameOf(o.Body)] = o.URN
				}
			}
			for _, c := range s.Charts {
				charts[c.ChartName()] = c.URN
				if ns, ok := namespaces[c.Namespace]; ok && !s.DependsOn(c.URN, ns) {
					t.Errorf("chart %s installs into namespace %s but does not depend on the Namespace resource", c.Name, c.Namespace)
				}
			}
			for _, o := range s.Objects {
				if ns, ok := namespaces[namespaceOf(o.Body)]; ok && !s.DependsOn(o.URN, ns) {
					t.Errorf("%s lives in namespace %s but does not depend on the Namespace resource", Identity(o.Body), namespaceOf(o.Body))
				}
				group := strings.Split(fmt.Sprint(o.Body["apiVersion"]), "/")[0]
				if chart, ok := crdGroups[group]; ok {
					urn, installed := charts[chart]
					switch {
					case !installed:
						t.Errorf("%s needs the %s CRDs but the stack installs no %s chart", Identity(o.Body), chart, chart)
					case !s.DependsOn(o.URN, urn):
						t.Errorf("%s does not depend on the %s chart that installs its CRD", Identity(o.Body), chart)
					}
				}
			}
			order, err := s.DeploymentOrder()
			if err != nil {
				t.Fatal(err)
			}
			if len(order) != len(s.Resources) {
				t.Errorf("deployment order has %d of %d resources", len(order), len(s.Resources))
			}
		})
	}
}

func sourceName(s Source) string {
	if s.Chart != "" {
		return "chart " + s.Chart
	}
	return "stack"
}

func replicas(obj map[string]any) string {
	spec, _ := obj["spec"].(map[string]any)
	return fmt.Sprint(spec["replicas"])
}

func resourceVersion(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	rv, _ := meta["resourceVersion"].(string)
	return rv
}

func crdGroup(t *testing.T, data []byte) string {
	t.Helper()
	group, err := CRDGroup(data)
	if err != nil {
		t.Fatal(err)
	}
	return group
}
