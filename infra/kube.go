package infra

import "maps"

// Kubernetes object mirror types: the parts of the k8s.io/api types (core/v1 Namespace,
// ServiceAccount, pod spec; apps/v1 Deployment) that the platform sets, field for field with the
// same JSON names, shared by the builders of several components (the workloads' objects,
// Karpenter's and KEDA's namespaces). The verification tier decodes every object built from them
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
	ServiceAccountName            string             `json:"serviceAccountName"`
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
