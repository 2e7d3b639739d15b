package integration

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	// building the binary (only when missing).
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

// EtcdVersion returns the go.etcd.io/etcd/server/v3 version that
// tests/integration/etcd/go.mod builds, e.g. "v3.6.5": the version the etcd
// binary must report.
func EtcdVersion() (string, error) {
	return GoModRequire(filepath.Join(ModuleDir(), "etcd", "go.mod"), "go.etcd.io/etcd/server/v3")
}

// KubeAPIServerPath returns $KUBE_APISERVER_BIN, or the cached build
// <cache>/kube-apiserver-<KubernetesVersion>. The error wraps
// [ErrMissingBinary] and says how to build it.
func KubeAPIServerPath() (string, error) {
	return cachedBinaryPath("kube-apiserver", EnvKubeAPIServer, KubernetesVersion, "≈ 9 min cold")
}

// KubeControllerManagerPath returns $KUBE_CONTROLLER_MANAGER_BIN, or the
// cached build <cache>/kube-controller-manager-<KubernetesVersion>. The error
// wraps [ErrMissingBinary] and says how to build it.
func KubeControllerManagerPath() (string, error) {
	return cachedBinaryPath("kube-controller-manager", EnvKubeControllerManager, KubernetesVersion, "≈ 1 min cold after kube-apiserver in the same build cache")
}

// cachedBinaryPath returns $env, or <cache>/<name>-<version()> as
// scripts/build-kube-binary.sh and scripts/build-tool.sh name it; cold says
// how long `make <name>` takes.
func cachedBinaryPath(name, env string, version func() (string, error), cold string) (string, error) {
	if p := os.Getenv(env); p != "" {
		return executable(p, env)
	}
	v, err := version()
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

// EtcdPath returns $ETCD_BIN, or the cached build <cache>/etcd-<EtcdVersion>.
// The error wraps [ErrMissingBinary] and says how to build it.
func EtcdPath() (string, error) {
	return cachedBinaryPath("etcd", EnvEtcd, EtcdVersion, "≈ 100 s CPU cold")
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
	return cachedBinaryPath("kube-scheduler", EnvKubeScheduler, KubernetesVersion, "≈ 10 s cold after kube-controller-manager in the same build cache")
}
