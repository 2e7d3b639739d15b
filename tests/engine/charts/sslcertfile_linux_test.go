package charts

import (
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	helmregistry "helm.sh/helm/v3/pkg/registry"
)

// childEnv carries the mirror to the child process of TestSSLCertFileIsEnough.
const childEnv = "EVENTSCALE_CHART_MIRROR_CHILD"

// TestSSLCertFileIsEnough: Helm's default clients, as the Kubernetes provider builds them when a
// chart has no repositoryOpts.caFile (a registry client from registry.NewClient, the HTTP getter's
// own transport), trust the mirror when SSL_CERT_FILE names its CA: Go's crypto/x509 reads
// SSL_CERT_FILE (and SSL_CERT_DIR) on Linux when it first loads the system roots, so this runs in
// a child process whose environment has them from the start.
func TestSSLCertFileIsEnough(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		repos := strings.Split(os.Getenv(childEnv), " ")
		settings := helmSettings(t)
		client, err := helmregistry.NewClient(helmregistry.ClientOptCredentialsFile(settings.RegistryConfig), helmregistry.ClientOptWriter(io.Discard))
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range []Chart{KarpenterChart, KedaChart} {
			path, err := locate(t, settings, client, repos[i], c.Name, c.Version, "")
			if err != nil {
				t.Fatalf("%s from %s with SSL_CERT_FILE only: %v", c.Name, repos[i], err)
			}
			checkChart(t, path, c)
		}
		return
	}
	m := Serve(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSSLCertFileIsEnough$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		childEnv+"="+m.KarpenterRepository+" "+m.KedaRepository,
		"SSL_CERT_FILE="+m.CAFile,
		"SSL_CERT_DIR="+t.TempDir(), // no other roots
	)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // dies with this test binary
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
