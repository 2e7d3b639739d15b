package demo

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/eventscale/eventscale/internal/worker"
)

// timing is one scenario's measured timeline, each point since the first message was sent.
type timing struct {
	Scenario                                  string
	Messages                                  int
	FirstRunning, AllRunning, NodesReady      time.Duration
	Drained, ReplicasZero, NodesZero          time.Duration
	PeakPods, PeakNodes, Zones, DLQ, Recorded int
}

// send sends bodies to the work queue, ten per batch.
func (w *world) send(bodies []string) {
	w.t.Helper()
	for i := 0; i < len(bodies); i += 10 {
		var entries []sqstypes.SendMessageBatchRequestEntry
		for j, b := range bodies[i:min(i+10, len(bodies))] {
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(b)})
		}
		out, err := w.sqs.SendMessageBatch(w.t.Context(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(w.queueURL), Entries: entries})
		if err != nil {
			w.t.Fatalf("sending %d messages: %v", len(entries), err)
		}
		if len(out.Failed) > 0 {
			w.t.Fatalf("sending messages: %d failed: %v", len(out.Failed), aws.ToString(out.Failed[0].Message))
		}
	}
}

// records reads every worker's record file: body → how often it was processed.
func (w *world) records() map[string]int {
	t := w.t
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(w.dir, "records", "*.jsonl"))
	out := map[string]int{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			var e worker.RecordEntry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("%s: %v: %q", f, err, sc.Text())
			}
			out[e.Body]++
		}
		fh.Close()
	}
	return out
}

// checkExactlyOnce fails unless every body was processed exactly once and nothing else was.
func (w *world) checkExactlyOnce(bodies []string) int {
	t := w.t
	t.Helper()
	got := w.records()
	for _, b := range bodies {
		if got[b] != 1 {
			t.Errorf("message %q processed %d times, want exactly once", b, got[b])
		}
	}
	if len(got) != len(bodies) {
		t.Errorf("workers processed %d distinct messages, want the %d sent", len(got), len(bodies))
	}
	n := 0
	for _, c := range got {
		n += c
	}
	return n
}

func peak(samples []sample) (pods, nodes, zones int) {
	for _, s := range samples {
		pods = max(pods, s.running+s.pending)
		nodes = max(nodes, s.nodes)
		zones = max(zones, len(s.zones))
	}
	return
}

// TestDevScenario replays the tutorial's demo on the dev stack's objects: idle at zero, two
// messages bring two pods on two nodes, more messages stay at maxReplicas 2, every message is
// processed exactly once (one sent during the scale-down too), and both scale back to zero.
func TestDevScenario(t *testing.T) {
	// The dev workload's simulated work is raised from 1 s to 15 s (a config edit): one pod
	// takes both messages in one receive, and with 1 s of work it finishes them before the
	// HPA's next 15 s sync could see two; at 15 s the two stay in flight across that sync,
	// as a real job that takes time would.
	edits := map[string]string{"eventscale:workloads": `[{"name":"worker","simulatedWorkSeconds":15}]`}
	rec, s := stackRun(t, "dev", edits)
	w := startWorld(t, rec, s)
	obs := w.observe(250 * time.Millisecond)

	// 1. Idle: the ScaledObject is reconciled (its HPA exists) and nothing runs, through more
	// than one polling interval.
	w.waitScaledObjectReady()
	idleFrom := time.Now()
	time.Sleep(12 * time.Second)
	for _, smp := range obs.since(idleFrom) {
		if smp.replicas != 0 || smp.running+smp.pending != 0 || smp.nodes != 0 {
			t.Fatalf("idle: %s, want 0 replicas, 0 pods, 0 nodes", smp)
		}
	}
	if len(obs.since(idleFrom)) < 10 {
		t.Fatalf("idle: only %d samples", len(obs.since(idleFrom)))
	}
	t.Logf("idle: 0 pods, 0 nodes for %s", time.Since(idleFrom).Round(time.Second))

	// 2. Two messages with queueLength 1: two pods on two nodes.
	tm := timing{Scenario: "dev: 2 messages, then 8 more", Messages: 10}
	bodies := sqstestBodies("dev", 2)
	t0 := time.Now()
	w.send(bodies)
	at := obs.waitUntil("a worker pod Running", t0, 90*time.Second, func(s sample) bool { return s.running >= 1 })
	tm.FirstRunning = at.Sub(t0)
	at = obs.waitUntil("two worker pods Running", t0, 3*time.Minute, func(s sample) bool { return s.running == 2 })
	tm.AllRunning = at.Sub(t0)
	at = obs.waitUntil("two nodes Ready", t0, 3*time.Minute, func(s sample) bool { return s.ready == 2 })
	tm.NodesReady = at.Sub(t0)
	// 3 and then 10 messages sent in all: maxReplicas 2 holds, and so do the two nodes,
	// through a KEDA poll and an HPA sync.
	more := sqstestBodies("dev-more", 8)
	w.send(more[:1])
	time.Sleep(3 * time.Second)
	w.send(more[1:])
	bodies = append(bodies, more...)
	capFrom := time.Now()
	time.Sleep(20 * time.Second)
	for _, smp := range obs.since(capFrom) {
		if smp.replicas > 2 || smp.running+smp.pending > 2 || smp.nodes > 2 {
			t.Fatalf("with 10 messages: %s, want at most 2 replicas, 2 pods and 2 nodes (maxReplicas 2)", smp)
		}
	}
	drained := obs.waitUntil("the queue drained", t0, 5*time.Minute, func(s sample) bool { return s.queued == 0 })
	tm.Drained = drained.Sub(t0)

	// 4. A message sent while the pods scale down is still processed.
	down := obs.waitUntil("replicas scaling down", drained, 5*time.Minute, func(s sample) bool { return s.replicas < 2 })
	late := sqstestBodies("dev-late", 1)
	w.send(late)
	t.Logf("sent %q %s after the scale-down began", late[0], time.Since(down).Round(time.Millisecond))
	bodies = append(bodies, late...)

	// 5. Back to zero.
	lateAt := time.Now()
	obs.waitUntil("the late message processed", lateAt, 5*time.Minute, func(s sample) bool { return s.queued == 0 })
	at = obs.waitUntil("replicas 0", lateAt, 5*time.Minute, func(s sample) bool { return s.replicas == 0 && s.running == 0 && s.workers == 0 })
	tm.ReplicasZero = at.Sub(t0)
	at = obs.waitUntil("nodes 0", lateAt, 5*time.Minute, func(s sample) bool { return s.nodes == 0 })
	tm.NodesZero = at.Sub(t0)

	tm.Recorded = w.checkExactlyOnce(bodies)
	last := obs.last()
	if last.queued != 0 || last.dlq != 0 {
		t.Errorf("at the end: queue %d, DLQ %d, want both empty", last.queued, last.dlq)
	}
	tm.PeakPods, tm.PeakNodes, tm.Zones = peak(obs.since(t0))
	tm.DLQ = last.dlq
	if tm.PeakPods != 2 || tm.PeakNodes != 2 {
		t.Errorf("peak %d pods on %d nodes, want 2 on 2", tm.PeakPods, tm.PeakNodes)
	}
	t.Logf("timeline: %+v", tm)
	for _, e := range w.workers.Events() {
		t.Logf("worker %+v", e)
	}
}

// sqstestBodies returns n distinct message bodies.
func sqstestBodies(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + "-" + strconv.Itoa(i)
	}
	return out
}

// waitScaledObjectReady waits until KEDA reports the workload's ScaledObject Ready and its
// HPA exists.
func (w *world) waitScaledObjectReady() {
	t := w.t
	t.Helper()
	so := map[string]any{"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
		"metadata": map[string]any{"name": w.deployment, "namespace": w.namespace}}
	if err := w.cluster.WaitFor(t.Context(), "keda-operator", 2*time.Minute, func() error {
		got, err := w.client.Get(t.Context(), so)
		if err != nil {
			return err
		}
		conds, _, _ := unstructuredSlice(got, "status", "conditions")
		for _, c := range conds {
			if m, ok := c.(map[string]any); ok && m["type"] == "Ready" && m["status"] == "True" {
				if _, err := w.kube.AutoscalingV2().HorizontalPodAutoscalers(w.namespace).Get(t.Context(), "keda-hpa-"+w.deployment, metav1.GetOptions{}); err != nil {
					return err
				}
				return nil
			}
		}
		return fmt.Errorf("ScaledObject not Ready: %v", conds)
	}); err != nil {
		t.Fatal(err)
	}
}
