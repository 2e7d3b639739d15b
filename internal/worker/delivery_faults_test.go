package worker_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventscale/eventscale/internal/sqstest"
	"github.com/eventscale/eventscale/internal/worker"
)

// The tests here run the real worker against moto with a record file, feed the file to
// worker.CheckDelivery and check its verdict: a fault-free run passes, and a run with a fault
// that processes a message twice fails naming that message, even where every delete was
// confirmed (the workers' drain reports, deleted == succeeded, cannot tell). The faults are
// test-only wrappers of the worker's SQS client, so the worker's code runs unchanged.

// recordedRun runs a worker with client api, handler h and a record file until done reports
// true (or fails after 60 s), stops it, and returns the record file's lines and its stats.
func recordedRun(t *testing.T, cfg worker.Config, api worker.API, h worker.Handler, done func(worker.Stats) bool) ([]worker.RecordEntry, worker.Stats) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "records.jsonl")
	rec, err := worker.OpenFileRecorder(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := worker.New(cfg, worker.Deps{Client: api, Handler: h, Recorder: rec,
		Logger: slog.New(slog.NewJSONHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- w.Run(ctx) }()
	ok := sqstest.WaitFor(60*time.Second, func() bool { return done(w.Stats()) })
	cancel()
	if err := <-ran; err != nil {
		t.Errorf("Run: %v", err)
	}
	if err := rec.Close(); err != nil {
		t.Error(err)
	}
	if !ok {
		t.Fatalf("the worker did not get there within 60 s: %+v", w.Stats())
	}
	es, err := worker.ReadRecordFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return es, w.Stats()
}

// visibilityOf reads the queue's VisibilityTimeout, as the demo tier does.
func visibilityOf(t *testing.T, s *sqstest.Server, queueURL string) time.Duration {
	t.Helper()
	out, err := s.Client().GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameVisibilityTimeout}})
	if err != nil {
		t.Fatal(err)
	}
	var secs int
	if _, err := fmt.Sscan(out.Attributes[string(types.QueueAttributeNameVisibilityTimeout)], &secs); err != nil {
		t.Fatalf("VisibilityTimeout %q: %v", out.Attributes[string(types.QueueAttributeNameVisibilityTimeout)], err)
	}
	return time.Duration(secs) * time.Second
}

// named returns the bodies, of those given, that some problem names.
func named(problems, bodies []string) []string {
	var out []string
	for _, b := range bodies {
		if slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, fmt.Sprintf("message %q ", b)) }) {
			out = append(out, b)
		}
	}
	return out
}

// TestDeliveryCheckPassesAFaultFreeWorker: the records of a worker without faults pass the
// check with no repeat allowed, and hold, for every message, its processing and its confirmed
// delete, with the receive's times.
func TestDeliveryCheckPassesAFaultFreeWorker(t *testing.T) {
	t.Parallel()
	const n = 50
	s, q, bodies := sqstest.StartLoaded(t, "fault-free", 30, n)
	cfg := testConfig(q.URL)
	cfg.Concurrency = 10 // one receive loop: moto can hand one message to two concurrent receives
	es, st := recordedRun(t, cfg, s.Client(), worker.DemoHandler{Work: 5 * time.Millisecond},
		func(st worker.Stats) bool { return st.Deleted >= n })

	d := worker.CheckDelivery(es, bodies, visibilityOf(t, s, q.URL), 0)
	if len(d.Problems) > 0 || d.Processed != n || len(d.Redelivered) != 0 {
		t.Errorf("check: processed %d, redelivered %q, problems %q; want %d, none, none", d.Processed, d.Redelivered, d.Problems, n)
	}
	var processed, deleted int
	for _, e := range es {
		if e.Deleted() {
			deleted++
			continue
		}
		processed++
		if e.ReceiveCount != 1 || e.Received.IsZero() || e.FirstReceived.IsZero() || e.Received.Before(e.FirstReceived) {
			t.Errorf("processing %+v: want receive count 1, the receive's time, and SQS's first receive time no later", e)
		}
	}
	if processed != n || deleted != n || st.Deleted != n {
		t.Errorf("%d processed and %d confirmed deletes recorded, %d deletes in the stats; want %d each", processed, deleted, st.Deleted, n)
	}
}

// doubleDispatch is a worker.API that hands every other message of a receive out once more,
// without asking SQS, at the first receive call after SQS confirmed the message's delete: the
// stand-in for a worker bug that dispatches one receive twice. SQS confirms the second delete
// too (it deletes a message already deleted, by its own receipt handle, which is no error), so
// the workers' drain reports (deleted == succeeded) cannot tell. It waits for the first delete
// because two entries with one receipt handle in the same DeleteMessageBatch are refused
// (BatchEntryIdsNotDistinct) and the messages redelivered, which leaves no confirmed delete.
type doubleDispatch struct {
	worker.API
	mu sync.Mutex
	// waiting are the messages to hand out again once deleted, by receipt handle; pending
	// those deleted and not yet handed out again.
	waiting map[string]types.Message
	pending []types.Message
	twice   []string
}

func (d *doubleDispatch) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	d.mu.Lock()
	if len(d.pending) > 0 {
		k := min(len(d.pending), int(in.MaxNumberOfMessages))
		out := &sqs.ReceiveMessageOutput{Messages: slices.Clone(d.pending[:k])}
		d.pending = d.pending[k:]
		d.mu.Unlock()
		return out, nil
	}
	d.mu.Unlock()
	out, err := d.API.ReceiveMessage(ctx, in, opts...)
	if err != nil {
		return out, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, m := range out.Messages {
		if i%2 == 0 {
			d.waiting[aws.ToString(m.ReceiptHandle)] = m
			d.twice = append(d.twice, aws.ToString(m.Body))
		}
	}
	return out, nil
}

func (d *doubleDispatch) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	out, err := d.API.DeleteMessageBatch(ctx, in, opts...)
	if err != nil {
		return out, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ok := range out.Successful {
		for _, e := range in.Entries {
			h := aws.ToString(e.ReceiptHandle)
			if m, wait := d.waiting[h]; wait && aws.ToString(e.Id) == aws.ToString(ok.Id) {
				delete(d.waiting, h)
				d.pending = append(d.pending, m)
			}
		}
	}
	return out, nil
}

// replayed returns the bodies to be handed out twice and whether any has not been yet.
func (d *doubleDispatch) replayed() (bodies []string, unfinished bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Sorted(slices.Values(d.twice)), len(d.pending)+len(d.waiting) > 0
}

// TestDeliveryCheckFailsADoubleDispatch: a worker that processes messages twice, every delete
// confirmed, fails the check for exactly those messages.
func TestDeliveryCheckFailsADoubleDispatch(t *testing.T) {
	t.Parallel()
	const n = 20
	s, q, bodies := sqstest.StartLoaded(t, "double-dispatch", 30, n)
	api := &doubleDispatch{API: s.Client(), waiting: map[string]types.Message{}}
	cfg := testConfig(q.URL)
	cfg.Concurrency = 10
	es, st := recordedRun(t, cfg, api, worker.DemoHandler{Work: 5 * time.Millisecond}, func(st worker.Stats) bool {
		_, unfinished := api.replayed()
		return st.Succeeded > n && !unfinished && st.Deleted == st.Received && s.QueueCounts(t, q.URL).Total() == 0
	})
	twice, _ := api.replayed()
	if len(twice) == 0 || st.Succeeded != int64(n+len(twice)) {
		t.Fatalf("stats %+v, %d messages handed out twice: want %d processings", st, len(twice), n+len(twice))
	}
	if st.Deleted != st.Succeeded {
		t.Errorf("stats %+v: want every processing's delete confirmed, as the drain reports would show", st)
	}

	d := worker.CheckDelivery(es, bodies, visibilityOf(t, s, q.URL), n)
	if got := named(d.Problems, bodies); !slices.Equal(got, twice) {
		t.Errorf("the check names %q, want the %d messages dispatched twice %q; problems %q", got, len(twice), twice, d.Problems)
	}
	if len(d.Problems) != len(twice) || len(d.Redelivered) != 0 || d.Processed != n {
		t.Errorf("processed %d, redelivered %q, problems %q; want %d, none, one per message dispatched twice", d.Processed, d.Redelivered, d.Problems, n)
	}
	for _, p := range d.Problems {
		if !strings.Contains(p, "is not above the previous processing's") || !strings.Contains(p, "less than the visibility timeout") {
			t.Errorf("problem %q: want it to name the receive count and the time since the first receive", p)
		}
	}
	t.Logf("%d of %d messages dispatched twice; first problem: %s", len(twice), n, d.Problems[0])
}

// lostHeartbeat is a worker.API whose ChangeMessageVisibility fails: the stand-in for a
// heartbeat that no longer extends a message's visibility.
type lostHeartbeat struct{ worker.API }

func (lostHeartbeat) ChangeMessageVisibility(context.Context, *sqs.ChangeMessageVisibilityInput, ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	return nil, errors.New("test fault: visibility extension lost")
}

// TestDeliveryCheckFailsALostVisibilityExtension: a message whose first processing outlasts
// its visibility timeout without a heartbeat is received again while it is still being
// processed. Both deletes are confirmed, the second receive's count is higher and it came a
// visibility timeout after the first: only the order of the first delete and the second
// receive tells it from a redelivery, and the check fails it on that.
func TestDeliveryCheckFailsALostVisibilityExtension(t *testing.T) {
	t.Parallel()
	s := sqstest.Start(t)
	q := s.CreateQueue(t, "lost-extension", map[string]string{"VisibilityTimeout": "2"})
	bodies := []string{"slow"}
	s.SendBodies(t, q.URL, bodies)
	// The first processing takes 6 s, three visibility timeouts; the second, of the message
	// received again after 2 s, is quick.
	h := worker.HandlerFunc(func(ctx context.Context, m worker.Message) error {
		if m.ReceiveCount == 1 {
			return worker.DemoHandler{Work: 6 * time.Second}.Handle(ctx, m)
		}
		return nil
	})
	cfg := testConfig(q.URL)
	cfg.Concurrency, cfg.BatchSize = 2, 1 // a second receive loop takes the message again
	cfg.VisibilityExtension = 2 * time.Second
	es, st := recordedRun(t, cfg, lostHeartbeat{s.Client()}, h, func(st worker.Stats) bool { return st.Deleted >= 2 })
	if st.Deleted != st.Succeeded || st.Succeeded != 2 {
		t.Errorf("stats %+v: want the message processed twice and both deletes confirmed", st)
	}

	d := worker.CheckDelivery(es, bodies, visibilityOf(t, s, q.URL), 1)
	if len(d.Problems) != 1 || len(d.Redelivered) != 0 {
		t.Fatalf("redelivered %q, problems %q; want one problem", d.Redelivered, d.Problems)
	}
	p := d.Problems[0]
	if !strings.HasPrefix(p, `message "slow" `) || !strings.Contains(p, "SQS confirmed the previous processing's delete only") ||
		strings.Contains(p, "is not above") || strings.Contains(p, "less than the visibility timeout") {
		t.Errorf("problem %q: want it about \"slow\", failing only on the delete confirmed after the second receive", p)
	}
	t.Logf("%s", p)
}

// lostDelete is a worker.API whose DeleteMessageBatch leaves the first entry it is given out of
// the call to SQS but reports it deleted: what moto does when it loses a delete it confirmed.
type lostDelete struct {
	worker.API
	mu   sync.Mutex
	lost string // the receipt handle left out
}

func (l *lostDelete) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	l.mu.Lock()
	var dropped *types.DeleteMessageBatchRequestEntry
	if l.lost == "" && len(in.Entries) > 0 {
		dropped = &in.Entries[0]
		l.lost = aws.ToString(dropped.ReceiptHandle)
		rest := *in
		rest.Entries = in.Entries[1:]
		in = &rest
	}
	l.mu.Unlock()
	out := &sqs.DeleteMessageBatchOutput{}
	if len(in.Entries) > 0 {
		var err error
		if out, err = l.API.DeleteMessageBatch(ctx, in, opts...); err != nil {
			return out, err
		}
	}
	if dropped != nil {
		out.Successful = append(out.Successful, types.DeleteMessageBatchResultEntry{Id: dropped.Id})
	}
	return out, nil
}

// TestDeliveryCheckPassesARedeliveryAfterAConfirmedDelete: a delete SQS confirmed but did not
// perform brings the message back after its visibility timeout; its second processing has
// every piece of evidence, so the check passes it as a redelivery, within the bound, and fails
// it when no repeat is allowed.
func TestDeliveryCheckPassesARedeliveryAfterAConfirmedDelete(t *testing.T) {
	t.Parallel()
	const n = 5
	s, q, bodies := sqstest.StartLoaded(t, "lost-delete", 2, n)
	cfg := testConfig(q.URL)
	cfg.Concurrency = 10
	cfg.VisibilityExtension = 2 * time.Second
	es, st := recordedRun(t, cfg, &lostDelete{API: s.Client()}, worker.DemoHandler{Work: 5 * time.Millisecond},
		func(st worker.Stats) bool { return st.Deleted >= n+1 })
	if st.Succeeded != n+1 || st.Deleted != n+1 {
		t.Errorf("stats %+v: want %d processings and confirmed deletes", st, n+1)
	}
	if c := s.QueueCounts(t, q.URL); c.Total() != 0 {
		t.Errorf("queue %+v, want empty", c)
	}

	visibility := visibilityOf(t, s, q.URL)
	d := worker.CheckDelivery(es, bodies, visibility, 1)
	if len(d.Problems) != 0 || len(d.Redelivered) != 1 || d.Processed != n {
		t.Fatalf("processed %d, redelivered %q, problems %q; want %d, one, none", d.Processed, d.Redelivered, d.Problems, n)
	}
	t.Logf("%s", d.Redelivered[0])
	if d := worker.CheckDelivery(es, bodies, visibility, 0); len(d.Problems) != 1 || !strings.Contains(d.Problems[0], "more than the 0 allowed") {
		t.Errorf("with no repeat allowed: problems %q, want the bound's", d.Problems)
	}
}
