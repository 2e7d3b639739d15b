// Command kubectl is the STAND-IN kubectl of the real-engine test tier: it answers the version
// check pulumi-eks makes and refuses everything else (see awsstandin.RunKubectl).
package main

import (
	"fmt"
	"os"

	"github.com/eventscale/eventscale/tests/engine/awsstandin"
)

func main() {
	if err := awsstandin.RunKubectl(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
