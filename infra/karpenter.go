package infra

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Karpenter API groups, versions and kinds (karpenter.sh/v1, karpenter.k8s.aws/v1).
const (
	KarpenterNodePoolAPIVersion  = "karpenter.sh/v1"
	KarpenterNodePoolKind        = "NodePool"
	KarpenterNodeClassGroup      = "karpenter.k8s.aws"
	KarpenterNodeClassAPIVersion = KarpenterNodeClassGroup + "/v1"
	KarpenterNodeClassKind       = "EC2NodeClass"

	// KarpenterReleaseName is the Helm release name of the chart. The chart's fullname (and so the
	// names of its Deployment, Service and default ServiceAccount) derives from it; the program sets
	// it explicitly so that helm/v4.Chart does not default it to the Pulumi resource name.
	KarpenterReleaseName = "karpenter"
	// IRSARoleAnnotation is the ServiceAccount annotation EKS's pod identity webhook reads for IRSA.
	IRSARoleAnnotation = "eks.amazonaws.com/role-arn"
)

// InterruptionRule is one EventBridge rule that forwards events Karpenter reacts to into its
// interruption queue.
type InterruptionRule struct {
	// Key names the Pulumi resources, e.g. "spot-interruption".
	Key string
	// Source and DetailType are the event pattern's `source` and `detail-type`.
	Source, DetailType string
}

// KarpenterInterruptionRules are the five rules of the upstream template: scheduled maintenance
// (AWS Health), spot interruption warnings, rebalance recommendations, instance state changes and
// capacity-reservation interruption warnings.
var KarpenterInterruptionRules = []InterruptionRule{
	{Key: "health-event", Source: "aws.health", DetailType: "AWS Health Event"},
	{Key: "spot-interruption", Source: "aws.ec2", DetailType: "EC2 Spot Instance Interruption Warning"},
	{Key: "rebalance", Source: "aws.ec2", DetailType: "EC2 Instance Rebalance Recommendation"},
	{Key: "instance-state-change", Source: "aws.ec2", DetailType: "EC2 Instance State-change Notification"},
	{Key: "capacity-reservation-interruption", Source: "aws.ec2", DetailType: "EC2 Capacity Reservation Instance Interruption Warning"},
}

// EventPattern is the rule's EventBridge pattern as JSON; the key is literally "detail-type".
func (r InterruptionRule) EventPattern() string {
	b, err := json.Marshal(map[string][]string{"source": {r.Source}, "detail-type": {r.DetailType}})
	if err != nil {
		panic(fmt.Sprintf("infra: marshalling event pattern: %v", err)) // plain strings: cannot fail
	}
	return string(b)
}

// Description is a human-readable description of the rule.
func (r InterruptionRule) Description() string {
	return "Karpenter interruption handling: " + r.DetailType + " (" + r.Source + ")"
}

// KarpenterSettings is the `eventscale:karpenter` section: the node autoscaler. It is the config
// section (stacks.Config.Karpenter), the settings of the karpenter component (karpenter.Args) and,
// inside KarpenterChartSettings, the input of the chart values.
type KarpenterSettings struct {
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
	NodePool NodePoolSettings `json:"nodePool"`
	// NodeClass shapes how those instances are launched.
	NodeClass NodeClassSettings `json:"nodeClass"`
	// ChartRepository is where the chart (KarpenterChartName, version KarpenterVersion) is
	// fetched from: an OCI registry path "oci://host[:port]/path" or a Helm HTTP repository
	// "https://host[:port]/path" (a private mirror; the chart must keep its name and version).
	ChartRepository string `json:"chartRepository"`
	// CreateSpotServiceLinkedRole decides whether the stack creates the account's EC2 Spot
	// service-linked role (SpotServiceLinkedRoleName), which EC2 needs before it launches a spot
	// instance and which the controller's policy cannot create. nil (the default) means: when
	// NodePool.CapacityTypes allows spot. The role exists once per account, so false is for an
	// account that has it already (SpotServiceLinkedRoleWanted reads the effective value).
	CreateSpotServiceLinkedRole *bool `json:"createSpotServiceLinkedRole"`
}

// AllowsSpot reports whether the NodePool may launch spot capacity.
func (k KarpenterSettings) AllowsSpot() bool {
	return slices.Contains(k.NodePool.CapacityTypes, CapacityTypeSpot)
}

// SpotServiceLinkedRoleWanted is the effective CreateSpotServiceLinkedRole: its value when set,
// else whether the NodePool allows spot.
func (k KarpenterSettings) SpotServiceLinkedRoleWanted() bool {
	if k.CreateSpotServiceLinkedRole != nil {
		return *k.CreateSpotServiceLinkedRole
	}
	return k.AllowsSpot()
}

// NodePoolSettings is `eventscale:karpenter.nodePool`: the plain values a Karpenter NodePool is built from.
type NodePoolSettings struct {
	// Name of the NodePool object.
	Name string `json:"name"`
	// CapacityTypes allowed: "on-demand", "spot", "reserved" (required).
	CapacityTypes []string `json:"capacityTypes"`
	// Architectures allowed: "amd64", "arm64" (required).
	Architectures []string `json:"architectures"`
	// InstanceTypes, when set, is the explicit list of EC2 instance types (node.kubernetes.io/instance-type).
	InstanceTypes []string `json:"instanceTypes"`
	// InstanceCategories, when set, restricts instance categories (karpenter.k8s.aws/instance-category), e.g. c, m, r.
	InstanceCategories []string `json:"instanceCategories"`
	// InstanceGenerationGreaterThan, when set, requires karpenter.k8s.aws/instance-generation > N.
	InstanceGenerationGreaterThan *int `json:"instanceGenerationGreaterThan"`
	// MaxInstanceCPU, when set, admits only instance types with at most N vCPUs
	// (karpenter.k8s.aws/instance-cpu Lt N+1), so one node, and one spot interruption, carries few pods.
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

// NodeClassSettings is `eventscale:karpenter.nodeClass`: the plain values an EC2NodeClass is built from.
type NodeClassSettings struct {
	// Name of the EC2NodeClass object.
	Name string `json:"name"`
	// AmiAlias selects the AMI, e.g. "al2023@latest" (dev) or a pinned "al2023@v20251117" (prod).
	AmiAlias string `json:"amiAlias"`
	// RootVolumeSize is the encrypted gp3 root volume size (quantity, e.g. "20Gi"): the volume that
	// holds the node's root file system and images.
	RootVolumeSize string `json:"rootVolumeSize"`
	// Tags are set on the instances, volumes and launch templates Karpenter creates (restricted keys
	// are refused). In config they are the node class's own tags; the stack gives the component
	// the nodes' full tags (KarpenterNodeTags).
	Tags map[string]string `json:"tags"`
	// SSMManagedInstanceCore attaches AmazonSSMManagedInstanceCore to the node role, so that
	// Session Manager can open a shell on the nodes (KarpenterNodeSSMPolicy). Off by default.
	SSMManagedInstanceCore bool `json:"ssmManagedInstanceCore"`
}

// NodeRequirement is one requirement of a NodePool template (a node selector requirement).
type NodeRequirement struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Values   []string `json:"values"`
}

// NodeClassRef points a NodePool at its node class (karpenter.sh/v1 has no apiVersion here).
type NodeClassRef struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
}

// NodePoolSpec is spec of a karpenter.sh/v1 NodePool (the fields this platform sets).
type NodePoolSpec struct {
	Template struct {
		Spec struct {
			NodeClassRef NodeClassRef      `json:"nodeClassRef"`
			Requirements []NodeRequirement `json:"requirements"`
			ExpireAfter  string            `json:"expireAfter"`
		} `json:"spec"`
	} `json:"template"`
	Limits     map[string]string `json:"limits"`
	Disruption struct {
		ConsolidationPolicy string             `json:"consolidationPolicy"`
		ConsolidateAfter    string             `json:"consolidateAfter"`
		Budgets             []DisruptionBudget `json:"budgets"`
	} `json:"disruption"`
}

// DisruptionBudget limits how many nodes Karpenter disrupts at once.
type DisruptionBudget struct {
	Nodes string `json:"nodes"`
}

// Well-known node labels the requirements use.
const (
	LabelArch               = "kubernetes.io/arch"
	LabelOS                 = "kubernetes.io/os"
	LabelInstanceType       = "node.kubernetes.io/instance-type"
	LabelCapacityType       = "karpenter.sh/capacity-type"
	LabelInstanceCategory   = "karpenter.k8s.aws/instance-category"
	LabelInstanceGeneration = "karpenter.k8s.aws/instance-generation"
	LabelInstanceCPU        = "karpenter.k8s.aws/instance-cpu"
)

// NewNodePoolSpec builds the NodePool spec for s, whose nodes use the EC2NodeClass nodeClassName.
func NewNodePoolSpec(s NodePoolSettings, nodeClassName string) NodePoolSpec {
	var spec NodePoolSpec
	t := &spec.Template.Spec
	t.NodeClassRef = NodeClassRef{Group: KarpenterNodeClassGroup, Kind: KarpenterNodeClassKind, Name: nodeClassName}
	t.Requirements = []NodeRequirement{
		{Key: LabelArch, Operator: "In", Values: clone(s.Architectures)},
		{Key: LabelOS, Operator: "In", Values: []string{"linux"}},
		{Key: LabelCapacityType, Operator: "In", Values: clone(s.CapacityTypes)},
	}
	if len(s.InstanceTypes) > 0 {
		t.Requirements = append(t.Requirements, NodeRequirement{Key: LabelInstanceType, Operator: "In", Values: clone(s.InstanceTypes)})
	}
	if len(s.InstanceCategories) > 0 {
		t.Requirements = append(t.Requirements, NodeRequirement{Key: LabelInstanceCategory, Operator: "In", Values: clone(s.InstanceCategories)})
	}
	if g := s.InstanceGenerationGreaterThan; g != nil {
		t.Requirements = append(t.Requirements, NodeRequirement{Key: LabelInstanceGeneration, Operator: "Gt", Values: []string{strconv.Itoa(*g)}})
	}
	if c := s.MaxInstanceCPU; c != nil {
		// Lt (a core node selector operator, as Gt above) rather than Karpenter's own Lte.
		t.Requirements = append(t.Requirements, NodeRequirement{Key: LabelInstanceCPU, Operator: "Lt", Values: []string{strconv.Itoa(*c + 1)}})
	}
	t.ExpireAfter = s.ExpireAfter
	spec.Limits = map[string]string{"cpu": s.LimitCPU, "memory": s.LimitMemory}
	spec.Disruption.ConsolidationPolicy = s.ConsolidationPolicy
	spec.Disruption.ConsolidateAfter = s.ConsolidateAfter
	spec.Disruption.Budgets = []DisruptionBudget{{Nodes: s.DisruptionBudgetNodes}}
	return spec
}

// SelectorTerm selects subnets or security groups by tags.
type SelectorTerm struct {
	Tags map[string]string `json:"tags"`
}

// AMISelectorTerm selects the AMI by alias.
type AMISelectorTerm struct {
	Alias string `json:"alias"`
}

// MetadataOptions are the instance metadata service settings of the nodes.
type MetadataOptions struct {
	HTTPEndpoint            string `json:"httpEndpoint"`
	HTTPProtocolIPv6        string `json:"httpProtocolIPv6"`
	HTTPPutResponseHopLimit int    `json:"httpPutResponseHopLimit"`
	HTTPTokens              string `json:"httpTokens"`
}

// BlockDeviceMapping is one EBS volume of the nodes.
type BlockDeviceMapping struct {
	DeviceName string `json:"deviceName"`
	// RootVolume marks the volume Karpenter treats as the root (ephemeral-storage) volume.
	RootVolume bool `json:"rootVolume,omitempty"`
	EBS        EBS  `json:"ebs"`
}

// EBS describes an EBS volume.
type EBS struct {
	VolumeSize          string `json:"volumeSize"`
	VolumeType          string `json:"volumeType"`
	Encrypted           bool   `json:"encrypted"`
	DeleteOnTermination bool   `json:"deleteOnTermination"`
}

// EC2NodeClassSpec is spec of a karpenter.k8s.aws/v1 EC2NodeClass (the fields this platform sets).
type EC2NodeClassSpec struct {
	Role                       string               `json:"role"`
	AMISelectorTerms           []AMISelectorTerm    `json:"amiSelectorTerms"`
	SubnetSelectorTerms        []SelectorTerm       `json:"subnetSelectorTerms"`
	SecurityGroupSelectorTerms []SelectorTerm       `json:"securityGroupSelectorTerms"`
	MetadataOptions            MetadataOptions      `json:"metadataOptions"`
	BlockDeviceMappings        []BlockDeviceMapping `json:"blockDeviceMappings"`
	Tags                       map[string]string    `json:"tags,omitempty"`
}

// AmiFamily returns the family part of an AMI alias ("al2023" of "al2023@latest").
func AmiFamily(alias string) string {
	family, _, _ := strings.Cut(alias, "@")
	return family
}

// NewEC2NodeClassSpec builds the EC2NodeClass spec for s: nodes run as IAM role `role`, in the
// subnets and security groups tagged karpenter.sh/discovery=<clusterName>, with IMDSv2 required
// (hop limit 1, so pods cannot reach the node's credentials) and an encrypted gp3 volume.
// Bottlerocket keeps its 4Gi OS volume on /dev/xvda and gets RootVolumeSize on its data volume
// /dev/xvdb, where images and pod storage live; AL2023 gets RootVolumeSize on /dev/xvda.
func NewEC2NodeClassSpec(s NodeClassSettings, role, clusterName string) EC2NodeClassSpec {
	discovery := []SelectorTerm{{Tags: map[string]string{DiscoveryTagKey: clusterName}}}
	volume := func(device, size string, root bool) BlockDeviceMapping {
		return BlockDeviceMapping{DeviceName: device, RootVolume: root, EBS: EBS{VolumeSize: size, VolumeType: "gp3", Encrypted: true, DeleteOnTermination: true}}
	}
	devices := []BlockDeviceMapping{volume("/dev/xvda", s.RootVolumeSize, true)}
	if AmiFamily(s.AmiAlias) == "bottlerocket" {
		devices = []BlockDeviceMapping{volume("/dev/xvda", "4Gi", false), volume("/dev/xvdb", s.RootVolumeSize, true)}
	}
	var tags map[string]string
	if len(s.Tags) > 0 {
		tags = maps.Clone(s.Tags)
	}
	return EC2NodeClassSpec{
		Role:                       role,
		AMISelectorTerms:           []AMISelectorTerm{{Alias: s.AmiAlias}},
		SubnetSelectorTerms:        discovery,
		SecurityGroupSelectorTerms: []SelectorTerm{{Tags: map[string]string{DiscoveryTagKey: clusterName}}},
		MetadataOptions:            MetadataOptions{HTTPEndpoint: "enabled", HTTPProtocolIPv6: "disabled", HTTPPutResponseHopLimit: 1, HTTPTokens: "required"},
		BlockDeviceMappings:        devices,
		Tags:                       tags,
	}
}

// KubernetesObject returns the full object (apiVersion, kind, metadata.name, spec) of a
// cluster-scoped custom resource as plain JSON-style values, the form the CRD validators and
// the Pulumi CustomResource take.
func KubernetesObject(apiVersion, kind, name string, spec any) map[string]any {
	return map[string]any{
		"apiVersion": apiVersion,
		"kind":       kind,
		"metadata":   map[string]any{"name": name},
		"spec":       ToMap(spec),
	}
}

// NodePoolObject is the whole NodePool object.
func NodePoolObject(s NodePoolSettings, nodeClassName string) map[string]any {
	return KubernetesObject(KarpenterNodePoolAPIVersion, KarpenterNodePoolKind, s.Name, NewNodePoolSpec(s, nodeClassName))
}

// EC2NodeClassObject is the whole EC2NodeClass object.
func EC2NodeClassObject(s NodeClassSettings, role, clusterName string) map[string]any {
	return KubernetesObject(KarpenterNodeClassAPIVersion, KarpenterNodeClassKind, s.Name, NewEC2NodeClassSpec(s, role, clusterName))
}

// ToMap turns a JSON-tagged struct into map[string]any, the form untyped Kubernetes objects take.
func ToMap(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("infra: marshalling %T: %v", v, err)) // only strings, ints, bools, maps and slices
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(fmt.Sprintf("infra: unmarshalling %T: %v", v, err))
	}
	return m
}

// KarpenterNodeTags are the tags of the instances Karpenter launches: the stack's tags, except
// that they are managed by Karpenter rather than Pulumi, then the node class's own tags.
func KarpenterNodeTags(stackTags, nodeClassTags map[string]string) map[string]string {
	out := WithTags(stackTags, map[string]string{"managed-by": "karpenter"})
	return WithTags(out, nodeClassTags)
}

// KarpenterChartSettings are the values of the Karpenter chart this platform sets: the karpenter
// settings (service account, replicas, controller size) and the values that come from elsewhere.
type KarpenterChartSettings struct {
	// KarpenterSettings are the configured controller settings.
	KarpenterSettings
	ClusterName     string
	ClusterEndpoint string
	// InterruptionQueueName is the queue's name (not its URL or ARN).
	InterruptionQueueName string
	// ControllerRoleArn is the controller's IRSA role.
	ControllerRoleArn string
	// Region is set as AWS_REGION: on Fargate there is no instance metadata to discover it from.
	Region string
}

// KarpenterChartValues are the Helm values for the Karpenter chart (names checked against the
// chart's values.yaml and templates at v1.14.1).
func KarpenterChartValues(s KarpenterChartSettings) map[string]any {
	resources := func() map[string]any { return map[string]any{"cpu": s.ControllerCPU, "memory": s.ControllerMemory} }
	return map[string]any{
		"replicas": s.Replicas,
		// The controller must not depend on CoreDNS being up (it runs before any EC2 node exists).
		"dnsPolicy": "Default",
		"serviceAccount": map[string]any{
			"create":      true,
			"name":        s.ServiceAccount,
			"annotations": map[string]any{IRSARoleAnnotation: s.ControllerRoleArn},
		},
		"settings": map[string]any{
			"clusterName":       s.ClusterName,
			"clusterEndpoint":   s.ClusterEndpoint,
			"interruptionQueue": s.InterruptionQueueName,
		},
		"controller": map[string]any{
			"image":     map[string]any{"tag": KarpenterControllerImage.Tag, "digest": KarpenterControllerImage.Digest},
			"resources": map[string]any{"requests": resources(), "limits": resources()},
			"env":       []any{map[string]any{"name": "AWS_REGION", "value": s.Region}},
		},
		// Spread replicas over zones when possible, but never keep a Fargate pod Pending for it:
		// the chart's default (DoNotSchedule) can block a rollout when Fargate places pods unevenly.
		"topologySpreadConstraints": []any{map[string]any{
			"maxSkew":           1,
			"topologyKey":       "topology.kubernetes.io/zone",
			"whenUnsatisfiable": "ScheduleAnyway",
		}},
	}
}

func clone(s []string) []string { return append([]string(nil), s...) }
