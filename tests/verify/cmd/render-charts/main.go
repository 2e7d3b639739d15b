// Command render-charts renders the Helm charts of one stack's offline plan with the charts the
// program pins (from the Go module cache) and exactly the plan's release names, namespaces and
// values, and writes every rendered object to <out>/<release>/<kind>--<name>.yaml. The plan
// (cmd/plan) must have been written first: it reads <plan>/charts/*.yaml. The Kubernetes version
// the charts see is the stack's cluster version (Pulumi.<stack>.yaml).
//
//	go run ./cmd/render-charts -stack dev -plan ../../out/dev -out /tmp/charts
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/stacks"
	"github.com/eventscale/eventscale/tests/verify"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "render-charts:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("render-charts", flag.ContinueOnError)
	stack := fs.String("stack", "dev", "stack name: reads Pulumi.<stack>.yaml at the repository root")
	plan := fs.String("plan", "", "the stack's plan folder (out/<stack>); default <repository>/out/<stack>")
	out := fs.String("out", "", "folder to write the rendered objects to (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return render(*stack, *plan, *out)
}

func render(stack, plan, out string) error {
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	if plan == "" {
		plan = filepath.Join(verify.RepoRoot(), "out", stack)
	}
	raw, err := stacks.ReadStackFile(filepath.Join(verify.RepoRoot(), "Pulumi."+stack+".yaml"))
	if err != nil {
		return err
	}
	cfg, err := stacks.Load(raw, offline.Project, stack)
	if err != nil {
		return fmt.Errorf("stack %s: %w", stack, err)
	}
	charts, err := verify.RenderPlanCharts(plan, cfg.Cluster.Version+".0")
	if err != nil {
		return err
	}
	for _, c := range charts {
		dir := filepath.Join(out, c.Name)
		if err := verify.WriteObjects(dir, c.Objects); err != nil {
			return fmt.Errorf("%s: %w", c.File, err)
		}
		fmt.Printf("%s: chart %s %s, release %s in %s: %d objects in %s\n", c.File, c.Chart, c.Version, c.Name, c.Namespace, len(c.Objects), dir)
	}
	return nil
}
