package worker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// The kinds of line in a WORKER_RECORD_FILE (RecordEntry.Kind).
const (
	// RecordProcessed is a message the handler processed, written and
	// fsync'd before its delete is sent.
	RecordProcessed = "processed"
	// RecordDeleted is a message whose delete SQS confirmed (a Successful
	// entry of DeleteMessageBatch), written once the call has returned.
	RecordDeleted = "deleted"
	// RecordReleased is a message the worker is about to make visible again
	// (visibility timeout 0, at shutdown), written before the call is sent:
	// a release that may have reached SQS is always on record.
	RecordReleased = "released"
)

// RecordEntry is one line of a WORKER_RECORD_FILE. Every processed message
// has a RecordProcessed line; a RecordDeleted line for the same receive (the
// same ID, ReceiveCount and Received) follows if SQS confirmed its delete. A
// receive the worker gave back has a RecordReleased line.
type RecordEntry struct {
	// Kind is RecordProcessed, RecordDeleted or RecordReleased.
	Kind         string `json:"kind"`
	ID           string `json:"id"`
	Body         string `json:"body"`
	ReceiveCount int    `json:"receive_count"`
	PID          int    `json:"pid"`
	// Time is when the line was written: for RecordProcessed just before
	// the delete was sent, for RecordDeleted when SQS's answer came back.
	Time time.Time `json:"time"`
	// Received is Message.Received: when this receive of the message
	// returned (the worker's clock).
	Received time.Time `json:"received"`
	// FirstReceived is Message.FirstReceived: SQS's
	// ApproximateFirstReceiveTimestamp, omitted if SQS did not report it.
	FirstReceived time.Time `json:"first_received,omitzero"`
}

// Deleted reports whether e records a delete SQS confirmed, rather than a
// processing.
func (e RecordEntry) Deleted() bool { return e.Kind == RecordDeleted }

// ErrRecordLine is wrapped by ReadRecordFile's error for each line that is
// not a RecordEntry.
var ErrRecordLine = errors.New("not a record line")

// ReadRecordFile reads the RecordEntry lines of the WORKER_RECORD_FILE at
// path, in the order they were written; a file that does not exist has none.
// FileRecorder writes whole lines, so a last line without its newline is a
// write not finished (still under way, or cut short by a kill) and is left
// out. A line that does not parse, or names no kind of RecordEntry, is an error wrapping ErrRecordLine, one per
// such line; the lines that did parse come with it, for a caller that knows
// how such a line arose (a kill that cuts a write leaves a torn line, and a
// restarted worker appends the next one after it).
func ReadRecordFile(path string) ([]RecordEntry, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read record file: %w", err)
	}
	var out []RecordEntry
	var bad []error
	n := 0
	for line := range bytes.Lines(data) {
		n++
		if !bytes.HasSuffix(line, []byte("\n")) {
			break
		}
		var e RecordEntry
		err := json.Unmarshal(line, &e)
		if err == nil && e.Kind != RecordProcessed && e.Kind != RecordDeleted && e.Kind != RecordReleased {
			err = fmt.Errorf("kind %q", e.Kind)
		}
		if err != nil {
			bad = append(bad, fmt.Errorf("%s line %d %q: %w: %w", path, n, bytes.TrimSuffix(line, []byte("\n")), ErrRecordLine, err))
			continue
		}
		out = append(out, e)
	}
	return out, errors.Join(bad...)
}

// FileRecorder appends one JSON line per processed message to a file and
// fsyncs it before returning, so every message the worker deletes is on disk
// first; after the delete it appends one line per delete SQS confirmed
// (written, not fsync'd: a process crash cannot lose it, and a machine crash
// costs only the evidence of a delete). It is a test and debugging aid
// (WORKER_RECORD_FILE): it lets a test that SIGKILLs the worker prove that no
// deleted message went unprocessed, and one that finds a message processed
// twice tell whether SQS had confirmed the first processing's delete.
type FileRecorder struct {
	mu  sync.Mutex
	f   *os.File
	pid int
}

// OpenFileRecorder opens (creating or appending to) path.
func OpenFileRecorder(path string) (*FileRecorder, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open record file: %w", err)
	}
	return &FileRecorder{f: f, pid: os.Getpid()}, nil
}

// Record implements Recorder: one RecordProcessed line per message, fsync'd.
func (r *FileRecorder) Record(msgs []Message) error {
	return r.write(RecordProcessed, msgs, true)
}

// Deleted implements Recorder: one RecordDeleted line per message, not
// fsync'd.
func (r *FileRecorder) Deleted(msgs []Message) error {
	return r.write(RecordDeleted, msgs, false)
}

// Released implements Recorder: one RecordReleased line per message, not
// fsync'd.
func (r *FileRecorder) Released(msgs []Message) error {
	return r.write(RecordReleased, msgs, false)
}

func (r *FileRecorder) write(kind string, msgs []Message, fsync bool) error {
	var buf []byte
	now := time.Now().UTC()
	for _, m := range msgs {
		line, err := json.Marshal(RecordEntry{Kind: kind, ID: m.ID, Body: m.Body, ReceiveCount: m.ReceiveCount,
			PID: r.pid, Time: now, Received: m.Received.UTC(), FirstReceived: m.FirstReceived.UTC()})
		if err != nil {
			return fmt.Errorf("encode record: %w", err)
		}
		buf = append(append(buf, line...), '\n')
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.f.Write(buf); err != nil {
		return fmt.Errorf("write record file: %w", err)
	}
	if !fsync {
		return nil
	}
	if err := r.f.Sync(); err != nil {
		return fmt.Errorf("fsync record file: %w", err)
	}
	return nil
}

// Close closes the file.
func (r *FileRecorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("close record file: %w", err)
	}
	return nil
}
