package worker

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// RecordEntry is one line of a WORKER_RECORD_FILE.
type RecordEntry struct {
	ID           string    `json:"id"`
	Body         string    `json:"body"`
	ReceiveCount int       `json:"receive_count"`
	PID          int       `json:"pid"`
	Time         time.Time `json:"time"`
}

// FileRecorder appends one JSON line per processed message to a file and
// fsyncs it before returning, so every message the worker deletes is on disk
// first. It is a test and debugging aid (WORKER_RECORD_FILE): it lets a test
// that SIGKILLs the worker prove that no deleted message went unprocessed.
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

// Record implements Recorder.
func (r *FileRecorder) Record(msgs []Message) error {
	var buf []byte
	now := time.Now().UTC()
	for _, m := range msgs {
		line, err := json.Marshal(RecordEntry{ID: m.ID, Body: m.Body, ReceiveCount: m.ReceiveCount, PID: r.pid, Time: now})
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
