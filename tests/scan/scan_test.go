package scan

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// exceptionsPath is the tier's exceptions file, relative to the repository root.
const exceptionsPath = ".trivyignore.yaml"

// repoRoot is the repository root: this module is tests/scan.
var repoRoot = filepath.Join("..", "..")

// newTrivy returns the trivy of the tier (TRIVY_BIN, which make test-scan sets) with a home of
// the test's own.
func newTrivy(t *testing.T) Trivy {
	t.Helper()
	bin := os.Getenv("TRIVY_BIN")
	if bin == "" {
		t.Fatal("TRIVY_BIN is not set: run `make test-scan`, which builds trivy (make trivy) and sets it")
	}
	return Trivy{Bin: bin, Home: t.TempDir()}
}

// goBuild builds the main package pkg of the module in dir into bin.
func goBuild(t *testing.T, dir, pkg, bin string) {
	t.Helper()
	gocmd := os.Getenv("GO")
	if gocmd == "" {
		gocmd = "go"
	}
	run(t, dir, gocmd, "build", "-o", bin, pkg)
}

func run(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s", name, strings.Join(args, " "), dir, err, out)
	}
}

// TestStacks is the tier: for every stack file, the offline plan's Kubernetes objects
// (cmd/plan, out/<stack>/kubernetes) and both charts rendered with the plan's values
// (tests/verify/cmd/render-charts) are scanned by trivy; every failed check must be accepted in
// the exceptions file, and every exception must accept a failed check of some stack.
func TestStacks(t *testing.T) {
	tr := newTrivy(t)
	exceptions, err := ReadExceptions(filepath.Join(repoRoot, exceptionsPath))
	if err != nil {
		t.Fatal(err)
	}
	ignoreFile, err := filepath.Abs(filepath.Join(repoRoot, exceptionsPath))
	if err != nil {
		t.Fatal(err)
	}
	stackFiles, err := filepath.Glob(filepath.Join(repoRoot, "Pulumi.*.yaml"))
	if err != nil || len(stackFiles) == 0 {
		t.Fatalf("no stack files Pulumi.*.yaml in %s (%v)", repoRoot, err)
	}
	tmp := t.TempDir()
	plan, render := filepath.Join(tmp, "plan"), filepath.Join(tmp, "render-charts")
	goBuild(t, repoRoot, "./cmd/plan", plan)
	goBuild(t, filepath.Join(repoRoot, "tests", "verify"), "./cmd/render-charts", render)

	var mu sync.Mutex
	var unaccepted, all []Finding
	t.Run("stacks", func(t *testing.T) {
		for _, f := range stackFiles {
			stack := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml")
			t.Run(stack, func(t *testing.T) {
				t.Parallel()
				planDir := filepath.Join(tmp, "out")
				run(t, repoRoot, plan, "-stack", stack, "-out", planDir)
				// The scanned folder: kubernetes/<kind>--<name>.yaml, the program's objects as
				// the plan writes them, and charts/<release>/<kind>--<name>.yaml.
				dir := filepath.Join(tmp, "scan", stack)
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(filepath.Join(planDir, stack, "kubernetes"), filepath.Join(dir, "kubernetes")); err != nil {
					t.Fatal(err)
				}
				run(t, repoRoot, render, "-stack", stack, "-plan", filepath.Join(planDir, stack), "-out", filepath.Join(dir, "charts"))
				st := Trivy{Bin: tr.Bin, Home: filepath.Join(tr.Home, stack)}
				found, err := st.Config(stack, dir, "")
				if err != nil {
					t.Fatal(err)
				}
				left, err := st.Config(stack, dir, ignoreFile)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("stack %s: %d failed checks, %d of them not accepted", stack, len(found), len(left))
				mu.Lock()
				defer mu.Unlock()
				all, unaccepted = append(all, found...), append(unaccepted, left...)
			})
		}
	})
	if t.Failed() {
		return
	}
	if err := Check(unaccepted, all, exceptions, time.Now()); err != nil {
		t.Fatalf("%s:\n%v", exceptionsPath, err)
	}
}

// badDeployment is a Deployment whose container is privileged: trivy's check KSV-0017
// ("Privileged", checks/kubernetes/privileged.rego of github.com/aquasecurity/trivy-checks at the
// version trivy v0.74.0 requires) fails on it.
const badDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: bad
  namespace: default
spec:
  selector:
    matchLabels: {app: bad}
  template:
    metadata:
      labels: {app: bad}
    spec:
      containers:
      - name: bad
        image: registry.example/bad@sha256:0000000000000000000000000000000000000000000000000000000000000000
        securityContext:
          privileged: true
`

// scanBad scans a folder holding badDeployment alone with the given exceptions file contents,
// and returns the gate's verdict.
func scanBad(t *testing.T, exceptions string) error {
	t.Helper()
	tr := newTrivy(t)
	dir := filepath.Join(t.TempDir(), "scan")
	if err := os.MkdirAll(filepath.Join(dir, "kubernetes"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kubernetes", "Deployment--bad.yaml"), []byte(badDeployment), 0o644); err != nil {
		t.Fatal(err)
	}
	ignoreFile := filepath.Join(t.TempDir(), ".trivyignore.yaml")
	if err := os.WriteFile(ignoreFile, []byte(exceptions), 0o644); err != nil {
		t.Fatal(err)
	}
	ex, err := ReadExceptions(ignoreFile)
	if err != nil {
		t.Fatal(err)
	}
	all, err := tr.Config("bad", dir, "")
	if err != nil {
		t.Fatal(err)
	}
	unaccepted, err := tr.Config("bad", dir, ignoreFile)
	if err != nil {
		t.Fatal(err)
	}
	return Check(unaccepted, all, ex, time.Now())
}

// TestNewFindingFails: a new object with a failed check that no exception accepts fails the
// gate, which names the check and the file.
func TestNewFindingFails(t *testing.T) {
	t.Parallel()
	err := scanBad(t, "misconfigurations: []\n")
	if err == nil {
		t.Fatal("a privileged container passed the gate")
	}
	for _, want := range []string{"not in the exceptions file", "bad: kubernetes/Deployment--bad.yaml: KSV-0017 HIGH"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the gate's error does not say %q:\n%v", want, err)
		}
	}
}

// TestStaleExceptionFails: an exception that no failed check matches fails the gate, which names
// it; the exceptions that do match are not reported, and the findings they accept pass.
func TestStaleExceptionFails(t *testing.T) {
	t.Parallel()
	err := scanBad(t, `misconfigurations:
  - id: KSV-0017
    paths: [kubernetes/Deployment--gone.yaml]
    statement: the object this accepted is gone
  - id: KSV-0017
    paths: [kubernetes/Deployment--bad.yaml]
    statement: privileged on purpose
`)
	if err == nil {
		t.Fatal("a stale exception passed the gate")
	}
	if want := `stale exception KSV-0017 in kubernetes/Deployment--gone.yaml: "the object this accepted is gone"`; !strings.Contains(err.Error(), want) {
		t.Errorf("the gate's error does not say %q:\n%v", want, err)
	}
	for _, unwanted := range []string{"privileged on purpose", "KSV-0017 HIGH", "disagree"} {
		if strings.Contains(err.Error(), unwanted) {
			t.Errorf("the gate's error says %q:\n%v", unwanted, err)
		}
	}
}

// TestCheck covers the gate's verdicts without trivy.
func TestCheck(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	priv := Finding{Scan: "dev", Target: "charts/keda/Deployment--keda-operator.yaml", Misconfiguration: Misconfiguration{ID: "KSV-0017", AVDID: "AVD-KSV-0017", Status: "FAIL"}}
	root := Finding{Scan: "dev", Target: "kubernetes/Deployment--worker.yaml", Misconfiguration: Misconfiguration{ID: "KSV-0012", Status: "FAIL"}}
	accept := Exception{ID: "KSV-0017", Paths: []string{"charts/keda/*.yaml"}, Statement: "upstream"}
	for _, tc := range []struct {
		name            string
		unaccepted, all []Finding
		exceptions      []Exception
		want            string // "" for no error
	}{
		{"accepted", nil, []Finding{priv}, []Exception{accept}, ""},
		{"accepted by its AVD id, every file", nil, []Finding{priv}, []Exception{{ID: "AVD-KSV-0017", Statement: "s"}}, ""},
		{"unaccepted", []Finding{root}, []Finding{priv, root}, []Exception{accept}, "1 findings are not in the exceptions file"},
		{"stale", nil, nil, []Exception{accept}, "stale exception KSV-0017 in charts/keda/*.yaml"},
		{"another file", []Finding{root}, []Finding{root}, []Exception{{ID: "KSV-0012", Paths: []string{"charts/keda/*.yaml"}, Statement: "s"}}, "stale exception KSV-0012"},
		{"expired", []Finding{priv}, []Finding{priv}, []Exception{{ID: "KSV-0017", ExpiredAt: "2026-12-06", Statement: "until yesterday"}}, "stale exception KSV-0017"},
		{"readings disagree", nil, []Finding{root}, nil, "disagree"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.unaccepted, tc.all, tc.exceptions, today)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// TestReadExceptionsRejectsBadEntries: each entry names its check and says why it is accepted;
// the file holds misconfigurations only, and paths only what path.Match reads as trivy does.
func TestReadExceptionsRejectsBadEntries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, file, want string }{
		{"no statement", "misconfigurations:\n  - id: KSV-0017\n", "misconfigurations[0] (KSV-0017): statement is empty"},
		{"no id", "misconfigurations:\n  - statement: s\n", "misconfigurations[0]: id is empty"},
		{"vulnerabilities", "vulnerabilities:\n  - id: CVE-1\n", "unknown field \"vulnerabilities\""},
		{"unknown field", "misconfigurations:\n  - id: KSV-0017\n    statment: s\n", "unknown field \"statment\""},
		{"date", "misconfigurations:\n  - id: KSV-0017\n    statement: s\n    expired_at: 2026-13-01\n", `expired_at "2026-13-01" is not a yyyy-mm-dd date`},
		{"doublestar", "misconfigurations:\n  - id: KSV-0017\n    statement: s\n    paths: [\"charts/**\"]\n", `path "charts/**": only file paths and the wildcards * and ? are allowed`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), ".trivyignore.yaml")
			if err := os.WriteFile(f, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadExceptions(f); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// TestExceptionsFileReads: the repository's exceptions file is well formed (the tier's gate
// checks what it accepts).
func TestExceptionsFileReads(t *testing.T) {
	t.Parallel()
	if _, err := ReadExceptions(filepath.Join(repoRoot, exceptionsPath)); err != nil {
		t.Fatal(err)
	}
}

// TestTrivyIsThePinnedVersion: TRIVY_BIN is the trivy the wrapper module tools/trivy pins (a
// TRIVY_BIN set by hand could be another).
func TestTrivyIsThePinnedVersion(t *testing.T) {
	t.Parallel()
	tr := newTrivy(t)
	raw, err := os.ReadFile(filepath.Join("tools", "trivy", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	var want string
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "github.com/aquasecurity/trivy" {
			want = strings.TrimPrefix(f[1], "v")
		}
	}
	if want == "" {
		t.Fatal("tools/trivy/go.mod requires no github.com/aquasecurity/trivy")
	}
	cmd := exec.Command(tr.Bin, "--cache-dir", filepath.Join(tr.Home, "cache"), "--version")
	cmd.Env = env(tr.Home)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains("\n"+string(out), "\nVersion: "+want+"\n") {
		t.Errorf("%s --version: %v\n%s\nwant Version: %s", tr.Bin, err, out, want)
	}
}
