package infra

import "maps"

// Kubernetes object mirror types: the parts of the k8s.io/api types (core/v1 Namespace,
// ServiceAccount, pod spec; apps/v1 Deployment; networking.k8s.io/v1 NetworkPolicy) that the
// platform sets, field for field with the same JSON names, shared by the builders of several
// components (the workloads' objects, Karpenter's and KEDA's namespaces). The verification tier decodes every object built from them
// strictly into the upstream types.

// KubeTypeMeta is an object's apiVersion and kind.
type KubeTypeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// KubeMeta is an object's metadata: always an explicit name (Pulumi would otherwise add a suffix).
type KubeMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// KubeNamespace is a v1 Namespace.
type KubeNamespace struct {
	KubeTypeMeta
	Metadata KubeMeta `json:"metadata"`
}

// NewKubeNamespace returns a Namespace with the given labels.
func NewKubeNamespace(name string, labels map[string]string) KubeNamespace {
	return KubeNamespace{KubeTypeMeta{"v1", "Namespace"}, KubeMeta{Name: name, Labels: maps.Clone(labels)}}
}

// KubeResources is a container's resources (quantities as strings: "1", "500m", "3Gi").
type KubeResources struct {
	Requests map[string]string `json:"requests"`
	Limits   map[string]string `json:"limits"`
}

// GuaranteedResources sets requests = limits for cpu and memory: the pod is sized exactly
// (Fargate picks its size from them; on EC2 it gets the Guaranteed QoS class).
func GuaranteedResources(cpu, memory string) KubeResources {
	return KubeResources{
		Requests: map[string]string{"cpu": cpu, "memory": memory},
		Limits:   map[string]string{"cpu": cpu, "memory": memory},
	}
}

// ServiceAccount is a v1 ServiceAccount.
type ServiceAccount struct {
	KubeTypeMeta
	Metadata KubeMeta `json:"metadata"`
}

// Deployment is an apps/v1 Deployment.
type Deployment struct {
	KubeTypeMeta
	Metadata KubeMeta       `json:"metadata"`
	Spec     DeploymentSpec `json:"spec"`
}

// DeploymentSpec is a Deployment's spec. Replicas is always sent, 0 included: it is the count the
// Deployment is created with (the API server defaults an absent one to 1); after that KEDA and its
// HPA own it, and the program registers the Deployment with ReplicasPath ignored.
type DeploymentSpec struct {
	Replicas int32              `json:"replicas"`
	Selector LabelSelector      `json:"selector"`
	Strategy DeploymentStrategy `json:"strategy"`
	Template PodTemplate        `json:"template"`
}

// LabelSelector selects pods by labels.
type LabelSelector struct {
	MatchLabels map[string]string `json:"matchLabels"`
}

// DeploymentStrategy is a Deployment's update strategy.
type DeploymentStrategy struct {
	Type          string                 `json:"type"`
	RollingUpdate *RollingUpdateStrategy `json:"rollingUpdate,omitempty"`
}

// RollingUpdateStrategy bounds a rolling update (absolute pod counts).
type RollingUpdateStrategy struct {
	MaxSurge       int32 `json:"maxSurge"`
	MaxUnavailable int32 `json:"maxUnavailable"`
}

// PodTemplate is a Deployment's pod template.
type PodTemplate struct {
	Metadata PodMeta `json:"metadata"`
	Spec     PodSpec `json:"spec"`
}

// PodMeta is a pod template's metadata.
type PodMeta struct {
	Labels map[string]string `json:"labels"`
}

// PodSpec is the part of a pod spec the platform sets. It has no nodeSelector, affinity or
// tolerations: the NodePool takes any pod that is not on Fargate.
type PodSpec struct {
	ServiceAccountName string `json:"serviceAccountName"`
	// AutomountServiceAccountToken is always sent (false included): whether the pod gets a token
	// for the Kubernetes API. IRSA's token is not this one (WorkloadDeployment).
	AutomountServiceAccountToken  bool               `json:"automountServiceAccountToken"`
	TerminationGracePeriodSeconds int64              `json:"terminationGracePeriodSeconds"`
	SecurityContext               PodSecurityContext `json:"securityContext"`
	Containers                    []Container        `json:"containers"`
	Volumes                       []Volume           `json:"volumes,omitempty"`
	// TopologySpreadConstraints spread the workload's pods (set by WorkloadSettings.ZoneSpread).
	TopologySpreadConstraints []TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`
}

// TopologySpreadConstraint is a pod topology spread constraint.
type TopologySpreadConstraint struct {
	MaxSkew           int32         `json:"maxSkew"`
	TopologyKey       string        `json:"topologyKey"`
	WhenUnsatisfiable string        `json:"whenUnsatisfiable"`
	LabelSelector     LabelSelector `json:"labelSelector"`
	// MatchLabelKeys adds the incoming pod's values of these labels to the selector.
	MatchLabelKeys []string `json:"matchLabelKeys,omitempty"`
}

// PodSecurityContext is the pod-level security context.
type PodSecurityContext struct {
	RunAsNonRoot   bool           `json:"runAsNonRoot"`
	RunAsUser      int64          `json:"runAsUser"`
	RunAsGroup     int64          `json:"runAsGroup"`
	SeccompProfile SeccompProfile `json:"seccompProfile"`
}

// SeccompProfile selects a seccomp profile.
type SeccompProfile struct {
	Type string `json:"type"`
}

// Container is one container of a pod.
type Container struct {
	Name            string                   `json:"name"`
	Image           string                   `json:"image"`
	Env             []EnvVar                 `json:"env"`
	Ports           []ContainerPort          `json:"ports"`
	Resources       KubeResources            `json:"resources"`
	LivenessProbe   *Probe                   `json:"livenessProbe,omitempty"`
	ReadinessProbe  *Probe                   `json:"readinessProbe,omitempty"`
	SecurityContext ContainerSecurityContext `json:"securityContext"`
	VolumeMounts    []VolumeMount            `json:"volumeMounts,omitempty"`
}

// EnvVar is a literal environment variable.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ContainerPort is a port the container listens on.
type ContainerPort struct {
	Name          string `json:"name"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol"`
}

// Probe is an HTTP GET probe.
type Probe struct {
	HTTPGet             HTTPGetAction `json:"httpGet"`
	InitialDelaySeconds int32         `json:"initialDelaySeconds,omitempty"`
	PeriodSeconds       int32         `json:"periodSeconds"`
	TimeoutSeconds      int32         `json:"timeoutSeconds"`
	FailureThreshold    int32         `json:"failureThreshold"`
}

// HTTPGetAction is the request of an HTTP probe.
type HTTPGetAction struct {
	Path string `json:"path"`
	Port int32  `json:"port"`
}

// ContainerSecurityContext is the container-level security context.
type ContainerSecurityContext struct {
	AllowPrivilegeEscalation bool         `json:"allowPrivilegeEscalation"`
	ReadOnlyRootFilesystem   bool         `json:"readOnlyRootFilesystem"`
	RunAsNonRoot             bool         `json:"runAsNonRoot"`
	Capabilities             Capabilities `json:"capabilities"`
}

// Capabilities adds or drops Linux capabilities.
type Capabilities struct {
	Drop []string `json:"drop"`
}

// Volume is a pod volume; only emptyDir is used.
type Volume struct {
	Name     string          `json:"name"`
	EmptyDir *EmptyDirSource `json:"emptyDir"`
}

// EmptyDirSource is a scratch volume.
type EmptyDirSource struct {
	SizeLimit string `json:"sizeLimit,omitempty"`
}

// VolumeMount mounts a volume into a container.
type VolumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
}

// Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/;
// EKS Best Practices Guide, "Pod Security", https://docs.aws.amazon.com/eks/latest/best-practices/pod-security.html;
// CIS Amazon EKS Benchmark v1.7 4.2.x, "Pod Security Standards"): the built-in PodSecurity
// admission plugin reads a namespace's labels. Label keys and levels as
// k8s.io/pod-security-admission@v0.35.4 api/constants.go defines them (read 2026-12-07).
const (
	// PodSecurityRestricted is the hardened level (non-root, no privilege escalation, all
	// capabilities dropped, a seccomp profile, restricted volume types).
	PodSecurityRestricted = "restricted"
	// PodSecurityBaseline prevents known privilege escalations (no host namespaces, no
	// privileged containers, no host paths).
	PodSecurityBaseline = "baseline"
	// PodSecurityPrivileged is unrestricted.
	PodSecurityPrivileged = "privileged"

	// PodSecurityVersion is the policy version every namespace the stack owns is pinned to, for
	// enforce, audit and warn: the checks of that Kubernetes minor. Pinned rather than "latest"
	// (the default when the label is absent) so that a cluster upgrade never changes which pods are
	// admitted without a change here; a newer server evaluates a pinned version with that
	// version's checks. It follows DefaultKubernetesVersion (TestPodSecurityVersionFollowsDefault):
	// bumping the default means reading the new minor's policy changes and bumping this with it.
	// A cluster older than the pin (cluster.version below the default) evaluates it as its own
	// newest checks.
	PodSecurityVersion = "v1.35"

	// PodSecurityLabelPrefix prefixes the PodSecurity admission labels of a namespace.
	PodSecurityLabelPrefix = "pod-security.kubernetes.io/"

	// WorkloadPodSecurityLevel is the level of every workload namespace: the worker's pods pass
	// restricted (tests/integration proves it against the real API server).
	WorkloadPodSecurityLevel = PodSecurityRestricted
	// KedaPodSecurityLevel is the level of KEDA's namespace: the strictest level every pod of the
	// KEDA chart (infra.KedaVersion, rendered with the program's values) is admitted at, found by
	// trying each level against the real API server (tests/integration,
	// TestChartPodsStrictestLevel): restricted. The chart's defaults set runAsNonRoot, drop ALL
	// capabilities, forbid privilege escalation and select the RuntimeDefault seccomp profile.
	KedaPodSecurityLevel = PodSecurityRestricted
	// KarpenterPodSecurityLevel is the level of Karpenter's namespace when the stack creates it
	// (karpenter.namespace other than a namespace Kubernetes creates; kube-system, the default, is
	// not the stack's and is never labelled): the strictest level the Karpenter chart's pods pass,
	// found like KedaPodSecurityLevel: restricted.
	KarpenterPodSecurityLevel = PodSecurityRestricted
)

// PodSecurityLevels are the Pod Security Standards levels, strictest first.
var PodSecurityLevels = []string{PodSecurityRestricted, PodSecurityBaseline, PodSecurityPrivileged}

// PodSecurityLabels are the namespace labels that enforce, audit and warn at level, each pinned
// to PodSecurityVersion.
func PodSecurityLabels(level string) map[string]string {
	l := map[string]string{}
	for _, mode := range []string{"enforce", "audit", "warn"} {
		l[PodSecurityLabelPrefix+mode] = level
		l[PodSecurityLabelPrefix+mode+"-version"] = PodSecurityVersion
	}
	return l
}

// WithPodSecurity returns labels plus the PodSecurity labels of level (which win over any
// label of the same key).
func WithPodSecurity(labels map[string]string, level string) map[string]string {
	out := maps.Clone(labels)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, PodSecurityLabels(level))
	return out
}

// NetworkPolicySpec is a NetworkPolicy's spec.
type NetworkPolicySpec struct {
	// PodSelector selects the pods the policy applies to; empty, every pod of the namespace.
	PodSelector PolicySelector `json:"podSelector"`
	// PolicyTypes is always explicit: listing Ingress with no ingress rules (this type has
	// none) denies all ingress to the selected pods; listing Egress allows only Egress.
	PolicyTypes []string                  `json:"policyTypes"`
	Egress      []NetworkPolicyEgressRule `json:"egress,omitempty"`
}

// NetworkPolicy is a networking.k8s.io/v1 NetworkPolicy.
type NetworkPolicy struct {
	KubeTypeMeta
	Metadata KubeMeta          `json:"metadata"`
	Spec     NetworkPolicySpec `json:"spec"`
}

// PolicySelector is a label selector that may be empty: no labels select everything (every pod
// of the namespace, or every namespace).
type PolicySelector struct {
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}

// NetworkPolicyEgressRule allows traffic to its peers on its ports.
type NetworkPolicyEgressRule struct {
	To    []NetworkPolicyPeer `json:"to,omitempty"`
	Ports []NetworkPolicyPort `json:"ports,omitempty"`
}

// NetworkPolicyPeer is one peer: pods (by namespace and pod labels, both in one peer meaning
// both must match) or an address block.
type NetworkPolicyPeer struct {
	NamespaceSelector *PolicySelector `json:"namespaceSelector,omitempty"`
	PodSelector       *PolicySelector `json:"podSelector,omitempty"`
	IPBlock           *IPBlock        `json:"ipBlock,omitempty"`
}

// IPBlock is a CIDR peer.
type IPBlock struct {
	CIDR string `json:"cidr"`
}

// NetworkPolicyPort is a protocol and port.
type NetworkPolicyPort struct {
	Protocol string `json:"protocol"`
	Port     int32  `json:"port"`
}
