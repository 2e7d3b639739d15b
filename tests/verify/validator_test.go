package verify

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const validNodePool = `
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: default
spec:
  template:
    metadata:
      labels:
        eventscale.io/pool: workers
    spec:
      nodeClassRef:
        group: karpenter.k8s.aws
        kind: EC2NodeClass
        name: default
      requirements:
        - key: kubernetes.io/arch
          operator: In
          values: ["amd64", "arm64"]
        - key: karpenter.sh/capacity-type
          operator: In
          values: ["spot", "on-demand"]
        - key: karpenter.k8s.aws/instance-category
          operator: In
          values: ["c", "m", "r"]
        - key: karpenter.k8s.aws/instance-generation
          operator: Gt
          values: ["2"]
      expireAfter: 720h
  limits:
    cpu: "8"
    memory: 32Gi
  disruption:
    consolidationPolicy: WhenEmptyOrUnderutilized
    consolidateAfter: 1m
    budgets:
      - nodes: "10%"
      - nodes: "0"
        schedule: "0 9 * * mon-fri"
        duration: 8h
        reasons: ["Drifted"]
`

const validEC2NodeClass = `
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: default
spec:
  role: KarpenterNodeRole-demo
  amiSelectorTerms:
    - alias: al2023@latest
  subnetSelectorTerms:
    - tags:
        karpenter.sh/discovery: demo
  securityGroupSelectorTerms:
    - tags:
        karpenter.sh/discovery: demo
  metadataOptions:
    httpEndpoint: enabled
    httpProtocolIPv6: disabled
    httpPutResponseHopLimit: 1
    httpTokens: required
  blockDeviceMappings:
    - deviceName: /dev/xvda
      ebs:
        volumeSize: 20Gi
        volumeType: gp3
        encrypted: true
        deleteOnTermination: true
  tags:
    team: platform
`

const validScaledObject = `
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: worker
  namespace: work
spec:
  scaleTargetRef:
    name: worker
  minReplicaCount: 0
  maxReplicaCount: 2
  pollingInterval: 15
  cooldownPeriod: 60
  triggers:
    - type: aws-sqs-queue
      metadata:
        queueURL: https://sqs.us-east-1.amazonaws.com/123456789012/work
        queueLength: "1"
        activationQueueLength: "0"
        awsRegion: us-east-1
        scaleOnInFlight: "true"
      authenticationRef:
        name: keda-aws
`

const validTriggerAuthentication = `
apiVersion: keda.sh/v1alpha1
kind: TriggerAuthentication
metadata:
  name: keda-aws
  namespace: work
spec:
  podIdentity:
    provider: aws
`

// edit returns the manifest with every old replaced by new, failing the test
// if old does not occur (so a fixture change cannot silently void a case).
func edit(t testing.TB, manifest string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(manifest, pairs[i]) {
			t.Fatalf("fixture does not contain %q", pairs[i])
		}
		manifest = strings.ReplaceAll(manifest, pairs[i], pairs[i+1])
	}
	return manifest
}

func TestValidateCustomResources(t *testing.T) {
	t.Parallel()
	v := testValidator(t)
	checkManifests(t, v.Validate, []manifestCase{
		{name: "valid NodePool", manifest: func(testing.TB) string { return validNodePool }},
		{name: "valid EC2NodeClass", manifest: func(testing.TB) string { return validEC2NodeClass }},
		{name: "valid ScaledObject", manifest: func(testing.TB) string { return validScaledObject }},
		{name: "valid TriggerAuthentication", manifest: func(testing.TB) string { return validTriggerAuthentication }},

		// Karpenter.
		{
			name: "EC2NodeClass with both role and instanceProfile",
			manifest: func(t testing.TB) string {
				return edit(t, validEC2NodeClass, "  role: KarpenterNodeRole-demo\n", "  role: KarpenterNodeRole-demo\n  instanceProfile: KarpenterNodeInstanceProfile-demo\n")
			},
			wants: []want{{"spec", "must specify exactly one of ['role', 'instanceProfile']"}},
		},
		{
			name: "EC2NodeClass with neither role nor instanceProfile",
			manifest: func(t testing.TB) string {
				return edit(t, validEC2NodeClass, "  role: KarpenterNodeRole-demo\n", "")
			},
			wants: []want{{"spec", "must specify exactly one of ['role', 'instanceProfile']"}},
		},
		{
			name: "EC2NodeClass with a restricted tag key",
			manifest: func(t testing.TB) string {
				return edit(t, validEC2NodeClass, "    team: platform\n", "    team: platform\n    kubernetes.io/cluster/foo: owned\n")
			},
			wants: []want{{"spec.tags", "kubernetes.io/cluster"}},
		},
		{
			name: "EC2NodeClass with a malformed AMI alias",
			manifest: func(t testing.TB) string {
				return edit(t, validEC2NodeClass, "alias: al2023@latest", "alias: al2023")
			},
			wants: []want{{"spec.amiSelectorTerms[0].alias", "'alias' is improperly formatted"}},
		},
		{
			name: "EC2NodeClass IMDS hop limit out of range",
			manifest: func(t testing.TB) string {
				return edit(t, validEC2NodeClass, "httpPutResponseHopLimit: 1", "httpPutResponseHopLimit: 65")
			},
			wants: []want{{"spec.metadataOptions.httpPutResponseHopLimit", "should be less than or equal to 64"}},
		},
		{
			name: "NodePool nodeClassRef with apiVersion (v1beta1 habit)",
			manifest: func(t testing.TB) string {
				return edit(t, validNodePool, "        group: karpenter.k8s.aws\n", "        apiVersion: karpenter.k8s.aws/v1\n        group: karpenter.k8s.aws\n")
			},
			wants: []want{{"spec.template.spec.nodeClassRef.apiVersion", MsgUnknownField}},
		},
		{
			name: "NodePool budget with schedule but no duration",
			manifest: func(t testing.TB) string {
				return edit(t, validNodePool, "        duration: 8h\n", "")
			},
			wants: []want{{"spec.disruption.budgets", "'schedule' must be set with 'duration'"}},
		},
		{
			name: "NodePool expireAfter at spec level (v1beta1 layout)",
			manifest: func(t testing.TB) string {
				return edit(t, validNodePool, "      expireAfter: 720h\n", "", "  limits:\n", "  expireAfter: 720h\n  limits:\n")
			},
			wants: []want{{"spec.expireAfter", MsgUnknownField}},
		},
		{
			name: "NodePool requirement on a restricted label domain",
			manifest: func(t testing.TB) string {
				return edit(t, validNodePool, "        - key: kubernetes.io/arch\n", "        - key: karpenter.sh/foo\n          operator: Exists\n        - key: kubernetes.io/arch\n")
			},
			wants: []want{{"spec.template.spec.requirements[0].key", "label domain \"karpenter.sh\" is restricted"}},
		},
		{
			name: "NodePool without nodeClassRef",
			manifest: func(t testing.TB) string {
				return edit(t, validNodePool, "      nodeClassRef:\n        group: karpenter.k8s.aws\n        kind: EC2NodeClass\n        name: default\n", "")
			},
			wants: []want{{"spec.template.spec.nodeClassRef", "Required value"}},
		},
		{
			name: "NodePool in a namespace (cluster-scoped kind)",
			manifest: func(t testing.TB) string {
				return edit(t, validNodePool, "metadata:\n  name: default\n", "metadata:\n  name: default\n  namespace: karpenter\n")
			},
			wants: []want{{"metadata.namespace", "cluster-scoped"}},
		},
		{
			name: "NodePool of an unserved version",
			manifest: func(t testing.TB) string {
				return edit(t, validNodePool, "karpenter.sh/v1\n", "karpenter.sh/v1beta1\n")
			},
			wants: []want{{"apiVersion", `version "v1beta1" of NodePool.karpenter.sh is not served (served: v1)`}},
		},
		{
			name: "NodePool with an invalid name",
			manifest: func(t testing.TB) string {
				return edit(t, validNodePool, "metadata:\n  name: default\n", "metadata:\n  name: Default_Pool\n")
			},
			wants: []want{{"metadata.name", "RFC 1123 subdomain"}},
		},
		{
			name: "NodePool with an unknown metadata field",
			manifest: func(t testing.TB) string {
				return edit(t, validNodePool, "metadata:\n  name: default\n", "metadata:\n  name: default\n  label:\n    a: b\n")
			},
			wants: []want{{"metadata.label", MsgUnknownField}},
		},

		// KEDA.
		{
			name: "tutorial ScaledObject with replica settings nested under scaleTargetRef",
			manifest: func(t testing.TB) string {
				return edit(t, validScaledObject,
					"    name: worker\n  minReplicaCount: 0\n  maxReplicaCount: 2\n  pollingInterval: 15\n  cooldownPeriod: 60\n",
					"    name: worker\n    minReplicaCount: 0\n    maxReplicaCount: 2\n    pollingInterval: 15\n    cooldownPeriod: 60\n")
			},
			wants: []want{
				{"spec.scaleTargetRef.minReplicaCount", MsgUnknownField},
				{"spec.scaleTargetRef.maxReplicaCount", MsgUnknownField},
				{"spec.scaleTargetRef.pollingInterval", MsgUnknownField},
				{"spec.scaleTargetRef.cooldownPeriod", MsgUnknownField},
			},
		},
		{
			name: "ScaledObject minReplicaCount above maxReplicaCount",
			manifest: func(t testing.TB) string {
				return edit(t, validScaledObject, "minReplicaCount: 0", "minReplicaCount: 3")
			},
			wants: []want{{"spec", "minReplicaCount"}},
		},
		{
			name: "ScaledObject trigger metadata value that is not a string",
			manifest: func(t testing.TB) string {
				return edit(t, validScaledObject, `queueLength: "1"`, "queueLength: 5")
			},
			wants: []want{{"spec.triggers[0].metadata.queueLength", `must be of type string: "integer"`}},
		},
		{
			name: "ScaledObject without triggers",
			manifest: func(t testing.TB) string {
				s := validScaledObject
				return s[:strings.Index(s, "  triggers:")]
			},
			wants: []want{{"spec.triggers", "Required value"}},
		},
		{
			name: "ScaledObject with an empty scaleTargetRef name",
			manifest: func(t testing.TB) string {
				return edit(t, validScaledObject, "  scaleTargetRef:\n    name: worker\n", "  scaleTargetRef:\n    name: \"\"\n")
			},
			wants: []want{{"spec.scaleTargetRef.name", "should be at least 1 chars long"}},
		},
		{
			name: "ScaledObject with a negative pollingInterval",
			manifest: func(t testing.TB) string {
				return edit(t, validScaledObject, "pollingInterval: 15", "pollingInterval: 0")
			},
			wants: []want{{"spec.pollingInterval", "should be greater than or equal to 1"}},
		},
		{
			name: "ScaledObject with status set on create",
			manifest: func(t testing.TB) string {
				return validScaledObject + "status:\n  health: {}\n"
			},
			wants: []want{{"status", "subresource"}},
		},
		{
			name: "TriggerAuthentication with an unknown provider",
			manifest: func(t testing.TB) string {
				return edit(t, validTriggerAuthentication, "provider: aws", "provider: aws-eks2")
			},
			wants: []want{{"spec.podIdentity.provider", `Unsupported value: "aws-eks2"`}},
		},
	})
}

// Admit returns the object as the API server stores it: pruned and defaulted.
func TestAdmitPrunesAndDefaults(t *testing.T) {
	t.Parallel()
	v := testValidator(t)

	in := obj(t, edit(t, validNodePool,
		"      expireAfter: 720h\n", "",
		"    consolidationPolicy: WhenEmptyOrUnderutilized\n", "",
		"    budgets:\n      - nodes: \"10%\"\n      - nodes: \"0\"\n        schedule: \"0 9 * * mon-fri\"\n        duration: 8h\n        reasons: [\"Drifted\"]\n", ""))
	out, err := v.Admit(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path []string
		want any
	}{
		{[]string{"spec", "template", "spec", "expireAfter"}, "720h"},
		{[]string{"spec", "disruption", "consolidationPolicy"}, "WhenEmptyOrUnderutilized"},
	} {
		got, found, err := unstructured.NestedFieldNoCopy(out, tc.path...)
		if err != nil || !found || got != tc.want {
			t.Errorf("%s = %v (found %v, %v), want default %v", strings.Join(tc.path, "."), got, found, err, tc.want)
		}
	}
	budgets, _, _ := unstructured.NestedSlice(out, "spec", "disruption", "budgets")
	if len(budgets) != 1 || budgets[0].(map[string]any)["nodes"] != "10%" {
		t.Errorf("budgets = %v, want the default [{nodes: 10%%}]", budgets)
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(in, "spec", "template", "spec", "expireAfter"); found {
		t.Error("Admit modified its input")
	}

	// Unknown fields are pruned from the admitted object as well as reported.
	bad := obj(t, edit(t, validScaledObject, "  scaleTargetRef:\n    name: worker\n", "  scaleTargetRef:\n    name: worker\n    maxReplicaCount: 9\n"))
	out, err = v.Admit(bad)
	var oe *ObjectError
	if !errors.As(err, &oe) || !oe.Has("spec.scaleTargetRef.maxReplicaCount", MsgUnknownField) {
		t.Fatalf("want unknown field error, got %v", err)
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(out, "spec", "scaleTargetRef", "maxReplicaCount"); found {
		t.Error("unknown field not pruned from the admitted object")
	}
	// ... and the sibling value is what the scaler would really use.
	if got, _, _ := unstructured.NestedInt64(out, "spec", "maxReplicaCount"); got != 2 {
		t.Errorf("spec.maxReplicaCount = %d, want 2 (an int64 after decoding)", got)
	}
}

// Objects straight from Go code (ints, nested typed maps) validate like YAML.
func TestValidateAcceptsGoValues(t *testing.T) {
	t.Parallel()
	v := testValidator(t)
	so := map[string]any{
		"apiVersion": "keda.sh/v1alpha1",
		"kind":       "ScaledObject",
		"metadata":   map[string]string{"name": "worker", "namespace": "work"},
		"spec": map[string]any{
			"scaleTargetRef":  map[string]any{"name": "worker"},
			"minReplicaCount": 0,
			"maxReplicaCount": int32(2),
			"pollingInterval": float64(15),
			"triggers": []map[string]any{{
				"type":     "aws-sqs-queue",
				"metadata": map[string]string{"queueURL": "https://sqs.us-east-1.amazonaws.com/1/q", "queueLength": "1", "awsRegion": "us-east-1"},
			}},
		},
	}
	if err := v.Validate(so); err != nil {
		t.Fatal(err)
	}
	so["spec"].(map[string]any)["cooldownPeriod"] = 1.5
	checkErrors(t, v.Validate(so), []want{
		{"spec.cooldownPeriod", `must be of type int32: "float64"`},
		{"", "must be of type integer with format int32 in spec.cooldownPeriod"},
	})
}

func TestValidateAll(t *testing.T) {
	t.Parallel()
	v := testValidator(t)
	ns := obj(t, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: work\n")
	good := []map[string]any{ns, obj(t, validScaledObject), obj(t, validTriggerAuthentication), obj(t, validNodePool), obj(t, validEC2NodeClass)}
	if err := v.ValidateAll(good); err != nil {
		t.Fatalf("want valid, got %v", err)
	}
	if err := ValidateObjects(good); err != nil {
		t.Fatalf("ValidateObjects: %v", err)
	}

	bad := append(good,
		obj(t, "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"),
		obj(t, edit(t, validTriggerAuthentication, "provider: aws", "provider: aws-eks2")),
		ns,
	)
	err := v.ValidateAll(bad)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, msg := range []string{
		"example.com/v1 Widget w: kind: neither a built-in kind nor a loaded CRD",
		"keda.sh/v1alpha1 TriggerAuthentication work/keda-aws: spec.podIdentity.provider: Unsupported value",
		"Namespace /work: objects #0 and #7 have the same identity",
	} {
		if !strings.Contains(err.Error(), msg) {
			t.Errorf("error lacks %q:\n%v", msg, err)
		}
	}
}

func TestAllowMissingNames(t *testing.T) {
	t.Parallel()
	crds, err := UpstreamCRDs()
	if err != nil {
		t.Fatal(err)
	}
	strict, err := NewValidator(crds)
	if err != nil {
		t.Fatal(err)
	}
	lax, err := NewValidator(crds, AllowMissingNames())
	if err != nil {
		t.Fatal(err)
	}
	unnamed := obj(t, edit(t, validTriggerAuthentication, "  name: keda-aws\n", ""))
	checkErrors(t, strict.Validate(unnamed), []want{{"metadata.name", "name or generateName is required"}})
	if err := lax.Validate(unnamed); err != nil {
		t.Errorf("AllowMissingNames: %v", err)
	}
	if err := strict.With(AllowMissingNames()).Validate(unnamed); err != nil {
		t.Errorf("With(AllowMissingNames()): %v", err)
	}
	if err := strict.Validate(unnamed); err == nil {
		t.Error("With modified the original validator")
	}
	if err := ValidateObjects([]map[string]any{unnamed}, AllowMissingNames()); err != nil {
		t.Errorf("ValidateObjects(AllowMissingNames()): %v", err)
	}
	AssertValid(t, []map[string]any{unnamed}, AllowMissingNames())
}

func TestNewValidatorRejectsBadCRDs(t *testing.T) {
	t.Parallel()
	const crd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              x-kubernetes-validations:
                - rule: "RULE"
              properties:
                size: {type: integer}
`
	good, err := ParseCRD([]byte(strings.Replace(crd, "RULE", "self.size < 10", 1)))
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewValidator(append(mustUpstream(t), good))
	if err != nil {
		t.Fatal(err)
	}
	w := obj(t, "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 12}\n")
	checkErrors(t, v.Validate(w), []want{{"spec", "failed rule: self.size < 10"}})

	bad, err := ParseCRD([]byte(strings.Replace(crd, "RULE", "self.size < 'ten'", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewValidator(append(mustUpstream(t), bad)); err == nil || !strings.Contains(err.Error(), "no matching overload") {
		t.Errorf("want a CEL compile error, got %v", err)
	}
	if _, err := ParseCRD([]byte(strings.Replace(crd, "scope: Namespaced", "scope: Namespaced\n  scop: x", 1))); err == nil {
		t.Error("want a strict decoding error for an unknown CRD field")
	}
}

func mustUpstream(t testing.TB) []*apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	crds, err := UpstreamCRDs()
	if err != nil {
		t.Fatal(err)
	}
	return crds
}

// recorder captures the errors a helper reports.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestAssertValidReportsEachObject(t *testing.T) {
	t.Parallel()
	r := &recorder{TB: t}
	AssertValid(r, []map[string]any{
		obj(t, validNodePool),
		obj(t, edit(t, validTriggerAuthentication, "provider: aws", "provider: aws-eks2")),
		obj(t, edit(t, validScaledObject, "minReplicaCount: 0", "minReplicaCount: 3")),
	})
	if len(r.errs) != 2 ||
		!strings.Contains(r.errs[0], "TriggerAuthentication work/keda-aws: spec.podIdentity.provider") ||
		!strings.Contains(r.errs[1], "ScaledObject work/worker: spec: Invalid value: minReplicaCount must be less than or equal to maxReplicaCount") {
		t.Errorf("AssertValid reported %q", r.errs)
	}
	r = &recorder{TB: t}
	AssertValid(r, nil)
	if len(r.errs) != 1 {
		t.Errorf("AssertValid(nil) reported %q, want one error", r.errs)
	}
}
