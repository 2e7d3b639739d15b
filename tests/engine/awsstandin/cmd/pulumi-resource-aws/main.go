// Command pulumi-resource-aws is the STAND-IN aws resource provider plugin of the real-engine
// test tier (see package awsstandin for what it cannot show). The engine starts it with its host
// address; it serves on 127.0.0.1 and prints the port it listens on, the plugin handshake.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/eventscale/eventscale/tests/engine/awsstandin"
)

func main() {
	p, err := awsstandin.New(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := provider.Main("aws", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) { return p, nil }); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
