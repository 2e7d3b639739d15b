package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eventscale/eventscale/internal/sqstest"
	"github.com/eventscale/eventscale/internal/worker"
)

// workerBin is the worker binary built once for this package's tests.
var workerBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "worker-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkdir temp:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	workerBin = filepath.Join(dir, "worker")
	goTool, err := findGo()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if out, err := exec.Command(goTool, "build", "-o", workerBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/worker: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// findGo locates the go command: PATH, then $GOROOT/bin, then /usr/local/go.
func findGo() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	for _, p := range []string{filepath.Join(os.Getenv("GOROOT"), "bin", "go"), "/usr/local/go/bin/go"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("go command not found on PATH, in $GOROOT/bin or /usr/local/go/bin: it is needed to build the worker binary")
}

// proc is a running worker process whose JSON log lines are collected.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	mu     sync.Mutex
	lines  []map[string]any
	raw    bytes.Buffer
	stderr bytes.Buffer
	exited chan struct{}
	err    error // from Wait, valid after exited is closed
}

func startWorker(t *testing.T, env []string) *proc {
	t.Helper()
	p := &proc{t: t, exited: make(chan struct{})}
	p.cmd = exec.Command(workerBin)
	p.cmd.Env = sqstest.ChildEnv(env...)
	p.cmd.Stderr = &p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("stdout pipe: %v", err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	scanDone := make(chan struct{})
	go func() {
		defer close(scanDone)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			var m map[string]any
			_ = json.Unmarshal(sc.Bytes(), &m)
			p.mu.Lock()
			p.raw.Write(sc.Bytes())
			p.raw.WriteByte('\n')
			if m != nil {
				p.lines = append(p.lines, m)
			}
			p.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		<-scanDone
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			p.mu.Lock()
			out := p.raw.String()
			p.mu.Unlock()
			if len(out) > 8000 {
				out = "..." + out[len(out)-8000:]
			}
			t.Logf("worker pid %d stdout:\n%s\nstderr:\n%s", p.cmd.Process.Pid, out, p.stderr.String())
		}
	})
	return p
}

// count returns the number of log lines with msg.
func (p *proc) count(msg string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.lines {
		if l["msg"] == msg {
			n++
		}
	}
	return n
}

// find returns the first log line with msg, or nil.
func (p *proc) find(msg string) map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.lines {
		if l["msg"] == msg {
			return l
		}
	}
	return nil
}

// msgsAfter returns the messages logged after the first line with marker.
func (p *proc) msgsAfter(marker string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	seen := false
	for _, l := range p.lines {
		if seen {
			out = append(out, fmt.Sprint(l["msg"]))
		}
		if l["msg"] == marker {
			seen = true
		}
	}
	return out
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		p.t.Fatalf("worker did not exit within %s", timeout)
	}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &ee):
		return ee.ExitCode()
	default:
		p.t.Fatalf("worker wait: %v", p.err)
		return -1
	}
}

func (p *proc) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatalf("SIGKILL: %v", err)
	}
	<-p.exited
}

// readRecords reads a WORKER_RECORD_FILE and returns its lines of kind
// (worker.RecordProcessed or worker.RecordDeleted).
func readRecords(t *testing.T, path, kind string) []worker.RecordEntry {
	t.Helper()
	es, err := worker.ReadRecordFile(path)
	if errors.Is(err, worker.ErrRecordLine) {
		// A SIGKILL can only cut a line if it lands inside write(2); the
		// message was then not deleted, so a torn line is harmless.
		t.Logf("record lines unparsable (torn by SIGKILL?): %v", err)
	} else if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(es, func(e worker.RecordEntry) bool { return e.Kind != kind })
}

func TestBadConfigExits2(t *testing.T) {
	t.Parallel()
	good := []string{"QUEUE_URL=http://127.0.0.1:1/123456789012/q", "AWS_REGION=us-east-1"}
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"nothing set", nil, []string{"QUEUE_URL is required", "AWS_REGION is required"}},
		{"concurrency abc", []string{"WORKER_CONCURRENCY=abc"}, []string{`WORKER_CONCURRENCY must be an integer from 1 to 256, got "abc"`}},
		{"concurrency 300", []string{"WORKER_CONCURRENCY=300"}, []string{`WORKER_CONCURRENCY`, `got "300"`}},
		{"batch 11", []string{"WORKER_BATCH_SIZE=11"}, []string{`WORKER_BATCH_SIZE must be an integer from 1 to 10, got "11"`}},
		{"wait 30", []string{"WORKER_WAIT_SECONDS=30"}, []string{`WORKER_WAIT_SECONDS must be an integer from 0 to 20, got "30"`}},
		{"extension 0", []string{"WORKER_VISIBILITY_EXTENSION_SECONDS=0"}, []string{`WORKER_VISIBILITY_EXTENSION_SECONDS`, `got "0"`}},
		{"shutdown no unit", []string{"WORKER_SHUTDOWN_TIMEOUT=25"}, []string{`WORKER_SHUTDOWN_TIMEOUT`, `got "25"`}},
		{"work negative", []string{"WORKER_SIMULATED_WORK=-1s"}, []string{`WORKER_SIMULATED_WORK`, `got "-1s"`}},
		{"health addr", []string{"WORKER_HEALTH_ADDR=eighty"}, []string{`WORKER_HEALTH_ADDR`, `got "eighty"`}},
		{"endpoint", []string{"AWS_ENDPOINT_URL=localhost:4566"}, []string{`AWS_ENDPOINT_URL must be an absolute http(s) URL, got "localhost:4566"`}},
		{"several at once", []string{"WORKER_CONCURRENCY=0", "WORKER_BATCH_SIZE=x"}, []string{`WORKER_CONCURRENCY`, `got "0"`, `WORKER_BATCH_SIZE`, `got "x"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := tc.env
			if tc.name != "nothing set" {
				env = append(append([]string{}, good...), tc.env...)
			}
			cmd := exec.Command(workerBin)
			cmd.Env = sqstest.ChildEnv(env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("exit = %v, want exit code 2; stderr:\n%s", err, stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr does not contain %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}

// TestSIGKILLLosesNothing kills the worker process several times in the
// middle of processing and restarts it; every message must end up processed
// (recorded before delete) and the queue empty.
func TestSIGKILLLosesNothing(t *testing.T) {
	t.Parallel()
	const n = 150
	s, q, bodies := sqstest.StartLoaded(t, "sigkill", 3, n)
	record := filepath.Join(t.TempDir(), "processed.jsonl")
	env := append(s.Env(),
		"QUEUE_URL="+q.URL,
		"WORKER_CONCURRENCY=4",
		"WORKER_BATCH_SIZE=10",
		"WORKER_WAIT_SECONDS=1",
		"WORKER_VISIBILITY_EXTENSION_SECONDS=3",
		"WORKER_SIMULATED_WORK=100ms",
		"WORKER_SHUTDOWN_TIMEOUT=5s",
		"WORKER_HEALTH_ADDR=127.0.0.1:0",
		"WORKER_RECORD_FILE="+record,
	)

	const kills = 4
	for i := range kills {
		before := len(readRecords(t, record, worker.RecordProcessed))
		p := startWorker(t, env)
		// Let it process a few batches, then kill it while messages are in
		// flight (4 handlers of 100ms run continuously).
		if !sqstest.WaitFor(20*time.Second, func() bool { return len(readRecords(t, record, worker.RecordProcessed)) >= before+15 }) {
			t.Fatalf("kill %d: worker made no progress (records %d)", i+1, len(readRecords(t, record, worker.RecordProcessed)))
		}
		time.Sleep(time.Duration(50*(i+1)) * time.Millisecond)
		p.kill()
		t.Logf("kill %d: SIGKILL after %d records (queue %+v)", i+1, len(readRecords(t, record, worker.RecordProcessed)), s.QueueCounts(t, q.URL))
	}

	// Final run: drain everything, including messages whose visibility must
	// first expire after the kills.
	p := startWorker(t, env)
	if !sqstest.WaitFor(60*time.Second, func() bool { return s.QueueCounts(t, q.URL).Total() == 0 }) {
		t.Fatalf("queue not drained: %+v", s.QueueCounts(t, q.URL))
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	if code := p.wait(15 * time.Second); code != 0 {
		t.Errorf("final worker exit code %d, want 0", code)
	}

	seen := map[string]int{}
	for _, e := range readRecords(t, record, worker.RecordProcessed) {
		seen[e.Body]++
	}
	dups := 0
	for _, b := range bodies {
		switch c := seen[b]; {
		case c == 0:
			t.Errorf("message %s deleted from the queue but never recorded as processed", b)
		case c > 1:
			dups += c - 1
		}
	}
	if len(seen) != n {
		t.Errorf("recorded %d distinct bodies, want %d", len(seen), n)
	}
	if c := s.QueueCounts(t, q.URL); c.Visible != 0 || c.NotVisible != 0 {
		t.Errorf("queue not empty: %+v", c)
	}
	t.Logf("%d kills, %d messages, %d duplicate deliveries processed (at-least-once)", kills, n, dups)
}

// TestSIGTERMDrainsAndReadyzFlips checks the graceful shutdown of the real
// process and the readiness endpoint.
func TestSIGTERMDrainsAndReadyzFlips(t *testing.T) {
	t.Parallel()
	const n, conc = 10, 3
	s, q, _ := sqstest.StartLoaded(t, "sigterm", 30, n)
	record := filepath.Join(t.TempDir(), "processed.jsonl")
	const shutdownTimeout = 10 * time.Second
	p := startWorker(t, append(s.Env(),
		"QUEUE_URL="+q.URL,
		fmt.Sprintf("WORKER_CONCURRENCY=%d", conc),
		"WORKER_WAIT_SECONDS=20",
		"WORKER_SIMULATED_WORK=4s",
		"WORKER_SHUTDOWN_TIMEOUT="+shutdownTimeout.String(),
		"WORKER_HEALTH_ADDR=127.0.0.1:0",
		"WORKER_LOG_LEVEL=debug",
		"WORKER_RECORD_FILE="+record,
	))

	var addr string
	if !sqstest.WaitFor(10*time.Second, func() bool {
		l := p.find("health server listening")
		if l != nil {
			addr, _ = l["addr"].(string)
		}
		return addr != ""
	}) {
		t.Fatal("health server address never logged")
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("health server on %q, want 127.0.0.1", addr)
	}
	status := func(path string) int {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return -1
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if !sqstest.WaitFor(5*time.Second, func() bool { return status("/readyz") == http.StatusOK }) {
		t.Fatalf("/readyz = %d before drain, want 200", status("/readyz"))
	}
	if !sqstest.WaitFor(10*time.Second, func() bool { return p.count("message started") == conc }) {
		t.Fatalf("%d messages started, want %d in flight", p.count("message started"), conc)
	}
	time.Sleep(500 * time.Millisecond) // well inside the 4s of simulated work
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	if !sqstest.WaitFor(2*time.Second, func() bool { return status("/readyz") == http.StatusServiceUnavailable }) {
		t.Errorf("/readyz = %d while draining, want 503", status("/readyz"))
	}
	if c := status("/healthz"); c != http.StatusOK {
		t.Errorf("/healthz = %d while draining, want 200", c)
	}
	code := p.wait(shutdownTimeout + 5*time.Second)
	took := time.Since(start)
	if code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	if took > shutdownTimeout {
		t.Errorf("exit took %s, more than the %s shutdown timeout", took, shutdownTimeout)
	}
	if got := p.count("message started"); got != conc {
		t.Errorf("%d messages started in total, want only the %d in flight at SIGTERM", got, conc)
	}
	for _, m := range p.msgsAfter("signal received; draining") {
		if m == "message started" {
			t.Error("a message was started after SIGTERM")
		}
	}
	if recs := readRecords(t, record, worker.RecordProcessed); len(recs) != conc {
		t.Errorf("%d messages processed, want the %d in flight", len(recs), conc)
	}
	if recs := readRecords(t, record, worker.RecordDeleted); len(recs) != conc {
		t.Errorf("%d deletes confirmed by SQS in the record file, want the %d in flight", len(recs), conc)
	}
	if c := s.QueueCounts(t, q.URL); c.Visible != n-conc || c.NotVisible != 0 {
		t.Errorf("queue after drain = %+v, want %d visible, 0 in flight", c, n-conc)
	}
	if p.find("drain complete") == nil || p.find("worker stopped") == nil {
		t.Error("missing drain complete / worker stopped log lines")
	}
	t.Logf("SIGTERM to exit: %s", took)
}
