package spec

import (
	"os"
	"strings"
	"testing"

	"github.com/eventscale/eventscale/internal/motoserver"
)

// The starter is internal/motoserver, the worker tests' too: a module of its own that requires
// nothing, so tests/twin/keda, which imports this package, need not list the root module in its
// go.mod. Listing the root module would bring its AWS SDK requirements (aws-sdk-go-v2 v1.48.0,
// service/sqs v1.53.0) into that module's graph and raise the SDK that KEDA's scaler is built
// with there above the versions its go.mod pins (v1.41.7, v1.42.27). (The spec/program
// subpackage runs the program and imports the root module; keda does not import it.)

// MotoBinary is the moto server executable looked up on PATH.
const MotoBinary = motoserver.Binary

// Moto is a moto_server listening on 127.0.0.1, started for one test.
type Moto = motoserver.Server

// Require skips the test with reason, or fails it when CI=true: under CI a missing
// prerequisite is a failure, never a skip.
func Require(tb testing.TB, format string, args ...any) {
	tb.Helper()
	motoserver.Require(tb, format, args...)
}

// StartMoto starts moto_server on a free port of 127.0.0.1, waits until it answers and
// kills its whole process group when the test ends (motoserver.Start). It also points the AWS
// SDK's default credential chain at static dummy credentials (t.Setenv), so nothing can reach
// a real account: KEDA's "aws" pod identity and Karpenter's EC2 client both resolve these.
func StartMoto(t *testing.T) *Moto {
	t.Helper()
	m := motoserver.Start(t)
	for k, v := range DummyAWSEnv() {
		t.Setenv(k, v)
	}
	for _, k := range clearedAWSEnv {
		t.Setenv(k, "") // restored when the test ends
		os.Unsetenv(k)
	}
	return m
}

// LaunchMoto is StartMoto for a command (no test): it starts moto_server the same way
// (motoserver.Launch) and points this process's AWS SDK default credential chain at the same
// static dummy credentials, with the same variables unset. The caller stops the server.
func LaunchMoto() (*Moto, error) {
	m, err := motoserver.Launch()
	if err != nil {
		return nil, err
	}
	for k, v := range DummyAWSEnv() {
		if err := os.Setenv(k, v); err != nil {
			m.Stop()
			return nil, err
		}
	}
	for _, k := range clearedAWSEnv {
		os.Unsetenv(k)
	}
	return m, nil
}

// DummyAWSEnv are the environment variables that give any AWS SDK static test credentials
// and no shared config or instance metadata.
func DummyAWSEnv() map[string]string {
	env := map[string]string{}
	for _, kv := range motoserver.DummyCredentialsEnv() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return env
}

// clearedAWSEnv are unset for the test, so no profile, token, role or endpoint of the
// machine's environment can take part.
var clearedAWSEnv = []string{
	"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
}
