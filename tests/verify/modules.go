package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/eventscale/eventscale/infra"

	// Keeps github.com/kedacore/keda/v2 in go.mod/go.sum (the module's CRDs
	// are read from its directory). The package is two variables and has no
	// imports, so it costs nothing to build.
	_ "github.com/kedacore/keda/v2/version"
)

// Pinned upstream Go modules that provide CRDs and charts. The versions must
// match go.mod; TestModuleVersionsMatchGoMod checks that.
const (
	// KarpenterModule holds the Karpenter CRDs (pkg/apis/crds) and chart (charts/karpenter).
	KarpenterModule = "github.com/aws/karpenter-provider-aws"
	// KarpenterVersion is the pinned Karpenter release (chart 1.14.1, API karpenter.sh/v1).
	KarpenterVersion = "v1.14.1"
	// KEDAModule holds the KEDA CRDs (config/crd/bases).
	KEDAModule = "github.com/kedacore/keda/v2"
	// KEDAVersion is the pinned KEDA release (chart 2.20.2, API keda.sh/v1alpha1).
	KEDAVersion = "v2.20.2"

	// KarpenterCRDDir is the CRD directory inside KarpenterModule.
	KarpenterCRDDir = "pkg/apis/crds"
	// KarpenterChartPath is the chart directory inside KarpenterModule.
	KarpenterChartPath = "charts/karpenter"
	// KEDACRDDir is the CRD directory inside KEDAModule.
	KEDACRDDir = "config/crd/bases"

	// KEDAChartModule is the kedacore/charts repository as the Go module
	// proxy serves it (the repository has no go.mod, hence +incompatible).
	// It provides no Go package: go.mod requires it only so that its sum is
	// in go.sum, and `go mod tidy` drops that requirement
	// (TestModuleVersionsMatchGoMod then fails).
	KEDAChartModule = "github.com/kedacore/charts"
	// KEDAChartModuleVersion is the module version of the KEDA chart the
	// program pins: the charts repository tags release X.Y.Z as vX.Y.Z, so it
	// is derived from [infra.KedaVersion].
	KEDAChartModuleVersion = "v" + infra.KedaVersion + "+incompatible"
	// KEDAChartPath is the chart directory inside KEDAChartModule.
	KEDAChartPath = "keda"
)

var moduleDirs sync.Map // "path@version" -> string

// ModuleDir returns the directory of modulePath@version in the Go module
// cache, downloading it through the Go module proxy if it is not there yet.
// It asks the go command from this module's directory, so versions that are in
// go.sum are verified against it and need no network.
func ModuleDir(modulePath, version string) (string, error) {
	key := modulePath + "@" + version
	if d, ok := moduleDirs.Load(key); ok {
		return d.(string), nil
	}
	type modInfo struct {
		Path, Version, Dir, Error string
	}
	run := func(args ...string) (modInfo, error) {
		var info modInfo
		cmd := exec.Command(goCommand(), args...)
		cmd.Dir = moduleRoot()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil && len(out) == 0 {
			return info, fmt.Errorf("go %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		if jerr := json.Unmarshal(out, &info); jerr != nil {
			return info, fmt.Errorf("go %s: decoding output: %v", strings.Join(args, " "), jerr)
		}
		if info.Error != "" {
			return info, fmt.Errorf("go %s: %s", strings.Join(args, " "), info.Error)
		}
		return info, err
	}
	// Fast path: the module is in this module's build list at that version
	// and already extracted.
	if info, err := run("list", "-m", "-json", modulePath); err == nil && info.Version == version && info.Dir != "" {
		moduleDirs.Store(key, info.Dir)
		return info.Dir, nil
	}
	info, err := run("mod", "download", "-json", key)
	if err != nil {
		return "", err
	}
	if info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: no directory reported", key)
	}
	moduleDirs.Store(key, info.Dir)
	return info.Dir, nil
}

// KarpenterChartDir returns the Karpenter chart directory inside the pinned
// Karpenter module. Its crds/ (symlinks in git) is absent from the module zip;
// the CRDs are installed and validated separately.
func KarpenterChartDir() (string, error) {
	dir, err := ModuleDir(KarpenterModule, KarpenterVersion)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.FromSlash(KarpenterChartPath)), nil
}

// KEDAChartDir returns the KEDA chart directory (keda/) inside the
// github.com/kedacore/charts module at the version the program pins, from the
// Go module cache (downloaded through the Go module proxy if it is not there).
func KEDAChartDir() (string, error) {
	dir, err := ModuleDir(KEDAChartModule, KEDAChartModuleVersion)
	if err != nil {
		return "", fmt.Errorf("KEDA chart: %w", err)
	}
	dir = filepath.Join(dir, filepath.FromSlash(KEDAChartPath))
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
		return "", fmt.Errorf("KEDA chart: %s@%s has no %s/Chart.yaml: %w", KEDAChartModule, KEDAChartModuleVersion, KEDAChartPath, err)
	}
	return dir, nil
}

// RepoRoot returns the root of the eventscale repository (two levels above
// this module).
func RepoRoot() string {
	return filepath.Clean(filepath.Join(moduleRoot(), "..", ".."))
}

// moduleRoot is the directory of this module (tests/verify), taken from the
// location of this source file, falling back to the working directory.
func moduleRoot() string {
	if _, file, _, ok := runtime.Caller(0); ok {
		dir := filepath.Dir(file)
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
	}
	wd, _ := os.Getwd()
	return wd
}

func goCommand() string {
	// `go test` puts its own GOROOT/bin first in PATH.
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}
