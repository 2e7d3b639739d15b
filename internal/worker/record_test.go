package worker_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eventscale/eventscale/internal/worker"
)

// writeRecords writes msgs to a new record file through FileRecorder, as processed and then as
// deleted, and returns its path.
func writeRecords(t *testing.T, msgs []worker.Message) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "records.jsonl")
	rec, err := worker.OpenFileRecorder(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Record(msgs); err != nil {
		t.Fatal(err)
	}
	if err := rec.Deleted(msgs); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// appendTo appends s to the file at path.
func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// kindsAndIDs is each entry's kind and message ID, in order.
func kindsAndIDs(es []worker.RecordEntry) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.Kind + ":" + e.ID + " ")
	}
	return strings.TrimSpace(b.String())
}

// TestReadRecordFile reads back what FileRecorder wrote, without a last line still being
// written, and returns the good lines with an error naming each line that is not a record.
func TestReadRecordFile(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	msgs := []worker.Message{
		{ID: "m1", Body: "b1", ReceiveCount: 1, Received: t0, FirstReceived: t0.Add(-time.Second)},
		{ID: "m2", Body: "b2", ReceiveCount: 2, Received: t0},
	}

	t.Run("absent", func(t *testing.T) {
		t.Parallel()
		es, err := worker.ReadRecordFile(filepath.Join(t.TempDir(), "none.jsonl"))
		if err != nil || es != nil {
			t.Fatalf("got %v, %v; want no records and no error", es, err)
		}
	})

	t.Run("released", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "records.jsonl")
		rec, err := worker.OpenFileRecorder(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := rec.Released(msgs[1:]); err != nil {
			t.Fatal(err)
		}
		if err := rec.Close(); err != nil {
			t.Fatal(err)
		}
		es, err := worker.ReadRecordFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := kindsAndIDs(es), "released:m2"; got != want {
			t.Fatalf("records %q, want %q", got, want)
		}
	})

	t.Run("as written", func(t *testing.T) {
		t.Parallel()
		path := writeRecords(t, msgs)
		appendTo(t, path, `{"kind":"processed","id":"m3"`) // a write not finished
		es, err := worker.ReadRecordFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := kindsAndIDs(es), "processed:m1 processed:m2 deleted:m1 deleted:m2"; got != want {
			t.Fatalf("records %q, want %q", got, want)
		}
		e := es[0]
		if e.Body != "b1" || e.ReceiveCount != 1 || e.PID != os.Getpid() || !e.Received.Equal(t0) ||
			!e.FirstReceived.Equal(t0.Add(-time.Second)) || e.Time.IsZero() || e.Deleted() || !es[2].Deleted() {
			t.Errorf("first record %+v does not hold what was written", e)
		}
		if !es[1].FirstReceived.IsZero() {
			t.Errorf("FirstReceived %v, want zero (not reported)", es[1].FirstReceived)
		}
	})

	t.Run("malformed lines", func(t *testing.T) {
		t.Parallel()
		path := writeRecords(t, msgs[:1])
		// A write torn by a kill with the next worker's line appended after it, and a JSON
		// line of no kind of record.
		appendTo(t, path, `{"kind":"proc`)
		appendTo(t, path, `{"kind":"processed","id":"m2","body":"b2"}`+"\n")
		appendTo(t, path, `{"id":"m4"}`+"\n")
		appendTo(t, path, `{"kind":"deleted","id":"m5","body":"b5"}`+"\n")
		es, err := worker.ReadRecordFile(path)
		if !errors.Is(err, worker.ErrRecordLine) {
			t.Fatalf("error %v, want one wrapping ErrRecordLine", err)
		}
		for _, want := range []string{"line 3 ", "line 4 ", `kind ""`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
		}
		if strings.Contains(err.Error(), "line 5 ") {
			t.Errorf("error %q names a good line", err)
		}
		if got, want := kindsAndIDs(es), "processed:m1 deleted:m1 deleted:m5"; got != want {
			t.Errorf("records %q, want %q", got, want)
		}
	})

	t.Run("unreadable", func(t *testing.T) {
		t.Parallel()
		es, err := worker.ReadRecordFile(t.TempDir()) // a directory
		if err == nil || errors.Is(err, worker.ErrRecordLine) || es != nil {
			t.Fatalf("got %v, %v; want a read error and no records", es, err)
		}
	})
}
