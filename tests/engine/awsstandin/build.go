package awsstandin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
)

// The names the stand-in binary answers to besides its own (ProviderCommand): pulumi-eks runs
// them from PATH.
const (
	ProviderCommand = "pulumi-resource-aws"
	AWSCommand      = "aws"
	KubectlCommand  = "kubectl"
)

// Binaries are what Build made: the stand-in provider plugin and the aws and kubectl commands,
// one binary under three names in one folder (Dir).
type Binaries struct {
	Dir, Provider, AWS, Kubectl string
}

// Build compiles the stand-in (cmd/pulumi-resource-aws) into dir, which must exist, and links
// the aws and kubectl commands to it. It builds from this package's source directory with the go
// command on PATH, so each run of the tier uses the stand-in as it is in the tree; a test binary
// builds it once and shares it (the link alone takes seconds).
func Build(dir string) (Binaries, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return Binaries{}, fmt.Errorf("aws stand-in: cannot locate the package source")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Binaries{}, err
	}
	b := Binaries{Dir: abs, Provider: filepath.Join(abs, ProviderCommand), AWS: filepath.Join(abs, AWSCommand), Kubectl: filepath.Join(abs, KubectlCommand)}
	cmd := exec.Command("go", "build", "-buildvcs=false", "-o", b.Provider, "./cmd/"+ProviderCommand)
	cmd.Dir = filepath.Dir(file)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if out, err := cmd.CombinedOutput(); err != nil {
		return Binaries{}, fmt.Errorf("aws stand-in: go build: %w\n%s", err, out)
	}
	for _, link := range []string{b.AWS, b.Kubectl} {
		if err := os.Symlink(ProviderCommand, link); err != nil {
			return Binaries{}, fmt.Errorf("aws stand-in: %w", err)
		}
	}
	return b, nil
}
