package scan

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// exceptionsPath is the tier's exceptions file, relative to the repository root.
const exceptionsPath = ".trivyignore.yaml"

// repoRoot is the repository root: this module is tests/scan.
var repoRoot = filepath.Join("..", "..")

// newScanner returns the tier's scanner (TRIVY_K8S_BIN, which make test-scan sets).
func newScanner(t *testing.T) Scanner {
	t.Helper()
	bin := os.Getenv("TRIVY_K8S_BIN")
	if bin == "" {
		t.Fatal("TRIVY_K8S_BIN is not set: run `make test-scan`, which builds trivy-k8s (make trivy-k8s) and sets it")
	}
	return Scanner{Bin: bin}
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

// scanDirs writes, for every stack file, the folder the tier scans: the offline plan's
// Kubernetes objects (cmd/plan, kubernetes/<kind>--<name>.yaml) and both charts rendered with the
// plan's values (tests/verify/cmd/render-charts, charts/<release>/<kind>--<name>.yaml). It
// returns the folders by stack name.
func scanDirs(t *testing.T) map[string]string {
	t.Helper()
	stackFiles, err := filepath.Glob(filepath.Join(repoRoot, "Pulumi.*.yaml"))
	if err != nil || len(stackFiles) == 0 {
		t.Fatalf("no stack files Pulumi.*.yaml in %s (%v)", repoRoot, err)
	}
	tmp := t.TempDir()
	plan, render := filepath.Join(tmp, "plan"), filepath.Join(tmp, "render-charts")
	goBuild(t, repoRoot, "./cmd/plan", plan)
	goBuild(t, filepath.Join(repoRoot, "tests", "verify"), "./cmd/render-charts", render)
	dirs := map[string]string{}
	for _, f := range stackFiles {
		stack := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml")
		planDir := filepath.Join(tmp, "out")
		run(t, repoRoot, plan, "-stack", stack, "-out", planDir)
		dir := filepath.Join(tmp, "scan", stack)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(planDir, stack, "kubernetes"), filepath.Join(dir, "kubernetes")); err != nil {
			t.Fatal(err)
		}
		run(t, repoRoot, render, "-stack", stack, "-plan", filepath.Join(planDir, stack), "-out", filepath.Join(dir, "charts"))
		dirs[stack] = dir
	}
	return dirs
}

// TestStacks is the tier: every stack's folder (scanDirs) is scanned; every scan must run
// trivy's checks on every Deployment (CheckCoverage), every failed check must be accepted in the
// exceptions file, and every exception must accept a failed check of some stack (Check).
func TestStacks(t *testing.T) {
	sc := newScanner(t)
	exceptions, err := ReadExceptions(filepath.Join(repoRoot, exceptionsPath))
	if err != nil {
		t.Fatal(err)
	}
	var all []Finding
	var errs []error
	for stack, dir := range scanDirs(t) {
		r, err := sc.Scan(stack, dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("stack %s: %d files, %d failed checks", stack, len(r.Files), len(r.Findings))
		errs = append(errs, CheckCoverage(stack, r))
		all = append(all, r.Findings...)
	}
	errs = append(errs, Check(all, exceptions, time.Now()))
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("%s:\n%v", exceptionsPath, err)
	}
}

// TestCompareWithCLI compares the tier's scanner with trivy's CLI (TRIVY_CLI, a trivy binary of
// the version tools/trivy pins; make scan-compare) over every stack's folder: the (file, check
// ID) sets of the failed checks, and each file's count of checks run and passed, must be equal.
// Without TRIVY_CLI it is skipped: CI builds no CLI (its cold build: BENCHMARKS.md).
func TestCompareWithCLI(t *testing.T) {
	cli := os.Getenv("TRIVY_CLI")
	if cli == "" {
		t.Skip("TRIVY_CLI is not set: run `make scan-compare TRIVY_CLI=<trivy binary>`")
	}
	sc := newScanner(t)
	home := t.TempDir()
	for stack, dir := range scanDirs(t) {
		ours, err := sc.Scan(stack, dir)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := Trivy{Bin: cli, Home: filepath.Join(home, stack)}.Config(dir)
		if err != nil {
			t.Fatal(err)
		}
		if diff := compare(ours, theirs); diff != "" {
			t.Errorf("stack %s: trivy-k8s and trivy config differ:\n%s", stack, diff)
		}
		t.Logf("stack %s: %d files, %d distinct (file, ID) findings, the same in both", stack, len(ours.Files), len(findingSet(ours)))
	}
}

// findingSet is the set of "file ID" of r's failed checks.
func findingSet(r Result) map[string]bool {
	out := map[string]bool{}
	for _, f := range r.Findings {
		out[f.Target+" "+f.ID] = true
	}
	return out
}

// compare returns what differs between two reports ("" for nothing): findings and file counts
// in one of them only.
func compare(ours, theirs Result) string {
	var lines []string
	a, b := findingSet(ours), findingSet(theirs)
	for k := range a {
		if !b[k] {
			lines = append(lines, "  finding of trivy-k8s only: "+k)
		}
	}
	for k := range b {
		if !a[k] {
			lines = append(lines, "  finding of trivy config only: "+k)
		}
	}
	fa, fb := map[File]bool{}, map[File]bool{}
	for _, f := range ours.Files {
		fa[f] = true
	}
	for _, f := range theirs.Files {
		fb[f] = true
	}
	for f := range fa {
		if !fb[f] {
			lines = append(lines, fmt.Sprintf("  counts of trivy-k8s only: %+v", f))
		}
	}
	for f := range fb {
		if !fa[f] {
			lines = append(lines, fmt.Sprintf("  counts of trivy config only: %+v", f))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
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

// scanBad scans a folder holding badDeployment alone and returns the gate's verdict with the
// given exceptions file contents.
func scanBad(t *testing.T, exceptions string) error {
	t.Helper()
	sc := newScanner(t)
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
	r, err := sc.Scan("bad", dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckCoverage("bad", r); err != nil {
		t.Fatal(err)
	}
	return Check(r.Findings, ex, time.Now())
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
	for _, unwanted := range []string{"privileged on purpose", "KSV-0017 HIGH"} {
		if strings.Contains(err.Error(), unwanted) {
			t.Errorf("the gate's error says %q:\n%v", unwanted, err)
		}
	}
}

// wantError fails t unless err is nil and want "", or err says want.
func wantError(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("unexpected error: %v", err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Errorf("error %v, want one saying %q", err, want)
	}
}

// TestCheck covers the gate's verdicts without the scanner.
func TestCheck(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	priv := Finding{Scan: "dev", Target: "charts/keda/Deployment--keda-operator.yaml", ID: "KSV-0017"}
	root := Finding{Scan: "dev", Target: "kubernetes/Deployment--worker.yaml", ID: "KSV-0012"}
	accept := Exception{ID: "KSV-0017", Paths: []string{"charts/keda/*.yaml"}, Statement: "upstream"}
	for _, tc := range []struct {
		name       string
		all        []Finding
		exceptions []Exception
		want       string // "" for no error
	}{
		{"accepted", []Finding{priv}, []Exception{accept}, ""},
		{"accepted by its AVD id, every file", []Finding{{Target: "a.yaml", ID: "KSV-0017", AVDID: "AVD-KSV-0017"}}, []Exception{{ID: "AVD-KSV-0017", Statement: "s"}}, ""},
		{"an empty AVD id matches no id", []Finding{priv}, []Exception{accept, {ID: "", Statement: "s"}}, "stale exception  (every file)"},
		{"unaccepted", []Finding{priv, root}, []Exception{accept}, "exceptions file:\n  dev: kubernetes/Deployment--worker.yaml: KSV-0012"},
		{"stale", nil, []Exception{accept}, "stale exception KSV-0017 in charts/keda/*.yaml"},
		{"another file", []Finding{root}, []Exception{{ID: "KSV-0012", Paths: []string{"charts/keda/*.yaml"}, Statement: "s"}}, "stale exception KSV-0012"},
		{"expired", []Finding{priv}, []Exception{{ID: "KSV-0017", ExpiredAt: "2026-12-06", Statement: "until yesterday"}}, "stale exception KSV-0017"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, Check(tc.all, tc.exceptions, today), tc.want)
		})
	}
}

// TestCheckCoverage: a scan that ran no check, or fewer than the floor on a Deployment, or saw no
// Deployment, fails; a scan with the checks trivy runs passes.
func TestCheckCoverage(t *testing.T) {
	t.Parallel()
	dep := func(ran int) File {
		return File{Target: "charts/keda/Deployment--keda-operator.yaml", Ran: ran, Passed: ran}
	}
	other := File{Target: "kubernetes/Namespace--ns.yaml", Ran: 115, Passed: 115}
	for _, tc := range []struct {
		name  string
		files []File
		want  string // "" for no error
	}{
		{"every check", []File{dep(115), other}, ""},
		{"at the floor", []File{dep(DeploymentFloor)}, ""},
		{"no check at all", []File{{Target: "kubernetes/Deployment--w.yaml"}, {Target: "kubernetes/Namespace--ns.yaml"}}, "dev: no check ran on any of 2 files"},
		{"no file", nil, "dev: no check ran on any of 0 files"},
		{"below the floor on a Deployment", []File{dep(DeploymentFloor - 1), other}, "dev: charts/keda/Deployment--keda-operator.yaml: 89 checks ran, fewer than 90"},
		{"no Deployment", []File{other}, "dev: no Deployment's file was scanned (1 files)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, CheckCoverage("dev", Result{Files: tc.files}), tc.want)
		})
	}
}

// TestScannerRunsChecksOnEveryFile: the scanner reports every file it scanned with the checks
// that ran on it, at least the floor on a Deployment whose checks all pass.
func TestScannerRunsChecksOnEveryFile(t *testing.T) {
	t.Parallel()
	good := strings.Replace(badDeployment, "privileged: true", "privileged: false", 1)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Deployment--good.yaml"), []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := newScanner(t).Scan("good", dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckCoverage("good", r); err != nil {
		t.Error(err)
	}
	if len(r.Files) != 1 || r.Files[0].Target != "Deployment--good.yaml" {
		t.Errorf("files %+v, want Deployment--good.yaml alone", r.Files)
	}
	for _, f := range r.Findings {
		if f.ID == "KSV-0017" {
			t.Errorf("KSV-0017 failed on an unprivileged container: %v", f)
		}
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

// TestScannerIsThePinnedVersion: TRIVY_K8S_BIN runs the trivy the wrapper module tools/trivy
// pins (a TRIVY_K8S_BIN set by hand could be another).
func TestScannerIsThePinnedVersion(t *testing.T) {
	t.Parallel()
	sc := newScanner(t)
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
	out, err := exec.Command(sc.Bin, "-version").CombinedOutput()
	if err != nil || string(out) != "Version: "+want+"\n" {
		t.Errorf("%s -version: %v\n%s\nwant Version: %s", sc.Bin, err, out, want)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Deployment--bad.yaml"), []byte(badDeployment), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := sc.Scan("bad", dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Trivy != want {
		t.Errorf("the scanner's report names trivy %q, want %q", r.Trivy, want)
	}
}
