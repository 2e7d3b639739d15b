package keda

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/go-logr/logr"
	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/eventscale/eventscale/tests/twin/spec"
)

// env is one stack's twin: the program's objects, moto and the queue.
type env struct {
	objs  *spec.Objects
	twin  *Twin
	moto  *spec.Moto
	queue *queue
}

func setup(t *testing.T, stack string) *env {
	t.Helper()
	log.SetLogger(logr.Discard()) // KEDA's scalers log through controller-runtime
	_, objs := spec.MustLoadStack(t, stack)
	tw, err := New(objs)
	if err != nil {
		t.Fatal(err)
	}
	m := spec.StartMoto(t)
	e := &env{objs: objs, twin: tw, moto: m}
	e.queue = newQueue(t, m, tw.Trigger.Metadata["queueURL"], tw.Trigger.Metadata["awsRegion"])
	return e
}

// decide puts visible+inFlight messages in a fresh queue and returns KEDA's reading and the
// replicas a Deployment at 0 settles on, for the twin's ScaledObject with the trigger metadata
// changed by edit (nil: the program's own).
func (e *env) decide(t *testing.T, visible, inFlight int, edit func(meta map[string]string, so *kedav1alpha1.ScaledObject)) (Reading, int32) {
	t.Helper()
	tw := *e.twin
	if edit != nil {
		tw.ScaledObject = e.twin.ScaledObject.DeepCopy()
		tw.Trigger = *e.twin.Trigger.DeepCopy()
		edit(tw.Trigger.Metadata, tw.ScaledObject)
		tw.ScaledObject.Spec.Triggers[tw.TriggerIndex] = tw.Trigger
	}
	e.queue.reset(t)
	e.queue.fill(t, visible, inFlight)
	ctx := context.Background()
	cfg, err := tw.ScalerConfig(ctx, e.moto.URL)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Read(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r, Desired(BoundsOf(tw.ScaledObject), r, 0)
}

func requireSetting(t *testing.T, name string, got, want any) {
	t.Helper()
	if got != want {
		t.Fatalf("the tutorial's claims assume the dev stack's %s = %v; the program now sets %v (update the claims and the README with it)", name, want, got)
	}
}

// scalingCase is one queue state and the decision KEDA must take on it: visible and in-flight
// messages (after edit changes the trigger metadata or the ScaledObject), the metric the scaler
// reads, whether the ScaledObject is active and the pods the HPA formula gives.
type scalingCase struct {
	name              string
	visible, inFlight int
	edit              func(map[string]string, *kedav1alpha1.ScaledObject)
	metric            int64
	active            bool
	pods              int32
}

// TestDevClaims checks the tutorial's scaling claims for the dev stack's own ScaledObject.
func TestDevClaims(t *testing.T) {
	e := setup(t, "dev")
	so, meta := e.twin.ScaledObject, e.twin.Trigger.Metadata
	requireSetting(t, "minReplicaCount", *so.Spec.MinReplicaCount, int32(0))
	requireSetting(t, "maxReplicaCount", *so.Spec.MaxReplicaCount, int32(2))
	requireSetting(t, "queueLength", meta["queueLength"], "1")
	requireSetting(t, "activationQueueLength", meta["activationQueueLength"], "0")
	requireSetting(t, "scaleOnInFlight", meta["scaleOnInFlight"], "true")

	cases := []scalingCase{
		{name: "empty queue: inactive, 0 pods", metric: 0, active: false, pods: 0},
		{name: "1 message activates (activationQueueLength 0)", visible: 1, metric: 1, active: true, pods: 1},
		{name: "queueLength 1 and 2 messages: 2 pods", visible: 2, metric: 2, active: true, pods: 2},
		{name: "in-flight messages count (scaleOnInFlight)", visible: 1, inFlight: 1, metric: 2, active: true, pods: 2},
		{name: "max 2 caps 3 messages at 2 pods", visible: 3, metric: 3, active: true, pods: 2},
		{name: "max 2 caps 10 messages at 2 pods", visible: 4, inFlight: 6, metric: 10, active: true, pods: 2},
		{name: "scaleOnInFlight false ignores in-flight messages", visible: 1, inFlight: 2, metric: 1, active: true, pods: 1,
			edit: func(m map[string]string, _ *kedav1alpha1.ScaledObject) { m["scaleOnInFlight"] = "false" }},
		{name: "only in-flight messages, scaleOnInFlight false: inactive, 0 pods", inFlight: 2, metric: 0, active: false, pods: 0,
			edit: func(m map[string]string, _ *kedav1alpha1.ScaledObject) { m["scaleOnInFlight"] = "false" }},
		{name: "activationQueueLength 2 and 2 messages: inactive, 0 pods", visible: 2, metric: 2, active: false, pods: 0,
			edit: func(m map[string]string, _ *kedav1alpha1.ScaledObject) { m["activationQueueLength"] = "2" }},
		{name: "activationQueueLength 2 and 3 messages: active, 2 pods", visible: 3, metric: 3, active: true, pods: 2,
			edit: func(m map[string]string, _ *kedav1alpha1.ScaledObject) { m["activationQueueLength"] = "2" }},
	}
	ql2 := func(m map[string]string, _ *kedav1alpha1.ScaledObject) { m["queueLength"] = "2" }
	for n, pods := range map[int]int32{1: 1, 2: 1, 3: 2, 4: 2} {
		cases = append(cases, scalingCase{name: "queueLength 2 and " + strconv.Itoa(n) + " messages", visible: n, edit: ql2, metric: int64(n), active: true, pods: pods})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, pods := e.decide(t, c.visible, c.inFlight, c.edit)
			if r.Metric != c.metric || r.Active != c.active || pods != c.pods {
				t.Fatalf("KEDA read metric %d active %v → %d pods; want metric %d active %v → %d pods", r.Metric, r.Active, pods, c.metric, c.active, c.pods)
			}
			if want, _ := strconv.ParseInt(e.twin.Trigger.Metadata["queueLength"], 10, 64); c.edit == nil && r.Target != want {
				t.Fatalf("HPA target %d, queueLength %d", r.Target, want)
			}
		})
	}
}

// TestTableDecisions reads KEDA's decision for each row of each stack's table and hands them
// to the Karpenter half (out/twin/keda-<stack>.json).
func TestTableDecisions(t *testing.T) {
	root := spec.MustRepoRoot(t)
	for _, stack := range spec.Stacks {
		t.Run(stack, func(t *testing.T) {
			e := setup(t, stack)
			so, meta := e.twin.ScaledObject, e.twin.Trigger.Metadata
			d := &spec.KedaDecisions{
				Stack:       stack,
				Fingerprint: spec.Fingerprint(e.objs.ScaledObject),
				KedaModule:  Module,
				MinReplicas: BoundsOf(so).Min,
				MaxReplicas: BoundsOf(so).HPAMax,
			}
			if so.Spec.PollingInterval != nil {
				d.PollingInterval = *so.Spec.PollingInterval
			}
			if so.Spec.CooldownPeriod != nil {
				d.CooldownPeriod = *so.Spec.CooldownPeriod
			}
			d.QueueLength, _ = strconv.ParseInt(meta["queueLength"], 10, 64)
			d.ActivationQueueLength, _ = strconv.ParseInt(meta["activationQueueLength"], 10, 64)
			d.ScaleOnInFlight, _ = strconv.ParseBool(meta["scaleOnInFlight"])
			maxReal := spec.MaxRealMessages
			if v, err := strconv.Atoi(os.Getenv("TWIN_MAX_REAL_MESSAGES")); err == nil {
				maxReal = v
			}
			var prev int32
			var last Reading
			for i, n := range spec.TableMessages(stack) {
				var r Reading
				var pods int32
				measured := n <= maxReal
				if measured {
					r, pods = e.decide(t, n, 0, nil)
					last = r
				} else {
					// Too deep for moto: the count itself, KEDA's activation rule
					// (queue length > activationQueueLength) and the same replica steps.
					r = Reading{MetricName: last.MetricName, Metric: int64(n), Target: last.Target, Active: int64(n) > d.ActivationQueueLength}
					pods = Desired(BoundsOf(so), r, 0)
				}
				if r.Metric != int64(n) {
					t.Fatalf("%d messages: KEDA read %d", n, r.Metric)
				}
				if r.Target != d.QueueLength {
					t.Fatalf("HPA target %d, queueLength %d", r.Target, d.QueueLength)
				}
				if pods > d.MaxReplicas || (i > 0 && pods < prev) {
					t.Fatalf("%d messages → %d pods: above max %d or fewer than for a shallower queue (%d)", n, pods, d.MaxReplicas, prev)
				}
				prev = pods
				d.Rows = append(d.Rows, spec.KedaRow{Visible: n, Metric: r.Metric, Active: r.Active, Replicas: pods, Measured: measured})
				t.Logf("%s: %d messages → metric %d, active %v → %d pods (read from moto: %v)", stack, n, r.Metric, r.Active, pods, measured)
			}
			if err := spec.WriteDecisions(root, d); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestModuleIsThePinnedKEDA keeps Module equal to the KEDA module this module builds with.
func TestModuleIsThePinnedKEDA(t *testing.T) {
	got, err := spec.ModuleVersion(".", "github.com/kedacore/keda/v2")
	if err != nil {
		t.Fatal(err)
	}
	if got != Module {
		t.Fatalf("built with %q, Module says %q", got, Module)
	}
}

// TestDesired checks the replica rule on its own, including the HPA's tolerance.
func TestDesired(t *testing.T) {
	b := Bounds{Min: 0, HPAMin: 1, HPAMax: 50}
	for _, c := range []struct {
		metric, target int64
		active         bool
		current, want  int32
	}{
		{0, 5, false, 0, 0},
		{3, 5, false, 7, 0}, // inactive with min 0: KEDA scales to zero after the cooldown
		{1, 5, true, 0, 1},
		{11, 5, true, 0, 3},
		{10000, 5, true, 0, 50},
		{105, 5, true, 0, 21},
	} {
		if got := Desired(b, Reading{Metric: c.metric, Target: c.target, Active: c.active}, c.current); got != c.want {
			t.Errorf("Desired(metric %d target %d active %v current %d) = %d, want %d", c.metric, c.target, c.active, c.current, got, c.want)
		}
	}
	// 105 messages at 20 replicas: usage ratio 1.05 is within the 0.1 tolerance, so no change.
	if got := Desired(b, Reading{Metric: 105, Target: 5, Active: true}, 20); got != 20 {
		t.Errorf("105/5 from 20 replicas = %d, want 20 (HPA tolerance)", got)
	}
	withMin := Bounds{Min: 2, HPAMin: 2, HPAMax: 5}
	if got := Desired(withMin, Reading{Metric: 0, Target: 1}, 0); got != 2 {
		t.Errorf("inactive with min 2 = %d, want 2", got)
	}
}
