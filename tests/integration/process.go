package integration

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process is a child process started by [StartProcess]: the one way the tiers start the
// servers and plugins they test (this tier's etcd, API server and controllers, the engine
// tier's provider plugins, the demo tier's workers).
type Process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // cmd.Wait's result, valid once done is closed
}

// StartProcess starts cmd in a process group of its own, so that [Process.Signal] and
// [Process.Stop] reach whatever it forks, and with Pdeathsig SIGKILL, so that the kernel kills it
// when the test process dies, even by SIGKILL (no cleanup runs then). It sets
// cmd.SysProcAttr; everything else of cmd (arguments, environment, output) is the caller's.
func StartProcess(name string, cmd *exec.Cmd) (*Process, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s (%s): %w", name, cmd.Path, err)
	}
	p := &Process{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// StartLine starts cmd as [StartProcess] does and returns it with the first line it prints on
// stdout, without the line end: the port a plugin listens on, the pid of what a helper
// started. The rest of its stdout is read and dropped. When the process ends its stdout
// before a whole line, or ctx is done first, the process group is killed and the error says
// so. It sets cmd.Stdout.
func StartLine(ctx context.Context, name string, cmd *exec.Cmd) (*Process, string, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, "", err
	}
	cmd.Stdout = w
	p, err := StartProcess(name, cmd)
	w.Close() // the child has its own copy
	if err != nil {
		r.Close()
		return nil, "", err
	}
	type result struct {
		line string
		err  error
	}
	first := make(chan result, 1)
	go func() {
		defer r.Close()
		br := bufio.NewReader(r)
		line, err := br.ReadString('\n')
		first <- result{strings.TrimSuffix(line, "\n"), err}
		_, _ = io.Copy(io.Discard, br)
	}()
	select {
	case res := <-first:
		if res.err == nil {
			return p, res.line, nil
		}
		p.Signal(syscall.SIGKILL)
		<-p.done
		return nil, "", fmt.Errorf("%s ended its output before a whole line (%q): %v", name, res.line, p.err)
	case <-ctx.Done():
		p.Signal(syscall.SIGKILL)
		<-p.done
		return nil, "", fmt.Errorf("%s printed no line: %w", name, ctx.Err())
	}
}

// Name is the name the process was started under, which its errors use.
func (p *Process) Name() string { return p.name }

// Pid is the process id, which is also its process group's id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed once the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is how the process exited (what exec.Cmd.Wait returned); call it once Done is closed.
func (p *Process) Err() error { return p.err }

// State is the exited process's state (exit code, signal); call it once Done is closed.
func (p *Process) State() *os.ProcessState { return p.cmd.ProcessState }

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Signal sends sig to the process's group; a group that is gone already is no error.
func (p *Process) Signal(sig syscall.Signal) {
	_ = syscall.Kill(-p.Pid(), sig)
}

// Stop sends SIGTERM to the process's group and, if the process has not exited after grace,
// SIGKILL; killed says whether SIGKILL was needed. The error says the process outlived even
// SIGKILL by 10 s. A process that has exited already is left alone.
func (p *Process) Stop(grace time.Duration) (killed bool, err error) {
	if p.Exited() {
		return false, nil
	}
	p.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return false, nil
	case <-time.After(grace):
	}
	p.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
		return true, nil
	case <-time.After(10 * time.Second):
		return true, fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.name, p.Pid())
	}
}

// WaitFor polls check every 200 ms until it succeeds, and fails when p exits first, timeout
// passes or ctx is done: how a test waits for a server it started to be ready.
func WaitFor(ctx context.Context, timeout time.Duration, p *Process, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		last := check()
		if last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s: %w", timeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
			return fmt.Errorf("%s exited: %v", p.name, p.err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Alive reports whether the process pid exists and is not a zombie (dead, not yet reaped): what
// the tests that kill a test process check of the servers and plugins it started.
func Alive(pid int) bool {
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return false
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state ...; comm may contain spaces, so the state follows the last ')'.
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}
