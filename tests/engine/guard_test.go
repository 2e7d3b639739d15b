package engine

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eventscale/eventscale/tests/integration"
)

// TestGuardDiesWithItsParent: a guard (what NewWorld puts in front of the CLI and every plugin)
// started by a process that is then killed outright gets SIGKILL itself, so nothing it runs
// outlives a killed test. The parent here is a shell that starts the guard in the background;
// the guard's target is sleep.
func TestGuardDiesWithItsParent(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip(err)
	}
	guard := filepath.Join(t.TempDir(), "guarded-sleep")
	if err := writeGuard(guard, sleep); err != nil {
		t.Fatal(err)
	}
	// The parent runs in a group of its own, which the cleanup kills whole.
	p, line, err := integration.StartLine(t.Context(), "sh", exec.Command("sh", "-c", `"$0" 600 & echo $!; wait`, guard))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Signal(syscall.SIGKILL) })
	pid, err := strconv.Atoi(line)
	if err != nil {
		t.Fatal(err)
	}
	// The guard has exec'd its target once /proc/<pid>/cmdline names it.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.HasPrefix(cmdline(pid), sleep) {
		if time.Now().After(deadline) {
			t.Fatalf("the guard (pid %d) did not start %s: cmdline %q", pid, sleep, cmdline(pid))
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Only the parent is killed: the guard must end by itself.
	if err := syscall.Kill(p.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	for integration.Alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("%s (pid %d) outlived its killed parent", sleep, pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// cmdline is the process's command line, arguments separated by spaces ("" once it is gone).
func cmdline(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.ReplaceAll(string(b), "\x00", " ")
}
