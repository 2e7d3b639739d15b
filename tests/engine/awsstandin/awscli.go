package awsstandin

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Version is what the stand-in aws command answers to --version, in the real AWS CLI v2's format
// (aws-cli/<version> Python/<version> <os>/<release> <installer>/<arch>) and saying what it is.
const Version = "aws-cli/2.31.0 Python/3.13.0 Linux/6.0 eventscale-stand-in/x86_64"

// RunAWS is the stand-in aws command: `aws eks get-token --cluster-name NAME [--output json]
// [--region R] [--role-arn ARN]` writes to stdout an ExecCredential
// (client.authentication.k8s.io/v1beta1) whose token is the value of EnvToken, a token the tier's
// API server accepts; it signs nothing and checks no AWS credential. Any other command, option
// or output format is refused with an error naming it.
//
// `aws --version` prints Version: pulumi-eks runs it before it creates a cluster, in previews too,
// and refuses an AWS CLI v2 older than 2.7.0 (node_modules/@pulumi/eks/dependencies.js,
// assertCompatibleAWSCLIExists, @pulumi/eks 2.8.1).
func RunAWS(args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 1 && args[0] == "--version" {
		_, err := fmt.Fprintln(stdout, Version)
		return err
	}
	if len(args) < 2 || args[0] != "eks" || args[1] != "get-token" {
		return fmt.Errorf("aws stand-in: refusing %q: only `aws eks get-token --cluster-name NAME --output json` is stood in for", strings.Join(args, " "))
	}
	var cluster string
	rest := args[2:]
	for len(rest) > 0 {
		flag, value, hasValue := strings.Cut(rest[0], "=")
		rest = rest[1:]
		if !hasValue {
			if len(rest) == 0 {
				return fmt.Errorf("aws stand-in: eks get-token: %s needs a value", flag)
			}
			value, rest = rest[0], rest[1:]
		}
		switch flag {
		case "--cluster-name":
			cluster = value
		case "--output":
			if value != "json" {
				return fmt.Errorf("aws stand-in: eks get-token: refusing --output %s: only json is stood in for", value)
			}
		case "--region", "--role-arn":
			// Accepted and ignored: the token is the same for every region and role.
		default:
			return fmt.Errorf("aws stand-in: eks get-token: refusing option %s", flag)
		}
	}
	if cluster == "" {
		return fmt.Errorf("aws stand-in: eks get-token: --cluster-name is required")
	}
	token := getenv(EnvToken)
	if token == "" {
		return fmt.Errorf("aws stand-in: eks get-token: %s is not set", EnvToken)
	}
	cred := map[string]any{
		"kind":       "ExecCredential",
		"apiVersion": "client.authentication.k8s.io/v1beta1",
		"spec":       map[string]any{},
		"status": map[string]any{
			// The real command's tokens are valid for 15 minutes.
			"expirationTimestamp": time.Now().UTC().Add(15 * time.Minute).Format(time.RFC3339),
			"token":               token,
		},
	}
	return json.NewEncoder(stdout).Encode(cred)
}
