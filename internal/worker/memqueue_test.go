package worker_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventscale/eventscale/internal/worker"
)

// memQueue is a minimal in-memory stand-in for SQS (no visibility timeout
// expiry, no long-poll wake-up) used to measure the worker's own overhead
// without moto's per-request cost.
type memQueue struct {
	mu       sync.Mutex
	visible  []string          // bodies ready to receive
	inflight map[string]string // receipt handle -> body
	next     int
}

func newMemQueue(bodies []string) *memQueue {
	return &memQueue{visible: append([]string(nil), bodies...), inflight: map[string]string{}}
}

func (q *memQueue) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	q.mu.Lock()
	n := min(int(in.MaxNumberOfMessages), len(q.visible))
	out := &sqs.ReceiveMessageOutput{}
	for _, b := range q.visible[:n] {
		q.next++
		rh := strconv.Itoa(q.next)
		q.inflight[rh] = b
		out.Messages = append(out.Messages, types.Message{MessageId: aws.String(rh), Body: aws.String(b), ReceiptHandle: aws.String(rh),
			Attributes: map[string]string{"ApproximateReceiveCount": "1"}})
	}
	q.visible = q.visible[n:]
	q.mu.Unlock()
	if n == 0 && in.WaitTimeSeconds > 0 {
		select { // an empty long poll: wait a little, like a quiet queue
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return out, nil
}

func (q *memQueue) DeleteMessageBatch(_ context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := &sqs.DeleteMessageBatchOutput{}
	for _, e := range in.Entries {
		delete(q.inflight, aws.ToString(e.ReceiptHandle))
		out.Successful = append(out.Successful, types.DeleteMessageBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

func (q *memQueue) ChangeMessageVisibility(context.Context, *sqs.ChangeMessageVisibilityInput, ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

func (q *memQueue) ChangeMessageVisibilityBatch(_ context.Context, in *sqs.ChangeMessageVisibilityBatchInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := &sqs.ChangeMessageVisibilityBatchOutput{}
	for _, e := range in.Entries {
		rh := aws.ToString(e.ReceiptHandle)
		if b, ok := q.inflight[rh]; ok && e.VisibilityTimeout == 0 {
			delete(q.inflight, rh)
			q.visible = append(q.visible, b)
		}
		out.Successful = append(out.Successful, types.ChangeMessageVisibilityBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

// BenchmarkWorkerThroughputInMemory is BenchmarkWorkerThroughput against
// memQueue instead of moto: the ceiling the worker itself allows with 10ms
// of simulated work (ideal: concurrency / 10ms).
func BenchmarkWorkerThroughputInMemory(b *testing.B) {
	for _, conc := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			var bodies []string
			for i := range b.N {
				bodies = append(bodies, fmt.Sprintf("m-%d", i))
			}
			q := newMemQueue(bodies)
			w, err := worker.New(worker.Config{
				QueueURL: "mem://q", Concurrency: conc, BatchSize: 10, WaitSeconds: 1,
				VisibilityExtension: 30 * time.Second, ShutdownTimeout: 10 * time.Second,
			}, worker.Deps{Client: q, Handler: worker.DemoHandler{Work: 10 * time.Millisecond}})
			if err != nil {
				b.Fatal(err)
			}
			elapsed := measureDrain(b, w, func() {})
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// TestMemQueueDrain is a fast, moto-free check that the worker drains a queue
// completely and deletes every message once.
func TestMemQueueDrain(t *testing.T) {
	t.Parallel()
	var bodies []string
	for i := range 500 {
		bodies = append(bodies, fmt.Sprintf("m-%d", i))
	}
	q := newMemQueue(bodies)
	rec := newRecorder(worker.DemoHandler{Work: time.Millisecond})
	w, err := worker.New(worker.Config{
		QueueURL: "mem://q", Concurrency: 16, BatchSize: 10, WaitSeconds: 1,
		VisibilityExtension: 30 * time.Second, ShutdownTimeout: 10 * time.Second,
	}, worker.Deps{Client: q, Handler: rec})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	ok := waitUntil(10*time.Second, func() bool { return w.Stats().Deleted == 500 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatalf("not drained: %+v", w.Stats())
	}
	q.mu.Lock()
	left, inflight := len(q.visible), len(q.inflight)
	q.mu.Unlock()
	if left != 0 || inflight != 0 {
		t.Errorf("queue left with %d visible, %d in flight", left, inflight)
	}
	started, _ := rec.counts()
	for _, b := range bodies {
		if started[b] != 1 {
			t.Errorf("%s handled %d times", b, started[b])
		}
	}
	if p := rec.peak.Load(); p > 16 {
		t.Errorf("peak concurrency %d > 16", p)
	}
}

func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cond()
}

// TestNoGoroutineLeak runs the worker through a normal drain and through a
// shutdown that cancels handlers, and checks that every goroutine it started
// is gone afterwards. It is deliberately not parallel: parallel tests only
// start after the sequential ones, so the goroutine count is stable here.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, work := range []time.Duration{time.Millisecond, time.Minute} {
		q := newMemQueue([]string{"a", "b", "c", "d", "e"})
		w, err := worker.New(worker.Config{
			QueueURL: "mem://q", Concurrency: 3, BatchSize: 10, WaitSeconds: 1,
			VisibilityExtension: 2 * time.Second, ShutdownTimeout: time.Second,
		}, worker.Deps{Client: q, Handler: worker.DemoHandler{Work: work}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		time.Sleep(1500 * time.Millisecond) // long enough for a heartbeat tick
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if !waitUntil(3*time.Second, func() bool { return runtime.NumGoroutine() <= before }) {
		buf := make([]byte, 1<<16)
		n := runtime.Stack(buf, true)
		t.Errorf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:n])
	}
}
