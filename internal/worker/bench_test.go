package worker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/eventscale/eventscale/internal/sqstest"
	"github.com/eventscale/eventscale/internal/worker"
)

// benchBacklog bounds how many undeleted messages the benchmark keeps in the
// queue. moto's ReceiveMessage scans every message in the queue several
// times per call (≈85 ms per receive at a depth of 400 versus ≈9 ms when
// empty), so preloading all b.N messages would measure moto, not the worker.
const benchBacklog = 50

// BenchmarkWorkerThroughput measures messages/s of one worker against
// moto_server with 10ms of simulated work per message. b.N is the number of
// messages; a feeder keeps at most benchBacklog of them in the queue. Run it
// with a fixed count, e.g. -benchtime=400x.
func BenchmarkWorkerThroughput(b *testing.B) {
	s := sqstest.Start(b)
	for _, conc := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			q := s.CreateQueue(b, fmt.Sprintf("bench-c%d-n%d-%d", conc, b.N, time.Now().UnixNano()), nil)
			bodies := sqstest.Bodies("bench", b.N)

			var mu sync.Mutex
			seen := make(map[string]int, b.N)
			h := worker.HandlerFunc(func(ctx context.Context, m worker.Message) error {
				mu.Lock()
				seen[m.Body]++
				mu.Unlock()
				return worker.DemoHandler{Work: 10 * time.Millisecond}.Handle(ctx, m)
			})
			cfg := worker.Config{
				QueueURL:            q.URL,
				Region:              s.Region,
				Concurrency:         conc,
				BatchSize:           10,
				WaitSeconds:         1,
				VisibilityExtension: 30 * time.Second,
				ShutdownTimeout:     10 * time.Second,
			}
			w, err := worker.New(cfg, worker.Deps{Client: s.Client(), Handler: h})
			if err != nil {
				b.Fatal(err)
			}
			elapsed := measureDrain(b, w, func() {
				for sent := 0; sent < b.N; {
					if int64(sent)-w.Stats().Deleted >= benchBacklog {
						time.Sleep(time.Millisecond)
						continue
					}
					end := min(sent+10, b.N)
					s.SendBodies(b, q.URL, bodies[sent:end])
					sent = end
				}
			})
			dups := 0
			mu.Lock()
			for _, n := range seen {
				dups += n - 1
			}
			distinct := len(seen)
			mu.Unlock()
			if distinct != b.N {
				b.Fatalf("processed %d distinct messages, want %d", distinct, b.N)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(float64(dups), "dups")
			b.ReportMetric(0, "ns/op") // wall time per message is not meaningful here
		})
	}
}

// measureDrain starts w with the benchmark timer reset, calls feed (which may send the
// messages), waits until w has deleted b.N messages (the benchmark fails after 5 minutes) and
// stops w. It returns the time from the start of w to the b.N-th delete.
func measureDrain(b *testing.B, w *worker.Worker, feed func()) time.Duration {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)

	b.ResetTimer()
	start := time.Now()
	go func() { done <- w.Run(ctx) }()
	feed()
	deadline := time.Now().Add(5 * time.Minute)
	for w.Stats().Deleted < int64(b.N) {
		if time.Now().After(deadline) {
			cancel()
			<-done
			b.Fatalf("timed out: %+v", w.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()

	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	return elapsed
}
