package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/tests/verify"
)

// Pod Security Standards against the real kube-apiserver. Its PodSecurity admission plugin is on
// by default (k8s.io/kubernetes@v1.35.4 pkg/kubeapiserver/options/plugins.go, defaultOnPlugins;
// Start passes no --enable-admission-plugins, --disable-admission-plugins or
// --admission-control-config-file), and it enforces a namespace's labels on Pods only; for
// workload kinds (Deployment) it only warns and audits. So each workload's pod template is sent
// as a Pod (dry run: validated and admitted, not stored, as a Pod the ReplicaSet controller
// would create).

// podSecurityRefusal is the start of the message PodSecurity enforcement refuses a Pod with
// (k8s.io/pod-security-admission@v0.35.4 admission/admission.go: `violates PodSecurity
// "<level>:<version>"`).
const podSecurityRefusal = "violates PodSecurity"

// podProbe is one workload's pod template, sent as a Pod.
type podProbe struct {
	// Source names the workload (kind namespace/name) and where it comes from.
	Source string
	// Chart is the chart's short name, "" for the stack's own objects.
	Chart string
	// Namespace is the namespace the workload was applied in.
	Namespace string
	// Pod is the Pod, without a namespace.
	Pod map[string]any
}

// podProbes returns a Pod for the pod template of every Deployment, StatefulSet, DaemonSet and
// Job the stack applied, its own and its charts'.
func podProbes(t *testing.T, d *Deployment) []podProbe {
	t.Helper()
	var out []podProbe
	for _, a := range d.Applied {
		kind, _ := a.Object["kind"].(string)
		if !slices.Contains([]string{"Deployment", "StatefulSet", "DaemonSet", "Job"}, kind) || a.Err != nil {
			continue
		}
		obj, err := verify.DeepCopyJSON(a.Object)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := mp(obj, "spec", "template")
		meta := mp(tmpl, "metadata")
		meta["name"] = nameOf(obj) + "-pss-probe"
		delete(meta, "namespace")
		out = append(out, podProbe{
			Source:    fmt.Sprintf("%s (%s)", Identity(a.Object), sourceName(a.Source)),
			Chart:     a.Source.Chart,
			Namespace: namespaceOf(a.Object),
			Pod:       map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": tmpl["spec"]},
		})
	}
	return out
}

// admitPod sends pod to namespace ns as a dry run and returns the server's error and the
// PodSecurity warnings it answered with.
func admitPod(ctx context.Context, c *Client, pod map[string]any, ns string) (warnings []string, err error) {
	p, err := verify.DeepCopyJSON(pod)
	if err != nil {
		return nil, err
	}
	SetNamespace(p, ns)
	res, err := c.Apply(ctx, p, ApplyOptions{DryRun: true})
	if res != nil {
		for _, w := range res.Warnings {
			if strings.Contains(w, "PodSecurity") || strings.Contains(w, "would violate") {
				warnings = append(warnings, w)
			}
		}
	}
	return warnings, err
}

// namespaceLevels are the Namespaces the stack applied, by name, with their enforce level.
func namespaceLevels(d *Deployment) map[string]string {
	levels := map[string]string{}
	for _, a := range d.Applied {
		if a.Source.Chart != "" || a.Object["kind"] != "Namespace" || a.Err != nil {
			continue
		}
		labels, _ := mp(a.Object, "metadata")["labels"].(map[string]any)
		level, _ := labels[infra.PodSecurityLabelPrefix+"enforce"].(string)
		levels[nameOf(a.Object)] = level
	}
	return levels
}

// TestPodSecurity: every namespace the stack creates is labelled, kube-system is never sent, the
// pods of every workload (the worker's, KEDA's, Karpenter's when its namespace is the stack's)
// are admitted at their namespace's level without a warning, and a pod that breaks restricted is
// refused in a workload namespace with PodSecurity's message.
func TestPodSecurity(t *testing.T) {
	for _, name := range stacksUnderTest {
		t.Run(name, func(t *testing.T) {
			e := deployed(t, name)
			ctx := context.Background()
			levels := namespaceLevels(e.dep)
			if _, ok := levels["kube-system"]; ok {
				t.Error("the stack sends kube-system, which is not its own, as a Namespace")
			}
			for ns, level := range levels {
				if !slices.Contains(infra.PodSecurityLevels, level) {
					t.Errorf("namespace %s: enforce level %q, want one of %v", ns, level, infra.PodSecurityLevels)
				}
			}
			var workerNS []string
			for _, o := range e.stack.Objects {
				if o.Body["kind"] == "Deployment" {
					workerNS = append(workerNS, namespaceOf(o.Body))
				}
			}
			for _, ns := range workerNS {
				if levels[ns] != infra.PodSecurityRestricted {
					t.Errorf("workload namespace %s: enforce level %q, want restricted", ns, levels[ns])
				}
			}

			admitted := map[string]int{} // chart short name ("" the stack) -> pods admitted
			for _, p := range podProbes(t, e.dep) {
				ns := p.Namespace
				level, owned := levels[ns]
				if !owned {
					t.Logf("%s: namespace %s is not the stack's (no PodSecurity labels): not checked here", p.Source, ns)
					continue
				}
				warnings, err := admitPod(ctx, e.client, p.Pod, ns)
				switch {
				case err != nil:
					t.Errorf("%s: refused in namespace %s (%s): %s", p.Source, ns, level, ErrorMessage(err))
				case len(warnings) > 0:
					t.Errorf("%s: admitted in namespace %s (%s) with warnings: %s", p.Source, ns, level, strings.Join(warnings, "; "))
				default:
					admitted[p.Chart]++
					t.Logf("%s: admitted as a Pod in namespace %s at %s", p.Source, ns, level)
				}
			}
			if admitted[""] != len(workerNS) {
				t.Errorf("%d of the stack's %d worker Deployments' pods admitted", admitted[""], len(workerNS))
			}
			if admitted["keda"] == 0 {
				t.Error("no KEDA pod admitted in KEDA's namespace")
			}
			if _, owned := levels[e.stack.karpenterNamespace()]; owned && admitted["karpenter"] == 0 {
				t.Error("the stack labels Karpenter's namespace but no Karpenter pod was admitted in it")
			}

			t.Run("a pod that breaks restricted is refused", func(t *testing.T) {
				worker := stackObject(t, e, "Deployment")
				ns := namespaceOf(worker)
				for _, tc := range []struct {
					name   string
					mutate func(pod map[string]any)
					want   string
				}{
					{"privileged", func(pod map[string]any) {
						c := firstPodContainer(pod)
						mp(c, "securityContext")["privileged"] = true
						mp(c, "securityContext")["allowPrivilegeEscalation"] = true
					}, `privileged (container "worker" must not set securityContext.privileged=true)`},
					{"no runAsNonRoot", func(pod map[string]any) {
						delete(mp(pod, "spec", "securityContext"), "runAsNonRoot")
						delete(mp(firstPodContainer(pod), "securityContext"), "runAsNonRoot")
						delete(mp(pod, "spec", "securityContext"), "runAsUser")
					}, "runAsNonRoot != true"},
				} {
					obj, err := verify.DeepCopyJSON(worker)
					if err != nil {
						t.Fatal(err)
					}
					tmpl := mp(obj, "spec", "template")
					meta := mp(tmpl, "metadata")
					meta["name"] = "pss-" + strings.ToLower(strings.ReplaceAll(tc.name, " ", "-"))
					pod := map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": tmpl["spec"]}
					tc.mutate(pod)
					_, err = admitPod(ctx, e.client, pod, ns)
					want := fmt.Sprintf("%s %q", podSecurityRefusal, infra.PodSecurityRestricted+":"+infra.PodSecurityVersion)
					if err == nil {
						t.Errorf("%s: a worker pod with %s was admitted in %s", name, tc.name, ns)
						continue
					}
					msg := ErrorMessage(err)
					if !strings.Contains(msg, want) || !strings.Contains(msg, tc.want) {
						t.Errorf("%s: refused with %q, want it to contain %q and %q", tc.name, msg, want, tc.want)
					}
					t.Logf("%s: refused: %s", tc.name, msg)
				}
			})
		})
	}
}

// TestChartPodsStrictestLevel finds, against the real API server, the strictest Pod Security
// Standards level each chart's pods pass (rendered with the program's values, as the stack
// installs them), and checks it is the level the program labels the chart's namespace with:
// each level is tried, strictest first, in a fresh namespace labelled as the program labels
// one (infra.PodSecurityLabels), with the pods' service accounts. The worker's pods are tried
// the same way.
func TestChartPodsStrictestLevel(t *testing.T) {
	e := deployed(t, "dev-karpenter-namespace")
	ctx := context.Background()
	want := map[string]string{"": infra.WorkloadPodSecurityLevel, "keda": infra.KedaPodSecurityLevel, "karpenter": infra.KarpenterPodSecurityLevel}
	byChart := map[string][]podProbe{}
	for _, p := range podProbes(t, e.dep) {
		byChart[p.Chart] = append(byChart[p.Chart], p)
	}
	// Control: the worker's pod made privileged passes only privileged, so the namespaces below
	// do enforce their levels and a chart that needed less strictness would be found.
	if ws := byChart[""]; len(ws) > 0 {
		c, err := verify.DeepCopyJSON(ws[0].Pod)
		if err != nil {
			t.Fatal(err)
		}
		mp(firstPodContainer(c), "securityContext")["privileged"] = true
		mp(firstPodContainer(c), "securityContext")["allowPrivilegeEscalation"] = true
		mp(c, "metadata")["name"] = "privileged-control"
		byChart["control"] = []podProbe{{Source: "control: the worker's pod, privileged", Chart: "control", Namespace: ws[0].Namespace, Pod: c}}
		want["control"] = infra.PodSecurityPrivileged
	}
	var table []string
	for _, chart := range []string{"", "keda", "karpenter", "control"} {
		probes := byChart[chart]
		label := map[string]string{"": "worker (the stack's Deployment)", "control": "control (the worker's pod, privileged)"}[chart]
		if label == "" {
			label = "chart " + chart
		}
		if len(probes) == 0 {
			t.Errorf("%s: no pod templates", label)
			continue
		}
		strictest := ""
		var row []string
		for _, level := range infra.PodSecurityLevels {
			ns := "pss-" + level + "-" + map[string]string{"": "worker"}[chart] + chart
			nsObj := map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns, "labels": toAny(infra.PodSecurityLabels(level))}}
			if _, err := e.client.Apply(ctx, nsObj, ApplyOptions{}); err != nil {
				t.Fatalf("creating namespace %s: %s", ns, ErrorMessage(err))
			}
			var refused []string
			for _, p := range probes {
				sa, _ := mp(p.Pod, "spec")["serviceAccountName"].(string)
				if sa == "" {
					sa = "default"
				}
				saObj := map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": sa, "namespace": ns}}
				if _, err := e.client.Apply(ctx, saObj, ApplyOptions{}); err != nil {
					t.Fatalf("creating service account %s/%s: %s", ns, sa, ErrorMessage(err))
				}
				warnings, err := admitPod(ctx, e.client, p.Pod, ns)
				switch {
				case err != nil && strings.Contains(ErrorMessage(err), podSecurityRefusal):
					refused = append(refused, p.Source+": "+ErrorMessage(err))
				case err != nil:
					t.Fatalf("%s in %s: refused for another reason than PodSecurity: %s", p.Source, ns, ErrorMessage(err))
				case len(warnings) > 0:
					refused = append(refused, p.Source+" (warned): "+strings.Join(warnings, "; "))
				}
			}
			if len(refused) == 0 {
				row = append(row, level+": all "+fmt.Sprint(len(probes))+" admitted")
				if strictest == "" {
					strictest = level
				}
			} else {
				row = append(row, level+": refused "+strings.Join(refused, " | "))
			}
		}
		table = append(table, fmt.Sprintf("| %s | %s | %s |", label, strictest, strings.Join(row, "; ")))
		if strictest != want[chart] {
			t.Errorf("%s: the strictest level its pods pass is %q, the program labels its namespace %q", label, strictest, want[chart])
		}
	}
	t.Logf("pods | strictest level admitted | per level\n%s", strings.Join(table, "\n"))
}

// karpenterNamespace is the namespace the stack installs the Karpenter chart into.
func (s *Stack) karpenterNamespace() string {
	for _, c := range s.Charts {
		if c.ChartName() == "karpenter" {
			return c.Namespace
		}
	}
	return ""
}

func firstPodContainer(pod map[string]any) map[string]any {
	cs, _ := mp(pod, "spec")["containers"].([]any)
	if len(cs) == 0 {
		panic("Pod without containers")
	}
	return cs[0].(map[string]any)
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
