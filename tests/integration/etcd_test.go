package integration

import (
	"errors"
	"strings"
	"testing"
)

// TestEtcdIsThePinnedVersion runs the etcd that every tier with an API server
// starts and requires the release tests/integration/etcd/go.mod pins: etcd
// prints "etcd Version: 3.6.5" for v3.6.5, the constant Version of
// go.etcd.io/etcd/api/v3/version at that tag. An ETCD_BIN of another release
// fails here rather than as a difference in watch behaviour later.
func TestEtcdIsThePinnedVersion(t *testing.T) {
	bin, err := EtcdPath()
	RequirePrerequisite(t, err)
	want, err := EtcdVersion()
	if err != nil {
		t.Fatal(err)
	}
	out := RunTool(t, bin, nil, "--version")
	line := "etcd Version: " + strings.TrimPrefix(want, "v")
	if !strings.Contains("\n"+out+"\n", "\n"+line+"\n") {
		t.Errorf("%s --version = %q, want the line %q (tests/integration/etcd/go.mod)", bin, out, line)
	}
}

// TestMissingEtcdSaysHowToBuildIt: with an empty cache and no ETCD_BIN, the
// error names the version, the cache and the make target that builds it.
func TestMissingEtcdSaysHowToBuildIt(t *testing.T) {
	cache := t.TempDir()
	t.Setenv(EnvCache, cache)
	t.Setenv(EnvEtcd, "")
	want, err := EtcdVersion()
	if err != nil {
		t.Fatal(err)
	}
	_, err = EtcdPath()
	if !errors.Is(err, ErrMissingBinary) {
		t.Fatalf("EtcdPath() error = %v, want one wrapping ErrMissingBinary", err)
	}
	for _, s := range []string{"etcd " + want, cache, "`make etcd`", EnvEtcd} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("EtcdPath() error %q does not mention %q", err, s)
		}
	}
}
