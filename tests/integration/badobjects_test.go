package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/eventscale/eventscale/tests/verify"
)

// badCase is one known-bad object: a valid object the program emits, broken
// the way a real mistake breaks it, that the real API server must reject.
type badCase struct {
	name string
	// mistake is the real-world error this case stands for.
	mistake string
	// kind selects the program's object to start from.
	kind string
	// mutate breaks the object.
	mutate func(obj map[string]any)
	// want are substrings the server's error message must all contain.
	want []string
}

// badCases is the corpus. Each case starts from an object the dev stack
// emits, so the corpus follows the program as it changes.
var badCases = []badCase{
	{
		name:    "scaledobject-replica-settings-under-scaleTargetRef",
		mistake: "the tutorial's ScaledObject nests minReplicaCount, maxReplicaCount, pollingInterval and cooldownPeriod under scaleTargetRef",
		kind:    "ScaledObject",
		mutate: func(o map[string]any) {
			spec := mp(o, "spec")
			ref := mp(o, "spec", "scaleTargetRef")
			for _, k := range []string{"minReplicaCount", "maxReplicaCount", "pollingInterval", "cooldownPeriod"} {
				ref[k] = spec[k]
				delete(spec, k)
			}
		},
		// Strict validation names the first unknown field it meets (map order varies).
		want: []string{".spec.scaleTargetRef.", "field not declared in schema"},
	},
	{
		name:    "nodepool-curly-quoted-limit",
		mistake: "a quantity pasted from a word processor: NodePool limits cpu “4” with curly quotes",
		kind:    "NodePool",
		mutate:  func(o map[string]any) { mp(o, "spec", "limits")["cpu"] = "“4”" },
		want:    []string{"spec.limits.cpu in body should match"},
	},
	{
		name:    "ec2nodeclass-restricted-tag",
		mistake: "tagging nodes with the cluster-ownership tag kubernetes.io/cluster/<name>, which Karpenter reserves",
		kind:    "EC2NodeClass",
		mutate:  func(o map[string]any) { mp(o, "spec", "tags")["kubernetes.io/cluster/x"] = "owned" },
		want:    []string{"tag contains a restricted tag matching kubernetes.io/cluster/"},
	},
	{
		name:    "ec2nodeclass-role-and-instanceprofile",
		mistake: "setting both role and instanceProfile (exactly one is allowed)",
		kind:    "EC2NodeClass",
		mutate:  func(o map[string]any) { mp(o, "spec")["instanceProfile"] = "KarpenterNodeInstanceProfile" },
		want:    []string{"must specify exactly one of ['role', 'instanceProfile']"},
	},
	{
		name:    "nodepool-nodeclassref-apiversion",
		mistake: "v1beta1-style nodeClassRef with apiVersion (v1 takes group, kind, name)",
		kind:    "NodePool",
		mutate: func(o map[string]any) {
			ref := mp(o, "spec", "template", "spec", "nodeClassRef")
			ref["apiVersion"] = "karpenter.k8s.aws/v1"
		},
		want: []string{".spec.template.spec.nodeClassRef.apiVersion: field not declared in schema"},
	},
	{
		name:    "nodepool-expireafter-under-disruption",
		mistake: "v1beta1's spec.disruption.expireAfter (v1 moved it to spec.template.spec.expireAfter)",
		kind:    "NodePool",
		mutate:  func(o map[string]any) { mp(o, "spec", "disruption")["expireAfter"] = "720h" },
		want:    []string{".spec.disruption.expireAfter: field not declared in schema"},
	},
	{
		name:    "nodepool-budget-schedule-without-duration",
		mistake: "a disruption budget with a cron schedule but no duration",
		kind:    "NodePool",
		mutate: func(o map[string]any) {
			budgets, _ := mp(o, "spec", "disruption")["budgets"].([]any)
			if len(budgets) == 0 {
				budgets = []any{map[string]any{"nodes": "10%"}}
				mp(o, "spec", "disruption")["budgets"] = budgets
			}
			budgets[0].(map[string]any)["schedule"] = "0 9 * * mon-fri"
		},
		want: []string{"'schedule' must be set with 'duration'"},
	},
	{
		name:    "ec2nodeclass-alias-without-version",
		mistake: "amiSelectorTerms alias without @version (al2023 instead of al2023@latest)",
		kind:    "EC2NodeClass",
		mutate: func(o map[string]any) {
			mp(o, "spec")["amiSelectorTerms"] = []any{map[string]any{"alias": "al2023"}}
		},
		want: []string{"'alias' is improperly formatted, must match the format 'family@version'"},
	},
	{
		name:    "triggerauthentication-provider-typo",
		mistake: "podIdentity.provider aws-eks2 (the provider is aws; aws-eks is deprecated)",
		kind:    "TriggerAuthentication",
		mutate:  func(o map[string]any) { mp(o, "spec", "podIdentity")["provider"] = "aws-eks2" },
		want:    []string{`Unsupported value: "aws-eks2"`},
	},
	{
		name:    "scaledobject-min-above-max",
		mistake: "minReplicaCount greater than maxReplicaCount",
		kind:    "ScaledObject",
		mutate: func(o map[string]any) {
			mp(o, "spec")["minReplicaCount"] = 5
			mp(o, "spec")["maxReplicaCount"] = 2
		},
		want: []string{"minReplicaCount must be less than or equal to maxReplicaCount"},
	},
	{
		name:    "scaledobject-numeric-trigger-metadata",
		mistake: "an unquoted number in trigger metadata (queueLength: 5); KEDA's metadata values are strings",
		kind:    "ScaledObject",
		mutate:  func(o map[string]any) { triggerMetadata(o)["queueLength"] = 5 },
		want:    []string{".spec.triggers[0].metadata.queueLength: expected string, got"},
	},
	{
		name:    "scaledobject-polling-interval-duration",
		mistake: `pollingInterval as a duration string ("30s"); it is an integer number of seconds`,
		kind:    "ScaledObject",
		mutate:  func(o map[string]any) { mp(o, "spec")["pollingInterval"] = "30s" },
		want:    []string{".spec.pollingInterval: expected numeric (int or float), got string"},
	},
	{
		name:    "scaledobject-keda-v1-api-group",
		mistake: "KEDA v1's API group keda.k8s.io (KEDA 2 serves keda.sh)",
		kind:    "ScaledObject",
		mutate:  func(o map[string]any) { o["apiVersion"] = "keda.k8s.io/v1alpha1" },
		want:    []string{"the server could not find the requested resource"},
	},
	{
		name:    "deployment-invalid-container-name",
		mistake: "a container name that is not a DNS label (Worker_1)",
		kind:    "Deployment",
		mutate:  func(o map[string]any) { firstContainer(o)["name"] = "Worker_1" },
		want:    []string{"spec.template.spec.containers[0].name: Invalid value: \"Worker_1\": a lowercase RFC 1123 label must consist of"},
	},
	{
		name:    "deployment-negative-replicas",
		mistake: "negative replicas",
		kind:    "Deployment",
		mutate:  func(o map[string]any) { mp(o, "spec")["replicas"] = -1 },
		want:    []string{"spec.replicas: Invalid value: -1: must be greater than or equal to 0"},
	},
	{
		name:    "deployment-selector-does-not-match-template",
		mistake: "a selector that does not match the pod template's labels",
		kind:    "Deployment",
		mutate: func(o map[string]any) {
			mp(o, "spec", "selector")["matchLabels"] = map[string]any{"app": "something-else"}
		},
		want: []string{"`selector` does not match template `labels`"},
	},
	{
		name:    "deployment-requests-above-limits",
		mistake: "requests above limits (Fargate sizes the pod by them; the API server refuses)",
		kind:    "Deployment",
		mutate: func(o map[string]any) {
			res := mp(firstContainer(o), "resources")
			res["requests"] = map[string]any{"cpu": "2", "memory": "1Gi"}
			res["limits"] = map[string]any{"cpu": "1", "memory": "1Gi"}
		},
		want: []string{"must be less than or equal to cpu limit"},
	},
	{
		name:    "deployment-zone-spread-config-value",
		mistake: "the config's zone spread mode written into the pod spec: whenUnsatisfiable \"Preferred\" instead of ScheduleAnyway",
		kind:    "Deployment",
		mutate: func(o map[string]any) {
			mp(o, "spec", "template", "spec")["topologySpreadConstraints"] = []any{map[string]any{
				"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "Preferred",
				"labelSelector": map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": "worker"}},
			}}
		},
		want: []string{`spec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: "Preferred"`},
	},
	{
		name:    "nodepool-instance-cpu-range-in-one-requirement",
		mistake: "an instance size range written as one Lt requirement with two values (Lt takes exactly one integer)",
		kind:    "NodePool",
		mutate: func(o map[string]any) {
			spec := mp(o, "spec", "template", "spec")
			reqs, _ := spec["requirements"].([]any)
			spec["requirements"] = append(reqs, map[string]any{"key": "karpenter.k8s.aws/instance-cpu", "operator": "Lt", "values": []any{"4", "17"}})
		},
		want: []string{"requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive integer value"},
	},
	{
		name:    "serviceaccount-role-arn-as-label",
		mistake: "the IRSA role ARN put in labels instead of annotations",
		kind:    "ServiceAccount",
		mutate: func(o map[string]any) {
			ann := mp(o, "metadata", "annotations")
			mp(o, "metadata", "labels")["eks.amazonaws.com/role-arn"] = ann["eks.amazonaws.com/role-arn"]
		},
		want: []string{`metadata.labels: Invalid value: "arn:aws:iam::`},
	},
	{
		name:    "namespace-invalid-name",
		mistake: "a namespace name that is not a DNS label (upper case, underscore)",
		kind:    "Namespace",
		mutate:  func(o map[string]any) { mp(o, "metadata")["name"] = "Event_Scale" },
		want:    []string{`metadata.name: Invalid value: "Event_Scale": a lowercase RFC 1123 label must consist of`},
	},
	{
		name:    "object-before-its-namespace",
		mistake: "an object applied before its namespace exists (a missing dependsOn)",
		kind:    "ServiceAccount",
		mutate:  func(o map[string]any) { mp(o, "metadata")["namespace"] = "not-created-yet" },
		want:    []string{`namespaces "not-created-yet" not found`},
	},
}

// TestKnownBadObjects applies each known-bad object (dry run) to the dev
// stack's cluster and requires the server to reject it with the expected
// message. The unmodified object is applied the same way first and must be
// accepted, so each rejection is the mutation's doing.
func TestKnownBadObjects(t *testing.T) {
	if len(badCases) < 10 {
		t.Fatalf("the corpus has %d cases, want at least 10", len(badCases))
	}
	e := deployed(t, "dev")
	validator, verr := verify.Default()
	if verr != nil {
		t.Logf("in-process validator unavailable: %v", verr)
	}
	var table []string
	for _, tc := range badCases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			good := stackObject(t, e, tc.kind)
			if _, err := e.client.Apply(ctx, good, ApplyOptions{DryRun: true}); err != nil {
				t.Fatalf("the unmodified %s is rejected: %s", Identity(good), ErrorMessage(err))
			}
			bad, err := verify.DeepCopyJSON(good)
			if err != nil {
				t.Fatal(err)
			}
			tc.mutate(bad)
			_, err = e.client.Apply(ctx, bad, ApplyOptions{DryRun: true})
			if err == nil {
				t.Fatalf("%s was accepted; want a rejection containing %q (mistake: %s)", Identity(bad), tc.want, tc.mistake)
			}
			msg := ErrorMessage(err)
			for _, want := range tc.want {
				if !strings.Contains(msg, want) {
					t.Fatalf("%s rejected with\n  %s\nwant a message containing\n  %s", Identity(bad), msg, want)
				}
			}
			inProcess := "n/a"
			if validator != nil {
				inProcess = "accepts"
				if validator.ValidateAll([]map[string]any{bad}) != nil {
					inProcess = "rejects"
				}
			}
			t.Logf("rejected as expected: %s", msg)
			table = append(table, fmt.Sprintf("| %s | %s | %s |", tc.name, strings.Join(tc.want, " … "), inProcess))
		})
	}
	t.Logf("case | server message contains | in-process schema tier (tests/verify)\n%s", strings.Join(table, "\n"))
}

// stackObject returns a copy of the first object of a kind the dev stack emits.
func stackObject(t *testing.T, e *stackEnv, kind string) map[string]any {
	t.Helper()
	for _, o := range e.stack.Objects {
		if o.Body["kind"] == kind {
			for _, a := range e.dep.Applied {
				if a.Source.URN == o.URN {
					obj, err := verify.DeepCopyJSON(a.Object) // with the namespace as applied
					if err != nil {
						t.Fatal(err)
					}
					return obj
				}
			}
		}
	}
	t.Fatalf("the dev stack emits no %s to start from", kind)
	return nil
}

// mp returns the map at path inside obj, creating empty maps on the way.
func mp(obj map[string]any, path ...string) map[string]any {
	cur := obj
	for _, p := range path {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	return cur
}

func firstContainer(o map[string]any) map[string]any {
	cs, _ := mp(o, "spec", "template", "spec")["containers"].([]any)
	if len(cs) == 0 {
		panic("Deployment without containers")
	}
	return cs[0].(map[string]any)
}

func triggerMetadata(o map[string]any) map[string]any {
	ts, _ := mp(o, "spec")["triggers"].([]any)
	if len(ts) == 0 {
		panic("ScaledObject without triggers")
	}
	return mp(ts[0].(map[string]any), "metadata")
}
