// Package keda is the KEDA half of the scaling twin: it builds KEDA v2.20.2's own
// aws-sqs-queue scaler (github.com/kedacore/keda/v2/pkg/scalers.NewAwsSqsQueueScaler) from the
// ScaledObject and TriggerAuthentication the Pulumi program emits, points it at moto_server,
// reads the metric and activity KEDA computes for a real queue state, and turns them into the
// replica count KEDA's scale executor and the HorizontalPodAutoscaler it owns settle on.
package keda

import (
	"context"
	"fmt"
	"maps"
	"math"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	"github.com/kedacore/keda/v2/pkg/scalers"
	"github.com/kedacore/keda/v2/pkg/scalers/authentication"
	"github.com/kedacore/keda/v2/pkg/scalers/scalersconfig"
	"github.com/kedacore/keda/v2/pkg/scaling/resolver"

	"github.com/eventscale/eventscale/tests/twin/spec"
)

// Module is the KEDA module whose code the twin runs (kept equal to go.mod by a test).
const Module = "github.com/kedacore/keda/v2 v2.20.2"

// SQSTriggerType is the trigger type the twin models.
const SQSTriggerType = "aws-sqs-queue"

// HPATolerance is the HorizontalPodAutoscaler's default tolerance
// (kube-controller-manager --horizontal-pod-autoscaler-tolerance, 0.1).
const HPATolerance = 0.1

// Twin holds one stack's KEDA objects decoded into KEDA's own types.
type Twin struct {
	ScaledObject          *kedav1alpha1.ScaledObject
	TriggerAuthentication *kedav1alpha1.TriggerAuthentication
	Deployment            *appsv1.Deployment
	// Trigger is the ScaledObject's aws-sqs-queue trigger.
	Trigger kedav1alpha1.ScaleTriggers
	// TriggerIndex is its index in spec.triggers.
	TriggerIndex int
}

// New decodes the program's objects (strictly: unknown fields are errors) into KEDA's types.
func New(o *spec.Objects) (*Twin, error) {
	t := &Twin{
		ScaledObject:          &kedav1alpha1.ScaledObject{},
		TriggerAuthentication: &kedav1alpha1.TriggerAuthentication{},
		Deployment:            &appsv1.Deployment{},
	}
	if err := spec.Decode(o.ScaledObject, t.ScaledObject); err != nil {
		return nil, err
	}
	if o.TriggerAuthentication != nil {
		if err := spec.Decode(o.TriggerAuthentication, t.TriggerAuthentication); err != nil {
			return nil, err
		}
	} else {
		t.TriggerAuthentication = nil
	}
	if err := spec.Decode(o.Deployment, t.Deployment); err != nil {
		return nil, err
	}
	found := 0
	for i, tr := range t.ScaledObject.Spec.Triggers {
		if tr.Type == SQSTriggerType {
			t.Trigger, t.TriggerIndex = tr, i
			found++
		}
	}
	if found != 1 {
		return nil, fmt.Errorf("keda twin: ScaledObject %s has %d %s triggers; the twin models exactly one", t.ScaledObject.Name, found, SQSTriggerType)
	}
	return t, nil
}

// ScalerConfig builds the ScalerConfig KEDA's scale handler would build for the trigger
// (pkg/scaling/scalers_builder.go), with the authentication resolved by KEDA's own resolver
// (resolver.ResolveAuthRefAndPodIdentity) from the program's TriggerAuthentication, held in a
// controller-runtime fake client. endpoint, if not empty, is added to the trigger metadata as
// awsEndpoint (moto_server); nothing else is added or changed.
func (t *Twin) ScalerConfig(ctx context.Context, endpoint string) (*scalersconfig.ScalerConfig, error) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{kedav1alpha1.AddToScheme, corev1.AddToScheme, appsv1.AddToScheme} {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	b := fake.NewClientBuilder().WithScheme(scheme).WithObjects(t.Deployment.DeepCopy())
	if t.TriggerAuthentication != nil {
		b = b.WithObjects(t.TriggerAuthentication.DeepCopy())
	}
	kube := b.Build()
	so := t.ScaledObject
	authParams, podIdentity, err := resolver.ResolveAuthRefAndPodIdentity(ctx, kube, logr.Discard(), t.Trigger.AuthenticationRef,
		&t.Deployment.Spec.Template, so.Namespace, &authentication.AuthClientSet{})
	if err != nil {
		return nil, fmt.Errorf("keda twin: resolving the trigger's authentication: %w", err)
	}
	if t.Trigger.AuthenticationRef != nil && podIdentity.Provider == kedav1alpha1.PodIdentityProviderNone && len(authParams) == 0 {
		return nil, fmt.Errorf("keda twin: KEDA resolved nothing from TriggerAuthentication %q", t.Trigger.AuthenticationRef.Name)
	}
	meta := maps.Clone(t.Trigger.Metadata)
	if endpoint != "" {
		meta["awsEndpoint"] = endpoint
	}
	return &scalersconfig.ScalerConfig{
		ScalableObjectName:      so.Name,
		ScalableObjectNamespace: so.Namespace,
		ScalableObjectType:      "ScaledObject",
		TriggerName:             t.Trigger.Name,
		TriggerMetadata:         meta,
		TriggerType:             t.Trigger.Type,
		TriggerUseCachedMetrics: t.Trigger.UseCachedMetrics,
		ResolvedEnv:             map[string]string{},
		AuthParams:              authParams,
		PodIdentity:             podIdentity,
		TriggerIndex:            t.TriggerIndex,
		MetricType:              t.Trigger.MetricType,
		ScaledObject:            so,
		TriggerUniqueKey:        fmt.Sprintf("ScaledObject-%s-%s-%d", so.Namespace, so.Name, t.TriggerIndex),
	}, nil
}

// Reading is what KEDA's scaler reports for one poll.
type Reading struct {
	// MetricName is the external metric KEDA exposes to the HPA.
	MetricName string
	// Metric is the queue length the scaler computed.
	Metric int64
	// Target is the HPA's AverageValue target KEDA sets from queueLength.
	Target int64
	// Active is the scaler's activity verdict (metric > activationQueueLength).
	Active bool
}

// Read builds KEDA's aws-sqs-queue scaler from cfg and polls it once, as KEDA's operator does
// every pollingInterval: GetMetricSpecForScaling for the metric name and HPA target, then
// GetMetricsAndActivity.
func Read(ctx context.Context, cfg *scalersconfig.ScalerConfig) (Reading, error) {
	s, err := scalers.NewAwsSqsQueueScaler(ctx, cfg)
	if err != nil {
		return Reading{}, fmt.Errorf("keda twin: NewAwsSqsQueueScaler: %w", err)
	}
	defer s.Close(ctx)
	specs := s.GetMetricSpecForScaling(ctx)
	if len(specs) != 1 || specs[0].External == nil || specs[0].External.Target.AverageValue == nil {
		return Reading{}, fmt.Errorf("keda twin: unexpected metric spec %+v", specs)
	}
	r := Reading{MetricName: specs[0].External.Metric.Name, Target: specs[0].External.Target.AverageValue.Value()}
	values, active, err := s.GetMetricsAndActivity(ctx, r.MetricName)
	if err != nil {
		return r, fmt.Errorf("keda twin: GetMetricsAndActivity: %w", err)
	}
	if len(values) != 1 {
		return r, fmt.Errorf("keda twin: %d metric values, want 1", len(values))
	}
	// KEDA reports the value in milli-units (GenerateMetricInMili); the queue length is whole.
	r.Metric = values[0].Value.MilliValue() / 1000
	r.Active = active
	return r, nil
}

// Bounds are the replica bounds of a ScaledObject as KEDA applies them.
type Bounds struct {
	// Min is spec.minReplicaCount (KEDA's executor scales to it when inactive, 0 by default).
	Min int32
	// HPAMin and HPAMax are the bounds of the HPA KEDA creates (GetHPAMinReplicas: at least 1).
	HPAMin, HPAMax int32
}

// BoundsOf reads the bounds with KEDA's own accessors.
func BoundsOf(so *kedav1alpha1.ScaledObject) Bounds {
	b := Bounds{HPAMin: *so.GetHPAMinReplicas(), HPAMax: so.GetHPAMaxReplicas()}
	if so.Spec.MinReplicaCount != nil {
		b.Min = *so.Spec.MinReplicaCount
	}
	return b
}

// Desired is the replica count a Deployment at `current` replicas settles on for a reading:
//
//   - inactive with minReplicaCount 0: KEDA's executor (pkg/scaling/executor/
//     scale_scaledobjects.go, RequestScale → scaleToZeroOrIdle) scales to 0 once the cooldown
//     has passed, whatever the metric (the HPA is idle at 0 replicas);
//   - inactive with a non-zero minimum: the HPA keeps running, within [minReplicaCount, max];
//   - active at 0 replicas: the executor's scaleFromZeroOrIdle sets max(minReplicaCount, 1), and
//     from there the HPA takes over;
//   - active: the HPA's AverageValue rule for an external metric
//     (k8s.io/kubernetes pkg/controller/podautoscaler/replica_calculator.go,
//     GetExternalPerPodMetricReplicas): usage ratio = metric / (target × current); within
//     the tolerance the count stays, else ceil(metric / target), clamped to [HPAMin, HPAMax].
//
// It returns the steady state reached from current by repeating those steps.
func Desired(b Bounds, r Reading, current int32) int32 {
	switch {
	case !r.Active && b.Min == 0:
		return 0
	case current < max(b.Min, 1):
		current = max(b.Min, 1)
	}
	for range 64 {
		next := hpaStep(b, r, current)
		if next == current {
			return current
		}
		current = next
	}
	return current
}

func hpaStep(b Bounds, r Reading, current int32) int32 {
	desired := current
	if r.Target > 0 {
		ratio := float64(r.Metric) / (float64(r.Target) * float64(current))
		if math.Abs(1-ratio) > HPATolerance {
			desired = int32(math.Ceil(float64(r.Metric) / float64(r.Target)))
		}
	}
	return min(max(desired, b.HPAMin), b.HPAMax)
}
