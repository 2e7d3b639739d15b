package infra

import "slices"

// KubeSystemNamespace is where Karpenter is installed by default, as upstream recommends.
const KubeSystemNamespace = "kube-system"

// SystemNamespaces are the namespaces Kubernetes creates itself in every cluster. The program
// never creates, owns or deletes them: a Namespace resource for kube-system would delete
// kube-system (and every system pod) on `pulumi destroy`.
var SystemNamespaces = []string{"default", KubeSystemNamespace, "kube-public", "kube-node-lease"}

// IsSystemNamespace reports whether ns is one of [SystemNamespaces].
func IsSystemNamespace(ns string) bool { return slices.Contains(SystemNamespaces, ns) }

// FlowSchemaAPIVersion is the API of the FlowSchemas the program creates (GA since Kubernetes 1.29).
const FlowSchemaAPIVersion = "flowcontrol.apiserver.k8s.io/v1"

// FlowSchema is a flowcontrol.apiserver.k8s.io/v1 FlowSchema: it assigns matching API
// requests to a priority level of the API server's Priority and Fairness.
type FlowSchema struct {
	KubeTypeMeta
	Metadata KubeMeta       `json:"metadata"`
	Spec     FlowSchemaSpec `json:"spec"`
}

// FlowSchemaSpec is a FlowSchema's spec.
type FlowSchemaSpec struct {
	PriorityLevelConfiguration PriorityLevelReference    `json:"priorityLevelConfiguration"`
	MatchingPrecedence         int32                     `json:"matchingPrecedence"`
	DistinguisherMethod        *FlowDistinguisherMethod  `json:"distinguisherMethod,omitempty"`
	Rules                      []PolicyRulesWithSubjects `json:"rules"`
}

// PriorityLevelReference names a PriorityLevelConfiguration.
type PriorityLevelReference struct {
	Name string `json:"name"`
}

// FlowDistinguisherMethod says how requests of one FlowSchema are split into flows.
type FlowDistinguisherMethod struct {
	// Type is "ByUser" or "ByNamespace".
	Type string `json:"type"`
}

// PolicyRulesWithSubjects matches requests by who makes them and what they ask for.
type PolicyRulesWithSubjects struct {
	Subjects         []FlowSubject           `json:"subjects"`
	ResourceRules    []ResourcePolicyRule    `json:"resourceRules,omitempty"`
	NonResourceRules []NonResourcePolicyRule `json:"nonResourceRules,omitempty"`
}

// FlowSubject is a FlowSchema subject; the program only uses service accounts.
type FlowSubject struct {
	Kind           string              `json:"kind"`
	ServiceAccount *FlowServiceAccount `json:"serviceAccount,omitempty"`
}

// FlowServiceAccount names a service account.
type FlowServiceAccount struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// ResourcePolicyRule matches resource requests.
type ResourcePolicyRule struct {
	Verbs        []string `json:"verbs"`
	APIGroups    []string `json:"apiGroups"`
	Resources    []string `json:"resources"`
	ClusterScope bool     `json:"clusterScope,omitempty"`
	Namespaces   []string `json:"namespaces,omitempty"`
}

// NonResourcePolicyRule matches non-resource requests (/healthz, /version, ...).
type NonResourcePolicyRule struct {
	Verbs           []string `json:"verbs"`
	NonResourceURLs []string `json:"nonResourceURLs"`
}

// KarpenterNeedsFlowSchemas reports whether a controller in namespace needs its own
// FlowSchemas. In kube-system the API server's built-in FlowSchemas already prioritise it
// (system-leader-election maps its leases to "leader-election", kube-system-service-accounts
// the rest to "workload-high"); anywhere else its requests would fall to
// "global-default" and queue behind ordinary traffic.
func KarpenterNeedsFlowSchemas(namespace string) bool { return namespace != KubeSystemNamespace }

// KarpenterFlowSchemas are the two FlowSchemas Karpenter's getting-started guide applies when
// the controller runs outside kube-system ("Preventing APIServer Request Throttling"), for the
// controller's service account.
//
// Field values from aws/karpenter-provider-aws, file
// website/content/en/<version>/getting-started/getting-started-with-karpenter/scripts/step15-apply-flowschemas.sh
// (the flowcontrol.apiserver.k8s.io/v1 revision that the v1.14 guide includes):
//
//   - karpenter-leader-election: priority level "leader-election", matchingPrecedence 200,
//     distinguisher ByUser; resource rule verbs get, create, update on apiGroups
//     coordination.k8s.io, resources leases, namespaces "*";
//   - karpenter-workload: priority level "workload-high", matchingPrecedence 1000,
//     distinguisher ByUser; non-resource rule verbs "*" on nonResourceURLs "*"; resource rule
//     verbs "*", apiGroups "*", resources "*", clusterScope true, namespaces "*";
//   - both: one subject, kind ServiceAccount, the controller's namespace and name (upstream
//     writes name "karpenter", the chart's default; here it is karpenter.serviceAccount).
//
// Object names are upstream's; FlowSchemas are cluster-scoped.
func KarpenterFlowSchemas(namespace, serviceAccount string) []FlowSchema {
	// flowSchema is one of upstream's two: its name, priority level and precedence, distinguished
	// by user, its rule for the controller's service account.
	flowSchema := func(name, priorityLevel string, precedence int32, rule PolicyRulesWithSubjects) FlowSchema {
		rule.Subjects = []FlowSubject{{Kind: "ServiceAccount", ServiceAccount: &FlowServiceAccount{Namespace: namespace, Name: serviceAccount}}}
		return FlowSchema{
			KubeTypeMeta: KubeTypeMeta{APIVersion: FlowSchemaAPIVersion, Kind: "FlowSchema"},
			Metadata:     KubeMeta{Name: name},
			Spec: FlowSchemaSpec{
				PriorityLevelConfiguration: PriorityLevelReference{Name: priorityLevel},
				MatchingPrecedence:         precedence,
				DistinguisherMethod:        &FlowDistinguisherMethod{Type: "ByUser"},
				Rules:                      []PolicyRulesWithSubjects{rule},
			},
		}
	}
	return []FlowSchema{
		flowSchema("karpenter-leader-election", "leader-election", 200, PolicyRulesWithSubjects{
			ResourceRules: []ResourcePolicyRule{{
				Verbs:      []string{"get", "create", "update"},
				APIGroups:  []string{"coordination.k8s.io"},
				Resources:  []string{"leases"},
				Namespaces: []string{"*"},
			}},
		}),
		flowSchema("karpenter-workload", "workload-high", 1000, PolicyRulesWithSubjects{
			NonResourceRules: []NonResourcePolicyRule{{
				Verbs:           []string{"*"},
				NonResourceURLs: []string{"*"},
			}},
			ResourceRules: []ResourcePolicyRule{{
				Verbs:        []string{"*"},
				APIGroups:    []string{"*"},
				Resources:    []string{"*"},
				ClusterScope: true,
				Namespaces:   []string{"*"},
			}},
		}),
	}
}
