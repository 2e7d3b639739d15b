package tests

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProgramImportGraphStaysLean guards the build time of the program (BENCHMARKS.md): the
// helm/v3 package of the Kubernetes SDK pulls every Kubernetes API group (cold build ~5x slower),
// and the verification dependencies (Helm, apiextensions-apiserver, KEDA, Karpenter) belong in the
// nested test modules, not in what `pulumi up` compiles.
func TestProgramImportGraphStaysLean(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "..").CombinedOutput()
	require.NoError(t, err, string(out))
	deps := strings.Fields(string(out))
	require.Greater(t, len(deps), 100, "go list returned too little to judge")
	forbidden := []string{
		"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3",
		"helm.sh/helm/",
		"k8s.io/apiextensions-apiserver",
		"k8s.io/client-go",
		"github.com/kedacore/",
		"github.com/aws/karpenter-provider-aws",
		"sigs.k8s.io/karpenter",
		"github.com/aws/aws-sdk-go-v2/service/sqs",
	}
	k8sGroups := 0
	for _, d := range deps {
		for _, f := range forbidden {
			assert.False(t, strings.HasPrefix(d, f), "the program imports %s", d)
		}
		if strings.HasPrefix(d, "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/") && strings.Count(d, "/") == 8 {
			k8sGroups++
		}
	}
	assert.LessOrEqual(t, k8sGroups, 8, "Kubernetes SDK API-group packages in the program's graph")
	t.Logf("program imports %d packages, %d Kubernetes SDK API-group packages", len(deps), k8sGroups)
}
