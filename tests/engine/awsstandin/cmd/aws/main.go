// Command aws is the STAND-IN aws CLI of the real-engine test tier: it answers
// `aws eks get-token` with a token from the environment and refuses everything else (see
// awsstandin.RunAWS).
package main

import (
	"fmt"
	"os"

	"github.com/eventscale/eventscale/tests/engine/awsstandin"
)

func main() {
	if err := awsstandin.RunAWS(os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
