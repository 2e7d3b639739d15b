// Command eventscale is the Pulumi program of the event-driven autoscaling platform:
// `pulumi up -s <stack>` deploys one environment. See README.md.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/stacks"
)

func main() {
	pulumi.Run(stacks.Run)
}
