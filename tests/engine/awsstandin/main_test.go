package awsstandin

import (
	"fmt"
	"os"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/eventscale/eventscale/tests/engine/providertest"
)

// The binaries Build made for this run of the tests.
var bins Binaries

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "awsstandin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bins, err = Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startPlugin starts the built provider plugin with env added to the test's environment
// (providertest.Start) and returns a client connected to it.
func startPlugin(t *testing.T, env ...string) pulumirpc.ResourceProviderClient {
	t.Helper()
	return providertest.Start(t, bins.Provider, env...)
}
