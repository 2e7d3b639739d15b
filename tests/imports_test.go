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
// nested test modules, not in what `pulumi up` compiles; the AWS SDK's SQS, CloudWatch and SNS
// clients are for the tests against moto only.
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
		"github.com/aws/aws-sdk-go-v2/service/cloudwatch",
		"github.com/aws/aws-sdk-go-v2/service/sns",
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

// TestComponentsRegisterKubernetesObjectsOneWay: every Kubernetes object the components create
// goes through components/internal/kube; no component imports a typed API-group package of the
// Kubernetes SDK (core/v1, apiextensions, ...). The provider package and helm/v4 are the only
// parts of the SDK they use.
func TestComponentsRegisterKubernetesObjectsOneWay(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "../components/...").CombinedOutput()
	require.NoError(t, err, string(out))
	allowed := map[string]bool{
		"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes":         true,
		"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4": true,
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Greater(t, len(lines), 5, "go list returned too little to judge")
	for _, line := range lines {
		f := strings.Fields(line)
		for _, imp := range f[1:] {
			if strings.HasPrefix(imp, "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes") && !allowed[imp] {
				t.Errorf("%s imports %s: register Kubernetes objects through components/internal/kube", f[0], imp)
			}
		}
	}
}
