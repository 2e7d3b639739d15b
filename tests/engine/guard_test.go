package engine

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
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
	parent := exec.Command("sh", "-c", `"$0" 600 & echo $!; wait`, guard)
	parent.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	// The guard has exec'd its target once /proc/<pid>/cmdline names it.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.HasPrefix(cmdline(pid), sleep) {
		if time.Now().After(deadline) {
			t.Fatalf("the guard (pid %d) did not start %s: cmdline %q", pid, sleep, cmdline(pid))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := parent.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = parent.Wait()
	for alive(pid) {
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

// alive reports whether the process exists and is not a zombie (dead, not yet reaped).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state ...: the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
