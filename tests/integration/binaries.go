package integration

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/eventscale/eventscale/tests/verify"
)

// Environment variables that locate the servers and their cache.
const (
	// EnvCache overrides the cache folder (default $HOME/.cache/eventscale).
	// It is outside the git clone so CI runs on one machine share the
	// kube-apiserver build.
	EnvCache = "EVENTSCALE_CACHE"
	// EnvKubeAPIServer is the kube-apiserver binary to run. make
	// test-integration sets it after building the binary (only when missing).
	EnvKubeAPIServer = "KUBE_APISERVER_BIN"
	// EnvKubeControllerManager is the kube-controller-manager binary that
	// [KubeControllerManagerPath] returns. make test-integration sets it
	// after building the binary (only when missing).
	EnvKubeControllerManager = "KUBE_CONTROLLER_MANAGER_BIN"
	// EnvKubeScheduler is the kube-scheduler binary [KubeSchedulerPath]
	// returns (the demo tier's; make/demo.mk sets it).
	EnvKubeScheduler = "KUBE_SCHEDULER_BIN"
	// EnvEtcd is the etcd binary to run. make test-integration sets it after
	// extracting Debian's etcd-server package into the cache.
	EnvEtcd = "ETCD_BIN"
)

// ErrMissingBinary is wrapped by the errors of [KubeAPIServerPath],
// [KubeControllerManagerPath] and [EtcdPath] when a server binary is not
// installed.
var ErrMissingBinary = errors.New("server binary not installed")

// CacheDir returns $EVENTSCALE_CACHE, or $HOME/.cache/eventscale.
func CacheDir() string {
	if d := os.Getenv(EnvCache); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "eventscale-cache")
	}
	return filepath.Join(home, ".cache", "eventscale")
}

// KubernetesVersion returns the k8s.io/kubernetes version that
// tests/integration/apiserver/go.mod builds, e.g. "v1.35.4": the version the
// test server must report.
func KubernetesVersion() (string, error) {
	return GoModRequire(filepath.Join(ModuleDir(), "apiserver", "go.mod"), "k8s.io/kubernetes")
}

// GoModRequire returns the version that the go.mod file at path requires of
// module: what a wrapper module, such as tests/integration/apiserver, pins the
// binary it builds to. Replace lines are not requirements and are skipped.
func GoModRequire(path, module string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 3 && fields[0] == "require" {
			fields = fields[1:] // require <module> vX.Y.Z
		}
		// In a require block: <module> vX.Y.Z [// indirect]; not a replace line.
		if len(fields) >= 2 && fields[0] == module && strings.HasPrefix(fields[1], "v") {
			return fields[1], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s: no requirement of %s", path, module)
}

// KubeAPIServerPath returns $KUBE_APISERVER_BIN, or the cached build
// <cache>/kube-apiserver-<KubernetesVersion>. The error wraps
// [ErrMissingBinary] and says how to build it.
func KubeAPIServerPath() (string, error) {
	return kubeBinaryPath("kube-apiserver", EnvKubeAPIServer, "≈ 9 min cold")
}

// KubeControllerManagerPath returns $KUBE_CONTROLLER_MANAGER_BIN, or the
// cached build <cache>/kube-controller-manager-<KubernetesVersion>. The error
// wraps [ErrMissingBinary] and says how to build it.
func KubeControllerManagerPath() (string, error) {
	return kubeBinaryPath("kube-controller-manager", EnvKubeControllerManager, "≈ 1 min cold after kube-apiserver in the same build cache")
}

// kubeBinaryPath returns $env, or <cache>/<name>-<KubernetesVersion> as
// scripts/build-kube-binary.sh names it; cold says how long `make <name>`
// takes.
func kubeBinaryPath(name, env, cold string) (string, error) {
	if p := os.Getenv(env); p != "" {
		return executable(p, env)
	}
	v, err := KubernetesVersion()
	if err != nil {
		return "", err
	}
	p := filepath.Join(CacheDir(), name+"-"+v)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%w: %s %s is not in %s; run `make %s` (builds it from the Go module proxy, %s) or set %s: %v",
			ErrMissingBinary, name, v, CacheDir(), name, cold, env, err)
	}
	return executable(p, "cache")
}

// EtcdPath returns $ETCD_BIN, else the newest etcd extracted into the cache
// (<cache>/etcd-server-<version>/usr/bin/etcd, see scripts/etcd.sh), else
// etcd on PATH (e.g. from `apt-get install etcd-server`). The error wraps
// [ErrMissingBinary] and says how to install it.
func EtcdPath() (string, error) {
	if p := os.Getenv(EnvEtcd); p != "" {
		return executable(p, EnvEtcd)
	}
	cached, _ := filepath.Glob(filepath.Join(CacheDir(), "etcd-server-*", "usr", "bin", "etcd"))
	sort.Strings(cached)
	if len(cached) > 0 {
		return executable(cached[len(cached)-1], "cache")
	}
	if p, err := exec.LookPath("etcd"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w: etcd is neither in %s nor on PATH; run `make etcd` (extracts Debian's etcd-server package into the cache) or `apt-get install -y etcd-server`, or set %s",
		ErrMissingBinary, CacheDir(), EnvEtcd)
}

func executable(p, source string) (string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("%w: %s (from %s): %v", ErrMissingBinary, p, source, err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s (from %s) is not an executable file", p, source)
	}
	return p, nil
}

// ModuleDir returns the directory of this module (tests/integration) below the repository
// root that verify.RepoRoot finds.
func ModuleDir() string { return filepath.Join(verify.RepoRoot(), "tests", "integration") }

// RepoRoot returns the root of the eventscale repository.
func RepoRoot() string { return verify.RepoRoot() }

// KubeSchedulerPath returns $KUBE_SCHEDULER_BIN, or the cached build
// <cache>/kube-scheduler-<KubernetesVersion>. The error wraps
// [ErrMissingBinary] and says how to build it.
func KubeSchedulerPath() (string, error) {
	return kubeBinaryPath("kube-scheduler", EnvKubeScheduler, "≈ 10 s cold after kube-controller-manager in the same build cache")
}
