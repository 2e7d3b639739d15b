package infra

import (
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/eventscale/eventscale/internal/workerenv"
)

// Kubernetes objects of a queue-driven workload: a Namespace (Pod Security Standards
// restricted), its NetworkPolicy, a ServiceAccount carrying the workload's IRSA role, the worker
// Deployment (from the mirror types in kube.go), and the KEDA
// TriggerAuthentication and ScaledObject (keda.go) that scale it on queue depth. The verification
// tier decodes them strictly into the upstream types and validates them against the real CRDs.

// Worker contract (cmd/worker, internal/worker): the environment the Deployment sets, by the
// names and shared defaults of internal/workerenv (which the worker reads them by).
const (
	// WorkerBatchSize is the most messages one ReceiveMessage call asks for (the SQS maximum;
	// the worker never receives more than it has free slots for).
	WorkerBatchSize = workerenv.DefaultBatchSize
	// WorkerHealthPort serves /healthz (liveness) and /readyz (readiness).
	WorkerHealthPort = workerenv.HealthPort
	// WorkerContainerName is the worker container's name.
	WorkerContainerName = "worker"
	// WorkerUID is the non-root user and group the worker runs as (distroless "nonroot").
	WorkerUID = 65532
	// ShutdownSlack is added to the longest message processing time to get the worker's drain
	// timeout, and again to get the pod's termination grace period, so the kubelet never kills
	// a worker that is still finishing a message.
	ShutdownSlack = 5 * time.Second

	// ServiceAccountRoleArnAnnotation is the service-account annotation the EKS pod identity webhook reads.
	ServiceAccountRoleArnAnnotation = "eks.amazonaws.com/role-arn"
	// SkipAwaitAnnotation stops Pulumi from waiting for the Deployment to become ready: KEDA owns
	// its replica count (often 0) and the first image may not be pushed yet.
	SkipAwaitAnnotation = "pulumi.com/skipAwait"
	// PatchForceAnnotation, "true" on every Kubernetes object the program registers, makes the
	// Kubernetes provider force its server-side apply: a field the program sets that another
	// field manager changed since (kubectl edit, a forced server-side apply) is taken back by
	// `pulumi up` rather than refused as a conflict, in preview and update alike. Fields the
	// program does not send (the Deployment's ignored replicas) stay their managers'. Source:
	// pulumi-kubernetes provider/v4 f47bc2d6f199 (4.25.0), pkg/metadata/annotations.go
	// (AnnotationPatchForce) and pkg/await/await.go (patchForce: the annotation first; without
	// it an apply conflicts with any field another manager owns), read 2026-12-08.
	PatchForceAnnotation = "pulumi.com/patchForce"

	// InitialReplicas is the worker Deployment's replica count when it is created: 0, so no pod
	// pulls an image that may not be pushed yet, and Karpenter launches no node for it, before
	// KEDA first reads the queue. (An absent count is defaulted to 1 by the API server.)
	InitialReplicas = 0
	// ReplicasPath is the Deployment input the program sets only when it creates the Deployment:
	// the component registers it with pulumi.IgnoreChanges on this path, so later updates leave
	// the count KEDA and its HPA set (components/workload says how the provider sends it).
	ReplicasPath = "spec.replicas"
)

// Zone spread modes of a workload (WorkloadSettings.ZoneSpread, `workloads[].zoneSpread`).
const (
	// ZoneSpreadNone sets no topology spread: Karpenter bin-packs the pods onto as few nodes
	// as fit them, in whatever zone is cheapest.
	ZoneSpreadNone = "none"
	// ZoneSpreadPreferred spreads the pods over zones with maxSkew 1 and ScheduleAnyway.
	// Karpenter (preferencePolicy Respect, its default) treats it as required when it provisions
	// and drops it only for a pod it cannot place otherwise; kube-scheduler scores by it. So a
	// zone that cannot take pods (capacity, outage) does not keep workers Pending.
	ZoneSpreadPreferred = "preferred"
	// ZoneSpreadRequired spreads the pods over zones with maxSkew 1 and DoNotSchedule: a pod
	// that would raise the skew above 1 stays Pending, also while a zone is impaired.
	ZoneSpreadRequired = "required"

	// LabelZone is the well-known zone label of nodes.
	LabelZone = "topology.kubernetes.io/zone"
	// LabelPodTemplateHash is the label the Deployment controller puts on each revision's pods.
	LabelPodTemplateHash = "pod-template-hash"
)

// ZoneSpreadModes are the valid values of WorkloadSettings.ZoneSpread.
var ZoneSpreadModes = []string{ZoneSpreadNone, ZoneSpreadPreferred, ZoneSpreadRequired}

// ZoneSpreadConstraints are the topology spread constraints of a zone spread mode for the pods
// of workload: none for ZoneSpreadNone (or an unknown mode). Pods are counted per Deployment
// revision (matchLabelKeys pod-template-hash), so a rollout spreads the new pods on their own.
func ZoneSpreadConstraints(mode, workload string) []TopologySpreadConstraint {
	when := map[string]string{ZoneSpreadPreferred: "ScheduleAnyway", ZoneSpreadRequired: "DoNotSchedule"}[mode]
	if when == "" {
		return nil
	}
	return []TopologySpreadConstraint{{
		MaxSkew: 1, TopologyKey: LabelZone, WhenUnsatisfiable: when,
		LabelSelector:  LabelSelector{MatchLabels: SelectorLabels(workload)},
		MatchLabelKeys: []string{LabelPodTemplateHash},
	}}
}

// WorkloadSettings is one entry of `eventscale:workloads`: a queue, its worker Deployment and
// its ScaledObject. It is the config entry (stacks.Config.Workloads), the settings of the
// workload component (workload.Args) and, inside WorkloadObjectSettings, the input of the
// workload's Kubernetes objects.
type WorkloadSettings struct {
	// Name of the workload (DNS-1123 label); names its queue, role, ServiceAccount, Deployment and
	// ScaledObject (and prefixes the TriggerAuthentication).
	Name string `json:"name"`
	// Namespace the workload runs in; must NOT be a Fargate namespace (its pods go to Karpenter nodes).
	Namespace string `json:"namespace"`
	// Image of the worker; empty means the stack's ECR repository at ImageTag. The objects are
	// built with the resolved reference (WorkloadObjectSettings).
	Image string `json:"image"`
	// ImageTag used with the stack's ECR repository when Image is empty.
	ImageTag string `json:"imageTag"`
	// CPU and Memory are the worker container's requests = limits.
	CPU    string `json:"cpu"`
	Memory string `json:"memory"`
	// Concurrency is the number of messages one pod processes at once (WORKER_CONCURRENCY).
	Concurrency int `json:"concurrency"`
	// SimulatedWorkSeconds is the demo handler's work per message (WORKER_SIMULATED_WORK).
	SimulatedWorkSeconds int `json:"simulatedWorkSeconds"`
	// MaxProcessingSeconds is the longest a message may take; the queue visibility timeout must exceed it,
	// and the pod's shutdown timeout is derived from it.
	MaxProcessingSeconds int `json:"maxProcessingSeconds"`
	// MinReplicas and MaxReplicas bound the ScaledObject (min 0 = scale to zero).
	MinReplicas int `json:"minReplicas"`
	MaxReplicas int `json:"maxReplicas"`
	// PollingIntervalSeconds is how often KEDA reads the queue.
	PollingIntervalSeconds int `json:"pollingIntervalSeconds"`
	// CooldownPeriodSeconds is how long after the last activity KEDA scales back to MinReplicas=0.
	CooldownPeriodSeconds int `json:"cooldownPeriodSeconds"`
	// QueueLength is the target number of messages per pod.
	QueueLength int `json:"queueLength"`
	// ActivationQueueLength is the message count above which KEDA scales from zero.
	ActivationQueueLength int `json:"activationQueueLength"`
	// ScaleOnInFlight counts in-flight (received, not deleted) messages as load.
	ScaleOnInFlight bool `json:"scaleOnInFlight"`
	// ScaleDownStabilizationSeconds, when set, is the HPA scale-down stabilization window.
	ScaleDownStabilizationSeconds *int `json:"scaleDownStabilizationSeconds"`
	// ZoneSpread spreads the pods over zones: ZoneSpreadNone, ZoneSpreadPreferred (ScheduleAnyway)
	// or ZoneSpreadRequired (DoNotSchedule), each with maxSkew 1 on topology.kubernetes.io/zone
	// (empty means none).
	ZoneSpread string `json:"zoneSpread"`
}

// WorkloadObjectSettings is the plain input of a workload's Kubernetes objects: the workload's
// settings, the queue section, and the values that come from other resources (the resolved image,
// the queue URL, the role ARN), which the component binds as plain strings.
type WorkloadObjectSettings struct {
	// WorkloadSettings are the workload's own settings; its Image is the resolved image reference.
	WorkloadSettings
	// Queue is the queue section: the worker's long-poll wait and visibility extension come from it.
	Queue QueueSettings
	// QueueURL is the work queue; Region its region.
	QueueURL, Region string
	// RoleArn is the workload's IRSA role.
	RoleArn string
	// Labels are added to every object (the platform's app.kubernetes.io labels are set over them).
	Labels map[string]string
}

// WorkloadObjects are the Kubernetes objects of one workload.
type WorkloadObjects struct {
	Namespace             KubeNamespace
	NetworkPolicy         NetworkPolicy
	ServiceAccount        ServiceAccount
	Deployment            Deployment
	TriggerAuthentication TriggerAuthentication
	ScaledObject          ScaledObject
}

// ShutdownTimeout is the worker's drain timeout after SIGTERM: the longest message plus slack.
func ShutdownTimeout(maxProcessingSeconds int) time.Duration {
	return time.Duration(maxProcessingSeconds)*time.Second + ShutdownSlack
}

// TerminationGracePeriodSeconds is the pod's grace period: the drain timeout plus slack.
func TerminationGracePeriodSeconds(maxProcessingSeconds int) int64 {
	return int64((ShutdownTimeout(maxProcessingSeconds) + ShutdownSlack) / time.Second)
}

// TriggerAuthenticationName is the name of a workload's TriggerAuthentication.
func TriggerAuthenticationName(workload string) string { return workload + "-aws" }

// WorkloadLabels are the labels of a workload's objects; SelectorLabels the subset that selects its pods.
func WorkloadLabels(s WorkloadObjectSettings) map[string]string {
	l := maps.Clone(s.Labels)
	if l == nil {
		l = map[string]string{}
	}
	maps.Copy(l, SelectorLabels(s.Name))
	l["app.kubernetes.io/component"] = "worker"
	l["app.kubernetes.io/part-of"] = "eventscale"
	l["app.kubernetes.io/managed-by"] = "pulumi"
	return l
}

// SelectorLabels select a workload's pods; they never change (a Deployment's selector is immutable).
func SelectorLabels(workload string) map[string]string {
	return map[string]string{"app.kubernetes.io/name": workload}
}

// WorkerEnv is the worker container's environment, exactly per the worker contract.
func WorkerEnv(s WorkloadObjectSettings) []EnvVar {
	return []EnvVar{
		{workerenv.QueueURL, s.QueueURL},
		{workerenv.Region, s.Region},
		{workerenv.Concurrency, strconv.Itoa(s.Concurrency)},
		{workerenv.BatchSize, strconv.Itoa(WorkerBatchSize)},
		{workerenv.WaitSeconds, strconv.Itoa(s.Queue.ReceiveWaitTimeSeconds)},
		{workerenv.VisibilityExtension, strconv.Itoa(s.Queue.VisibilityTimeoutSeconds)},
		{workerenv.ShutdownTimeout, goDuration(ShutdownTimeout(s.MaxProcessingSeconds))},
		{workerenv.SimulatedWork, goDuration(time.Duration(s.SimulatedWorkSeconds) * time.Second)},
		{workerenv.HealthAddr, fmt.Sprintf(":%d", WorkerHealthPort)},
	}
}

// goDuration renders whole seconds as a Go duration the worker parses ("35s", "0s").
func goDuration(d time.Duration) string { return fmt.Sprintf("%ds", int64(d/time.Second)) }

// NewWorkloadObjects builds all Kubernetes objects of a workload.
func NewWorkloadObjects(s WorkloadObjectSettings) WorkloadObjects {
	return WorkloadObjects{
		Namespace:             NewKubeNamespace(s.Namespace, WithPodSecurity(WorkloadLabels(s), WorkloadPodSecurityLevel)),
		NetworkPolicy:         WorkloadNetworkPolicy(s),
		ServiceAccount:        WorkloadServiceAccount(s),
		Deployment:            WorkloadDeployment(s),
		TriggerAuthentication: WorkloadTriggerAuthentication(s),
		ScaledObject:          WorkloadScaledObject(s),
	}
}

// WorkloadServiceAccount is the workload's service account, annotated with its IRSA role.
func WorkloadServiceAccount(s WorkloadObjectSettings) ServiceAccount {
	return ServiceAccount{
		KubeTypeMeta: KubeTypeMeta{"v1", "ServiceAccount"},
		Metadata: KubeMeta{
			Name: s.Name, Namespace: s.Namespace, Labels: WorkloadLabels(s),
			Annotations: map[string]string{ServiceAccountRoleArnAnnotation: s.RoleArn},
		},
	}
}

// WorkloadDeployment is the worker Deployment: created with InitialReplicas (0; after that KEDA
// owns the count, see ReplicasPath), requests = limits, health probes, a locked-down security
// context, and a grace period longer than the drain timeout.
// Its rolling update never surges: with the NodePool at its limit a surge pod could only stay
// Pending and block the rollout, while a queue worker tolerates one pod less for a moment.
func WorkloadDeployment(s WorkloadObjectSettings) Deployment {
	labels := WorkloadLabels(s)
	probe := func(path string, period int32) *Probe {
		return &Probe{HTTPGet: HTTPGetAction{Path: path, Port: WorkerHealthPort}, PeriodSeconds: period, TimeoutSeconds: 2, FailureThreshold: 3}
	}
	return Deployment{
		KubeTypeMeta: KubeTypeMeta{"apps/v1", "Deployment"},
		Metadata: KubeMeta{
			Name: s.Name, Namespace: s.Namespace, Labels: labels,
			Annotations: map[string]string{SkipAwaitAnnotation: "true"},
		},
		Spec: DeploymentSpec{
			Replicas: InitialReplicas,
			Selector: LabelSelector{MatchLabels: SelectorLabels(s.Name)},
			Strategy: DeploymentStrategy{Type: "RollingUpdate", RollingUpdate: &RollingUpdateStrategy{MaxSurge: 0, MaxUnavailable: 1}},
			Template: PodTemplate{
				Metadata: PodMeta{Labels: labels},
				Spec: PodSpec{
					ServiceAccountName: s.Name,
					// The worker never calls the Kubernetes API, so its pods get no token for it
					// (CIS Amazon EKS Benchmark v1.7 4.1.6; EKS Best Practices Guide, Identity and
					// Access Management, "Disable auto-mounting of service account tokens",
					// https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html).
					// IRSA does not need it: the EKS pod identity webhook adds its own projected
					// volume (aws-iam-token, audience sts.amazonaws.com, at
					// /var/run/secrets/eks.amazonaws.com/serviceaccount) and AWS_ROLE_ARN and
					// AWS_WEB_IDENTITY_TOKEN_FILE to pods of an annotated service account
					// (https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts-technical-overview.html;
					// github.com/aws/amazon-eks-pod-identity-webhook v0.6.8 README; read 2026-12-07).
					AutomountServiceAccountToken:  false,
					TerminationGracePeriodSeconds: TerminationGracePeriodSeconds(s.MaxProcessingSeconds),
					SecurityContext: PodSecurityContext{
						RunAsNonRoot: true, RunAsUser: WorkerUID, RunAsGroup: WorkerUID,
						SeccompProfile: SeccompProfile{Type: "RuntimeDefault"},
					},
					Containers: []Container{{
						Name:           WorkerContainerName,
						Image:          s.Image,
						Env:            WorkerEnv(s),
						Ports:          []ContainerPort{{Name: "health", ContainerPort: WorkerHealthPort, Protocol: "TCP"}},
						Resources:      GuaranteedResources(s.CPU, s.Memory),
						LivenessProbe:  probe("/healthz", 10),
						ReadinessProbe: probe("/readyz", 5),
						SecurityContext: ContainerSecurityContext{
							AllowPrivilegeEscalation: false,
							ReadOnlyRootFilesystem:   true,
							RunAsNonRoot:             true,
							Capabilities:             Capabilities{Drop: []string{"ALL"}},
						},
						VolumeMounts: []VolumeMount{{Name: "tmp", MountPath: "/tmp"}},
					}},
					Volumes:                   []Volume{{Name: "tmp", EmptyDir: &EmptyDirSource{SizeLimit: "64Mi"}}},
					TopologySpreadConstraints: ZoneSpreadConstraints(s.ZoneSpread, s.Name),
				},
			},
		},
	}
}

// Workload network policy: the peers and ports a worker may reach.
const (
	// KubeDNSNamespace is where the cluster DNS runs (the EKS CoreDNS add-on: kube-system).
	KubeDNSNamespace = "kube-system"
	// KubeDNSLabelKey and KubeDNSLabelValue are the cluster DNS pods' label (CoreDNS keeps
	// kube-dns's k8s-app=kube-dns).
	KubeDNSLabelKey   = "k8s-app"
	KubeDNSLabelValue = "kube-dns"
	// LabelNamespaceName is the label the API server sets on every namespace to its name.
	LabelNamespaceName = "kubernetes.io/metadata.name"
	// AWSEndpointsCIDR is where a worker's HTTPS calls to AWS go: STS (IRSA's
	// AssumeRoleWithWebIdentity) and SQS. Without VPC interface endpoints for them (the stack
	// creates none) their addresses are public and not fixed, so the only CIDR that covers them
	// is 0.0.0.0/0, on port 443 only.
	AWSEndpointsCIDR = "0.0.0.0/0"
)

// WorkloadNetworkPolicyName is the name of a workload's NetworkPolicy.
func WorkloadNetworkPolicyName(workload string) string { return workload + "-default-deny" }

// WorkloadNetworkPolicy is the workload namespace's NetworkPolicy: every pod of the namespace
// (empty podSelector) is denied all ingress and all egress except DNS to CoreDNS (UDP and TCP 53)
// and HTTPS (TCP 443) to AWS's endpoints (AWSEndpointsCIDR). EKS Best Practices Guide, Network
// Security, "Create a default deny policy" and "Create a rule to allow DNS queries"
// (https://docs.aws.amazon.com/eks/latest/best-practices/network-security.html); CIS Amazon EKS
// Benchmark v1.7 4.3.2 (every namespace has network policies).
//
// No ingress rule is needed for the kubelet's probes (/healthz, /readyz on WorkerHealthPort): the
// VPC CNI's network policy agent allows traffic from the node's own IP to its pods by itself
// (aws/aws-network-policy-agent issue 56, the maintainers' answer: the agent adds the node IP to
// the allowed CIDRs; aws/amazon-vpc-cni-k8s issue 2571: fixed in VPC CNI v1.15.1; read
// 2026-12-07).
//
// What enforces it: the vpc-cni add-on's network policy agent, on EC2 nodes only (Karpenter's,
// where the workers run); Fargate pods are not subject to it (EKS user guide, "Configure your
// cluster for Kubernetes network policies", considerations: "you can apply the policies to
// Amazon EC2 Linux nodes only", https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html,
// awsdocs/amazon-eks-user-guide doc_source/cni-network-policy.md, read 2026-12-07). Without an
// enforcing CNI the API server stores the policy and nothing applies it.
func WorkloadNetworkPolicy(s WorkloadObjectSettings) NetworkPolicy {
	port := func(protocol string, p int32) NetworkPolicyPort {
		return NetworkPolicyPort{Protocol: protocol, Port: p}
	}
	return NetworkPolicy{
		KubeTypeMeta: KubeTypeMeta{"networking.k8s.io/v1", "NetworkPolicy"},
		Metadata:     KubeMeta{Name: WorkloadNetworkPolicyName(s.Name), Namespace: s.Namespace, Labels: WorkloadLabels(s)},
		Spec: NetworkPolicySpec{
			PodSelector: PolicySelector{},
			PolicyTypes: []string{"Ingress", "Egress"},
			Egress: []NetworkPolicyEgressRule{
				{
					To: []NetworkPolicyPeer{{
						NamespaceSelector: &PolicySelector{MatchLabels: map[string]string{LabelNamespaceName: KubeDNSNamespace}},
						PodSelector:       &PolicySelector{MatchLabels: map[string]string{KubeDNSLabelKey: KubeDNSLabelValue}},
					}},
					Ports: []NetworkPolicyPort{port("UDP", 53), port("TCP", 53)},
				},
				{
					To:    []NetworkPolicyPeer{{IPBlock: &IPBlock{CIDR: AWSEndpointsCIDR}}},
					Ports: []NetworkPolicyPort{port("TCP", 443)},
				},
			},
		},
	}
}

// WorkloadTriggerAuthentication lets the workload's trigger authenticate with pod identity
// (provider aws) as the KEDA operator (identityOwner keda): the operator's IRSA role reads queue
// depth, so the workload's role is neither shared with KEDA nor trusted for its service account.
func WorkloadTriggerAuthentication(s WorkloadObjectSettings) TriggerAuthentication {
	return TriggerAuthentication{
		KubeTypeMeta: KubeTypeMeta{KedaAPIVersion, "TriggerAuthentication"},
		Metadata:     KubeMeta{Name: TriggerAuthenticationName(s.Name), Namespace: s.Namespace, Labels: WorkloadLabels(s)},
		Spec:         TriggerAuthenticationSpec{PodIdentity: PodIdentity{Provider: KedaPodIdentityAWS, IdentityOwner: KedaIdentityOwnerKeda}},
	}
}

// WorkloadScaledObject scales the worker Deployment on the depth of its queue.
func WorkloadScaledObject(s WorkloadObjectSettings) ScaledObject {
	so := ScaledObject{
		KubeTypeMeta: KubeTypeMeta{KedaAPIVersion, "ScaledObject"},
		Metadata:     KubeMeta{Name: s.Name, Namespace: s.Namespace, Labels: WorkloadLabels(s)},
		Spec: ScaledObjectSpec{
			ScaleTargetRef:  ScaleTargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: s.Name},
			PollingInterval: int32(s.PollingIntervalSeconds),
			CooldownPeriod:  int32(s.CooldownPeriodSeconds),
			MinReplicaCount: int32(s.MinReplicas),
			MaxReplicaCount: int32(s.MaxReplicas),
			Triggers: []SQSScaleTrigger{{
				Type: SQSTriggerType,
				Metadata: SQSTriggerMetadata{
					QueueURL:              s.QueueURL,
					QueueLength:           strconv.Itoa(s.QueueLength),
					ActivationQueueLength: strconv.Itoa(s.ActivationQueueLength),
					AWSRegion:             s.Region,
					ScaleOnInFlight:       strconv.FormatBool(s.ScaleOnInFlight),
				},
				AuthenticationRef: TriggerAuthRef{Name: TriggerAuthenticationName(s.Name), Kind: "TriggerAuthentication"},
			}},
		},
	}
	if w := s.ScaleDownStabilizationSeconds; w != nil {
		so.Spec.Advanced = &ScaledObjectAdvanced{HorizontalPodAutoscalerConfig: HPAConfig{
			Behavior: HPABehavior{ScaleDown: &HPAScalingRules{StabilizationWindowSeconds: int32(*w)}},
		}}
	}
	return so
}

// ECRRepositoryName is the name of a stack's worker image repository: the cluster name made
// into a valid repository path segment, then "/worker".
func ECRRepositoryName(clusterName string) string {
	out := make([]byte, 0, len(clusterName))
	dash := false
	for _, c := range []byte(clusterName) {
		switch {
		case c >= 'A' && c <= 'Z':
			out, dash = append(out, c+'a'-'A'), false
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			out, dash = append(out, c), false
		case !dash && len(out) > 0:
			out, dash = append(out, '-'), true
		}
	}
	for len(out) > 0 && out[len(out)-1] == '-' {
		out = out[:len(out)-1]
	}
	if len(out) == 0 {
		out = []byte("eventscale")
	}
	return string(out) + "/worker"
}
