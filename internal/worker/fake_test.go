package worker

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// fakeAPI is an always-empty queue that counts calls; receiveErr, if set,
// is returned by every ReceiveMessage.
type fakeAPI struct {
	receives   atomic.Int32
	receiveErr error
}

func (f *fakeAPI) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	f.receives.Add(1)
	if f.receiveErr != nil {
		return nil, f.receiveErr
	}
	if in.WaitTimeSeconds > 0 {
		select {
		case <-time.After(time.Duration(in.WaitTimeSeconds) * time.Second):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return &sqs.ReceiveMessageOutput{}, nil
}

func (f *fakeAPI) DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	return &sqs.DeleteMessageBatchOutput{}, nil
}

func (f *fakeAPI) ChangeMessageVisibility(context.Context, *sqs.ChangeMessageVisibilityInput, ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

func (f *fakeAPI) ChangeMessageVisibilityBatch(context.Context, *sqs.ChangeMessageVisibilityBatchInput, ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	return &sqs.ChangeMessageVisibilityBatchOutput{}, nil
}

// receivesIn runs a worker (baseConfig, long polls of waitSeconds) against api for d and
// returns how many receives api saw.
func receivesIn(t *testing.T, api *fakeAPI, waitSeconds int, d time.Duration) int32 {
	t.Helper()
	cfg := baseConfig()
	cfg.WaitSeconds = waitSeconds
	w, err := New(cfg, Deps{Client: api, Handler: DemoHandler{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	begin := time.Now()
	if err := w.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(begin); took > d+time.Second {
		t.Errorf("Run returned %s after start, want about %s", took, d)
	}
	if err := w.Run(context.Background()); err == nil {
		t.Error("second Run: want error")
	}
	return api.receives.Load()
}

func baseConfig() Config {
	return Config{QueueURL: "http://127.0.0.1:1/q", Concurrency: 4, BatchSize: 10,
		VisibilityExtension: 30 * time.Second, ShutdownTimeout: 5 * time.Second}
}

func TestShortPollingDoesNotSpin(t *testing.T) {
	t.Parallel()
	// One receive per emptyShortPollDelay (1s): about 3, never hundreds.
	if n := receivesIn(t, &fakeAPI{}, 0, 2500*time.Millisecond); n < 2 || n > 4 {
		t.Errorf("%d receives in 2.5s of short polling an empty queue, want 2..4", n)
	}
}

func TestReceiveErrorsBackOff(t *testing.T) {
	t.Parallel()
	// Backoff 100ms, 200ms, 400ms, 800ms, ...: about 5 attempts in 2s.
	if n := receivesIn(t, &fakeAPI{receiveErr: errors.New("boom")}, 1, 2*time.Second); n < 3 || n > 7 {
		t.Errorf("%d receives in 2s of errors, want 3..7 (exponential backoff)", n)
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	t.Parallel()
	good := baseConfig()
	cases := map[string]func(*Config, *Deps){
		"nil client":    func(_ *Config, d *Deps) { d.Client = nil },
		"nil handler":   func(_ *Config, d *Deps) { d.Handler = nil },
		"no queue":      func(c *Config, _ *Deps) { c.QueueURL = "" },
		"concurrency 0": func(c *Config, _ *Deps) { c.Concurrency = 0 },
		"batch 11":      func(c *Config, _ *Deps) { c.BatchSize = 11 },
		"wait 21":       func(c *Config, _ *Deps) { c.WaitSeconds = 21 },
		"extension 0":   func(c *Config, _ *Deps) { c.VisibilityExtension = 0 },
		"shutdown 0":    func(c *Config, _ *Deps) { c.ShutdownTimeout = 0 },
	}
	for name, mutate := range cases {
		c, d := good, Deps{Client: &fakeAPI{}, Handler: DemoHandler{}}
		mutate(&c, &d)
		if _, err := New(c, d); err == nil {
			t.Errorf("%s: New succeeded, want error", name)
		}
	}
	if _, err := New(good, Deps{Client: &fakeAPI{}, Handler: DemoHandler{}}); err != nil {
		t.Errorf("valid input: %v", err)
	}
}
