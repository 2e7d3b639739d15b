package worker_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventscale/eventscale/internal/sqstest"
	"github.com/eventscale/eventscale/internal/worker"
)

// recorder is a Handler wrapper that counts how often each body was handled
// and started.
type recorder struct {
	inner   worker.Handler
	mu      sync.Mutex
	started map[string]int
	ok      map[string]int
	active  atomic.Int32
	peak    atomic.Int32
	// afterStop counts handler starts after stopped was set.
	stopped   atomic.Bool
	afterStop atomic.Int32
}

func newRecorder(inner worker.Handler) *recorder {
	return &recorder{inner: inner, started: map[string]int{}, ok: map[string]int{}}
}

func (r *recorder) Handle(ctx context.Context, m worker.Message) error {
	if r.stopped.Load() {
		r.afterStop.Add(1)
	}
	n := r.active.Add(1)
	defer r.active.Add(-1)
	for {
		p := r.peak.Load()
		if n <= p || r.peak.CompareAndSwap(p, n) {
			break
		}
	}
	r.mu.Lock()
	r.started[m.Body]++
	r.mu.Unlock()
	err := r.inner.Handle(ctx, m)
	if err == nil {
		r.mu.Lock()
		r.ok[m.Body]++
		r.mu.Unlock()
	}
	return err
}

func (r *recorder) counts() (started, ok map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, o := map[string]int{}, map[string]int{}
	for k, v := range r.started {
		s[k] = v
	}
	for k, v := range r.ok {
		o[k] = v
	}
	return s, o
}

func (r *recorder) totalStarted() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, v := range r.started {
		n += v
	}
	return n
}

func testConfig(queueURL string) worker.Config {
	return worker.Config{
		QueueURL:            queueURL,
		Region:              sqstest.Region,
		Concurrency:         4,
		BatchSize:           10,
		WaitSeconds:         1,
		VisibilityExtension: 10 * time.Second,
		ShutdownTimeout:     10 * time.Second,
	}
}

type running struct {
	w       *worker.Worker
	cancel  context.CancelFunc
	done    chan error
	stopped bool
}

// start runs a worker in the background; the test's cleanup stops it.
func start(t *testing.T, s *sqstest.Server, cfg worker.Config, h worker.Handler) *running {
	t.Helper()
	w, err := worker.New(cfg, worker.Deps{
		Client:  s.Client(),
		Handler: h,
		Logger:  slog.New(slog.NewJSONHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	if err != nil {
		t.Fatalf("worker.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{w: w, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- w.Run(ctx) }()
	t.Cleanup(func() { r.stop(t, cfg.ShutdownTimeout+5*time.Second) })
	return r
}

// stop cancels the worker and waits for Run to return; it returns how long
// that took.
func (r *running) stop(t *testing.T, limit time.Duration) time.Duration {
	t.Helper()
	if r.stopped {
		return 0
	}
	r.stopped = true
	r.cancel()
	begin := time.Now()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run returned %v", err)
		}
	case <-time.After(limit):
		t.Fatalf("Run did not return within %s of cancellation", limit)
	}
	return time.Since(begin)
}

func TestProcessesAllMessagesExactlyOnce(t *testing.T) {
	t.Parallel()
	const n = 200
	s, q, bodies := sqstest.StartLoaded(t, "all-once", 30, n)

	rec := newRecorder(worker.DemoHandler{Work: 5 * time.Millisecond})
	cfg := testConfig(q.URL)
	cfg.Concurrency = 8
	r := start(t, s, cfg, rec)

	if !sqstest.WaitFor(60*time.Second, func() bool { return r.w.Stats().Deleted >= n }) {
		t.Fatalf("not all messages deleted in time: stats %+v", r.w.Stats())
	}
	r.stop(t, 15*time.Second)

	if c := s.QueueCounts(t, q.URL); c.Visible != 0 || c.NotVisible != 0 {
		t.Errorf("queue not empty after processing: %+v", c)
	}
	started, ok := rec.counts()
	for _, b := range bodies {
		if ok[b] != 1 || started[b] != 1 {
			t.Errorf("body %s: started %d times, succeeded %d times; want exactly once", b, started[b], ok[b])
		}
	}
	if len(started) != n {
		t.Errorf("handled %d distinct bodies, want %d", len(started), n)
	}
	st := r.w.Stats()
	if st.Received != n || st.Succeeded != n || st.Deleted != n || st.Failed != 0 {
		t.Errorf("stats = %+v, want %d received/succeeded/deleted and 0 failed", st, n)
	}
	if p := rec.peak.Load(); p > int32(cfg.Concurrency) {
		t.Errorf("peak concurrency %d exceeds limit %d", p, cfg.Concurrency)
	}
	t.Logf("peak concurrency %d of %d", rec.peak.Load(), cfg.Concurrency)
}

func TestPoisonMessageGoesToDLQ(t *testing.T) {
	t.Parallel()
	s := sqstest.Start(t)
	const maxReceive = 2
	q, dlq := s.CreateQueueWithDLQ(t, "poison", maxReceive, map[string]string{"VisibilityTimeout": "30"})
	s.SendBodies(t, q.URL, []string{"good-1", "this is poison", "good-2"})

	rec := newRecorder(worker.DemoHandler{})
	r := start(t, s, testConfig(q.URL), rec)

	// Failure backoff is 1s then 2s, after which moto moves the message to
	// the DLQ on the next receive.
	if !sqstest.WaitFor(30*time.Second, func() bool { return s.QueueCounts(t, dlq.URL).Visible == 1 }) {
		t.Fatalf("poison message not in DLQ: main %+v dlq %+v stats %+v",
			s.QueueCounts(t, q.URL), s.QueueCounts(t, dlq.URL), r.w.Stats())
	}
	r.stop(t, 15*time.Second)

	started, ok := rec.counts()
	if started["this is poison"] != maxReceive {
		t.Errorf("poison message handled %d times, want maxReceiveCount=%d", started["this is poison"], maxReceive)
	}
	if ok["good-1"] != 1 || ok["good-2"] != 1 {
		t.Errorf("good messages succeeded %d and %d times, want 1 each", ok["good-1"], ok["good-2"])
	}
	if c := s.QueueCounts(t, q.URL); c.Total() != 0 {
		t.Errorf("main queue not empty: %+v", c)
	}
	out, err := s.Client().ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq.URL), MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatalf("receive from DLQ: %v", err)
	}
	if len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != "this is poison" {
		t.Errorf("DLQ holds %d messages (%v), want the poison one", len(out.Messages), out.Messages)
	}
}

func TestHeartbeatKeepsLongMessageInvisible(t *testing.T) {
	t.Parallel()
	s := sqstest.Start(t)
	q := s.CreateQueue(t, "heartbeat", map[string]string{"VisibilityTimeout": "2"})
	s.SendBodies(t, q.URL, []string{"long job"})

	// The work lasts 3x the visibility extension: without the heartbeat the
	// message would reappear and the idle second slot would take it again.
	rec := newRecorder(worker.DemoHandler{Work: 6 * time.Second})
	cfg := testConfig(q.URL)
	cfg.Concurrency = 2
	cfg.VisibilityExtension = 2 * time.Second
	r := start(t, s, cfg, rec)

	if !sqstest.WaitFor(20*time.Second, func() bool { return r.w.Stats().Deleted == 1 }) {
		t.Fatalf("long message not deleted: %+v", r.w.Stats())
	}
	r.stop(t, 15*time.Second)
	started, _ := rec.counts()
	if started["long job"] != 1 {
		t.Errorf("long message handled %d times, want 1 (heartbeat should keep it invisible)", started["long job"])
	}
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	t.Parallel()
	const n = 10
	s, q, _ := sqstest.StartLoaded(t, "graceful", 30, n)

	rec := newRecorder(worker.DemoHandler{Work: 2 * time.Second})
	cfg := testConfig(q.URL)
	cfg.Concurrency = 3
	cfg.WaitSeconds = 20 // a long poll must not delay shutdown
	r := start(t, s, cfg, rec)
	if !sqstest.WaitFor(10*time.Second, func() bool { return rec.active.Load() == 3 }) {
		t.Fatalf("3 messages never in flight: %+v", r.w.Stats())
	}
	if !r.w.Ready() {
		t.Error("Ready() = false while receiving")
	}
	rec.stopped.Store(true)
	r.cancel()
	if !sqstest.WaitFor(time.Second, func() bool { return !r.w.Ready() }) {
		t.Error("Ready() still true after drain started")
	}
	took := r.stop(t, cfg.ShutdownTimeout+2*time.Second)
	if took > cfg.ShutdownTimeout {
		t.Errorf("drain took %s, over the %s shutdown timeout", took, cfg.ShutdownTimeout)
	}
	if a := rec.afterStop.Load(); a != 0 {
		t.Errorf("%d messages started after shutdown began", a)
	}
	_, ok := rec.counts()
	st := r.w.Stats()
	if len(ok) != 3 || st.Deleted != 3 {
		t.Errorf("succeeded %d, deleted %d; want the 3 in-flight messages finished and deleted", len(ok), st.Deleted)
	}
	if c := s.QueueCounts(t, q.URL); c.Visible != n-3 || c.NotVisible != 0 {
		t.Errorf("queue after drain = %+v, want %d visible and 0 in flight", c, n-3)
	}
}

func TestShutdownTimeoutDoesNotDeleteUnfinished(t *testing.T) {
	t.Parallel()
	s, q, _ := sqstest.StartLoaded(t, "timeout", 30, 2)

	rec := newRecorder(worker.DemoHandler{Work: time.Minute})
	cfg := testConfig(q.URL)
	cfg.Concurrency = 2
	cfg.ShutdownTimeout = 2 * time.Second
	r := start(t, s, cfg, rec)
	if !sqstest.WaitFor(10*time.Second, func() bool { return rec.active.Load() == 2 }) {
		t.Fatalf("messages never in flight: %+v", r.w.Stats())
	}
	took := r.stop(t, 5*time.Second)
	if took > cfg.ShutdownTimeout+500*time.Millisecond {
		t.Errorf("Run took %s to return, shutdown timeout is %s", took, cfg.ShutdownTimeout)
	}
	st := r.w.Stats()
	if st.Deleted != 0 || st.Succeeded != 0 {
		t.Errorf("stats %+v: nothing may be deleted", st)
	}
	// Interrupted messages are released (visibility 0) for other consumers.
	if c := s.QueueCounts(t, q.URL); c.Visible != 2 || c.NotVisible != 0 {
		t.Errorf("queue after timeout = %+v, want both messages visible again", c)
	}
}

func TestFailedMessageIsRetried(t *testing.T) {
	t.Parallel()
	s, q, _ := sqstest.StartLoaded(t, "retry", 30, 1)

	var calls atomic.Int32
	h := worker.HandlerFunc(func(ctx context.Context, m worker.Message) error {
		if calls.Add(1) == 1 {
			return fmt.Errorf("transient failure")
		}
		if m.ReceiveCount != 2 {
			return fmt.Errorf("second attempt has ReceiveCount %d, want 2", m.ReceiveCount)
		}
		return nil
	})
	r := start(t, s, testConfig(q.URL), h)
	// First failure backs off 1s, far below the 10s extension/30s queue
	// visibility: the retry proves the backoff was applied.
	if !sqstest.WaitFor(8*time.Second, func() bool { return r.w.Stats().Deleted == 1 }) {
		t.Fatalf("flaky message not retried and deleted: calls=%d stats=%+v", calls.Load(), r.w.Stats())
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("handler called %d times, want 2", got)
	}
}

func TestHandlerPanicIsAFailure(t *testing.T) {
	t.Parallel()
	s, q, _ := sqstest.StartLoaded(t, "panic", 30, 1)
	h := worker.HandlerFunc(func(context.Context, worker.Message) error { panic("boom") })
	r := start(t, s, testConfig(q.URL), h)
	if !sqstest.WaitFor(10*time.Second, func() bool { return r.w.Stats().Failed >= 1 }) {
		t.Fatalf("panic not counted as failure: %+v", r.w.Stats())
	}
	r.stop(t, 15*time.Second)
	if st := r.w.Stats(); st.Deleted != 0 {
		t.Errorf("panicking message deleted: %+v", st)
	}
}

func TestHealthHandler(t *testing.T) {
	t.Parallel()
	var ready atomic.Bool
	srv := httptest.NewServer(worker.HealthHandler(ready.Load))
	defer srv.Close()
	get := func(path string) int {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := get("/healthz"); c != http.StatusOK {
		t.Errorf("/healthz = %d, want 200", c)
	}
	if c := get("/readyz"); c != http.StatusServiceUnavailable {
		t.Errorf("/readyz before ready = %d, want 503", c)
	}
	ready.Store(true)
	if c := get("/readyz"); c != http.StatusOK {
		t.Errorf("/readyz when ready = %d, want 200", c)
	}
	ready.Store(false)
	if c := get("/readyz"); c != http.StatusServiceUnavailable {
		t.Errorf("/readyz when draining = %d, want 503", c)
	}
	if c := get("/nope"); c != http.StatusNotFound {
		t.Errorf("/nope = %d, want 404", c)
	}
}

func TestDemoHandler(t *testing.T) {
	t.Parallel()
	var digest string
	h := worker.DemoHandler{Work: 10 * time.Millisecond, Digest: func(_ worker.Message, d string) { digest = d }}
	if err := h.Handle(context.Background(), worker.Message{ID: "1", Body: "abc"}); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if digest != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("digest = %s", digest)
	}
	err := h.Handle(context.Background(), worker.Message{ID: "2", Body: "a poison pill"})
	if err == nil || !strings.Contains(err.Error(), "poison") {
		t.Errorf("poison body: err = %v, want poison error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (worker.DemoHandler{Work: time.Hour}).Handle(ctx, worker.Message{Body: "x"}); err == nil {
		t.Error("cancelled context: want error")
	}
}
