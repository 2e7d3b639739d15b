package verify_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/eventscale/eventscale/components/karpenter"
	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/internal/stacktest"
	"github.com/eventscale/eventscale/stacks"
	"github.com/eventscale/eventscale/tests/verify"
)

// The program's Karpenter objects (NodePool, EC2NodeClass, a Namespace and FlowSchemas outside
// kube-system) and chart values are taken from a run of the real program on the mocked monitor
// (internal/offline), so these tests check exactly what `pulumi up` would send.

// runs holds each program run of this package's tests (read-only), so a stack runs once.
var runs offline.Cache

func programRun(t *testing.T, stack string) *offline.Recording {
	t.Helper()
	rec, err := runs.StackFile(verify.RepoRoot(), stack)
	if err != nil {
		t.Fatalf("running the program for stack %s: %v", stack, err)
	}
	return rec
}

func stackConfig(t *testing.T, stack string) (map[string]string, stacks.Config) {
	t.Helper()
	raw, err := stacks.ReadStackFile(filepath.Join(verify.RepoRoot(), "Pulumi."+stack+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := stacks.Load(raw, offline.Project, stack)
	if err != nil {
		t.Fatalf("stack %s: %v", stack, err)
	}
	return raw, cfg
}

// karpenterObjects returns the Kubernetes objects the Karpenter component registers, keyed by kind.
func karpenterObjects(t *testing.T, rec *offline.Recording) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, r := range rec.Resources {
		if !r.IsKubernetesObject() || !strings.Contains(r.Parent, karpenter.TypeToken) {
			continue
		}
		kind, _ := r.Inputs["kind"].(string)
		if kind == "" || kind == "FlowSchema" { // two of them; see flowschema_test.go
			continue
		}
		if _, dup := out[kind]; dup {
			t.Fatalf("two %s objects", kind)
		}
		out[kind] = r.Inputs
	}
	// No Namespace when the controller is in kube-system (the default); see flowschema_test.go.
	for _, k := range []string{"NodePool", "EC2NodeClass"} {
		if out[k] == nil {
			t.Fatalf("the program registered no %s (got %v)", k, mapKeys(out))
		}
	}
	return out
}

func karpenterChartResource(t *testing.T, rec *offline.Recording) offline.Resource {
	t.Helper()
	for _, r := range rec.Resources {
		if r.IsChart() && strings.Contains(r.Parent, karpenter.TypeToken) {
			return r
		}
	}
	t.Fatal("the program registered no Karpenter chart")
	return offline.Resource{}
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func validator(t *testing.T) *verify.Validator {
	t.Helper()
	v, err := verify.Default()
	if err != nil {
		t.Fatalf("loading the upstream CRDs: %v", err)
	}
	return v
}

func TestKarpenterObjectsAreValid(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, stack string) {
		objs := karpenterObjects(t, programRun(t, stack))
		v := validator(t)
		all := make([]map[string]any, 0, len(objs))
		for _, o := range objs {
			all = append(all, o)
		}
		if err := v.ValidateAll(all); err != nil {
			t.Fatalf("the API server would reject the program's Karpenter objects:\n%v", err)
		}
		// Admission keeps every value the program set (nothing pruned or overridden by defaults).
		for _, kind := range []string{"NodePool", "EC2NodeClass"} {
			admitted, err := v.Admit(objs[kind])
			if err != nil {
				t.Fatal(err)
			}
			assertSubset(t, kind, "", objs[kind]["spec"], admitted["spec"])
		}
	})
}

// assertSubset fails when a value of want is missing or different in got (got may add defaults).
func assertSubset(t *testing.T, kind, path string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s %s: admitted %T, want an object", kind, path, got)
			return
		}
		for k, wv := range w {
			assertSubset(t, kind, path+"."+k, wv, g[k])
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			t.Errorf("%s %s: admitted %v, want %v", kind, path, got, want)
			return
		}
		for i := range w {
			assertSubset(t, kind, fmt.Sprintf("%s[%d]", path, i), w[i], g[i])
		}
	default:
		if fmt.Sprint(want) != fmt.Sprint(got) {
			t.Errorf("%s %s: admitted %v, the program set %v", kind, path, got, want)
		}
	}
}

// TestKarpenterBadConfigsRefusedTwice: each bad value is refused by the program's own validation
// with a message naming the key, AND the object it would have produced (built with the same
// builders the program uses) is rejected by the real CRD, so Validate is not stricter than
// needed nor weaker than the API server.
func TestKarpenterBadConfigsRefusedTwice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		key, val string // a config key and its (JSON) value
		message  string // part of the config error
		kind     string // the object the CRD rejects
		path     string // where
	}{
		{"restricted tag", "eventscale:karpenter", `{"nodeClass":{"tags":{"kubernetes.io/cluster/other":"owned"}}}`,
			`eventscale:karpenter.nodeClass.tags["kubernetes.io/cluster/other"] is not allowed`, "EC2NodeClass", "spec.tags"},
		{"nodepool tag", "eventscale:karpenter", `{"nodeClass":{"tags":{"karpenter.sh/nodepool":"x"}}}`,
			`eventscale:karpenter.nodeClass.tags["karpenter.sh/nodepool"] is not allowed`, "EC2NodeClass", "spec.tags"},
		{"cluster name tag", "eventscale:karpenter", `{"nodeClass":{"tags":{"eks:eks-cluster-name":"x"}}}`,
			`eventscale:karpenter.nodeClass.tags["eks:eks-cluster-name"] is not allowed`, "EC2NodeClass", "spec.tags"},
		{"stack tag copied to nodes", "eventscale:tags", `{"karpenter.sh/nodeclaim":"x"}`,
			`eventscale:tags["karpenter.sh/nodeclaim"] is not allowed`, "EC2NodeClass", "spec.tags"},
		{"alias without version", "eventscale:karpenter", `{"nodeClass":{"amiAlias":"al2023"}}`,
			`eventscale:karpenter.nodeClass.amiAlias must be an AMI alias`, "EC2NodeClass", "spec.amiSelectorTerms[0].alias"},
		{"volume size in Mi", "eventscale:karpenter", `{"nodeClass":{"rootVolumeSize":"20480Mi"}}`,
			`eventscale:karpenter.nodeClass.rootVolumeSize must be a whole number of Gi`, "EC2NodeClass", "spec.blockDeviceMappings[0].ebs.volumeSize"},
		{"consolidation policy", "eventscale:karpenter", `{"nodePool":{"consolidationPolicy":"Always"}}`,
			`eventscale:karpenter.nodePool.consolidationPolicy must be "WhenEmpty" or "WhenEmptyOrUnderutilized", got "Always"`, "NodePool", "spec.disruption.consolidationPolicy"},
		{"consolidateAfter in words", "eventscale:karpenter", `{"nodePool":{"consolidateAfter":"30 seconds"}}`,
			`eventscale:karpenter.nodePool.consolidateAfter must be a duration`, "NodePool", "spec.disruption.consolidateAfter"},
		{"expireAfter in days", "eventscale:karpenter", `{"nodePool":{"expireAfter":"30d"}}`,
			`eventscale:karpenter.nodePool.expireAfter must be a duration`, "NodePool", "spec.template.spec.expireAfter"},
		{"budget above 100%", "eventscale:karpenter", `{"nodePool":{"disruptionBudgetNodes":"110%"}}`,
			`eventscale:karpenter.nodePool.disruptionBudgetNodes must be a node count`, "NodePool", "spec.disruption.budgets[0].nodes"},
		{"no capacity types", "eventscale:karpenter", `{"nodePool":{"capacityTypes":[]}}`,
			`eventscale:karpenter.nodePool.capacityTypes must list at least one of`, "NodePool", "spec.template.spec.requirements"},
		{"no architectures", "eventscale:karpenter", `{"nodePool":{"architectures":[]}}`,
			`eventscale:karpenter.nodePool.architectures must list at least one of`, "NodePool", "spec.template.spec.requirements"},
		{"negative generation", "eventscale:karpenter", `{"nodePool":{"instanceGenerationGreaterThan":-1}}`,
			`eventscale:karpenter.nodePool.instanceGenerationGreaterThan must be from 1 to 10, got -1`, "NodePool", "spec.template.spec.requirements"},
		{"negative instance cpu bound", "eventscale:karpenter", `{"nodePool":{"maxInstanceCpu":-2}}`,
			`eventscale:karpenter.nodePool.maxInstanceCpu must be from 1 to 1024 (vCPUs) or null (no bound), got -2`, "NodePool", "spec.template.spec.requirements"},
		{"cpu limit in words", "eventscale:karpenter", `{"nodePool":{"limitCpu":"sixteen"}}`,
			`eventscale:karpenter.nodePool.limitCpu must be a positive Kubernetes quantity`, "NodePool", "spec.limits.cpu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw, _ := stackConfig(t, "dev")
			raw[tc.key] = tc.val
			cfg, err := stacks.Load(raw, offline.Project, "dev")
			if err == nil || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("config error %v, want one containing %q", err, tc.message)
			}
			// The objects the program would have built from this configuration.
			objs := map[string]map[string]any{
				"NodePool":     infra.NodePoolObject(cfg.Karpenter.NodePool, cfg.Karpenter.NodeClass.Name),
				"EC2NodeClass": infra.EC2NodeClassObject(stacks.KarpenterNodeClassSettings(cfg), "karpenter-node-role", cfg.Cluster.Name),
			}
			err = validator(t).Validate(objs[tc.kind])
			var oe *verify.ObjectError
			if !errors.As(err, &oe) {
				t.Fatalf("the CRD accepts the %s this config would produce (err %v): %v", tc.kind, err, objs[tc.kind]["spec"])
			}
			if !oe.Has(tc.path, "") {
				t.Errorf("the CRD rejects the %s, but not at %s: %v", tc.kind, tc.path, oe)
			}
			// And the other object of the same config is fine: the test isolates one bad value.
			for kind, o := range objs {
				if kind != tc.kind {
					if err := validator(t).Validate(o); err != nil {
						t.Errorf("%s of this config should be valid: %v", kind, err)
					}
				}
			}
		})
	}
}

// TestKarpenterChartRendersProgramValues renders the Karpenter chart of the pinned module with
// exactly the release name, namespace and values the program gives helm/v4.Chart.
func TestKarpenterChartRendersProgramValues(t *testing.T) {
	t.Parallel()
	dir, err := verify.KarpenterChartDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		stack    string
		replicas int64
	}{{"dev", 1}, {"prod", 2}} {
		t.Run(tc.stack, func(t *testing.T) {
			t.Parallel()
			rec := programRun(t, tc.stack)
			_, cfg := stackConfig(t, tc.stack)
			chart := karpenterChartResource(t, rec).Inputs
			// The chart the program names is the release of the module go.mod requires (its
			// Chart.yaml at the tag still says the previous release: see ChartVersion below).
			if published := strings.TrimPrefix(verify.KarpenterVersion, "v"); chart["version"] != published {
				t.Fatalf("the program asks for Karpenter chart %v; the pinned module is %s@%s", chart["version"], verify.KarpenterModule, verify.KarpenterVersion)
			}
			values, _ := chart["values"].(map[string]any)
			release, _ := chart["name"].(string)
			namespace, _ := chart["namespace"].(string)
			objs, err := verify.Render(dir, verify.RenderOptions{
				ReleaseName: release, Namespace: namespace, KubeVersion: cfg.Cluster.Version + ".0", Values: values,
				ChartVersion: infra.KarpenterVersion, AppVersion: infra.KarpenterVersion,
			})
			if err != nil {
				t.Fatal(err)
			}
			queueName, _ := rec.Outputs["karpenterInterruptionQueueName"].(string)
			roleArn, _ := rec.Outputs["karpenterControllerRoleArn"].(string)
			if queueName == "" || roleArn == "" {
				t.Fatalf("missing outputs: %v", rec.Outputs)
			}

			deploy := renderedObject(t, objs, "Deployment", "karpenter")
			pod := offline.Lookup(deploy, "spec", "template", "spec").(map[string]any)
			if got := offline.Lookup(deploy, "spec", "replicas"); fmt.Sprint(got) != fmt.Sprint(tc.replicas) {
				t.Errorf("replicas %v, want %d", got, tc.replicas)
			}
			if pod["serviceAccountName"] != cfg.Karpenter.ServiceAccount {
				t.Errorf("serviceAccountName %v, want %s (the IRSA trust's subject)", pod["serviceAccountName"], cfg.Karpenter.ServiceAccount)
			}
			if pod["dnsPolicy"] != "Default" {
				t.Errorf("dnsPolicy %v, want Default", pod["dnsPolicy"])
			}
			var controller map[string]any
			for _, c := range pod["containers"].([]any) {
				if c.(map[string]any)["name"] == "controller" {
					controller = c.(map[string]any)
				}
			}
			if controller == nil {
				t.Fatal("no controller container")
			}
			env := map[string]string{}
			for _, e := range controller["env"].([]any) {
				m := e.(map[string]any)
				if v, ok := m["value"].(string); ok {
					env[m["name"].(string)] = v
				}
			}
			for name, want := range map[string]string{
				"CLUSTER_NAME":       cfg.Cluster.Name,
				"CLUSTER_ENDPOINT":   fmt.Sprint(offline.Lookup(values, "settings", "clusterEndpoint")),
				"INTERRUPTION_QUEUE": queueName,
				"AWS_REGION":         cfg.Region,
			} {
				if env[name] != want {
					t.Errorf("controller env %s = %q, want %q", name, env[name], want)
				}
			}
			wantRes := map[string]any{"cpu": cfg.Karpenter.ControllerCPU, "memory": cfg.Karpenter.ControllerMemory}
			for _, k := range []string{"requests", "limits"} {
				if got := offline.Lookup(controller, "resources", k); fmt.Sprint(got) != fmt.Sprint(wantRes) {
					t.Errorf("controller resources.%s %v, want %v", k, got, wantRes)
				}
			}
			// The rendered reference must be exactly one published release's tag and digest: the
			// chart in the module says 1.13.0, so only the program's values can make it so.
			if img := controller["image"]; img != infra.KarpenterControllerImage.Ref() {
				t.Errorf("image %v, want the published %s (%s)", img, infra.KarpenterControllerImage.Ref(), infra.KarpenterControllerImage.Source)
			}
			spread := pod["topologySpreadConstraints"].([]any)
			if len(spread) != 1 || offline.Lookup(spread[0], "whenUnsatisfiable") != "ScheduleAnyway" || offline.Lookup(spread[0], "labelSelector") == nil {
				t.Errorf("topologySpreadConstraints %v: want one ScheduleAnyway zone spread with the chart's label selector", spread)
			}

			sa := renderedObject(t, objs, "ServiceAccount", cfg.Karpenter.ServiceAccount)
			if got := offline.Lookup(sa, "metadata", "annotations", infra.IRSARoleAnnotation); got != roleArn {
				t.Errorf("ServiceAccount annotation %s = %v, want the controller role %s", infra.IRSARoleAnnotation, got, roleArn)
			}
			if got := offline.Lookup(sa, "metadata", "namespace"); got != cfg.Karpenter.Namespace {
				t.Errorf("ServiceAccount namespace %v, want %s", got, cfg.Karpenter.Namespace)
			}
			renderedObject(t, objs, "PodDisruptionBudget", "karpenter")

			// Everything the chart renders is valid for the API server.
			if err := validator(t).ValidateAll(objs); err != nil {
				t.Errorf("rendered chart objects are invalid: %v", err)
			}
		})
	}
}

func renderedObject(t *testing.T, objs []map[string]any, kind, name string) map[string]any {
	t.Helper()
	var seen []string
	for _, o := range objs {
		if o["kind"] == kind {
			n := fmt.Sprint(offline.Lookup(o, "metadata", "name"))
			if n == name {
				return o
			}
			seen = append(seen, n)
		}
	}
	t.Fatalf("the chart renders no %s %q (%s: %v)", kind, name, kind, seen)
	return nil
}

// TestKarpenterChartValuesExistInChart checks that every value the program sets is a value the
// chart of the pinned Karpenter module declares (a misspelt key is silently ignored by Helm).
// Descent stops at free-form values (empty maps and lists in values.yaml: annotations,
// resources, env).
func TestKarpenterChartValuesExistInChart(t *testing.T) {
	t.Parallel()
	dir, err := verify.KarpenterChartDir()
	if err != nil {
		t.Fatal(err)
	}
	read := func(rel string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var chartValues map[string]any
	if err := yaml.Unmarshal(read("values.yaml"), &chartValues); err != nil {
		t.Fatal(err)
	}
	for _, stack := range stacktest.Names(t) {
		values, _ := karpenterChartResource(t, programRun(t, stack)).Inputs["values"].(map[string]any)
		if len(values) == 0 {
			t.Fatalf("%s: the program gives the Karpenter chart no values", stack)
		}
		var walk func(path string, ours, theirs map[string]any)
		walk = func(path string, ours, theirs map[string]any) {
			for k, v := range ours {
				tv, ok := theirs[k]
				if !ok {
					t.Errorf("%s: chart value %s%s is not in the chart's values.yaml", stack, path, k)
					continue
				}
				om, isMap := v.(map[string]any)
				tm, theirsMap := tv.(map[string]any)
				if isMap && theirsMap && len(tm) > 0 {
					walk(path+k+".", om, tm)
				}
			}
		}
		walk("", values, chartValues)
	}
	// The chart reads exactly these settings and the service account name/annotations.
	tpl := string(read("templates/deployment.yaml"))
	for _, ref := range []string{".Values.settings.clusterName", ".Values.settings.clusterEndpoint", ".Values.settings.interruptionQueue",
		".Values.dnsPolicy", ".Values.replicas", ".Values.controller.resources", ".Values.controller.env", ".Values.topologySpreadConstraints"} {
		if !strings.Contains(tpl, ref) {
			t.Errorf("templates/deployment.yaml does not read %s", ref)
		}
	}
	if sa := string(read("templates/serviceaccount.yaml")); !strings.Contains(sa, ".Values.serviceAccount.annotations") {
		t.Error("templates/serviceaccount.yaml does not read .Values.serviceAccount.annotations")
	}
}
