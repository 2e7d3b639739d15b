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
// 2026-12-07). Trivy compares id with a check's ID, its deprecated AVDID and its aliases, and
// each of paths (doublestar patterns) with the scanned file's path relative to the scanned
// folder; no paths means every file; an entry past expired_at is dropped.
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
	Scan string
	// Target is the file, relative to the scanned folder.
	Target string
	Misconfiguration
}

func (f Finding) String() string {
	return fmt.Sprintf("%s: %s: %s %s %q: %s (%s)", f.Scan, f.Target, f.ID, f.Severity, f.Title, f.Message, f.PrimaryURL)
}

// Misconfiguration is what the tier reads of a check's result in trivy's JSON report
// (DetectedMisconfiguration in pkg/types/misconfiguration.go of github.com/aquasecurity/trivy@v0.74.0).
type Misconfiguration struct {
	ID         string
	AVDID      string
	Title      string
	Message    string
	Severity   string
	PrimaryURL string
	Status     string
}

// report is what the tier reads of trivy's JSON report (pkg/types/report.go).
type report struct {
	Results []struct {
		Target            string
		Misconfigurations []Misconfiguration
	}
}

// Trivy runs one trivy binary offline.
type Trivy struct {
	// Bin is the trivy binary.
	Bin string
	// Home is a folder of its own for the run: trivy's cache folder and HOME, so that nothing
	// is read from or written to the user's.
	Home string
}

// exitFindings is the exit code trivy is asked to end with when a check fails (--exit-code), so
// that it differs from its exit code 1 on an error.
const exitFindings = 3

// Config runs `trivy config` with trivy's Kubernetes checks over dir and returns the failed
// checks, with the exceptions of ignoreFile applied by trivy ("" for none), each named scan.
//
// Offline, from the flags of github.com/aquasecurity/trivy@v0.74.0 (pkg/flag, read 2026-12-07):
// --skip-check-update loads no checks bundle from the registry (the checks then come from the
// cache folder, empty here, so trivy logs "Falling back to embedded checks" and uses the ones
// compiled into the binary: pkg/commands/artifact/run.go initMisconfScannerOption,
// pkg/commands/operation/operation.go InitBuiltinChecks; they are the Rego checks of
// github.com/aquasecurity/trivy-checks at the version trivy's go.mod requires, embedded by
// pkg/iac/rego/embed.go); --skip-version-check asks for no update notice and
// --disable-telemetry sends no usage data (pkg/flag/scan_flags.go). `trivy config` reads no
// vulnerability database, so it has no --skip-db-update (NewConfigCommand in
// pkg/commands/app.go binds no DB flag group). --misconfig-scanners kubernetes: the folder holds
// Kubernetes manifests only (charts are rendered beforehand).
func (t Trivy) Config(scan, dir, ignoreFile string) ([]Finding, error) {
	cache := filepath.Join(t.Home, "cache")
	args := []string{"config", "--quiet", "--cache-dir", cache,
		"--skip-check-update", "--skip-version-check", "--disable-telemetry",
		"--misconfig-scanners", "kubernetes", "--format", "json", "--exit-code", fmt.Sprint(exitFindings)}
	if ignoreFile != "" {
		args = append(args, "--ignorefile", ignoreFile)
	}
	args = append(args, dir)
	cmd := exec.Command(t.Bin, args...)
	cmd.Env = env(t.Home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	failed := errors.As(err, &exit) && exit.ExitCode() == exitFindings
	if err != nil && !failed {
		return nil, fmt.Errorf("trivy %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var r report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("trivy %s: reading its JSON report: %w", strings.Join(args, " "), err)
	}
	var out []Finding
	for _, res := range r.Results {
		for _, m := range res.Misconfigurations {
			if m.Status == "FAIL" {
				out = append(out, Finding{Scan: scan, Target: filepath.ToSlash(res.Target), Misconfiguration: m})
			}
		}
	}
	// Trivy's exit code and its report agree, or this reading of the report misses findings.
	if failed != (len(out) > 0) {
		return nil, fmt.Errorf("trivy %s exited with %v but its report holds %d failed checks: the report format is not what this tier reads", strings.Join(args, " "), err, len(out))
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

// matches reports whether e accepts f on day today, as trivy decides (see [Exception]).
func (e Exception) matches(f Finding, today time.Time) bool {
	if e.ID != f.ID && e.ID != f.AVDID {
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

// Check is the tier's gate over every scan. unaccepted are the failed checks with the
// exceptions file applied by trivy, all the same scans without it. It fails on every unaccepted
// finding, on every exception that accepts none of all (a stale exception: the finding it
// accepted is gone, so the entry goes too), and when trivy's matching and this one's disagree.
func Check(unaccepted, all []Finding, exceptions []Exception, today time.Time) error {
	var errs []error
	if len(unaccepted) > 0 {
		lines := make([]string, len(unaccepted))
		for i, f := range unaccepted {
			lines[i] = "  " + f.String()
		}
		slices.Sort(lines)
		errs = append(errs, fmt.Errorf("%d findings are not in the exceptions file: fix the object, or accept the finding with an entry (id, paths, statement) in the exceptions file:\n%s",
			len(unaccepted), strings.Join(lines, "\n")))
	}
	used := make([]bool, len(exceptions))
	accepted := 0
	for _, f := range all {
		hit := false
		for i, e := range exceptions {
			if e.matches(f, today) {
				used[i], hit = true, true
			}
		}
		if hit {
			accepted++
		}
	}
	for i, e := range exceptions {
		if !used[i] {
			errs = append(errs, fmt.Errorf("stale exception %s: no failed check matches it (any more), remove it", e))
		}
	}
	if accepted+len(unaccepted) != len(all) {
		errs = append(errs, fmt.Errorf("of %d failed checks, the exceptions accept %d by this tier's reading and trivy left %d unaccepted: the two readings of the exceptions file disagree",
			len(all), accepted, len(unaccepted)))
	}
	return errors.Join(errs...)
}
