package worker_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventscale/eventscale/internal/worker"
)

// redelivery is the record of a message that moto redelivered after a confirmed delete: pid 1
// received it first (receive count 1; SQS marked it at t0, the receive returned 50 ms later),
// processed it and had its delete confirmed 1.1 s after t0; pid 2 received it again 31 s after
// t0 (receive count 2, visibility timeout 30 s), processed it and had that delete confirmed.
func redelivery(t0 time.Time) []worker.RecordEntry {
	first := worker.RecordEntry{ID: "m1", Body: "b", ReceiveCount: 1, PID: 1,
		Received: t0.Add(50 * time.Millisecond), FirstReceived: t0}
	again := worker.RecordEntry{ID: "m1", Body: "b", ReceiveCount: 2, PID: 2,
		Received: t0.Add(31 * time.Second), FirstReceived: t0}
	return []worker.RecordEntry{
		processedAt(first, t0.Add(time.Second)), deletedAt(first, t0.Add(1100*time.Millisecond)),
		processedAt(again, t0.Add(32*time.Second)), deletedAt(again, t0.Add(32100*time.Millisecond)),
	}
}

func processedAt(e worker.RecordEntry, at time.Time) worker.RecordEntry {
	e.Kind, e.Time = worker.RecordProcessed, at
	return e
}

func deletedAt(e worker.RecordEntry, at time.Time) worker.RecordEntry {
	e.Kind, e.Time = worker.RecordDeleted, at
	return e
}

// TestCheckDelivery takes each piece of a redelivery's evidence away on its own: the check must
// fail then, naming the message and what is missing, and pass with all of it.
func TestCheckDelivery(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	const visibility = 30 * time.Second
	tests := []struct {
		name string
		// edit changes the records of a redelivery (indices: 0 first processed, 1 its delete,
		// 2 the repeat processed, 3 its delete) and the bodies sent (["b"]).
		edit        func(es []worker.RecordEntry, bodies []string) ([]worker.RecordEntry, []string)
		max         int
		redelivered int
		// problem is what one of the problems must say; "" means none.
		problem string
	}{
		{name: "redelivered after a confirmed delete", max: 1, redelivered: 1},
		{name: "more redeliveries than allowed", max: 0, redelivered: 1,
			problem: "redeliveries by SQS after a confirmed delete: 1, more than the 0 allowed"},
		{name: "the first delete never confirmed", max: 1,
			edit: func(es []worker.RecordEntry, b []string) ([]worker.RecordEntry, []string) {
				return slices.Delete(es, 1, 2), b
			},
			problem: `message "b" (id m1) processed again: receive count 2 at 12:00:31.000 by pid 2, after receive count 1 at 12:00:00.050 by pid 1; not a redelivery by SQS: SQS never confirmed the previous processing's delete`},
		{name: "the first delete confirmed after the repeat's receive (a lost visibility extension)", max: 1,
			edit: func(es []worker.RecordEntry, b []string) ([]worker.RecordEntry, []string) {
				es[1].Time = t0.Add(40 * time.Second)
				return es, b
			},
			problem: "SQS confirmed the previous processing's delete only 9s after this receive"},
		{name: "the first delete confirmed, but for another receive of the message", max: 1,
			edit: func(es []worker.RecordEntry, b []string) ([]worker.RecordEntry, []string) {
				es[1].Received = es[1].Received.Add(time.Millisecond)
				return es, b
			},
			problem: "SQS never confirmed the previous processing's delete"},
		{name: "the repeat's receive count not above the first's", max: 1,
			edit: func(es []worker.RecordEntry, b []string) ([]worker.RecordEntry, []string) {
				es[2].ReceiveCount, es[3].ReceiveCount = 1, 1
				return es, b
			},
			problem: "its receive count 1 is not above the previous processing's 1"},
		{name: "the repeat received within the visibility timeout", max: 1,
			edit: func(es []worker.RecordEntry, b []string) ([]worker.RecordEntry, []string) {
				es[2].Received, es[3].Received = t0.Add(20*time.Second), t0.Add(20*time.Second)
				return es, b
			},
			problem: "it was received 20s after the previous receive, less than the visibility timeout 30s"},
		{name: "the gap measured from SQS's first receive, not from the slow first response", max: 1, redelivered: 1,
			edit: func(es []worker.RecordEntry, b []string) ([]worker.RecordEntry, []string) {
				es[0].Received, es[1].Received = t0.Add(900*time.Millisecond), t0.Add(900*time.Millisecond)
				es[2].Received, es[3].Received = t0.Add(30500*time.Millisecond), t0.Add(30500*time.Millisecond)
				return es, b
			},
		},
		{name: "SQS's first receive time stands for the previous receive only when that was the first", max: 1,
			edit: func(es []worker.RecordEntry, b []string) ([]worker.RecordEntry, []string) {
				es[0].Received, es[1].Received = t0.Add(900*time.Millisecond), t0.Add(900*time.Millisecond)
				es[2].Received, es[3].Received = t0.Add(30500*time.Millisecond), t0.Add(30500*time.Millisecond)
				for i := range es {
					es[i].ReceiveCount++
				}
				return es, b
			},
			problem: "it was received 29.6s after the previous receive, less than the visibility timeout 30s"},
		{name: "one receive processed twice (a double dispatch)", max: 1,
			edit: func(es []worker.RecordEntry, b []string) ([]worker.RecordEntry, []string) {
				return []worker.RecordEntry{es[0], es[1], es[0], es[1]}, b
			},
			problem: "SQS confirmed the previous processing's delete only 1.05s after this receive; its receive count 1 is not above the previous processing's 1; it was received 50ms after the previous receive, less than the visibility timeout 30s"},
		{name: "one receive handed to two processes at once (the server's, not a worker's)", max: 1, redelivered: 1,
			edit: func(es []worker.RecordEntry, b []string) ([]worker.RecordEntry, []string) {
				for _, i := range []int{2, 3} {
					es[i].ReceiveCount, es[i].Received = 1, t0.Add(130*time.Millisecond)
				}
				es[1].Time = t0.Add(2 * time.Second)
				return es, b
			},
		},
		{name: "handed out again while another process held it (the server's, not a worker's)", max: 1, redelivered: 1,
			edit: func(es []worker.RecordEntry, b []string) ([]worker.RecordEntry, []string) {
				for _, i := range []int{2, 3} {
					es[i].Received = t0.Add(132 * time.Millisecond)
				}
				es[1].Time = t0.Add(2 * time.Second)
				return es, b
			},
		},
		{name: "handed out while held, the higher count's answer back first (the server's)", max: 1, redelivered: 1,
			edit: func(es []worker.RecordEntry, b []string) ([]worker.RecordEntry, []string) {
				for _, i := range []int{0, 1} {
					es[i].Received, es[i].FirstReceived = t0.Add(194*time.Millisecond), time.Time{}
				}
				for _, i := range []int{2, 3} {
					es[i].Received = t0.Add(132 * time.Millisecond)
				}
				es[1].Time = t0.Add(2 * time.Second)
				return es, b
			},
		},
		{name: "handed out again after the holder released it (a worker's)", max: 1,
			edit: func(es []worker.RecordEntry, b []string) ([]worker.RecordEntry, []string) {
				for _, i := range []int{2, 3} {
					es[i].Received = t0.Add(132 * time.Millisecond)
				}
				es[1].Time = t0.Add(2 * time.Second)
				rel := es[0]
				rel.Kind, rel.Time = worker.RecordReleased, t0.Add(100*time.Millisecond)
				return append(es, rel), b
			},
			problem: "SQS confirmed the previous processing's delete only 1.868s after this receive"},
		{name: "handed out again after half the visibility timeout (a heartbeat's time)", max: 1,
			edit: func(es []worker.RecordEntry, b []string) ([]worker.RecordEntry, []string) {
				for _, i := range []int{2, 3} {
					es[i].Received = t0.Add(16 * time.Second)
				}
				es[1].Time = t0.Add(20 * time.Second)
				return es, b
			},
			problem: "it was received 16s after the previous receive, less than the visibility timeout 30s"},
		{name: "no receive time recorded", max: 1,
			edit: func(es []worker.RecordEntry, b []string) ([]worker.RecordEntry, []string) {
				for i := range es {
					es[i].Received, es[i].FirstReceived = time.Time{}, time.Time{}
				}
				return es, b
			},
			problem: "no receive time recorded"},
		{name: "a third processing, redelivered again", max: 2, redelivered: 2,
			edit: func(es []worker.RecordEntry, b []string) ([]worker.RecordEntry, []string) {
				third := worker.RecordEntry{ID: "m1", Body: "b", ReceiveCount: 3, PID: 1,
					Received: t0.Add(62200 * time.Millisecond), FirstReceived: t0}
				return append(es, processedAt(third, t0.Add(63*time.Second))), b
			},
		},
		{name: "a message never processed", max: 1, redelivered: 1,
			edit: func(es []worker.RecordEntry, b []string) ([]worker.RecordEntry, []string) {
				return es, append(b, "c")
			},
			problem: `message "c" was never processed`},
		{name: "a message processed that was not sent", max: 1, redelivered: 1,
			edit: func(es []worker.RecordEntry, b []string) ([]worker.RecordEntry, []string) {
				other := worker.RecordEntry{ID: "m9", Body: "z", ReceiveCount: 1, PID: 1, Received: t0}
				return append(es, processedAt(other, t0.Add(time.Second))), b
			},
			problem: `1 processed messages were not sent: "z"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			es, bodies := redelivery(t0), []string{"b"}
			if tc.edit != nil {
				es, bodies = tc.edit(es, bodies)
			}
			// The order of the lines must not matter: the workers' files are read one after
			// the other.
			slices.Reverse(es)
			d := worker.CheckDelivery(es, bodies, visibility, tc.max)
			if len(d.Redelivered) != tc.redelivered {
				t.Errorf("redelivered %q, want %d", d.Redelivered, tc.redelivered)
			}
			switch {
			case tc.problem == "" && len(d.Problems) > 0:
				t.Errorf("problems %q, want none", d.Problems)
			case tc.problem != "" && !slices.ContainsFunc(d.Problems, func(p string) bool { return strings.Contains(p, tc.problem) }):
				t.Errorf("problems %q, want one saying %q", d.Problems, tc.problem)
			}
			if d.Processed != 1 {
				t.Errorf("processed %d, want 1", d.Processed)
			}
		})
	}
}

// TestCheckDeliveryNamesEveryRepeat: one problem per repeat without evidence, each naming its
// message, and a message processed once is no problem.
func TestCheckDeliveryNamesEveryRepeat(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var es []worker.RecordEntry
	var bodies []string
	for i := range 4 {
		b := fmt.Sprintf("m-%d", i)
		bodies = append(bodies, b)
		e := worker.RecordEntry{ID: b, Body: b, ReceiveCount: 1, PID: 7, Received: t0, FirstReceived: t0}
		es = append(es, processedAt(e, t0.Add(time.Second)), deletedAt(e, t0.Add(2*time.Second)))
		if i%2 == 1 { // dispatched twice
			es = append(es, processedAt(e, t0.Add(time.Second)), deletedAt(e, t0.Add(2*time.Second)))
		}
	}
	d := worker.CheckDelivery(es, bodies, 30*time.Second, 10)
	if d.Processed != 4 || len(d.Redelivered) != 0 || len(d.Problems) != 2 {
		t.Fatalf("processed %d, redelivered %q, problems %q; want 4, none and 2", d.Processed, d.Redelivered, d.Problems)
	}
	for i, b := range []string{"m-1", "m-3"} {
		if !strings.HasPrefix(d.Problems[i], fmt.Sprintf("message %q", b)) {
			t.Errorf("problem %d = %q, want it about %q", i, d.Problems[i], b)
		}
	}
}
