// Package motoserver starts moto_server (a real AWS API, SQS and EC2 included) on 127.0.0.1
// for one test: on a free port, waiting until it answers, killed when the test ends. It is the
// one starter of the worker tests (internal/sqstest) and the scaling twin (tests/twin/spec).
//
// It is a Go module of its own that requires nothing (the standard library only): the twin's
// modules import it without requiring the root module, whose AWS SDK requirements would raise
// the versions KEDA's scaler is built with there.
package motoserver

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binary is the moto server executable looked up on PATH.
const Binary = "moto_server"

// ReadyTimeout is how long one start waits for the server to answer.
const ReadyTimeout = 60 * time.Second

// Server is a moto_server listening on 127.0.0.1, started for one test.
type Server struct {
	// URL is the endpoint, e.g. http://127.0.0.1:43121.
	URL string

	cmd  *exec.Cmd
	log  *tail
	done chan struct{}
}

// Require skips the test with reason, or fails it when CI=true: under CI a missing
// prerequisite is a failure, never a skip.
func Require(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s (CI=true: failing rather than skipping)", msg)
	}
	tb.Skip(msg)
}

// Start starts moto_server for the duration of tb (up to three tries, each on a new free
// port) and returns it once it answers. The server's environment is ChildEnv(DummyCredentialsEnv()
// plus extraEnv). Its whole process group is killed at cleanup, and the kernel kills it if the
// test binary dies first (a -timeout panic skips cleanups). If moto_server is not on PATH the
// test is skipped, or fails when CI=true (Require).
func Start(tb testing.TB, extraEnv ...string) *Server {
	tb.Helper()
	bin, err := exec.LookPath(Binary)
	if err != nil {
		Require(tb, "%s not on PATH (%v): install moto 5.2.1 (python3 -m pip install 'moto[server]==5.2.1')", Binary, err)
	}
	s, err := startTries(bin, extraEnv)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		s.Stop()
		if tb.Failed() {
			tb.Logf("last %s output:\n%s", Binary, s.Output())
		}
	})
	return s
}

// Launch is Start outside a test, for a command: it starts moto_server the same way (same
// tries, environment and process group; the kernel kills it if the calling process dies) and
// returns it once it answers, or an error (moto_server not on PATH included). The caller
// stops it (Stop).
func Launch(extraEnv ...string) (*Server, error) {
	bin, err := exec.LookPath(Binary)
	if err != nil {
		return nil, fmt.Errorf("%s not on PATH (%v): install moto 5.2.1 (python3 -m pip install 'moto[server]==5.2.1')", Binary, err)
	}
	return startTries(bin, extraEnv)
}

// startTries starts bin up to three times, each on a new free port, with the environment
// ChildEnv(DummyCredentialsEnv() plus extraEnv).
func startTries(bin string, extraEnv []string) (*Server, error) {
	env := ChildEnv(append(DummyCredentialsEnv(), extraEnv...)...)
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := start(bin, env)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, fmt.Errorf("could not start %s: %w", Binary, lastErr)
}

func start(bin string, env []string) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), log: &tail{max: 16 << 10}, done: make(chan struct{})}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = s.log, s.log
	// Own process group (killed whole at cleanup: a pyenv shim may fork); and killed by the
	// kernel if the test binary dies first (a -timeout panic skips t.Cleanup).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s.cmd = cmd
	go func() { _ = cmd.Wait(); close(s.done) }()
	if err := s.waitReady(ReadyTimeout); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w; output:\n%s", err, s.Output())
	}
	return s, nil
}

// waitReady polls /moto-api/ until it answers below 500, the process exits or timeout passes.
func (s *Server) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("%s exited before it was ready (port taken?)", Binary)
		default:
		}
		if resp, err := client.Get(s.URL + "/moto-api/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready on %s after %s", Binary, s.URL, timeout)
}

// Stop kills the server's process group and waits for it (at most 10s).
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
	}
}

// Running reports whether the server process is still alive.
func (s *Server) Running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Output is the last 16 KiB the server wrote to stdout and stderr.
func (s *Server) Output() string { return s.log.String() }

// DummyCredentialsEnv returns environment entries that give any AWS SDK static test
// credentials and no shared config or instance metadata.
func DummyCredentialsEnv() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// ChildEnv returns os.Environ() without any AWS_* variable (so no real profile, token or
// endpoint leaks in), plus extra.
func ChildEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(t.buf.String())
}
