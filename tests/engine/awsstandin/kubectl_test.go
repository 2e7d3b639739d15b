package awsstandin

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/blang/semver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKubectlVersionPassesPulumiEKSCheck: the built kubectl answers pulumi-eks's version check
// with a client version it accepts (clientVersion.gitVersion, at least 1.24.0), labelled as the
// stand-in, and refuses anything else, naming it.
func TestKubectlVersionPassesPulumiEKSCheck(t *testing.T) {
	t.Parallel()
	kubectl := bins.Kubectl
	out, err := exec.Command(kubectl, "version", "--client=true", "--output=json").Output()
	require.NoError(t, err)
	var v struct {
		ClientVersion struct{ GitVersion, GitCommit string }
	}
	require.NoError(t, json.Unmarshal(out, &v))
	got, err := semver.ParseTolerant(v.ClientVersion.GitVersion)
	require.NoError(t, err)
	assert.True(t, got.GTE(semver.MustParse("1.24.0")), "%s", got)
	assert.Contains(t, v.ClientVersion.GitCommit, "stand-in")

	out, err = exec.Command(kubectl, "apply", "-f", "x.yaml").CombinedOutput()
	require.Error(t, err)
	assert.True(t, strings.Contains(string(out), `"apply -f x.yaml"`), "%s", out)
}
