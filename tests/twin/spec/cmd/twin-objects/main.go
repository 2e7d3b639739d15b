// Command twin-objects runs the real Pulumi program (internal/offline, mocked resource monitor)
// for each stack and prints, as JSON keyed by stack, the objects the scaling twin reads
// (spec.Objects). It exits non-zero, naming what is missing, when a stack does not emit them.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/eventscale/eventscale/tests/twin/spec"
	"github.com/eventscale/eventscale/tests/twin/spec/program"
)

func main() {
	root := flag.String("root", "", "repository root (holds Pulumi.<stack>.yaml); default: found from the working directory")
	stacks := flag.String("stacks", strings.Join(spec.Stacks, ","), "comma-separated stacks")
	flag.Parse()
	if *root == "" {
		r, err := spec.RepoRoot()
		if err != nil {
			fail(err)
		}
		*root = r
	}
	out := map[string]*spec.Objects{}
	for _, s := range strings.Split(*stacks, ",") {
		o, err := program.FromProgram(*root, s)
		if err != nil {
			fail(err)
		}
		out[s] = o
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "twin-objects:", err)
	os.Exit(1)
}
