// Package stacks holds the typed per-environment configuration of the platform,
// its defaults and validation, and composes the components into one stack.
package stacks

// Namespace is the Pulumi config namespace of this project's keys
// (`eventscale:network`, `eventscale:cluster`, ...). It equals the project name in Pulumi.yaml.
const Namespace = "eventscale"

// Config is the whole typed configuration of one stack (environment).
// Every section is read from the stack's `eventscale:<section>` key; `aws:region` gives Region.
type Config struct {
	// Project and Stack come from the Pulumi engine, not from config keys.
	Project string `json:"-"`
	Stack   string `json:"-"`
	// Region is `aws:region`, the region every resource is created in.
	Region string `json:"-"`

	Network   NetworkConfig     `json:"network"`
	Cluster   ClusterConfig     `json:"cluster"`
	Fargate   FargateConfig     `json:"fargate"`
	Karpenter KarpenterConfig   `json:"karpenter"`
	Keda      KedaConfig        `json:"keda"`
	Queue     QueueConfig       `json:"queue"`
	Workloads []WorkloadConfig  `json:"workloads"`
	Tags      map[string]string `json:"tags"`
}

// NetworkConfig is the `eventscale:network` section: the VPC and its subnets.
type NetworkConfig struct {
	// VpcCidr is the VPC's IPv4 block.
	VpcCidr string `json:"vpcCidr"`
	// AzCount is how many availability zones the subnets span (2 to 6).
	AzCount int `json:"azCount"`
	// AvailabilityZones names the zones explicitly; empty means the first AzCount available zones of the region.
	AvailabilityZones []string `json:"availabilityZones"`
	// PrivateSubnetPrefixLength is the prefix length of each private (node and pod) subnet.
	PrivateSubnetPrefixLength int `json:"privateSubnetPrefixLength"`
	// PublicSubnetPrefixLength is the prefix length of each public (load balancer, NAT) subnet.
	PublicSubnetPrefixLength int `json:"publicSubnetPrefixLength"`
	// PrivateSubnetCidrs sets the private subnets explicitly (one per zone); empty means carved from VpcCidr.
	PrivateSubnetCidrs []string `json:"privateSubnetCidrs"`
	// PublicSubnetCidrs sets the public subnets explicitly (one per zone); empty means carved from VpcCidr.
	PublicSubnetCidrs []string `json:"publicSubnetCidrs"`
	// NatGateways is "single" (one NAT gateway, cheaper) or "onePerAz" (zone-redundant egress).
	NatGateways string `json:"natGateways"`
}

// NAT gateway strategies.
const (
	NatSingle   = "single"
	NatOnePerAz = "onePerAz"
)

// ClusterConfig is the `eventscale:cluster` section: the EKS control plane.
type ClusterConfig struct {
	// Name is the EKS cluster name; empty means "<project>-<stack>".
	Name string `json:"name"`
	// Version is the Kubernetes minor version, e.g. "1.35".
	Version string `json:"version"`
	// EndpointPublicAccess exposes the API server endpoint to the internet (restricted by PublicAccessCidrs).
	EndpointPublicAccess bool `json:"endpointPublicAccess"`
	// EndpointPrivateAccess exposes the API server endpoint inside the VPC.
	EndpointPrivateAccess bool `json:"endpointPrivateAccess"`
	// PublicAccessCidrs limits who reaches the public endpoint.
	PublicAccessCidrs []string `json:"publicAccessCidrs"`
	// LogTypes are the control-plane log types sent to CloudWatch.
	LogTypes []string `json:"logTypes"`
	// AdminPrincipalArns get an EKS access entry with AmazonEKSClusterAdminPolicy (cluster scope).
	AdminPrincipalArns []string `json:"adminPrincipalArns"`
}

// FargateConfig is the `eventscale:fargate` section: which namespaces run on Fargate.
type FargateConfig struct {
	// Namespaces are selected by the Fargate profile; must include kube-system (CoreDNS) and the
	// Karpenter and KEDA namespaces, so that an idle cluster has no EC2 nodes.
	Namespaces []string `json:"namespaces"`
}

// KarpenterConfig is the `eventscale:karpenter` section: the node autoscaler.
type KarpenterConfig struct {
	// Namespace the controller is installed in (must be on Fargate). Default kube-system, whose
	// service accounts the API server prioritises; any other gets a Namespace and two FlowSchemas.
	Namespace string `json:"namespace"`
	// ServiceAccount is the controller's service account name; the IRSA trust's `sub` is derived from it.
	ServiceAccount string `json:"serviceAccount"`
	// Replicas of the controller (leader-elected; 2 for availability).
	Replicas int `json:"replicas"`
	// ControllerCPU and ControllerMemory are the controller's requests and limits (equal: Fargate sizes pods by them).
	ControllerCPU    string `json:"controllerCpu"`
	ControllerMemory string `json:"controllerMemory"`
	// NodePool shapes the EC2 capacity Karpenter may launch.
	NodePool NodePoolConfig `json:"nodePool"`
	// NodeClass shapes how those instances are launched.
	NodeClass NodeClassConfig `json:"nodeClass"`
}

// NodePoolConfig is `eventscale:karpenter.nodePool`.
type NodePoolConfig struct {
	// Name of the NodePool object.
	Name string `json:"name"`
	// CapacityTypes allowed: "on-demand", "spot", "reserved".
	CapacityTypes []string `json:"capacityTypes"`
	// Architectures allowed: "amd64", "arm64".
	Architectures []string `json:"architectures"`
	// InstanceTypes, when set, is the explicit list of EC2 instance types (node.kubernetes.io/instance-type).
	InstanceTypes []string `json:"instanceTypes"`
	// InstanceCategories, when set, restricts instance categories (karpenter.k8s.aws/instance-category), e.g. c, m, r.
	InstanceCategories []string `json:"instanceCategories"`
	// InstanceGenerationGreaterThan, when set, requires karpenter.k8s.aws/instance-generation > N.
	InstanceGenerationGreaterThan *int `json:"instanceGenerationGreaterThan"`
	// MaxInstanceCPU, when set, admits only instance types with at most N vCPUs
	// (karpenter.k8s.aws/instance-cpu), so one node, and one spot interruption, carries few pods.
	MaxInstanceCPU *int `json:"maxInstanceCpu"`
	// LimitCPU and LimitMemory cap the total capacity of the NodePool's nodes (Kubernetes quantities).
	LimitCPU    string `json:"limitCpu"`
	LimitMemory string `json:"limitMemory"`
	// ConsolidationPolicy is "WhenEmpty" or "WhenEmptyOrUnderutilized".
	ConsolidationPolicy string `json:"consolidationPolicy"`
	// ConsolidateAfter is how long a node must be consolidatable before Karpenter acts (Go duration, e.g. "30s").
	ConsolidateAfter string `json:"consolidateAfter"`
	// ExpireAfter is the maximum node lifetime (Go duration such as "720h", or "Never").
	ExpireAfter string `json:"expireAfter"`
	// DisruptionBudgetNodes is how many nodes may be disrupted at once ("10%" or "2").
	DisruptionBudgetNodes string `json:"disruptionBudgetNodes"`
}

// NodeClassConfig is `eventscale:karpenter.nodeClass`.
type NodeClassConfig struct {
	// Name of the EC2NodeClass object.
	Name string `json:"name"`
	// AmiAlias selects the AMI, e.g. "al2023@latest" (dev) or a pinned "al2023@v20251117" (prod).
	AmiAlias string `json:"amiAlias"`
	// RootVolumeSize is the encrypted gp3 root volume size (quantity, e.g. "20Gi").
	RootVolumeSize string `json:"rootVolumeSize"`
	// Tags are added to every instance Karpenter launches (restricted keys are refused).
	Tags map[string]string `json:"tags"`
}

// KedaConfig is the `eventscale:keda` section: the event-driven pod autoscaler.
type KedaConfig struct {
	// Namespace KEDA is installed in (must be on Fargate).
	Namespace string `json:"namespace"`
	// OperatorReplicas of the keda-operator deployment (leader-elected).
	OperatorReplicas int `json:"operatorReplicas"`
	// OperatorCPU/OperatorMemory and MetricsServerCPU/MetricsServerMemory are requests = limits (Fargate sizing).
	OperatorCPU         string `json:"operatorCpu"`
	OperatorMemory      string `json:"operatorMemory"`
	MetricsServerCPU    string `json:"metricsServerCpu"`
	MetricsServerMemory string `json:"metricsServerMemory"`
	// WebhooksCPU/WebhooksMemory size the admission webhooks pod.
	WebhooksCPU    string `json:"webhooksCpu"`
	WebhooksMemory string `json:"webhooksMemory"`
}

// QueueConfig is the `eventscale:queue` section: settings shared by every workload's SQS queue and DLQ.
type QueueConfig struct {
	// VisibilityTimeoutSeconds must exceed every workload's MaxProcessingSeconds.
	VisibilityTimeoutSeconds int `json:"visibilityTimeoutSeconds"`
	// MessageRetentionSeconds of the work queue (60 to 1209600).
	MessageRetentionSeconds int `json:"messageRetentionSeconds"`
	// DlqRetentionSeconds of the dead-letter queue (60 to 1209600); must be at least MessageRetentionSeconds.
	DlqRetentionSeconds int `json:"dlqRetentionSeconds"`
	// MaxReceiveCount is how many receives a message gets before it moves to the DLQ (1 to 1000).
	MaxReceiveCount int `json:"maxReceiveCount"`
	// ReceiveWaitTimeSeconds is the queue's default long-poll wait (1 to 20).
	ReceiveWaitTimeSeconds int `json:"receiveWaitTimeSeconds"`
	// Protect marks the queues `protect` so `pulumi destroy` refuses to delete them (prod).
	Protect bool `json:"protect"`
}

// WorkloadConfig is one entry of `eventscale:workloads`: a queue, its worker Deployment and its ScaledObject.
type WorkloadConfig struct {
	// Name of the workload (DNS-1123 label); names its queue, role, Deployment and ScaledObject.
	Name string `json:"name"`
	// Namespace the workload runs in; must NOT be a Fargate namespace (its pods go to Karpenter nodes).
	Namespace string `json:"namespace"`
	// Image of the worker; empty means the stack's ECR repository at ImageTag.
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
	// ZoneSpread spreads the pods over zones: "none", "preferred" (ScheduleAnyway) or "required"
	// (DoNotSchedule), each with maxSkew 1 on topology.kubernetes.io/zone.
	ZoneSpread string `json:"zoneSpread"`
}
