package awsstandin

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// KubectlVersion is the client version the stand-in kubectl reports: the minor of the tier's
// kube-apiserver (tests/integration), within kubectl's supported skew.
const KubectlVersion = "v1.35.4"

// RunKubectl is the STAND-IN kubectl command. pulumi-eks 2.8.1 runs `kubectl version
// --client=true --output=json` before it creates a cluster, in previews too, and refuses a
// kubectl older than 1.24.0 (node_modules/@pulumi/eks/dependencies.js,
// assertCompatibleKubectlVersionExists); with the program's settings it runs kubectl for nothing
// else (the CoreDNS patch and the CNI manifest are for other settings). So RunKubectl answers
// that command, its gitCommit saying it is the stand-in, and refuses every other one, naming it.
func RunKubectl(args []string, stdout io.Writer) error {
	if strings.Join(args, " ") != "version --client=true --output=json" {
		return fmt.Errorf("kubectl stand-in: refusing %q: only `kubectl version --client=true --output=json` is stood in for", strings.Join(args, " "))
	}
	minor := strings.Split(KubectlVersion, ".")[1]
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{
		"clientVersion": map[string]any{
			"major": "1", "minor": minor, "gitVersion": KubectlVersion,
			"gitCommit": "eventscale-stand-in", "gitTreeState": "clean",
			"platform": "linux/amd64",
		},
	})
}
