// Command pulumi-resource-aws is the STAND-IN aws resource provider plugin of the real-engine
// test tier (see package awsstandin for what it cannot show), and, run under the names aws or
// kubectl (the links awsstandin.Build makes to it), the stand-in aws and kubectl commands
// pulumi-eks calls. One binary under three names: the tier links the Pulumi SDK once, not three
// times.
//
// As the provider, the engine starts it with its host address; it serves on 127.0.0.1 and prints
// the port it listens on, the plugin handshake.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/eventscale/eventscale/tests/engine/awsstandin"
)

func main() {
	switch filepath.Base(os.Args[0]) {
	case awsstandin.AWSCommand:
		exitOn(awsstandin.RunAWS(os.Args[1:], os.Getenv, os.Stdout), 2)
	case awsstandin.KubectlCommand:
		exitOn(awsstandin.RunKubectl(os.Args[1:], os.Stdout), 2)
	default:
		p, err := awsstandin.New(os.Getenv)
		exitOn(err, 1)
		exitOn(provider.Main("aws", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) { return p, nil }), 1)
	}
}

// exitOn prints err and exits with code if err is not nil.
func exitOn(err error, code int) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(code)
	}
}
