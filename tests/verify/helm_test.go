package verify

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/eventscale/eventscale/infra"
)

// kubeVersion is the EKS version the charts are rendered for (DESIGN §3).
const kubeVersion = "1.35.0"

const roleArnAnnotation = "eks.amazonaws.com/role-arn"

// karpenterValues are the values DESIGN §4 asks the program to set.
func karpenterValues() map[string]any {
	return map[string]any{
		"settings": map[string]any{
			"clusterName":       "c",
			"clusterEndpoint":   "https://x",
			"interruptionQueue": "q",
		},
		"serviceAccount": map[string]any{
			"name":        "karpenter",
			"annotations": map[string]any{roleArnAnnotation: "arn:aws:iam::123456789012:role/k"},
		},
		"dnsPolicy": "Default",
		"controller": map[string]any{
			"resources": map[string]any{
				"requests": map[string]any{"cpu": 1, "memory": "1Gi"},
				"limits":   map[string]any{"cpu": 1, "memory": "1Gi"},
			},
		},
	}
}

// find strictly decodes the rendered objects of a kind, keyed by name.
func find[T runtime.Object](t *testing.T, objs []map[string]any, kind string, newT func() T) map[string]T {
	t.Helper()
	out := map[string]T{}
	for _, o := range objs {
		if o["kind"] != kind {
			continue
		}
		typed := newT()
		if err := DecodeStrict(o, typed); err != nil {
			t.Fatalf("rendered %s does not decode strictly: %v", kind, err)
		}
		out[name(o)] = typed
	}
	return out
}

func name(o map[string]any) string {
	m, _ := o["metadata"].(map[string]any)
	n, _ := m["name"].(string)
	return n
}

func karpenterChart(t *testing.T) string { t.Helper(); return chartDir(t, KarpenterChartDir) }

func kedaChart(t *testing.T) string { t.Helper(); return chartDir(t, KEDAChartDir) }

// chartDir is the chart directory find returns; the test fails when there is none.
func chartDir(t *testing.T, find func() (string, error)) string {
	t.Helper()
	dir, err := find()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRenderKarpenterChart(t *testing.T) {
	t.Parallel()
	objs, err := RenderChart(karpenterChart(t), "karpenter", "karpenter", kubeVersion, karpenterValues())
	if err != nil {
		t.Fatal(err)
	}
	deployments := find(t, objs, "Deployment", func() *appsv1.Deployment { return &appsv1.Deployment{} })
	d, ok := deployments["karpenter"]
	if !ok {
		t.Fatalf("no Deployment karpenter among %v", slices.Sorted(maps.Keys(deployments)))
	}
	if d.Namespace != "karpenter" {
		t.Errorf("Deployment namespace %q, want karpenter", d.Namespace)
	}
	pod := d.Spec.Template.Spec
	if pod.ServiceAccountName != "karpenter" {
		t.Errorf("serviceAccountName %q, want karpenter", pod.ServiceAccountName)
	}
	if pod.DNSPolicy != corev1.DNSDefault {
		t.Errorf("dnsPolicy %q, want Default", pod.DNSPolicy)
	}
	var controller *corev1.Container
	for i := range pod.Containers {
		if pod.Containers[i].Name == "controller" {
			controller = &pod.Containers[i]
		}
	}
	if controller == nil {
		t.Fatalf("no controller container in %+v", pod.Containers)
	}
	env := map[string]string{}
	for _, e := range controller.Env {
		env[e.Name] = e.Value
	}
	for k, want := range map[string]string{"CLUSTER_NAME": "c", "CLUSTER_ENDPOINT": "https://x", "INTERRUPTION_QUEUE": "q"} {
		if got, ok := env[k]; !ok || got != want {
			t.Errorf("controller env %s = %q (set: %v), want %q", k, got, ok, want)
		}
	}
	for _, rl := range []corev1.ResourceList{controller.Resources.Requests, controller.Resources.Limits} {
		if cpu := rl[corev1.ResourceCPU]; cpu.Cmp(resource.MustParse("1")) != 0 {
			t.Errorf("controller cpu %s, want 1", cpu.String())
		}
		if mem := rl[corev1.ResourceMemory]; mem.Cmp(resource.MustParse("1Gi")) != 0 {
			t.Errorf("controller memory %s, want 1Gi", mem.String())
		}
	}

	sas := find(t, objs, "ServiceAccount", func() *corev1.ServiceAccount { return &corev1.ServiceAccount{} })
	sa, ok := sas["karpenter"]
	if !ok {
		t.Fatalf("no ServiceAccount karpenter among %v", slices.Sorted(maps.Keys(sas)))
	}
	if sa.Namespace != "karpenter" || sa.Annotations[roleArnAnnotation] != "arn:aws:iam::123456789012:role/k" {
		t.Errorf("ServiceAccount %s/%s annotations %v, want the IRSA role", sa.Namespace, sa.Name, sa.Annotations)
	}

	if got := d.Labels["helm.sh/chart"]; got != "karpenter-1.13.0" {
		t.Errorf("helm.sh/chart label %q: the chart at tag %s says 1.13.0 (see the reference README)", got, KarpenterVersion)
	}

	// Every object the chart renders is a valid built-in object.
	if err := testValidator(t).ValidateAll(objs); err != nil {
		t.Errorf("rendered chart objects are invalid: %v", err)
	}
}

// Rendering as the released package: Chart.yaml's version replaced, image
// pinned through values as the program should do.
func TestRenderKarpenterChartAsReleased(t *testing.T) {
	t.Parallel()
	vals := karpenterValues()
	img := infra.KarpenterControllerImage
	vals["controller"].(map[string]any)["image"] = map[string]any{"tag": img.Tag, "digest": img.Digest}
	objs, err := Render(karpenterChart(t), RenderOptions{
		ReleaseName: "karpenter", Namespace: "karpenter", KubeVersion: kubeVersion, Values: vals,
		ChartVersion: "1.14.1", AppVersion: "1.14.1",
	})
	if err != nil {
		t.Fatal(err)
	}
	d := find(t, objs, "Deployment", func() *appsv1.Deployment { return &appsv1.Deployment{} })["karpenter"]
	if d == nil {
		t.Fatal("no Deployment karpenter")
	}
	if got := d.Labels["helm.sh/chart"]; got != "karpenter-1.14.1" {
		t.Errorf("helm.sh/chart label %q, want karpenter-1.14.1", got)
	}
	if got, want := d.Spec.Template.Spec.Containers[0].Image, img.Ref(); got != want {
		t.Errorf("image %q, want %q", got, want)
	}
}

// The service account name follows the release name unless set in the values
// (DESIGN §4): the IRSA trust must use the same value.
func TestRenderKarpenterChartServiceAccountNameFollowsRelease(t *testing.T) {
	t.Parallel()
	vals := karpenterValues()
	delete(vals["serviceAccount"].(map[string]any), "name")
	objs, err := RenderChart(karpenterChart(t), "karpenter-release", "karpenter", kubeVersion, vals)
	if err != nil {
		t.Fatal(err)
	}
	sas := find(t, objs, "ServiceAccount", func() *corev1.ServiceAccount { return &corev1.ServiceAccount{} })
	if _, ok := sas["karpenter-release"]; !ok || len(sas) != 1 {
		t.Errorf("service accounts %v, want only karpenter-release", slices.Sorted(maps.Keys(sas)))
	}
}

func kedaValues(irsa bool, topLevelAnnotation bool) map[string]any {
	v := map[string]any{}
	if irsa {
		v["podIdentity"] = map[string]any{"aws": map[string]any{"irsa": map[string]any{
			"enabled": true,
			"roleArn": "arn:aws:iam::123456789012:role/keda",
		}}}
	}
	if topLevelAnnotation {
		v["serviceAccount"] = map[string]any{"annotations": map[string]any{roleArnAnnotation: "arn:aws:iam::123456789012:role/keda"}}
	}
	return v
}

func TestRenderKEDAChart(t *testing.T) {
	t.Parallel()
	chart := kedaChart(t)
	cases := []struct {
		name       string
		values     map[string]any
		wantRoleOn []string
	}{
		{name: "podIdentity.aws.irsa annotates only the operator", values: kedaValues(true, false), wantRoleOn: []string{"keda-operator"}},
		{name: "tutorial's top-level serviceAccount.annotations lands on all three", values: kedaValues(false, true),
			wantRoleOn: []string{"keda-metrics-server", "keda-operator", "keda-webhook"}},
		{name: "defaults annotate nothing", values: nil, wantRoleOn: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			objs, err := RenderChart(chart, "keda", "keda", kubeVersion, tc.values)
			if err != nil {
				t.Fatal(err)
			}
			sas := find(t, objs, "ServiceAccount", func() *corev1.ServiceAccount { return &corev1.ServiceAccount{} })
			if got := strings.Join(slices.Sorted(maps.Keys(sas)), ","); got != "keda-metrics-server,keda-operator,keda-webhook" {
				t.Fatalf("service accounts %s, want keda-metrics-server,keda-operator,keda-webhook", got)
			}
			var got []string
			for _, n := range slices.Sorted(maps.Keys(sas)) {
				if sas[n].Namespace != "keda" {
					t.Errorf("ServiceAccount %s in namespace %q, want keda", n, sas[n].Namespace)
				}
				if arn, ok := sas[n].Annotations[roleArnAnnotation]; ok {
					if arn != "arn:aws:iam::123456789012:role/keda" {
						t.Errorf("ServiceAccount %s role %q", n, arn)
					}
					got = append(got, n)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.wantRoleOn, ",") {
				t.Errorf("role-arn annotation on %v, want on %v", got, tc.wantRoleOn)
			}
			if tc.values != nil && len(tc.wantRoleOn) == 1 {
				if aud := sas["keda-operator"].Annotations["eks.amazonaws.com/audience"]; aud != "sts.amazonaws.com" {
					t.Errorf("operator audience annotation %q, want sts.amazonaws.com", aud)
				}
			}
		})
	}
}

// The KEDA chart renders its CRDs from templates and an APIService
// (apiregistration.k8s.io, not a k8s.io/api type); everything else is a
// valid built-in object, and the chart's CRDs serve the same kinds as the
// module's.
func TestRenderKEDAChartObjectsAreValid(t *testing.T) {
	t.Parallel()
	objs, err := RenderChart(kedaChart(t), "keda", "keda", kubeVersion, kedaValues(true, false))
	if err != nil {
		t.Fatal(err)
	}
	var checked []map[string]any
	kinds := map[string]int{}
	var crds []CRDFile
	for _, o := range objs {
		gvk := gvkOf(o)
		kinds[gvk.Kind]++
		switch gvk.GroupKind() {
		case schema.GroupKind{Group: "apiregistration.k8s.io", Kind: "APIService"}:
			continue
		case schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:
			data, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			crds = append(crds, CRDFile{Path: "chart:" + name(o), Data: data})
		}
		checked = append(checked, o)
	}
	for _, k := range []string{"Deployment", "ServiceAccount", "CustomResourceDefinition", "APIService", "ValidatingWebhookConfiguration"} {
		if kinds[k] == 0 {
			t.Errorf("chart rendered no %s (kinds: %v)", k, kinds)
		}
	}
	if err := testValidator(t).ValidateAll(checked); err != nil {
		t.Errorf("rendered chart objects are invalid: %v", err)
	}
	parsed, err := ParseCRDFiles(crds)
	if err != nil {
		t.Fatal(err)
	}
	chartValidator, err := NewValidator(parsed)
	if err != nil {
		t.Fatalf("the chart's CRDs do not compile: %v", err)
	}
	so := obj(t, validScaledObject)
	if err := chartValidator.Validate(so); err != nil {
		t.Errorf("valid ScaledObject rejected by the chart's CRD: %v", err)
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	dir := karpenterChart(t)
	if _, err := RenderChart(dir, "karpenter", "karpenter", "", nil); err == nil {
		t.Error("want an error without a Kubernetes version")
	}
	if _, err := RenderChart(t.TempDir(), "x", "x", kubeVersion, nil); err == nil {
		t.Error("want an error for a directory without a chart")
	}
	if _, err := RenderChart(kedaChart(t), "keda", "keda", "1.22.0", nil); err == nil || !strings.Contains(err.Error(), "requires kubeVersion") {
		t.Errorf("want the chart's kubeVersion constraint to reject 1.22.0, got %v", err)
	}
}
