package integration

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary start a cluster, print its pids and
// folder, and wait to be killed (see TestServersDieWithTheTestProcess).
const helperEnv = "EVENTSCALE_INTEGRATION_HELPER"

func runHelper() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{})
	if err != nil {
		fmt.Printf("ERROR %v\n", strings.ReplaceAll(err.Error(), "\n", " | "))
		os.Exit(1)
	}
	fmt.Printf("STARTED %d %d %s\n", c.procs[0].Pid(), c.procs[1].Pid(), c.Dir)
	select {} // until killed
}

// TestServersDieWithTheTestProcess kills (SIGKILL, no cleanup possible) a
// test process that runs a cluster, and requires etcd and kube-apiserver to
// exit by themselves; the next Start removes the orphaned temporary folder.
func TestServersDieWithTheTestProcess(t *testing.T) {
	_, err := KubeAPIServerPath()
	RequirePrerequisite(t, err)
	_, err = EtcdPath()
	RequirePrerequisite(t, err)

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	cmd.Stderr = os.Stderr
	helper, line, err := StartLine(t.Context(), "helper", cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { helper.Signal(syscall.SIGKILL) })
	f := strings.Fields(line)
	if len(f) != 4 || f[0] != "STARTED" {
		t.Fatalf("helper did not start a cluster: %s", line)
	}
	etcdPid, _ := strconv.Atoi(f[1])
	apiPid, _ := strconv.Atoi(f[2])
	dir := f[3]
	if !Alive(etcdPid) || !Alive(apiPid) {
		t.Fatalf("servers not running after start (etcd %d, kube-apiserver %d)", etcdPid, apiPid)
	}

	// Only the test process: the servers run in process groups of their own.
	if err := syscall.Kill(helper.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-helper.Done()
	deadline := time.Now().Add(30 * time.Second)
	for Alive(etcdPid) || Alive(apiPid) {
		if time.Now().After(deadline) {
			t.Fatalf("30 s after the test process was killed: etcd alive %v, kube-apiserver alive %v", Alive(etcdPid), Alive(apiPid))
		}
		time.Sleep(100 * time.Millisecond)
	}

	if _, err := os.Stat(filepath.Join(dir, "owner.pid")); err != nil {
		t.Fatalf("expected the killed process's folder %s to be left behind: %v", dir, err)
	}
	removeStaleDirs(t.Logf)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("stale folder %s not removed: %v", dir, err)
	}
}

// TestProcessStop: SIGTERM goes to the whole process group (a child the process forked ends
// too), and SIGKILL follows after the grace only for a process that ignores SIGTERM.
func TestProcessStop(t *testing.T) {
	start := func(script string) (*Process, int) {
		t.Helper()
		p, line, err := StartLine(t.Context(), "sh", exec.Command("sh", "-c", script))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Signal(syscall.SIGKILL) })
		child, err := strconv.Atoi(line)
		if err != nil {
			t.Fatalf("%s printed %q, want a pid", script, line)
		}
		return p, child
	}

	p, child := start(`sleep 600 & echo $!; wait`)
	if killed, err := p.Stop(time.Minute); killed || err != nil {
		t.Errorf("Stop of a shell that ends on SIGTERM: killed %v, error %v; want neither", killed, err)
	}
	waitGone(t, child)

	p, child = start(`trap '' TERM; sleep 600 & echo $!; wait`)
	if killed, err := p.Stop(100 * time.Millisecond); !killed || err != nil {
		t.Errorf("Stop of a shell that ignores SIGTERM: killed %v, error %v; want killed", killed, err)
	}
	if !p.Exited() {
		t.Error("Stop returned before the process exited")
	}
	waitGone(t, child)
}

// waitGone waits up to 10 s for pid to be gone (a killed child of a killed shell is reaped
// by init, not at once).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); Alive(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d, in the stopped process's group, still runs", pid)
		}
	}
}

// TestWaitFor: it returns once check succeeds, at once when the process exits, and after the
// timeout with check's last error.
func TestWaitFor(t *testing.T) {
	sleeper, err := StartProcess("sleep", exec.Command("sleep", "600"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = sleeper.Stop(time.Second) })
	calls := 0
	if err := WaitFor(t.Context(), time.Minute, sleeper, func() error {
		if calls++; calls < 3 {
			return errors.New("not yet")
		}
		return nil
	}); err != nil || calls != 3 {
		t.Errorf("WaitFor = %v after %d checks, want nil after 3", err, calls)
	}
	err = WaitFor(t.Context(), 300*time.Millisecond, sleeper, func() error { return errors.New("never ready") })
	if err == nil || !strings.Contains(err.Error(), "timed out") || !strings.Contains(err.Error(), "never ready") {
		t.Errorf("WaitFor of a check that never succeeds = %v, want a timeout with its last error", err)
	}

	quitter, err := StartProcess("false", exec.Command("false"))
	if err != nil {
		t.Fatal(err)
	}
	err = WaitFor(t.Context(), time.Hour, quitter, func() error { return errors.New("not ready") })
	if err == nil || !strings.Contains(err.Error(), "false exited: exit status 1") {
		t.Errorf("WaitFor of a process that exits = %v, want it to say so", err)
	}
}

// TestStartLine: the first line comes back without its end; a process that ends its output
// before a whole line, or prints nothing before ctx is done, is an error, and is gone after it.
func TestStartLine(t *testing.T) {
	p, line, err := StartLine(t.Context(), "sh", exec.Command("sh", "-c", `echo 'first line'; echo second; sleep 600`))
	if err != nil || line != "first line" {
		t.Fatalf("StartLine = %q, %v; want %q", line, err, "first line")
	}
	t.Cleanup(func() { p.Signal(syscall.SIGKILL) })

	if _, _, err := StartLine(t.Context(), "sh", exec.Command("sh", "-c", `printf partial; exit 3`)); err == nil ||
		!strings.Contains(err.Error(), `"partial"`) || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("StartLine of a process that exits mid-line: %v, want an error with its output and exit", err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	cmd := exec.Command("sleep", "600")
	if _, _, err := StartLine(ctx, "sleep", cmd); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("StartLine of a silent process: %v, want the context's deadline", err)
	}
	if Alive(cmd.Process.Pid) {
		t.Errorf("the silent process (pid %d) still runs", cmd.Process.Pid)
	}
}
