package verify

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

const validNamespace = `
apiVersion: v1
kind: Namespace
metadata:
  name: work
  labels:
    app.kubernetes.io/part-of: eventscale
`

const validServiceAccount = `
apiVersion: v1
kind: ServiceAccount
metadata:
  name: worker
  namespace: work
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/worker
automountServiceAccountToken: true
`

const validDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  namespace: work
spec:
  replicas: 0
  selector:
    matchLabels:
      app: worker
  template:
    metadata:
      labels:
        app: worker
    spec:
      serviceAccountName: worker
      terminationGracePeriodSeconds: 60
      containers:
        - name: worker
          image: public.ecr.aws/example/worker:1.0.0
          env:
            - name: QUEUE_URL
              value: https://sqs.us-east-1.amazonaws.com/123456789012/work
          resources:
            requests: {cpu: 250m, memory: 256Mi}
            limits: {memory: 256Mi}
`

func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		manifest func(t testing.TB) string
		into     func() runtime.Object
		wants    []want
	}{
		{name: "valid Namespace", manifest: func(testing.TB) string { return validNamespace }, into: func() runtime.Object { return &corev1.Namespace{} }},
		{name: "valid ServiceAccount", manifest: func(testing.TB) string { return validServiceAccount }, into: func() runtime.Object { return &corev1.ServiceAccount{} }},
		{name: "valid Deployment", manifest: func(testing.TB) string { return validDeployment }, into: func() runtime.Object { return &appsv1.Deployment{} }},
		{
			name:     "Namespace with a misspelt metadata field",
			manifest: func(t testing.TB) string { return edit(t, validNamespace, "  labels:", "  label:") },
			into:     func() runtime.Object { return &corev1.Namespace{} },
			wants:    []want{{"metadata.label", MsgUnknownField}},
		},
		{
			name: "ServiceAccount with annotations at the top level",
			manifest: func(t testing.TB) string {
				return edit(t, validServiceAccount, "automountServiceAccountToken: true\n", "automountServiceAccountToken: true\nannotations:\n  a: b\n")
			},
			into:  func() runtime.Object { return &corev1.ServiceAccount{} },
			wants: []want{{"annotations", MsgUnknownField}},
		},
		{
			name: "ServiceAccount with a string for a bool",
			manifest: func(t testing.TB) string {
				return edit(t, validServiceAccount, "automountServiceAccountToken: true", `automountServiceAccountToken: "yes"`)
			},
			into:  func() runtime.Object { return &corev1.ServiceAccount{} },
			wants: []want{{"", "cannot unmarshal string"}},
		},
		{
			name: "Deployment with a misspelt container field",
			manifest: func(t testing.TB) string {
				return edit(t, validDeployment, "          image: ", "          imagePullPolicyy: Always\n          image: ")
			},
			into:  func() runtime.Object { return &appsv1.Deployment{} },
			wants: []want{{"spec.template.spec.containers[0].imagePullPolicyy", MsgUnknownField}},
		},
		{
			name: "Deployment with a wrongly cased field",
			manifest: func(t testing.TB) string {
				return edit(t, validDeployment, "serviceAccountName:", "serviceaccountname:")
			},
			into:  func() runtime.Object { return &appsv1.Deployment{} },
			wants: []want{{"spec.template.spec.serviceaccountname", MsgUnknownField}},
		},
		{
			name: "Deployment of a removed API version",
			manifest: func(t testing.TB) string {
				return edit(t, validDeployment, "apiVersion: apps/v1", "apiVersion: extensions/v1beta1")
			},
			into:  func() runtime.Object { return &appsv1.Deployment{} },
			wants: []want{{"apiVersion", "does not decode into *v1.Deployment"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, DecodeStrict(obj(t, tc.manifest(t)), tc.into()), tc.wants)
		})
	}

	d := &appsv1.Deployment{}
	if err := DecodeStrict(obj(t, validDeployment), d); err != nil {
		t.Fatal(err)
	}
	if got := d.Spec.Template.Spec.Containers[0].Resources.Requests.Cpu().String(); got != "250m" {
		t.Errorf("decoded cpu request %q, want 250m", got)
	}
}

func TestValidateBuiltin(t *testing.T) {
	t.Parallel()
	checkManifests(t, ValidateBuiltin, []manifestCase{
		{name: "valid Namespace", manifest: func(testing.TB) string { return validNamespace }},
		{name: "valid ServiceAccount", manifest: func(testing.TB) string { return validServiceAccount }},
		{name: "valid Deployment", manifest: func(testing.TB) string { return validDeployment }},
		{
			name:     "Namespace name is not a DNS label",
			manifest: func(t testing.TB) string { return edit(t, validNamespace, "name: work", "name: work.queue") },
			wants:    []want{{"metadata.name", "must not contain dots"}},
		},
		{
			name: "Namespace with a namespace",
			manifest: func(t testing.TB) string {
				return edit(t, validNamespace, "name: work\n", "name: work\n  namespace: default\n")
			},
			wants: []want{{"metadata.namespace", "cluster-scoped"}},
		},
		{
			name: "Deployment selector does not match template labels",
			manifest: func(t testing.TB) string {
				return edit(t, validDeployment, "      app: worker\n  template:", "      app: consumer\n  template:")
			},
			wants: []want{{"spec.template.metadata.labels", "`selector` does not match template `labels`"}},
		},
		{
			name: "Deployment without selector",
			manifest: func(t testing.TB) string {
				return edit(t, validDeployment, "  selector:\n    matchLabels:\n      app: worker\n", "")
			},
			wants: []want{{"spec.selector", "Required value"}},
		},
		{
			name: "Deployment container without image",
			manifest: func(t testing.TB) string {
				return edit(t, validDeployment, "          image: public.ecr.aws/example/worker:1.0.0\n", "")
			},
			wants: []want{{"spec.template.spec.containers[0].image", "Required value"}},
		},
		{
			name: "Deployment with a zone spread",
			manifest: func(t testing.TB) string {
				return edit(t, validDeployment, "      containers:", "      topologySpreadConstraints:\n        - maxSkew: 1\n          topologyKey: topology.kubernetes.io/zone\n          whenUnsatisfiable: ScheduleAnyway\n          labelSelector:\n            matchLabels:\n              app: worker\n          matchLabelKeys: [pod-template-hash]\n      containers:")
			},
		},
		{
			name: "zone spread with an unknown whenUnsatisfiable, no skew and a matchLabelKey in its selector",
			manifest: func(t testing.TB) string {
				m := edit(t, validDeployment, "      containers:", "      topologySpreadConstraints:\n        - maxSkew: 1\n          topologyKey: topology.kubernetes.io/zone\n          whenUnsatisfiable: ScheduleAnyway\n          labelSelector:\n            matchLabels:\n              app: worker\n          matchLabelKeys: [pod-template-hash]\n      containers:")
				m = edit(t, m, "whenUnsatisfiable: ScheduleAnyway", "whenUnsatisfiable: Preferred")
				m = edit(t, m, "maxSkew: 1", "maxSkew: 0")
				return edit(t, m, "[pod-template-hash]", "[app]")
			},
			wants: []want{
				{"spec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable", "Unsupported value"},
				{"spec.template.spec.topologySpreadConstraints[0].maxSkew", "must be greater than zero"},
				{"spec.template.spec.topologySpreadConstraints[0].matchLabelKeys[0]", "exists in both matchLabelKeys and labelSelector"},
			},
		},
		{
			name: "label value too long",
			manifest: func(t testing.TB) string {
				return edit(t, validNamespace, "eventscale\n", "eventscale-0123456789012345678901234567890123456789012345678901234567890123\n")
			},
			wants: []want{{"metadata.labels", "must be no more than 63 bytes"}},
		},
	})
}
