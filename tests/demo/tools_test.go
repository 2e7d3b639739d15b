package demo

import (
	"debug/buildinfo"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventscale/eventscale/tests/integration"
)

// toolPath returns the binary named by env (make/demo.mk sets it); without it the test skips,
// or fails when CI=true.
func toolPath(t *testing.T, env string) string {
	t.Helper()
	return integration.ToolPath(t, env, "make test-demo-tools")
}

// pinned returns the version that tools/<wrapper>/go.mod requires of module.
func pinned(t *testing.T, wrapper, module string) string {
	t.Helper()
	return integration.ToolVersion(t, filepath.Join("tools", wrapper, "go.mod"), module)
}

// run runs bin with args (HOME a fresh folder) and returns its stdout and stderr together.
func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	return integration.RunTool(t, bin, []string{"HOME=" + t.TempDir()}, args...)
}

// firstLine is the first line of s, for messages.
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

func TestToolKubeScheduler(t *testing.T) {
	bin := toolPath(t, "KUBE_SCHEDULER_BIN")
	want, err := integration.KubernetesVersion()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(run(t, bin, "--version")); got != "Kubernetes "+want {
		t.Errorf("%s --version = %q, want %q (tests/integration/apiserver/go.mod)", bin, got, "Kubernetes "+want)
	}
}

func TestToolKwok(t *testing.T) {
	bin := toolPath(t, "KWOK_BIN")
	want := pinned(t, "kwok", "sigs.k8s.io/kwok")
	out := run(t, bin, "--version")
	if !strings.Contains(out, "kwok version "+want) {
		t.Errorf("%s --version = %q, want it to name kwok version %s (tools/kwok/go.mod)", bin, firstLine(out), want)
	}
}

// KEDA's operator and adapter, and Karpenter, print their version only once they are connected
// to an API server (KEDA's PrintWelcome, Karpenter's "discovered karpenter version" log line), so
// these tests start each binary for its help text and read the version from the binary's build
// information: the module it was built from and the -X stamp that sets the version it reports
// (the build script leaves -trimpath off for these three, which would drop -ldflags from it).
// The scenario tests, which connect them, see the version in their logs.

func TestToolKedaOperator(t *testing.T) {
	checkStamped(t, "KEDA_OPERATOR_BIN", "keda", "github.com/kedacore/keda/v2",
		"github.com/kedacore/keda/v2/version.Version=", "--metrics-bind-address")
}

func TestToolKedaAdapter(t *testing.T) {
	checkStamped(t, "KEDA_ADAPTER_BIN", "keda", "github.com/kedacore/keda/v2",
		"github.com/kedacore/keda/v2/version.Version=", "--secure-port")
}

func TestToolKarpenterKwok(t *testing.T) {
	checkStamped(t, "KARPENTER_KWOK_BIN", "karpenter", "sigs.k8s.io/karpenter",
		"sigs.k8s.io/karpenter/pkg/operator.Version=", "-metrics-port") // Go's flag package: one dash
}

// checkStamped checks that the binary named by env was built from module at the version that
// tools/<wrapper>/go.mod requires, with its version variable stamped to that version (the
// -ldflags the build recorded set stamp to that version), and that its --help names flag.
func checkStamped(t *testing.T, env, wrapper, module, stamp, flag string) {
	t.Helper()
	bin := toolPath(t, env)
	want := pinned(t, wrapper, module)
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatalf("build information of %s: %v", bin, err)
	}
	var got string
	if info.Main.Path == module {
		got = info.Main.Version
	}
	for _, dep := range info.Deps {
		if dep.Path == module {
			got = dep.Version
			if dep.Replace != nil {
				t.Errorf("%s: %s is replaced by %s %s", bin, module, dep.Replace.Path, dep.Replace.Version)
			}
		}
	}
	if got != want {
		t.Errorf("%s was built from %s %q, want %q (tools/%s/go.mod)", bin, module, got, want, wrapper)
	}
	var ldflags string
	for _, s := range info.Settings {
		if s.Key == "-ldflags" {
			ldflags = s.Value
		}
	}
	// Both projects' release builds stamp the tag without its "v" (tests/integration/scripts/build-tool.sh).
	set := "-X " + stamp + strings.TrimPrefix(want, "v")
	if !strings.Contains(ldflags+" ", set+" ") {
		t.Errorf("%s was built with -ldflags %q, want them to contain %q", bin, ldflags, set)
	}
	if out := run(t, bin, "--help"); !strings.Contains(out, flag) {
		t.Errorf("%s --help does not name %s:\n%s", bin, flag, out)
	}
}
