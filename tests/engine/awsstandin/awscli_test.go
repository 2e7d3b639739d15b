package awsstandin

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/blang/semver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientauth "k8s.io/client-go/pkg/apis/clientauthentication/v1beta1"
)

// TestAWSGetTokenIsAnExecCredential: the built aws command answers the kubeconfig's get-token
// with an ExecCredential client-go decodes (strictly), carrying the token from the environment.
func TestAWSGetTokenIsAnExecCredential(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(bins.AWS, "eks", "get-token", "--cluster-name", "eventscale-dev", "--output", "json", "--region=us-west-2")
	cmd.Env = append(os.Environ(), EnvToken+"=static-token-1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	var cred clientauth.ExecCredential
	require.NoError(t, dec.Decode(&cred))
	assert.Equal(t, "ExecCredential", cred.Kind)
	assert.Equal(t, clientauth.SchemeGroupVersion.String(), cred.APIVersion)
	require.NotNil(t, cred.Status)
	assert.Equal(t, "static-token-1", cred.Status.Token)
	require.NotNil(t, cred.Status.ExpirationTimestamp)
}

// TestAWSRefusesEverythingElse: any other command, an unknown option, another output format or
// a missing token exits non-zero naming what it refuses.
func TestAWSRefusesEverythingElse(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"s3", "ls"}, EnvToken + "=t", `"s3 ls"`},
		{[]string{"eks", "describe-cluster", "--name", "x"}, EnvToken + "=t", `"eks describe-cluster --name x"`},
		{[]string{"eks", "get-token", "--cluster-name", "x", "--profile", "p"}, EnvToken + "=t", "--profile"},
		{[]string{"eks", "get-token", "--cluster-name", "x", "--output", "yaml"}, EnvToken + "=t", "--output yaml"},
		{[]string{"eks", "get-token", "--output", "json"}, EnvToken + "=t", "--cluster-name is required"},
		{[]string{"eks", "get-token", "--cluster-name", "x"}, EnvToken + "=", EnvToken},
	} {
		cmd := exec.Command(bins.AWS, c.args...)
		cmd.Env = append(os.Environ(), c.env)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "%v", c.args)
		assert.NotZero(t, exit.ExitCode(), "%v", c.args)
		assert.Contains(t, string(out), c.want, "%v", c.args)
	}
}

// TestAWSVersionPassesPulumiEKSCheck: `aws --version` answers in the AWS CLI v2 format, with a
// version pulumi-eks 2.8.1 accepts (it reads the first word's "aws-cli/<semver>", and wants at
// least 2.7.0), and says it is the stand-in.
func TestAWSVersionPassesPulumiEKSCheck(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(bins.AWS, "--version").Output()
	require.NoError(t, err)
	first := strings.Fields(string(out))[0]
	version, ok := strings.CutPrefix(first, "aws-cli/")
	require.True(t, ok, "%q", out)
	v, err := semver.Parse(version)
	require.NoError(t, err)
	assert.True(t, v.GTE(semver.MustParse("2.7.0")), "%s", v)
	assert.Contains(t, string(out), "stand-in")
}
