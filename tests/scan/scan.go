package scan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Exception is one accepted finding of the exceptions file, an entry of trivy's YAML ignore
// format: IgnoreFinding in pkg/result/ignore.go of github.com/aquasecurity/trivy@v0.74.0, and
// docs/guide/configuration/filtering.md ("`.trivyignore.yaml`") of the same module (read
// 2026-12-07). The tier's gate ([Check]) applies it as trivy would: id is compared with a
// check's ID (and its AVD ID, where the check has one), each of paths (patterns) with the
// scanned file's path relative to the scanned folder; no paths means every file; an entry past
// expired_at is dropped.
type Exception struct {
	ID        string   `json:"id"`
	Paths     []string `json:"paths,omitempty"`
	ExpiredAt string   `json:"expired_at,omitempty"`
	Statement string   `json:"statement"`
}

func (e Exception) String() string {
	if len(e.Paths) == 0 {
		return fmt.Sprintf("%s (every file): %q", e.ID, e.Statement)
	}
	return fmt.Sprintf("%s in %s: %q", e.ID, strings.Join(e.Paths, ", "), e.Statement)
}

// exceptionsFile is the part of trivy's ignore format this tier uses: `trivy config` reports
// misconfigurations only.
type exceptionsFile struct {
	Misconfigurations []Exception `json:"misconfigurations"`
}

// ReadExceptions reads and checks the exceptions file: only a misconfigurations list; each entry
// with an id and a statement (the reason it is accepted), expired_at (if any) a yyyy-mm-dd date,
// and paths plain file paths or patterns with * and ? only, which path.Match reads as trivy's
// doublestar does.
func ReadExceptions(file string) ([]Exception, error) {
	var f exceptionsFile
	raw, err := os.ReadFile(file)
	if err == nil {
		err = yaml.UnmarshalStrict(raw, &f)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w (the tier scans misconfigurations only: a misconfigurations list of id, paths, expired_at, statement)", file, err)
	}
	var errs []error
	for i, e := range f.Misconfigurations {
		at := fmt.Sprintf("%s: misconfigurations[%d]", file, i)
		if e.ID == "" {
			errs = append(errs, fmt.Errorf("%s: id is empty", at))
		}
		if strings.TrimSpace(e.Statement) == "" {
			errs = append(errs, fmt.Errorf("%s (%s): statement is empty: say why the finding is accepted", at, e.ID))
		}
		if e.ExpiredAt != "" {
			if _, err := time.Parse(time.DateOnly, e.ExpiredAt); err != nil {
				errs = append(errs, fmt.Errorf("%s (%s): expired_at %q is not a yyyy-mm-dd date", at, e.ID, e.ExpiredAt))
			}
		}
		for _, p := range e.Paths {
			if _, err := path.Match(p, ""); err != nil || strings.ContainsAny(p, "{}[]\\") || strings.Contains(p, "**") {
				errs = append(errs, fmt.Errorf("%s (%s): path %q: only file paths and the wildcards * and ? are allowed", at, e.ID, p))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return f.Misconfigurations, nil
}

// Finding is one failed check of a scan.
type Finding struct {
	// Scan names the scanned folder (the stack).
	Scan string `json:"-"`
	// Target is the file, relative to the scanned folder.
	Target string `json:"file"`
	// ID is the check's ID (KSV-0017); AVDID its deprecated AVD ID, which trivy v0.74.0's
	// checks leave empty.
	ID    string `json:"id"`
	AVDID string `json:"avdid"`
	// Severity is the check's (LOW to CRITICAL).
	Severity string `json:"severity"`
	// Title is the check's title, Message what failed in this file.
	Title   string `json:"title"`
	Message string `json:"message"`
	// Resource names the object, where the check names one.
	Resource string `json:"resource"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%s: %s: %s %s %q: %s", f.Scan, f.Target, f.ID, f.Severity, f.Title, f.Message)
}

// File is how many checks ran on one scanned file (Target, relative to the scanned folder) and
// how many passed.
type File struct {
	Target      string `json:"file"`
	Ran, Passed int
}

// Result is one scan: the report of the scanner (tools/trivy's main.go), whose keys are Go field
// names (encoding/json matches them to these fields and tags regardless of case).
type Result struct {
	// Trivy is the version of trivy the scanner's checks come from.
	Trivy string `json:"trivy"`
	// Files are the scanned files with their counts.
	Files []File `json:"files"`
	// Findings are the failed checks.
	Findings []Finding `json:"findings"`
}

// Scanner runs the tier's scanner binary, trivy-k8s (tools/trivy): trivy's Kubernetes IaC
// scanner with trivy's embedded checks, configured as `trivy config` configures it, driven by a
// one-file main instead of trivy's CLI (whose cold build does not fit the CI run's budget:
// BENCHMARKS.md). It reads no network, cache or configuration.
type Scanner struct {
	// Bin is the trivy-k8s binary.
	Bin string
}

// Scan scans dir and returns its report, each finding named scan.
func (s Scanner) Scan(scan, dir string) (Result, error) {
	cmd := exec.Command(s.Bin, dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Result{}, fmt.Errorf("%s %s: %w\n%s", s.Bin, dir, err, stderr.String())
	}
	var r Result
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Result{}, fmt.Errorf("%s %s: reading its report: %w", s.Bin, dir, err)
	}
	for i := range r.Findings {
		r.Findings[i].Scan = scan
	}
	return r, nil
}

// Trivy runs trivy's CLI offline: only for the comparison of the tier's scanner with it
// (TestCompareWithCLI, make scan-compare).
type Trivy struct {
	// Bin is the trivy binary.
	Bin string
	// Home is a folder of its own for the run: trivy's cache folder and HOME, so that nothing
	// is read from or written to the user's.
	Home string
}

// cliReport is what the comparison reads of trivy's JSON report (pkg/types/report.go and
// DetectedMisconfiguration in pkg/types/misconfiguration.go of github.com/aquasecurity/trivy@v0.74.0).
type cliReport struct {
	Results []struct {
		Target            string
		MisconfSummary    struct{ Successes, Failures int }
		Misconfigurations []struct {
			ID, Status string
		}
	}
}

// Config runs `trivy config` with trivy's Kubernetes checks over dir and returns its report in
// the tier scanner's terms (files with their counts, and the failed checks' files and IDs).
//
// Offline, from the flags of github.com/aquasecurity/trivy@v0.74.0 (pkg/flag, read 2026-12-07):
// --skip-check-update loads no checks bundle from the registry (the checks then come from the
// cache folder, empty here, so trivy logs "Falling back to embedded checks" and uses the ones
// compiled into the binary: pkg/commands/artifact/run.go initMisconfScannerOption,
// pkg/commands/operation/operation.go InitBuiltinChecks); --skip-version-check asks for no
// update notice and --disable-telemetry sends no usage data (pkg/flag/scan_flags.go).
// `trivy config` reads no vulnerability database, so it has no --skip-db-update.
// --misconfig-scanners kubernetes: the folder holds Kubernetes manifests only.
func (t Trivy) Config(dir string) (Result, error) {
	args := []string{"config", "--quiet", "--cache-dir", filepath.Join(t.Home, "cache"),
		"--skip-check-update", "--skip-version-check", "--disable-telemetry",
		"--misconfig-scanners", "kubernetes", "--format", "json", dir}
	cmd := exec.Command(t.Bin, args...)
	cmd.Env = env(t.Home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Result{}, fmt.Errorf("trivy %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var r cliReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return Result{}, fmt.Errorf("trivy %s: reading its JSON report: %w", strings.Join(args, " "), err)
	}
	var out Result
	for _, res := range r.Results {
		target := filepath.ToSlash(res.Target)
		s := res.MisconfSummary
		out.Files = append(out.Files, File{Target: target, Ran: s.Successes + s.Failures, Passed: s.Successes})
		for _, m := range res.Misconfigurations {
			if m.Status == "FAIL" {
				out.Findings = append(out.Findings, Finding{Target: target, ID: m.ID})
			}
		}
	}
	return out, nil
}

// env is the environment of a trivy run: this process's, without trivy's own settings
// (TRIVY_*, which would change flags), and with HOME and the XDG folders under home.
func env(home string) []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TRIVY_") || name == "HOME" || strings.HasPrefix(name, "XDG_") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_DATA_HOME="+filepath.Join(home, ".local", "share"))
}

// matches reports whether e accepts f on day today, as trivy's ignore file would (see
// [Exception]).
func (e Exception) matches(f Finding, today time.Time) bool {
	if e.ID != f.ID && (f.AVDID == "" || e.ID != f.AVDID) {
		return false
	}
	if e.ExpiredAt != "" {
		if at, err := time.Parse(time.DateOnly, e.ExpiredAt); err == nil && today.After(at) {
			return false
		}
	}
	if len(e.Paths) == 0 {
		return true
	}
	return slices.ContainsFunc(e.Paths, func(p string) bool {
		ok, _ := path.Match(p, f.Target)
		return ok
	})
}

// Check is the tier's gate over the failed checks of every scan: it fails on every finding no
// exception accepts, and on every exception that accepts none (a stale exception: the finding
// it accepted is gone, so the entry goes too).
func Check(all []Finding, exceptions []Exception, today time.Time) error {
	var errs []error
	var unaccepted []string
	used := make([]bool, len(exceptions))
	for _, f := range all {
		hit := false
		for i, e := range exceptions {
			if e.matches(f, today) {
				used[i], hit = true, true
			}
		}
		if !hit {
			unaccepted = append(unaccepted, "  "+f.String())
		}
	}
	if len(unaccepted) > 0 {
		slices.Sort(unaccepted)
		unaccepted = slices.Compact(unaccepted)
		errs = append(errs, fmt.Errorf("%d findings are not in the exceptions file: fix the object, or accept the finding with an entry (id, paths, statement) in the exceptions file:\n%s",
			len(unaccepted), strings.Join(unaccepted, "\n")))
	}
	for i, e := range exceptions {
		if !used[i] {
			errs = append(errs, fmt.Errorf("stale exception %s: no failed check matches it (any more), remove it", e))
		}
	}
	return errors.Join(errs...)
}

// DeploymentFloor is the fewest checks a scan must run on a Deployment's file. Trivy's
// Kubernetes checks run on every object and pass where they do not apply, so a file gets nearly
// every check: with trivy v0.74.0's embedded checks, 115 on every file of a stack's folder and 98
// on a Deployment scanned alone (measured 2026-12-08). A scan below the floor lost its checks
// (none loaded, a namespace filtered out, a file not read as Kubernetes).
const DeploymentFloor = 90

// CheckCoverage fails a scan that ran no check at all, or fewer than DeploymentFloor on a
// Deployment's file (named Deployment--<name>.yaml by the plan and the chart rendering).
func CheckCoverage(scan string, r Result) error {
	var errs []error
	ran, deployments := 0, 0
	for _, f := range r.Files {
		ran += f.Ran
		if strings.HasPrefix(path.Base(f.Target), "Deployment--") {
			deployments++
			if f.Ran < DeploymentFloor {
				errs = append(errs, fmt.Errorf("%s: %s: %d checks ran, fewer than %d: the scan checks (almost) nothing", scan, f.Target, f.Ran, DeploymentFloor))
			}
		}
	}
	if ran == 0 {
		errs = append(errs, fmt.Errorf("%s: no check ran on any of %d files: the scan checks nothing", scan, len(r.Files)))
	}
	if deployments == 0 {
		errs = append(errs, fmt.Errorf("%s: no Deployment's file was scanned (%d files): the scan misses the workloads", scan, len(r.Files)))
	}
	return errors.Join(errs...)
}
