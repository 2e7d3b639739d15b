package spec

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

// This starter is the twin's own, not internal/sqstest's (the worker tests'), on purpose: the
// package spec imports nothing of the root module, so tests/twin/keda, which imports it, need
// not list the root module in its go.mod. Listing it would bring the root module's AWS SDK
// requirements (aws-sdk-go-v2 v1.48.0, service/sqs v1.53.0) into that module's graph and raise
// the SDK that KEDA's scaler is built with there above the versions its go.mod pins (v1.41.7, v1.42.27).
// (The spec/program subpackage runs the program and imports the root module; keda does not
// import it.)

// MotoBinary is the moto server executable looked up on PATH.
const MotoBinary = "moto_server"

// Moto is a moto_server listening on 127.0.0.1, started for one test.
type Moto struct {
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

// StartMoto starts moto_server on a free port of 127.0.0.1, waits until it answers and
// kills its whole process group when the test ends. It also points the AWS SDK's default
// credential chain at static dummy credentials (t.Setenv), so nothing can reach a real
// account: KEDA's "aws" pod identity and Karpenter's EC2 client both resolve these.
func StartMoto(t *testing.T) *Moto {
	t.Helper()
	bin, err := exec.LookPath(MotoBinary)
	if err != nil {
		Require(t, "%s not on PATH (%v): install moto 5.2.1 (pip install 'moto[server]==5.2.1')", MotoBinary, err)
	}
	for k, v := range DummyAWSEnv() {
		t.Setenv(k, v)
	}
	for _, k := range clearedAWSEnv {
		t.Setenv(k, "") // restored when the test ends
		os.Unsetenv(k)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		m, err := startMoto(bin)
		if err == nil {
			t.Cleanup(func() {
				m.Stop()
				if t.Failed() {
					t.Logf("last moto_server output:\n%s", m.log.String())
				}
			})
			return m
		}
		lastErr = err
	}
	t.Fatalf("could not start %s: %v", MotoBinary, lastErr)
	return nil
}

// DummyAWSEnv are the environment variables that give any AWS SDK static test credentials
// and no shared config or instance metadata.
func DummyAWSEnv() map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED":   "true",
	}
}

// clearedAWSEnv are unset for the test, so no profile, token, role or endpoint of the
// machine's environment can take part.
var clearedAWSEnv = []string{
	"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
}

func startMoto(bin string) (*Moto, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	m := &Moto{URL: "http://127.0.0.1:" + strconv.Itoa(port), log: &tail{max: 16 << 10}, done: make(chan struct{})}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	for k, v := range DummyAWSEnv() {
		env = append(env, k+"="+v)
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = m.log, m.log
	// Own process group (killed whole at cleanup); and killed by the kernel if the test
	// binary dies first (a -timeout panic skips t.Cleanup).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	m.cmd = cmd
	go func() { _ = cmd.Wait(); close(m.done) }()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-m.done:
			return nil, fmt.Errorf("%s exited before it was ready:\n%s", MotoBinary, m.log.String())
		default:
		}
		if resp, err := client.Get(m.URL + "/moto-api/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return m, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	m.Stop()
	return nil, fmt.Errorf("%s not ready on %s after 60s:\n%s", MotoBinary, m.URL, m.log.String())
}

// Stop kills the server's process group and waits for it.
func (m *Moto) Stop() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-m.done:
	case <-time.After(10 * time.Second):
	}
}

// Running reports whether the server process is still alive.
func (m *Moto) Running() bool {
	select {
	case <-m.done:
		return false
	default:
		return true
	}
}

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
