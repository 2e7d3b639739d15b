package infra

// KEDA objects and chart values as typed structs. The types only have the fields this platform
// sets, each at the place the KEDA CRDs (keda.sh/v1alpha1, v2.20) and the chart (2.20.2) read it,
// so a misplaced field does not compile: ScaleTargetRef has no replica bounds, the trigger
// metadata are strings, and the chart's service-account values have no annotations.

const (
	// KedaAPIVersion is the API version of KEDA's custom resources.
	KedaAPIVersion = "keda.sh/v1alpha1"
	// KedaReleaseName is the Helm release name of KEDA. The chart's object names do not depend on
	// it (they come from operator.name and serviceAccount.*.name), but it is set explicitly so a
	// rename of the Pulumi resource never renames the release.
	KedaReleaseName = "keda"
	// KedaOperatorServiceAccount is the operator's service account, set explicitly in the chart
	// values (serviceAccount.operator.name); the KEDA role's IRSA trust `sub` is derived from it.
	KedaOperatorServiceAccount = "keda-operator"
	// SQSTriggerType is KEDA's scaler for SQS queue depth.
	SQSTriggerType = "aws-sqs-queue"
	// KedaPodIdentityAWS is the TriggerAuthentication provider for IRSA ("aws-eks" is deprecated
	// and removed in KEDA 3).
	KedaPodIdentityAWS = "aws"
	// KedaIdentityOwnerKeda makes KEDA use the operator's own IRSA role (the default, set explicitly).
	KedaIdentityOwnerKeda = "keda"
)

// ScaledObject is a keda.sh/v1alpha1 ScaledObject.
type ScaledObject struct {
	KubeTypeMeta
	Metadata KubeMeta         `json:"metadata"`
	Spec     ScaledObjectSpec `json:"spec"`
}

// ScaledObjectSpec is a ScaledObject's spec. The replica bounds, polling interval, cooldown and
// triggers are its direct fields: siblings of ScaleTargetRef, never inside it.
type ScaledObjectSpec struct {
	ScaleTargetRef ScaleTargetRef `json:"scaleTargetRef"`
	// PollingInterval is how often (seconds) KEDA checks the triggers.
	PollingInterval int32 `json:"pollingInterval"`
	// CooldownPeriod is how long (seconds) after the last active trigger KEDA scales to MinReplicaCount 0.
	CooldownPeriod int32 `json:"cooldownPeriod"`
	// MinReplicaCount is emitted even when 0 (scale to zero is the point, and explicit beats KEDA's default).
	MinReplicaCount int32                 `json:"minReplicaCount"`
	MaxReplicaCount int32                 `json:"maxReplicaCount"`
	Advanced        *ScaledObjectAdvanced `json:"advanced,omitempty"`
	Triggers        []SQSScaleTrigger     `json:"triggers"`
}

// ScaleTargetRef names the workload a ScaledObject scales. It has exactly the reference fields
// of the CRD; nothing else can be nested under it.
type ScaleTargetRef struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Name       string `json:"name"`
}

// ScaledObjectAdvanced is spec.advanced.
type ScaledObjectAdvanced struct {
	HorizontalPodAutoscalerConfig HPAConfig `json:"horizontalPodAutoscalerConfig"`
}

// HPAConfig is spec.advanced.horizontalPodAutoscalerConfig.
type HPAConfig struct {
	Behavior HPABehavior `json:"behavior"`
}

// HPABehavior is the HPA's scaling behaviour; only scale-down is tuned.
type HPABehavior struct {
	ScaleDown *HPAScalingRules `json:"scaleDown,omitempty"`
}

// HPAScalingRules holds the stabilization window of one scaling direction.
type HPAScalingRules struct {
	StabilizationWindowSeconds int32 `json:"stabilizationWindowSeconds"`
}

// SQSScaleTrigger is one aws-sqs-queue trigger.
type SQSScaleTrigger struct {
	Type              string             `json:"type"`
	Metadata          SQSTriggerMetadata `json:"metadata"`
	AuthenticationRef TriggerAuthRef     `json:"authenticationRef"`
}

// SQSTriggerMetadata are the aws-sqs-queue scaler's parameters. KEDA reads trigger metadata as
// a map of strings, so every field is a string here, numbers and booleans included.
type SQSTriggerMetadata struct {
	QueueURL              string `json:"queueURL"`
	QueueLength           string `json:"queueLength"`
	ActivationQueueLength string `json:"activationQueueLength"`
	AWSRegion             string `json:"awsRegion"`
	ScaleOnInFlight       string `json:"scaleOnInFlight"`
}

// TriggerAuthRef points a trigger at a TriggerAuthentication in the same namespace.
type TriggerAuthRef struct {
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"`
}

// TriggerAuthentication is a keda.sh/v1alpha1 TriggerAuthentication using pod identity.
type TriggerAuthentication struct {
	KubeTypeMeta
	Metadata KubeMeta                  `json:"metadata"`
	Spec     TriggerAuthenticationSpec `json:"spec"`
}

// TriggerAuthenticationSpec is a TriggerAuthentication's spec.
type TriggerAuthenticationSpec struct {
	PodIdentity PodIdentity `json:"podIdentity"`
}

// PodIdentity selects the identity KEDA uses for a trigger. No roleArn: it is mutually exclusive
// with identityOwner and the operator's role is the one meant to read queue depth.
type PodIdentity struct {
	Provider      string `json:"provider"`
	IdentityOwner string `json:"identityOwner,omitempty"`
}

// KedaSettings is the `eventscale:keda` section: the event-driven pod autoscaler. It is the
// config section (stacks.Config.Keda), the settings of the keda component (keda.Args) and,
// inside KedaChartSettings, the input of the chart values.
type KedaSettings struct {
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
	// ChartRepository is where the chart (KedaChart, version KedaVersion) is fetched from: a Helm
	// HTTP repository "https://host[:port]/path" or an OCI registry path "oci://host[:port]/path"
	// (a private mirror; the chart must keep its name and version).
	ChartRepository string `json:"chartRepository"`
}

// KedaChartSettings is the plain input of the KEDA chart values: the keda settings and the
// values that come from elsewhere.
type KedaChartSettings struct {
	// KedaSettings are the configured replicas and pod sizes.
	KedaSettings
	// ClusterName is reported by KEDA in events (chart value clusterName).
	ClusterName string
	// RoleArn is the operator's IRSA role.
	RoleArn string
}

// KedaChartValues are the values this platform gives the KEDA chart 2.20.2; everything else
// keeps the chart's default.
type KedaChartValues struct {
	ClusterName    string              `json:"clusterName"`
	Operator       KedaOperatorValues  `json:"operator"`
	ServiceAccount KedaServiceAccounts `json:"serviceAccount"`
	PodIdentity    KedaPodIdentity     `json:"podIdentity"`
	Resources      KedaResources       `json:"resources"`
}

// KedaOperatorValues is `operator`.
type KedaOperatorValues struct {
	ReplicaCount int `json:"replicaCount"`
}

// KedaServiceAccounts is `serviceAccount`. It has no annotations field on purpose: the chart's
// top-level serviceAccount.annotations is a fallback applied to all three KEDA service accounts,
// and the IRSA annotation belongs on the operator's only (podIdentity.aws.irsa does that).
type KedaServiceAccounts struct {
	Operator KedaServiceAccount `json:"operator"`
}

// KedaServiceAccount is `serviceAccount.operator`.
type KedaServiceAccount struct {
	Create bool   `json:"create"`
	Name   string `json:"name"`
}

// KedaPodIdentity is `podIdentity`.
type KedaPodIdentity struct {
	AWS KedaPodIdentityAWSValues `json:"aws"`
}

// KedaPodIdentityAWSValues is `podIdentity.aws`.
type KedaPodIdentityAWSValues struct {
	IRSA KedaIRSA `json:"irsa"`
}

// KedaIRSA is `podIdentity.aws.irsa`: the chart annotates the keda-operator service account with
// eks.amazonaws.com/role-arn (and audience, STS regional endpoints, token expiration).
type KedaIRSA struct {
	Enabled bool   `json:"enabled"`
	RoleArn string `json:"roleArn"`
}

// KedaResources is `resources`, per component (the chart's keys are operator, metricServer, webhooks).
type KedaResources struct {
	Operator     KubeResources `json:"operator"`
	MetricServer KubeResources `json:"metricServer"`
	Webhooks     KubeResources `json:"webhooks"`
}

// NewKedaChartValues builds the KEDA chart values: the operator's IRSA role through the chart's own
// podIdentity.aws.irsa values, the operator service account named explicitly, and requests =
// limits for the three pods (Fargate sizes a pod by them).
func NewKedaChartValues(s KedaChartSettings) KedaChartValues {
	return KedaChartValues{
		ClusterName:    s.ClusterName,
		Operator:       KedaOperatorValues{ReplicaCount: s.OperatorReplicas},
		ServiceAccount: KedaServiceAccounts{Operator: KedaServiceAccount{Create: true, Name: KedaOperatorServiceAccount}},
		PodIdentity:    KedaPodIdentity{AWS: KedaPodIdentityAWSValues{IRSA: KedaIRSA{Enabled: true, RoleArn: s.RoleArn}}},
		Resources: KedaResources{
			Operator:     GuaranteedResources(s.OperatorCPU, s.OperatorMemory),
			MetricServer: GuaranteedResources(s.MetricsServerCPU, s.MetricsServerMemory),
			Webhooks:     GuaranteedResources(s.WebhooksCPU, s.WebhooksMemory),
		},
	}
}
