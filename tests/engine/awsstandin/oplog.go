package awsstandin

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// Op is one operation the provider performed, one JSON line of the op log (EnvLog).
type Op struct {
	Time time.Time `json:"time"`
	// Op is the operation: getPluginInfo, getSchema, checkConfig, diffConfig, configure, check,
	// diff, create, read, update, delete, invoke or cancel.
	Op string `json:"op"`
	// URN is the resource's (empty for invoke and the plugin-wide operations).
	URN string `json:"urn"`
	// Type is the resource's type token, or the function's for invoke.
	Type string `json:"type"`
	// ID is the resource's id where the operation has one (create: the new id).
	ID string `json:"id"`
}

// opLog appends Ops to a file. Each line is written with one append-mode write, so the lines of
// several provider processes the engine starts (one per provider resource) do not interleave.
type opLog struct {
	mu   sync.Mutex
	path string
}

func (l *opLog) write(op Op) error {
	if l.path == "" {
		return nil
	}
	op.Time = time.Now().UTC()
	line, err := json.Marshal(op)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := os.OpenFile(l.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("aws stand-in: op log: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("aws stand-in: op log: %w", err)
	}
	return f.Close()
}

// ReadLog returns the operations logged to path, in the order they were written.
func ReadLog(path string) ([]Op, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ops []Op
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var op Op
		if err := json.Unmarshal(sc.Bytes(), &op); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		ops = append(ops, op)
	}
	return ops, sc.Err()
}
