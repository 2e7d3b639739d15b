package verify_test

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/stacks"
	"github.com/eventscale/eventscale/tests/verify"
)

// The pipeline's Kubernetes objects and KEDA chart values, taken from runs of the real
// program on the mocked monitor (internal/offline): the ScaledObject and TriggerAuthentication are
// validated against KEDA's own CRDs, the Namespace, ServiceAccount and Deployment are decoded
// strictly into the k8s.io/api types, and the KEDA chart is rendered with the program's values.

// pipelineTwoWorkloads is the dev stack with a second workload setting most of its keys (the same
// configuration as tests/pipeline_test.go).
const pipelineTwoWorkloads = `[{"name":"worker"},{"name":"thumbnails","namespace":"media","image":"public.ecr.aws/eventscale/thumbnailer:v2",
 "cpu":"500m","memory":"1Gi","concurrency":4,"maxReplicas":5,"queueLength":3,"activationQueueLength":2,"scaleOnInFlight":false,
 "scaleDownStabilizationSeconds":60,"maxProcessingSeconds":45,"simulatedWorkSeconds":0,"pollingIntervalSeconds":15,"cooldownPeriodSeconds":90}]`

type pipelineCase struct {
	name, stack string
	edits       map[string]string
}

var pipelineCases = []pipelineCase{
	{name: "dev", stack: "dev"},
	{name: "prod", stack: "prod"},
	{name: "two-workloads", stack: "dev", edits: map[string]string{"eventscale:workloads": pipelineTwoWorkloads}},
}

type pipelineResult struct {
	rec *offline.Recording
	cfg stacks.Config
}

// eachPipelineRun runs f on the pipeline run of every case of pipelineCases, each in a parallel
// subtest named after the case.
func eachPipelineRun(t *testing.T, f func(t *testing.T, r pipelineResult)) {
	t.Helper()
	for _, c := range pipelineCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f(t, pipelineRun(t, c))
		})
	}
}

func pipelineRun(t *testing.T, c pipelineCase) pipelineResult {
	t.Helper()
	raw, err := stacks.ReadStackFile(filepath.Join(verify.RepoRoot(), "Pulumi."+c.stack+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	maps.Copy(raw, c.edits)
	cfg, err := stacks.Load(raw, offline.Project, c.stack)
	if err != nil {
		t.Fatalf("case %s: %v", c.name, err)
	}
	rec, err := runs.Get("pipeline:"+c.name, func() (*offline.Recording, error) { return offline.Run(c.stack, raw, offline.Options{}) })
	if err != nil {
		t.Fatalf("running the program for case %s: %v", c.name, err)
	}
	return pipelineResult{rec: rec, cfg: cfg}
}

// object returns the inputs of the Kubernetes object registered as the given Pulumi resource.
func (r pipelineResult) object(t *testing.T, typ, name string) map[string]any {
	t.Helper()
	for _, res := range r.rec.Resources {
		if res.Type == typ && res.Name == name {
			return res.Inputs
		}
	}
	t.Fatalf("the program registered no %s %q", typ, name)
	return nil
}

// TestPipelineCustomResourcesAreValid: every ScaledObject and TriggerAuthentication the program
// registers passes KEDA's CRD schemas (structural schema, no undeclared fields, CEL).
func TestPipelineCustomResourcesAreValid(t *testing.T) {
	t.Parallel()
	eachPipelineRun(t, func(t *testing.T, r pipelineResult) {
		v := validator(t)
		checked := 0
		for _, w := range r.cfg.Workloads {
			for _, typ := range []string{"kubernetes:keda.sh/v1alpha1:ScaledObject", "kubernetes:keda.sh/v1alpha1:TriggerAuthentication"} {
				name := "workload-" + w.Name + map[bool]string{true: "-scaled-object", false: "-trigger-auth"}[strings.HasSuffix(typ, "ScaledObject")]
				obj := r.object(t, typ, name)
				if !v.Knows(obj) {
					t.Fatalf("the validator does not know %s", typ)
				}
				stored, err := v.Admit(obj)
				if err != nil {
					t.Errorf("%s %s: %v", typ, name, err)
					continue
				}
				checked++
				if strings.HasSuffix(typ, "ScaledObject") {
					// Nothing was pruned or moved: the stored spec carries the program's values.
					for _, k := range []string{"minReplicaCount", "maxReplicaCount", "pollingInterval", "cooldownPeriod"} {
						if fmt.Sprint(offline.Lookup(stored, "spec", k)) != fmt.Sprint(offline.Lookup(obj, "spec", k)) {
							t.Errorf("%s: stored spec.%s = %v, sent %v", name, k, offline.Lookup(stored, "spec", k), offline.Lookup(obj, "spec", k))
						}
					}
					if got := offline.Lookup(stored, "spec", "scaleTargetRef", "name"); got != w.Name {
						t.Errorf("%s: scaleTargetRef.name %v, want %s", name, got, w.Name)
					}
				}
			}
		}
		if checked != 2*len(r.cfg.Workloads) {
			t.Errorf("validated %d objects, want %d", checked, 2*len(r.cfg.Workloads))
		}
	})
}

// The CRD really refuses what the tutorial wrote, so the test above could fail: bounds nested under
// scaleTargetRef, numeric trigger metadata, a deprecated or unknown pod identity provider.
func TestPipelineTutorialMistakesRefusedByCRD(t *testing.T) {
	t.Parallel()
	r := pipelineRun(t, pipelineCases[0])
	so := r.object(t, "kubernetes:keda.sh/v1alpha1:ScaledObject", "workload-worker-scaled-object")
	ta := r.object(t, "kubernetes:keda.sh/v1alpha1:TriggerAuthentication", "workload-worker-trigger-auth")
	for _, tc := range []struct {
		name   string
		base   map[string]any
		mutate func(o map[string]any)
		path   string
	}{
		{"bounds under scaleTargetRef", so, func(o map[string]any) {
			ref := offline.Lookup(o, "spec", "scaleTargetRef").(map[string]any)
			ref["minReplicaCount"], ref["maxReplicaCount"] = 0, 2
		}, "spec.scaleTargetRef.minReplicaCount"},
		{"numeric metadata", so, func(o map[string]any) {
			offline.Lookup(o, "spec", "triggers").([]any)[0].(map[string]any)["metadata"].(map[string]any)["queueLength"] = 1
		}, "spec.triggers[0].metadata.queueLength"},
		{"min above max", so, func(o map[string]any) {
			o["spec"].(map[string]any)["minReplicaCount"] = 5
		}, "spec"},
		{"unknown provider", ta, func(o map[string]any) {
			offline.Lookup(o, "spec", "podIdentity").(map[string]any)["provider"] = "aws-irsa"
		}, "spec.podIdentity.provider"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := deepCopy(t, tc.base)
			tc.mutate(o)
			err := validator(t).Validate(o)
			var oe *verify.ObjectError
			if !errors.As(err, &oe) || !oe.Has(tc.path, "") {
				t.Errorf("want a CRD error at %s, got %v", tc.path, err)
			}
		})
	}
}

// TestPipelineBadConfigsRefusedTwice: a bad scaling value is refused by the program's Validate with
// a message naming the key, and the ScaledObject it would have produced (same builder) is refused
// by the CRD at the matching field.
func TestPipelineBadConfigsRefusedTwice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		workload string // the eventscale:workloads entry
		message  string
		path     string
	}{
		{"min above max", `{"name":"worker","minReplicas":3,"maxReplicas":2}`,
			"eventscale:workloads[0].minReplicas (3) must not exceed eventscale:workloads[0].maxReplicas (2)", "spec"},
		{"max zero", `{"name":"worker","maxReplicas":0}`, "eventscale:workloads[0].maxReplicas must be from 1 to 1000, got 0", "spec.maxReplicaCount"},
		{"negative min", `{"name":"worker","minReplicas":-1}`, "eventscale:workloads[0].minReplicas must be 0 or more, got -1", "spec.minReplicaCount"},
		{"polling zero", `{"name":"worker","pollingIntervalSeconds":0}`,
			"eventscale:workloads[0].pollingIntervalSeconds must be from 1 to 3600, got 0", "spec.pollingInterval"},
		{"negative cooldown", `{"name":"worker","cooldownPeriodSeconds":-5}`,
			"eventscale:workloads[0].cooldownPeriodSeconds must be from 0 to 86400, got -5", "spec.cooldownPeriod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw, err := stacks.ReadStackFile(filepath.Join(verify.RepoRoot(), "Pulumi.dev.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			raw["eventscale:workloads"] = "[" + tc.workload + "]"
			cfg, err := stacks.Load(raw, offline.Project, "dev")
			if err == nil || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("config error %v, want one containing %q", err, tc.message)
			}
			w := cfg.Workloads[0]
			so := verify.ToObject(t, infra.WorkloadScaledObject(infra.WorkloadObjectSettings{
				WorkloadSettings: w, QueueURL: "https://sqs.us-west-2.amazonaws.com/123456789012/q", Region: cfg.Region,
			}))
			err = validator(t).Validate(so)
			var oe *verify.ObjectError
			if !errors.As(err, &oe) || !oe.Has(tc.path, "") {
				t.Errorf("the CRD should refuse the ScaledObject this config would produce at %s, got %v", tc.path, err)
			}
		})
	}
}

// TestPipelineBuiltinsDecodeStrictly: the Namespace, ServiceAccount and Deployment decode into the
// k8s.io/api types with no unknown field, and pass the API server's metadata and Deployment rules.
func TestPipelineBuiltinsDecodeStrictly(t *testing.T) {
	t.Parallel()
	eachPipelineRun(t, func(t *testing.T, r pipelineResult) {
		for _, w := range r.cfg.Workloads {
			p := "workload-" + w.Name
			nsObj := r.object(t, "kubernetes:core/v1:Namespace", p+"-namespace")
			saObj := r.object(t, "kubernetes:core/v1:ServiceAccount", p+"-service-account")
			dObj := r.object(t, "kubernetes:apps/v1:Deployment", p+"-deployment")
			npObj := r.object(t, "kubernetes:networking.k8s.io/v1:NetworkPolicy", p+"-network-policy")
			for _, o := range []map[string]any{nsObj, saObj, dObj, npObj} {
				if err := verify.ValidateBuiltin(o); err != nil {
					t.Errorf("%s: %v", w.Name, err)
				}
			}
			var ns corev1.Namespace
			var sa corev1.ServiceAccount
			var d appsv1.Deployment
			var np networkingv1.NetworkPolicy
			for _, dec := range []struct {
				obj  map[string]any
				into runtime.Object
			}{{nsObj, &ns}, {saObj, &sa}, {dObj, &d}, {npObj, &np}} {
				if err := verify.DecodeStrict(dec.obj, dec.into); err != nil {
					t.Fatalf("%s: %v", w.Name, err)
				}
			}
			if ns.Name != w.Namespace || sa.Namespace != w.Namespace || d.Namespace != w.Namespace || np.Namespace != w.Namespace {
				t.Errorf("namespaces %q %q %q %q, want %q", ns.Name, sa.Namespace, d.Namespace, np.Namespace, w.Namespace)
			}
			for _, mode := range []string{"enforce", "audit", "warn"} {
				key := "pod-security.kubernetes.io/" + mode
				if ns.Labels[key] != "restricted" || ns.Labels[key+"-version"] != infra.PodSecurityVersion {
					t.Errorf("%s: namespace labels %s=%q, %s-version=%q, want restricted at %s", w.Name, key, ns.Labels[key], key, ns.Labels[key+"-version"], infra.PodSecurityVersion)
				}
			}
			// The policy as the API types read it: every pod, both directions, egress only to
			// CoreDNS (UDP and TCP 53) and to 443.
			if !reflect.DeepEqual(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}) ||
				len(np.Spec.PodSelector.MatchLabels)+len(np.Spec.PodSelector.MatchExpressions) != 0 || len(np.Spec.Ingress) != 0 || len(np.Spec.Egress) != 2 {
				t.Fatalf("%s: NetworkPolicy spec %+v, want every pod, Ingress and Egress, no ingress rule, two egress rules", w.Name, np.Spec)
			}
			dns, https := np.Spec.Egress[0], np.Spec.Egress[1]
			if len(dns.To) != 1 || dns.To[0].NamespaceSelector == nil || dns.To[0].PodSelector == nil ||
				dns.To[0].NamespaceSelector.MatchLabels[corev1.LabelMetadataName] != "kube-system" || dns.To[0].PodSelector.MatchLabels["k8s-app"] != "kube-dns" {
				t.Errorf("%s: DNS egress peers %+v, want CoreDNS's pods in kube-system (one peer, both selectors)", w.Name, dns.To)
			}
			if len(dns.Ports) != 2 || *dns.Ports[0].Protocol != corev1.ProtocolUDP || dns.Ports[0].Port.IntValue() != 53 ||
				*dns.Ports[1].Protocol != corev1.ProtocolTCP || dns.Ports[1].Port.IntValue() != 53 {
				t.Errorf("%s: DNS egress ports %+v, want UDP and TCP 53", w.Name, dns.Ports)
			}
			if len(https.To) != 1 || https.To[0].IPBlock == nil || https.To[0].IPBlock.CIDR != "0.0.0.0/0" ||
				len(https.Ports) != 1 || *https.Ports[0].Protocol != corev1.ProtocolTCP || https.Ports[0].Port.IntValue() != 443 {
				t.Errorf("%s: HTTPS egress %+v, want TCP 443 to 0.0.0.0/0", w.Name, https)
			}
			if d.Spec.Replicas == nil {
				t.Errorf("%s: the Deployment sets no replicas, want %d: the API server would create it with 1", w.Name, infra.InitialReplicas)
			} else if *d.Spec.Replicas != infra.InitialReplicas {
				t.Errorf("%s: the Deployment's replicas %d, want %d", w.Name, *d.Spec.Replicas, infra.InitialReplicas)
			}
			pod := d.Spec.Template.Spec
			if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
				t.Errorf("%s: automountServiceAccountToken %v, want false (the worker never calls the Kubernetes API)", w.Name, pod.AutomountServiceAccountToken)
			}
			if pod.ServiceAccountName != sa.Name {
				t.Errorf("pod service account %q, want %q", pod.ServiceAccountName, sa.Name)
			}
			if len(pod.NodeSelector) > 0 || pod.Affinity != nil || len(pod.Tolerations) > 0 {
				t.Errorf("%s: scheduling constraints would keep the pod off Karpenter's nodes", w.Name)
			}
			switch w.ZoneSpread {
			case infra.ZoneSpreadNone:
				if len(pod.TopologySpreadConstraints) > 0 {
					t.Errorf("%s: zoneSpread none, but the pod has %v", w.Name, pod.TopologySpreadConstraints)
				}
			default:
				if len(pod.TopologySpreadConstraints) != 1 {
					t.Fatalf("%s: zoneSpread %s, constraints %v", w.Name, w.ZoneSpread, pod.TopologySpreadConstraints)
				}
				tsc := pod.TopologySpreadConstraints[0]
				want := map[string]corev1.UnsatisfiableConstraintAction{infra.ZoneSpreadPreferred: corev1.ScheduleAnyway, infra.ZoneSpreadRequired: corev1.DoNotSchedule}[w.ZoneSpread]
				if tsc.TopologyKey != corev1.LabelTopologyZone || tsc.WhenUnsatisfiable != want || tsc.MaxSkew != 1 {
					t.Errorf("%s: constraint %+v, want maxSkew 1 on %s, %s", w.Name, tsc, corev1.LabelTopologyZone, want)
				}
				// The constraint counts exactly this workload's pods: its selector matches them.
				if sel, err := metav1.LabelSelectorAsSelector(tsc.LabelSelector); err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
					t.Errorf("%s: the spread selector %v does not match the pod labels %v", w.Name, tsc.LabelSelector, d.Spec.Template.Labels)
				}
			}
			if got, want := *pod.TerminationGracePeriodSeconds, int64(w.MaxProcessingSeconds+10); got != want {
				t.Errorf("%s: grace period %d, want %d", w.Name, got, want)
			}
			ctr := pod.Containers[0]
			if !ctr.Resources.Requests.Cpu().Equal(*ctr.Resources.Limits.Cpu()) || !ctr.Resources.Requests.Memory().Equal(*ctr.Resources.Limits.Memory()) {
				t.Errorf("%s: requests %v != limits %v", w.Name, ctr.Resources.Requests, ctr.Resources.Limits)
			}
			if ctr.LivenessProbe.HTTPGet.Port.IntValue() != 8080 || ctr.ReadinessProbe.HTTPGet.Path != "/readyz" {
				t.Errorf("%s: probes %+v %+v", w.Name, ctr.LivenessProbe.HTTPGet, ctr.ReadinessProbe.HTTPGet)
			}
			if sc := ctr.SecurityContext; sc == nil || !*sc.ReadOnlyRootFilesystem || *sc.AllowPrivilegeEscalation || len(sc.Capabilities.Drop) != 1 {
				t.Errorf("%s: container security context %+v", w.Name, sc)
			}
			if sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				t.Errorf("%s: the selector %v does not match the pod labels %v", w.Name, d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
			}
			if sa.Annotations[infra.ServiceAccountRoleArnAnnotation] == "" {
				t.Errorf("%s: service account has no IRSA annotation", w.Name)
			}
		}
	})
}

// TestPipelineKedaChartRendersProgramValues renders the KEDA chart with exactly the release name,
// namespace and values the program gives helm/v4.Chart: the keda-operator service account carries
// the KEDA role, the metrics server's and the webhooks' do not.
func TestPipelineKedaChartRendersProgramValues(t *testing.T) {
	t.Parallel()
	dir, err := verify.KEDAChartDir()
	if err != nil {
		t.Fatal(err)
	}
	eachPipelineRun(t, func(t *testing.T, r pipelineResult) {
		chart := r.object(t, "kubernetes:helm.sh/v4:Chart", "keda-chart")
		// The chart the program names is the published one this test renders: Chart.yaml's
		// version in the github.com/kedacore/charts module go.mod requires.
		meta, err := verify.ReadChartMetadata(dir)
		if err != nil {
			t.Fatal(err)
		}
		if chart["version"] != meta.Version {
			t.Fatalf("the program asks for KEDA chart %v; %s@%s publishes %s/Chart.yaml version %s",
				chart["version"], verify.KEDAChartModule, verify.KEDAChartModuleVersion, verify.KEDAChartPath, meta.Version)
		}
		values, _ := chart["values"].(map[string]any)
		release, _ := chart["name"].(string)
		namespace, _ := chart["namespace"].(string)
		if release == "" || namespace != r.cfg.Keda.Namespace {
			t.Fatalf("release %q namespace %q", release, namespace)
		}
		objs, err := verify.RenderChart(dir, release, namespace, r.cfg.Cluster.Version+".0", values)
		if err != nil {
			t.Fatal(err)
		}
		roleArn, _ := r.rec.Outputs["kedaRoleArn"].(string)
		if !strings.HasPrefix(roleArn, "arn:aws:iam::") {
			t.Fatalf("kedaRoleArn output %q", roleArn)
		}
		for sa, want := range map[string]string{"keda-operator": roleArn, "keda-metrics-server": "", "keda-webhook": ""} {
			o := renderedObject(t, objs, "ServiceAccount", sa)
			var got corev1.ServiceAccount
			if err := verify.DecodeStrict(o, &got); err != nil {
				t.Fatal(err)
			}
			if got.Namespace != namespace {
				t.Errorf("%s in namespace %q", sa, got.Namespace)
			}
			if arn := got.Annotations[infra.ServiceAccountRoleArnAnnotation]; arn != want {
				t.Errorf("%s: %s = %q, want %q", sa, infra.ServiceAccountRoleArnAnnotation, arn, want)
			}
		}
		// The operator's service account is the one the KEDA role trusts.
		if infra.KedaOperatorServiceAccount != "keda-operator" {
			t.Errorf("the trust names %q, the chart renders keda-operator", infra.KedaOperatorServiceAccount)
		}
		for deploy, comp := range map[string][2]string{
			"keda-operator":                   {r.cfg.Keda.OperatorCPU, r.cfg.Keda.OperatorMemory},
			"keda-operator-metrics-apiserver": {r.cfg.Keda.MetricsServerCPU, r.cfg.Keda.MetricsServerMemory},
			"keda-admission-webhooks":         {r.cfg.Keda.WebhooksCPU, r.cfg.Keda.WebhooksMemory},
		} {
			var d appsv1.Deployment
			if err := verify.DecodeStrict(renderedObject(t, objs, "Deployment", deploy), &d); err != nil {
				t.Fatal(err)
			}
			res := d.Spec.Template.Spec.Containers[0].Resources
			if res.Requests.Cpu().String() != comp[0] || res.Limits.Cpu().String() != comp[0] ||
				res.Requests.Memory().String() != comp[1] || res.Limits.Memory().String() != comp[1] {
				t.Errorf("%s: resources %v, want cpu %s memory %s as requests = limits", deploy, res, comp[0], comp[1])
			}
			if deploy == "keda-operator" && (d.Spec.Replicas == nil || int(*d.Spec.Replicas) != r.cfg.Keda.OperatorReplicas) {
				t.Errorf("operator replicas %v, want %d", d.Spec.Replicas, r.cfg.Keda.OperatorReplicas)
			}
		}
	})
}

func deepCopy(t *testing.T, m map[string]any) map[string]any { return verify.ToObject(t, m) }
