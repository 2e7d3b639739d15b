package demo

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/eventscale/eventscale/internal/sqstest"
)

// sample is the state of the loop at one moment.
type sample struct {
	at time.Time
	// replicas is the Deployment's spec.replicas (what KEDA and the HPA set).
	replicas int32
	// running and pending count the workload's pods by phase (pending: not yet bound, or
	// bound but not Running); zones the zones of the nodes running them.
	running, pending int
	zones            map[string]int
	// nodes and ready count the Nodes and those Ready; claims the NodeClaims.
	nodes, ready int
	// queued is visible + in flight + delayed in the work queue; dlq in its DLQ.
	queued, dlq int
	// workers is the number of live worker processes.
	workers int
}

// observer samples the world every interval until stopped.
type observer struct {
	w       *world
	mu      sync.Mutex
	samples []sample
	errs    []error
	stop    context.CancelFunc
	done    chan struct{}
}

func (w *world) observe(interval time.Duration) *observer {
	ctx, cancel := context.WithCancel(w.t.Context())
	o := &observer{w: w, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(o.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			s, err := w.sample(ctx)
			o.mu.Lock()
			if err != nil && ctx.Err() == nil {
				o.errs = append(o.errs, err)
			} else if err == nil {
				o.samples = append(o.samples, s)
			}
			o.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	w.t.Cleanup(o.close)
	return o
}

func (o *observer) close() { o.stop(); <-o.done }

// last returns the newest sample (the zero sample before the first).
func (o *observer) last() sample {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.samples) == 0 {
		return sample{}
	}
	return o.samples[len(o.samples)-1]
}

// since returns the samples taken at or after t.
func (o *observer) since(t time.Time) []sample {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []sample
	for _, s := range o.samples {
		if !s.at.Before(t) {
			out = append(out, s)
		}
	}
	return out
}

// first returns the time of the first sample at or after t for which cond holds.
func (o *observer) first(t time.Time, cond func(sample) bool) (time.Time, bool) {
	for _, s := range o.since(t) {
		if cond(s) {
			return s.at, true
		}
	}
	return time.Time{}, false
}

// waitUntil waits until a sample satisfies cond, and returns its time; it fails the test
// with what was last seen after timeout.
func (o *observer) waitUntil(what string, since time.Time, timeout time.Duration, cond func(sample) bool) time.Time {
	t := o.w.t
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if at, ok := o.first(since, cond); ok {
			return at
		}
		if time.Now().After(deadline) {
			o.mu.Lock()
			errs := o.errs
			o.mu.Unlock()
			t.Fatalf("%s: not after %s; last seen %s (sampling errors: %v)", what, timeout, o.last(), errs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (s sample) String() string {
	return fmt.Sprintf("replicas %d, pods %d Running / %d Pending, nodes %d (%d Ready) in zones %v, queue %d, DLQ %d, worker processes %d",
		s.replicas, s.running, s.pending, s.nodes, s.ready, s.zones, s.queued, s.dlq, s.workers)
}

func (w *world) sample(ctx context.Context) (sample, error) {
	s := sample{at: time.Now(), zones: map[string]int{}}
	dep, err := w.kube.AppsV1().Deployments(w.namespace).Get(ctx, w.deployment, metav1.GetOptions{})
	if err != nil {
		return s, err
	}
	if dep.Spec.Replicas != nil {
		s.replicas = *dep.Spec.Replicas
	}
	nodes, err := w.kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return s, err
	}
	zoneOf := map[string]string{}
	for _, n := range nodes.Items {
		s.nodes++
		zoneOf[n.Name] = n.Labels[corev1.LabelTopologyZone]
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				s.ready++
			}
		}
	}
	pods, err := w.kube.CoreV1().Pods(w.namespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + w.deployment})
	if err != nil {
		return s, err
	}
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		if p.Status.Phase == corev1.PodRunning {
			s.running++
			s.zones[zoneOf[p.Spec.NodeName]]++
		} else if p.Status.Phase == corev1.PodPending {
			s.pending++
		}
	}
	if s.queued, err = w.depth(ctx, w.queueURL); err != nil {
		return s, err
	}
	if s.dlq, err = w.depth(ctx, w.dlqURL); err != nil {
		return s, err
	}
	if w.workers != nil {
		s.workers = w.workers.Running()
	}
	return s, nil
}

// depth is a queue's visible + in-flight + delayed messages.
func (w *world) depth(ctx context.Context, url string) (int, error) {
	c, err := sqstest.ReadCounts(ctx, w.sqs, url)
	return c.Total(), err
}
