// Package providertest starts a Pulumi provider plugin for one test, as the engine starts it:
// the tier's checks of the real Kubernetes and pulumi-eks providers (tools_test.go) and the
// stand-in aws provider's own tests use it.
package providertest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/eventscale/eventscale/tests/integration"
)

// Start starts the provider plugin bin without an engine address: it listens on a port of
// 127.0.0.1 and prints the port on stdout. Start returns a client over that port. The plugin
// runs in a fresh folder with a fresh PULUMI_HOME, this process's environment plus env, and
// as an [integration.Process] (it dies with the test binary). At the end of the test it is sent
// SIGTERM and must exit from it within a minute (it is killed, and the test fails, otherwise);
// its stderr is logged when the test has failed.
func Start(t testing.TB, bin string, env ...string) pulumirpc.ResourceProviderClient {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Dir = t.TempDir()
	cmd.Env = append(append(os.Environ(), "PULUMI_HOME="+t.TempDir()), env...)
	logPath := filepath.Join(t.TempDir(), "stderr.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close() // the child has its own copy
	cmd.Stderr = logFile
	t.Cleanup(func() { // the last cleanup: after the plugin has stopped
		if t.Failed() {
			if log, err := os.ReadFile(logPath); err == nil {
				t.Logf("%s stderr:\n%s", bin, log)
			}
		}
	})
	p, port, err := integration.StartLine(t.Context(), filepath.Base(bin), cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		killed, err := p.Stop(time.Minute)
		switch {
		case err != nil:
			t.Error(err)
		case killed:
			t.Errorf("%s was still running a minute after SIGTERM", bin)
		case !endedBy(p.Err(), syscall.SIGTERM):
			t.Errorf("%s ended with %v after SIGTERM", bin, p.Err())
		}
	})
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		t.Fatalf("%s printed %q on stdout, want its gRPC port", bin, port)
	}
	// Kubernetes' schema (5 MB) exceeds gRPC's default 4 MB: allow what the engine allows
	// (400 MB, maxRPCMessageSize in sdk/v3 go/common/util/rpcutil/serve.go).
	conn, err := grpc.NewClient("127.0.0.1:"+port,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(400<<20)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return pulumirpc.NewResourceProviderClient(conn)
}

// endedBy reports whether a process's exit, err from exec.Cmd.Wait, was a clean one (exit
// status 0) or sig.
func endedBy(err error, sig syscall.Signal) bool {
	var exit *exec.ExitError
	if err == nil {
		return true
	}
	if !errors.As(err, &exit) {
		return false
	}
	ws, ok := exit.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}
