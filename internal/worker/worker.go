// Package worker implements an SQS consumer that long-polls a queue, runs a
// Handler on each message with bounded concurrency, keeps long-running
// messages invisible with a visibility heartbeat, deletes successes in
// batches, leaves failures for redelivery, and drains gracefully on shutdown
// without deleting unprocessed work.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// API is the subset of the SQS client the worker uses; *sqs.Client
// implements it.
type API interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
}

// Recorder is told about successfully processed messages just before they
// are deleted, and about the deletes SQS confirmed once it has.
type Recorder interface {
	// Record is called before a batch delete with the batch's messages. If
	// it returns an error the batch is not deleted (it will be redelivered).
	Record(msgs []Message) error
	// Deleted is called once a DeleteMessageBatch call has returned, with
	// the messages SQS listed as deleted (its Successful entries). An error
	// is logged.
	Deleted(msgs []Message) error
	// Released is called before the worker makes msgs visible again
	// (visibility timeout 0, at shutdown). An error is logged.
	Released(msgs []Message) error
}

// Deps are the collaborators of a Worker.
type Deps struct {
	// Client talks to SQS (required).
	Client API
	// Handler processes messages (required).
	Handler Handler
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Recorder, if non-nil, is called before each batch delete and with
	// the deletes SQS confirmed after it.
	Recorder Recorder
}

// Stats are cumulative counters of a Worker.
type Stats struct {
	Received  int64 // messages handed to the handler
	Succeeded int64 // handler returned nil
	Failed    int64 // handler returned an error (left for redelivery)
	Deleted   int64 // confirmed deleted from the queue
	Released  int64 // made visible again at shutdown without processing
}

const (
	// deleteBatchMax is the SQS limit of entries per DeleteMessageBatch.
	deleteBatchMax = 10
	// deleteFlushDelay is how long a partial delete batch may wait for more
	// completions before it is sent.
	deleteFlushDelay = 20 * time.Millisecond
	// maxFailureBackoff caps the visibility timeout set after a failure.
	maxFailureBackoff = 60 * time.Second
	// maxReceiveBackoff caps the pause after consecutive receive errors.
	maxReceiveBackoff = 10 * time.Second
	// emptyShortPollDelay is the pause after an empty receive when long
	// polling is off (WaitSeconds 0), so an empty queue is not hammered.
	emptyShortPollDelay = time.Second
)

// Worker consumes one SQS queue. Create it with New and start it with Run.
type Worker struct {
	cfg      Config
	client   API
	handler  Handler
	recorder Recorder
	log      *slog.Logger

	pollers int
	slots   chan struct{} // one token per message being processed

	ready   atomic.Bool
	running atomic.Bool

	received, succeeded, failed, deleted, released atomic.Int64
	active                                         atomic.Int64 // handlers running now

	completeMu sync.RWMutex
	closed     bool
	completed  chan Message
}

// New validates deps and returns a Worker for cfg.
func New(cfg Config, deps Deps) (*Worker, error) {
	switch {
	case deps.Client == nil:
		return nil, errors.New("worker: Deps.Client is nil")
	case deps.Handler == nil:
		return nil, errors.New("worker: Deps.Handler is nil")
	case cfg.QueueURL == "":
		return nil, errors.New("worker: Config.QueueURL is empty")
	case cfg.Concurrency < 1 || cfg.Concurrency > MaxConcurrency:
		return nil, fmt.Errorf("worker: Config.Concurrency %d out of range 1..%d", cfg.Concurrency, MaxConcurrency)
	case cfg.BatchSize < 1 || cfg.BatchSize > MaxBatchSize:
		return nil, fmt.Errorf("worker: Config.BatchSize %d out of range 1..%d", cfg.BatchSize, MaxBatchSize)
	case cfg.WaitSeconds < 0 || cfg.WaitSeconds > MaxWaitSeconds:
		return nil, fmt.Errorf("worker: Config.WaitSeconds %d out of range 0..%d", cfg.WaitSeconds, MaxWaitSeconds)
	case cfg.VisibilityExtension < time.Second:
		return nil, fmt.Errorf("worker: Config.VisibilityExtension %s is below 1s", cfg.VisibilityExtension)
	case cfg.ShutdownTimeout <= 0:
		return nil, fmt.Errorf("worker: Config.ShutdownTimeout %s must be positive", cfg.ShutdownTimeout)
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// One poller per BatchSize slots, so a high concurrency is not starved by
	// a single sequential long-poll loop.
	pollers := (cfg.Concurrency + cfg.BatchSize - 1) / cfg.BatchSize
	return &Worker{
		cfg:       cfg,
		client:    deps.Client,
		handler:   deps.Handler,
		recorder:  deps.Recorder,
		log:       log,
		pollers:   pollers,
		slots:     make(chan struct{}, cfg.Concurrency),
		completed: make(chan Message, cfg.Concurrency),
	}, nil
}

// Ready reports whether the worker is receiving messages (false before Run
// and once draining has begun).
func (w *Worker) Ready() bool { return w.ready.Load() }

// Stats returns a snapshot of the worker's counters.
func (w *Worker) Stats() Stats {
	return Stats{
		Received:  w.received.Load(),
		Succeeded: w.succeeded.Load(),
		Failed:    w.failed.Load(),
		Deleted:   w.deleted.Load(),
		Released:  w.released.Load(),
	}
}

// Run receives and processes messages until ctx is cancelled, then drains:
// it stops receiving (cancelling any in-flight long poll), lets in-flight
// messages finish within Config.ShutdownTimeout, deletes the ones that
// succeeded and returns. Handlers still running when the timeout is near are
// cancelled; their messages are not deleted. Run returns nil after a drain;
// it returns an error only if it is misused (called twice).
func (w *Worker) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("worker: Run called twice")
	}
	// apiCtx outlives ctx so that deletes, heartbeats and releases still work
	// while draining; it is cancelled when Run returns.
	apiCtx, cancelAPI := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelAPI()
	// handlerCtx is cancelled when the drain budget for handlers runs out.
	handlerCtx, cancelHandlers := context.WithCancel(apiCtx)
	defer cancelHandlers()

	var inflight sync.WaitGroup
	deleterDone := make(chan struct{})
	go w.runDeleter(apiCtx, deleterDone)

	var pollers sync.WaitGroup
	for i := range w.pollers {
		pollers.Go(func() { w.poll(ctx, apiCtx, handlerCtx, &inflight, i) })
	}
	w.ready.Store(true)
	w.log.Info("worker started", "queue_url", w.cfg.QueueURL, "concurrency", w.cfg.Concurrency,
		"batch_size", w.cfg.BatchSize, "pollers", w.pollers)

	<-ctx.Done()
	drainStart := time.Now()
	w.ready.Store(false)
	w.log.Info("draining: stopped receiving, finishing in-flight messages",
		"in_flight", w.active.Load(), "shutdown_timeout", w.cfg.ShutdownTimeout.String())
	pollers.Wait()

	// Keep a reserve of the shutdown budget for cancelled handlers to return
	// and for the final deletes.
	reserve := min(w.cfg.ShutdownTimeout/5, 5*time.Second)
	handlersDone := make(chan struct{})
	go func() { inflight.Wait(); close(handlersDone) }()
	budget := time.NewTimer(w.cfg.ShutdownTimeout - reserve - time.Since(drainStart))
	defer budget.Stop()
	select {
	case <-handlersDone:
	case <-budget.C:
		w.log.Warn("shutdown timeout near: cancelling in-flight handlers; their messages are not deleted",
			"in_flight", w.active.Load())
		cancelHandlers()
		grace := time.NewTimer(reserve / 2)
		select {
		case <-handlersDone:
		case <-grace.C:
			w.log.Error("handlers did not return after cancellation; abandoning them (messages not deleted)",
				"in_flight", w.active.Load())
		}
		grace.Stop()
	}

	// No more completions are accepted; flush what we have.
	w.completeMu.Lock()
	w.closed = true
	close(w.completed)
	w.completeMu.Unlock()
	flush := time.NewTimer(max(w.cfg.ShutdownTimeout-time.Since(drainStart), 0))
	defer flush.Stop()
	select {
	case <-deleterDone:
	case <-flush.C:
		w.log.Error("shutdown timeout reached before final deletes finished; those messages will be redelivered")
	}
	st := w.Stats()
	w.log.Info("drain complete", "duration", time.Since(drainStart).String(),
		"received", st.Received, "succeeded", st.Succeeded, "failed", st.Failed,
		"deleted", st.Deleted, "released", st.Released)
	return nil
}

// poll is one receive loop.
func (w *Worker) poll(ctx, apiCtx, handlerCtx context.Context, inflight *sync.WaitGroup, id int) {
	log := w.log.With("poller", id)
	var errDelay time.Duration
	for {
		// Wait for at least one free slot, then take as many more as are free
		// (up to the batch size): never receive a message that cannot start
		// at once, so its visibility timeout is not wasted in a queue.
		select {
		case w.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		n := 1
	grab:
		for n < w.cfg.BatchSize {
			select {
			case w.slots <- struct{}{}:
				n++
			default:
				break grab
			}
		}
		if ctx.Err() != nil {
			w.freeSlots(n)
			return
		}
		out, err := w.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(w.cfg.QueueURL),
			MaxNumberOfMessages: int32(n),
			WaitTimeSeconds:     int32(w.cfg.WaitSeconds),
			VisibilityTimeout:   int32(w.cfg.VisibilityExtension / time.Second),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{
				types.MessageSystemAttributeNameApproximateReceiveCount,
				types.MessageSystemAttributeNameApproximateFirstReceiveTimestamp,
			},
		})
		receivedAt := time.Now()
		if ctx.Err() != nil {
			// Draining: whatever arrived after the signal goes straight back.
			if err == nil && len(out.Messages) > 0 {
				w.release(apiCtx, convert(out.Messages, receivedAt), "received after shutdown signal")
			}
			w.freeSlots(n)
			return
		}
		if err != nil {
			w.freeSlots(n)
			errDelay = min(max(2*errDelay, 100*time.Millisecond), maxReceiveBackoff)
			log.Error("receive failed; retrying", "error", err.Error(), "retry_in", errDelay.String())
			if !sleepCtx(ctx, errDelay) {
				return
			}
			continue
		}
		errDelay = 0
		msgs := convert(out.Messages, receivedAt)
		w.freeSlots(n - len(msgs))
		for _, m := range msgs {
			w.received.Add(1)
			inflight.Go(func() { w.process(apiCtx, handlerCtx, m) })
		}
		if len(msgs) == 0 && w.cfg.WaitSeconds == 0 && !sleepCtx(ctx, emptyShortPollDelay) {
			return
		}
	}
}

// sleepCtx sleeps for d and reports whether ctx is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (w *Worker) freeSlots(n int) {
	for range n {
		<-w.slots
	}
}

// convert turns a receive's messages into Messages received at received.
func convert(in []types.Message, received time.Time) []Message {
	out := make([]Message, 0, len(in))
	for _, m := range in {
		rc, _ := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
		var first time.Time
		if ms, err := strconv.ParseInt(m.Attributes[string(types.MessageSystemAttributeNameApproximateFirstReceiveTimestamp)], 10, 64); err == nil {
			first = time.UnixMilli(ms)
		}
		out = append(out, Message{
			ID:            aws.ToString(m.MessageId),
			Body:          aws.ToString(m.Body),
			ReceiptHandle: aws.ToString(m.ReceiptHandle),
			ReceiveCount:  rc,
			Received:      received,
			FirstReceived: first,
		})
	}
	return out
}

// process runs the handler for one message with a visibility heartbeat and
// routes the outcome: success → batch delete, failure → backoff, cancelled
// by shutdown → released.
func (w *Worker) process(apiCtx, handlerCtx context.Context, m Message) {
	defer func() { <-w.slots }()
	w.active.Add(1)
	defer w.active.Add(-1)
	log := w.log.With("message_id", m.ID, "receive_count", m.ReceiveCount)
	log.Debug("message started")
	start := time.Now()

	hbCtx, stopHB := context.WithCancel(apiCtx)
	hbDone := make(chan struct{})
	go w.heartbeat(hbCtx, m, log, hbDone)
	err := w.safeHandle(handlerCtx, m)
	stopHB()
	<-hbDone // no heartbeat may overwrite the visibility we set below

	switch {
	case err == nil:
		w.succeeded.Add(1)
		log.Debug("message processed", "duration", time.Since(start).String())
		w.complete(m, log)
	case handlerCtx.Err() != nil:
		w.failed.Add(1)
		log.Warn("message interrupted by shutdown; not deleted", "error", err.Error())
		w.release(apiCtx, []Message{m}, "interrupted by shutdown")
	default:
		w.failed.Add(1)
		backoff := failureBackoff(m.ReceiveCount)
		log.Warn("message failed; left for redelivery", "error", err.Error(), "retry_in", backoff.String())
		_, verr := w.client.ChangeMessageVisibility(apiCtx, &sqs.ChangeMessageVisibilityInput{
			QueueUrl:          aws.String(w.cfg.QueueURL),
			ReceiptHandle:     aws.String(m.ReceiptHandle),
			VisibilityTimeout: int32(backoff / time.Second),
		})
		if verr != nil {
			log.Warn("could not set failure backoff; message reappears when its visibility timeout expires",
				"error", verr.Error())
		}
	}
}

func (w *Worker) safeHandle(ctx context.Context, m Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panic: %v", r)
		}
	}()
	return w.handler.Handle(ctx, m)
}

// failureBackoff is the visibility timeout after a failed attempt:
// 1s, 2s, 4s, ... capped at maxFailureBackoff.
func failureBackoff(receiveCount int) time.Duration {
	if receiveCount < 1 {
		receiveCount = 1
	}
	if receiveCount > 7 {
		return maxFailureBackoff
	}
	return min(time.Duration(1<<(receiveCount-1))*time.Second, maxFailureBackoff)
}

// heartbeat extends the message's visibility every half extension period
// until ctx is cancelled.
func (w *Worker) heartbeat(ctx context.Context, m Message, log *slog.Logger, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(w.cfg.VisibilityExtension / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, err := w.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
			QueueUrl:          aws.String(w.cfg.QueueURL),
			ReceiptHandle:     aws.String(m.ReceiptHandle),
			VisibilityTimeout: int32(w.cfg.VisibilityExtension / time.Second),
		})
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("visibility heartbeat failed", "error", err.Error())
		default:
			log.Debug("visibility extended", "by", w.cfg.VisibilityExtension.String())
		}
	}
}

// complete hands a successful message to the deleter, unless the drain has
// already given up on it.
func (w *Worker) complete(m Message, log *slog.Logger) {
	w.completeMu.RLock()
	defer w.completeMu.RUnlock()
	if w.closed {
		log.Warn("message finished after the shutdown deadline; not deleted (it will be redelivered)")
		return
	}
	w.completed <- m
}

// release makes messages visible again at once (visibility timeout 0).
func (w *Worker) release(ctx context.Context, msgs []Message, reason string) {
	if w.recorder != nil {
		if err := w.recorder.Released(msgs); err != nil {
			w.log.Warn("recording released messages failed", "count", len(msgs), "error", err.Error())
		}
	}
	entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, 0, len(msgs))
	for i, m := range msgs {
		entries = append(entries, types.ChangeMessageVisibilityBatchRequestEntry{
			Id:                aws.String(strconv.Itoa(i)),
			ReceiptHandle:     aws.String(m.ReceiptHandle),
			VisibilityTimeout: 0,
		})
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := w.client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{
		QueueUrl: aws.String(w.cfg.QueueURL),
		Entries:  entries,
	})
	if err != nil {
		w.log.Warn("could not release messages; they reappear when their visibility timeout expires",
			"reason", reason, "count", len(msgs), "error", err.Error())
		return
	}
	w.released.Add(int64(len(out.Successful)))
	w.log.Info("released messages", "reason", reason, "count", len(out.Successful), "failed", len(out.Failed))
}

// runDeleter batches completed messages into DeleteMessageBatch calls. It
// returns (closing done) once w.completed is closed and every batch is sent.
func (w *Worker) runDeleter(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	var flushes sync.WaitGroup
	defer flushes.Wait()
	sem := make(chan struct{}, w.pollers) // parallel delete calls
	batch := make([]Message, 0, deleteBatchMax)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	send := func() {
		if len(batch) == 0 {
			return
		}
		b := batch
		batch = make([]Message, 0, deleteBatchMax)
		timer.Stop()
		sem <- struct{}{}
		flushes.Go(func() {
			defer func() { <-sem }()
			w.deleteBatch(ctx, b)
		})
	}
	for {
		select {
		case m, ok := <-w.completed:
			if !ok {
				send()
				return
			}
			batch = append(batch, m)
			if len(batch) == deleteBatchMax {
				send()
			} else if len(batch) == 1 {
				timer.Reset(deleteFlushDelay)
			}
		case <-timer.C:
			send()
		}
	}
}

func (w *Worker) deleteBatch(ctx context.Context, batch []Message) {
	if w.recorder != nil {
		if err := w.recorder.Record(batch); err != nil {
			w.log.Error("recording processed messages failed; not deleting them", "count", len(batch), "error", err.Error())
			return
		}
	}
	entries := make([]types.DeleteMessageBatchRequestEntry, 0, len(batch))
	for i, m := range batch {
		entries = append(entries, types.DeleteMessageBatchRequestEntry{
			Id:            aws.String(strconv.Itoa(i)),
			ReceiptHandle: aws.String(m.ReceiptHandle),
		})
	}
	out, err := w.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{
		QueueUrl: aws.String(w.cfg.QueueURL),
		Entries:  entries,
	})
	if err != nil {
		w.log.Error("delete batch failed; messages will be redelivered", "count", len(batch), "error", err.Error())
		return
	}
	w.deleted.Add(int64(len(out.Successful)))
	if w.recorder != nil && len(out.Successful) > 0 {
		confirmed := make([]Message, 0, len(out.Successful))
		for _, ok := range out.Successful {
			if i, err := strconv.Atoi(aws.ToString(ok.Id)); err == nil && i >= 0 && i < len(batch) {
				confirmed = append(confirmed, batch[i])
			}
		}
		if err := w.recorder.Deleted(confirmed); err != nil {
			w.log.Warn("recording confirmed deletes failed", "count", len(confirmed), "error", err.Error())
		}
	}
	for _, f := range out.Failed {
		i, _ := strconv.Atoi(aws.ToString(f.Id))
		id := ""
		if i >= 0 && i < len(batch) {
			id = batch[i].ID
		}
		w.log.Error("delete failed; message will be redelivered", "message_id", id,
			"code", aws.ToString(f.Code), "error", aws.ToString(f.Message))
	}
	w.log.Debug("deleted messages", "count", len(out.Successful))
}
