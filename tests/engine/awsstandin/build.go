package awsstandin

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
)

// Build compiles the stand-in provider (pulumi-resource-aws) and the aws and kubectl commands into
// dir, which must exist, and returns the first two's paths (kubectl is dir/kubectl). It builds from this package's source directory with the
// go command on PATH, so each run of the tier uses the stand-in as it is in the tree.
func Build(dir string) (providerPath, awsPath string, err error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", "", fmt.Errorf("aws stand-in: cannot locate the package source")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", "", err
	}
	cmd := exec.Command("go", "build", "-buildvcs=false", "-o", abs+string(filepath.Separator), "./cmd/pulumi-resource-aws", "./cmd/aws", "./cmd/kubectl")
	cmd.Dir = filepath.Dir(file)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("aws stand-in: go build: %w\n%s", err, out)
	}
	return filepath.Join(abs, "pulumi-resource-aws"), filepath.Join(abs, "aws"), nil
}
