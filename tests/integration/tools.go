package integration

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// The checks every tier makes of the real binaries it runs (its "tool" tests: etcd's here, the
// engine tier's Pulumi CLI and providers, the demo tier's scheduler, KEDA, kwok and Karpenter):
// where the binary is, which version its wrapper module pins, and what it prints when run.

// ToolPath returns the binary that the environment variable env names (the tier's make
// target sets it); when env is empty or unset, t is skipped, or fails when CI=true
// ([RequirePrerequisite]), with a message that names env and how, run, to get it set.
func ToolPath(t testing.TB, env, run string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		RequirePrerequisite(t, fmt.Errorf("%s is not set: run %s", env, run))
	}
	return p
}

// ToolVersion returns the version that the go.mod at gomod (a wrapper module's) requires of
// module ([GoModRequire]); an error fails t.
func ToolVersion(t testing.TB, gomod, module string) string {
	t.Helper()
	v, err := GoModRequire(gomod, module)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// RunTool runs bin with args and returns what it printed on stdout and stderr together; t
// fails when it does not exit 0. The process gets this process's environment plus env, and is
// killed when t ends and, by the kernel, when the test binary dies (Pdeathsig).
func RunTool(t testing.TB, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
	return string(out)
}
