package integration

import (
	"bufio"
	"context"
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
	fmt.Printf("STARTED %d %d %s\n", c.procs[0].cmd.Process.Pid, c.procs[1].cmd.Process.Pid, c.Dir)
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
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("helper: %v (output %q)", err, line)
	}
	f := strings.Fields(line)
	if len(f) != 4 || f[0] != "STARTED" {
		t.Fatalf("helper did not start a cluster: %s", line)
	}
	etcdPid, _ := strconv.Atoi(f[1])
	apiPid, _ := strconv.Atoi(f[2])
	dir := f[3]
	if !alive(etcdPid) || !alive(apiPid) {
		t.Fatalf("servers not running after start (etcd %d, kube-apiserver %d)", etcdPid, apiPid)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for alive(etcdPid) || alive(apiPid) {
		if time.Now().After(deadline) {
			t.Fatalf("30 s after the test process was killed: etcd alive %v, kube-apiserver alive %v", alive(etcdPid), alive(apiPid))
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

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return false
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...; comm may contain spaces, so split after the last ')'.
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}
