// Command trivy-k8s is the scan tier's scanner: trivy's own Kubernetes IaC scanner
// (github.com/aquasecurity/trivy/pkg/iac/scanners/kubernetes) with the checks trivy embeds (the
// Rego checks and libraries of github.com/aquasecurity/trivy-checks at the version trivy's go.mod
// requires), driven by this one-file main instead of trivy's CLI. It scans one folder and prints
// its findings and per-file check counts as JSON on standard output.
//
// Why not the CLI: cmd/trivy is 3,082 packages, and building it cold cost 1,337 CPU-s (about 11
// minutes on the CI runner's 2 cores, 2.7 GB of modules) of a cold CI run that must stay within
// 60 minutes; the two packages this main imports are 739 packages and about 200 CPU-s cold
// (BENCHMARKS.md).
//
// The scanner is configured as `trivy config` configures it for Kubernetes manifests with its
// default flags and no checks bundle (offline: "Falling back to embedded checks"), read in
// github.com/aquasecurity/trivy@v0.74.0 on 2026-12-08:
//   - pkg/commands/artifact/run.go lines 712-784 (initMisconfScannerOption): namespaces are the
//     --check-namespaces flag (none by default) plus rego.BuiltinNamespaces(); embedded checks and
//     libraries are enabled when no bundle was loaded; IncludeDeprecatedChecks, RegoErrorLimit and
//     K8sVersion are their flags' defaults (false, rego.DefaultAllowedRegoErrors, "":
//     pkg/flag/rego_flags.go lines 14-87, pkg/flag/kubernetes_flags.go lines 18-22); no check or
//     data paths; the Rego scanner is built once and its checks loaded (misconf.InitRegoScanner).
//   - pkg/misconf/scanner.go lines 241-292 (initRegoOptions): the options below, in that order,
//     with the data filesystem of CreateDataFS (lines 469-494), which always holds
//     system/k8s-version.json with the --k8s-version value; lines 294-325 (scannerOptions): the
//     Rego scanner and WithScanRawConfig(false) (--raw-config-scanners is empty by default,
//     pkg/flag/misconf_flags.go lines 122-128); lines 120-123: the Kubernetes scanner
//     (k8sscanner.NewScanner).
//   - pkg/misconf/scanner.go lines 496-546 (ResultsToMisconf): what a finding reports: ID, AVDID,
//     Title (the rule's Summary), Message (the result's description), Severity, Resource, per
//     file; passed and failed results only (an ignored one is neither).
//
// Severities: `trivy config` reports every severity by default (--severity
// UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL), so nothing is filtered here. Exceptions are not applied
// here: the tier's gate applies its exceptions file (tests/scan).
//
// Usage: trivy-k8s DIR, or trivy-k8s -version (prints "Version: <trivy's version>").
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"testing/fstest"

	"github.com/aquasecurity/trivy/pkg/iac/rego"
	"github.com/aquasecurity/trivy/pkg/iac/scan"
	k8sscanner "github.com/aquasecurity/trivy/pkg/iac/scanners/kubernetes"
	"github.com/aquasecurity/trivy/pkg/iac/scanners/options"
)

// trivyModule is the module whose scanner and checks this main runs.
const trivyModule = "github.com/aquasecurity/trivy"

// Report is what trivy-k8s prints: JSON with the Go field names as keys, as trivy's own report.
type Report struct {
	// Trivy is the version of trivy's module the scanner and checks come from.
	Trivy string
	// Files holds every scanned file with a check result, sorted by name.
	Files []File
	// Findings holds every failed check, sorted by file and ID.
	Findings []Finding
}

// File is how many checks ran on one file and how many of them passed.
type File struct {
	// File is the file's path relative to the scanned folder.
	File string
	// Ran counts the checks with a result on the file (passed or failed), Passed those passed.
	Ran, Passed int
}

// Finding is one failed check, with the fields trivy's report gives it.
type Finding struct {
	// File and ID: the file and the check (KSV-0017); AVDID is the check's deprecated AVD ID
	// (empty in trivy v0.74.0's checks, as in trivy's report).
	File, ID string
	AVDID    string
	// Severity, Title: the check's; Message: what failed, Resource: the object it names.
	Severity, Title, Message, Resource string
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-version" {
		v, err := version()
		if err != nil {
			fmt.Fprintln(os.Stderr, "trivy-k8s:", err)
			os.Exit(1)
		}
		fmt.Println("Version: " + v)
		return
	}
	if len(os.Args) != 2 || strings.HasPrefix(os.Args[1], "-") {
		fmt.Fprintln(os.Stderr, "usage: trivy-k8s DIR | trivy-k8s -version")
		os.Exit(2)
	}
	r, err := run(context.Background(), os.Args[1])
	if err == nil {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "trivy-k8s:", err)
		os.Exit(1)
	}
}

// version is the version of trivy's module in this binary's build information, without its
// "v" (what trivy's app.Version() reports in a release build).
func version() (string, error) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", fmt.Errorf("no build information")
	}
	for _, d := range info.Deps {
		if d.Path == trivyModule {
			return strings.TrimPrefix(d.Version, "v"), nil
		}
	}
	return "", fmt.Errorf("%s is not in the build information", trivyModule)
}

func run(ctx context.Context, dir string) (Report, error) {
	v, err := version()
	if err != nil {
		return Report{}, err
	}
	// CreateDataFS with K8sVersion "": the data trivy gives the checks when --k8s-version is unset.
	data := fstest.MapFS{"system/k8s-version.json": {Data: []byte(`{"k8s": {"version": ""}}`), Mode: 0o600}}
	rs := rego.NewScanner(
		rego.WithEmbeddedPolicies(true),
		rego.WithEmbeddedLibraries(true),
		rego.WithIncludeDeprecatedChecks(false),
		rego.WithTrivyVersion(v),
		rego.WithMaxAllowedErrors(rego.DefaultAllowedRegoErrors),
		rego.WithDataDirs("."),
		rego.WithDataFilesystem(data),
		rego.WithCustomSchemas(map[string][]byte{}),
		rego.WithPolicyNamespaces(rego.BuiltinNamespaces()...),
	)
	if err := rs.LoadPolicies(nil); err != nil {
		return Report{}, fmt.Errorf("load checks: %w", err)
	}
	s := k8sscanner.NewScanner(rego.WithRegoScanner(rs), options.WithScanRawConfig(false))
	results, err := s.ScanFS(ctx, os.DirFS(dir), ".")
	if err != nil {
		return Report{}, fmt.Errorf("scan %s: %w", dir, err)
	}
	return report(v, results), nil
}

// report sorts the results by file: the counts and the failed checks.
func report(v string, results scan.Results) Report {
	r := Report{Trivy: v, Files: []File{}, Findings: []Finding{}}
	files := map[string]*File{}
	for _, res := range results {
		flat := res.Flatten()
		if flat.Status != scan.StatusPassed && flat.Status != scan.StatusFailed {
			continue
		}
		name := flat.Location.Filename
		f := files[name]
		if f == nil {
			f = &File{File: name}
			files[name] = f
		}
		f.Ran++
		if flat.Status == scan.StatusPassed {
			f.Passed++
			continue
		}
		rule := res.Rule()
		r.Findings = append(r.Findings, Finding{File: name, ID: rule.ID, AVDID: rule.AVDID,
			Severity: string(flat.Severity), Title: rule.Summary, Message: flat.Description, Resource: flat.Resource})
	}
	for _, f := range files {
		r.Files = append(r.Files, *f)
	}
	slices.SortFunc(r.Files, func(a, b File) int { return strings.Compare(a.File, b.File) })
	slices.SortFunc(r.Findings, func(a, b Finding) int {
		return cmp.Or(strings.Compare(a.File, b.File), strings.Compare(a.ID, b.ID), strings.Compare(a.Resource, b.Resource), strings.Compare(a.Message, b.Message))
	})
	return r
}
