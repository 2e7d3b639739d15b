// Command releaserunner runs `pulumi up` of one stack with the program of an earlier release of
// eventscale: the engine tier's upgrade test builds it against that release's source (a
// `git archive` of the recorded commit in place of the repository's root module, through an
// alternate go.mod), so stacks.Run below is the release's program, not the checkout's. It
// runs the program inline through the Automation API, as the tier runs the checkout's, with the
// CLI under -pulumi-root and the environment it inherits (backend, PULUMI_HOME, the stand-ins);
// it prints the update's summary as JSON on stdout and the engine's progress on stderr, and
// exits 1 when the update fails. It uses nothing of the program but stacks.Run, the entry point
// every release has.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/eventscale/eventscale/stacks"
)

func main() {
	dir := flag.String("dir", "", "the project folder: Pulumi.yaml and Pulumi.<stack>.yaml")
	stack := flag.String("stack", "", "the stack")
	root := flag.String("pulumi-root", "", "the folder whose bin/pulumi is the CLI")
	timeout := flag.Duration("timeout", 10*time.Minute, "how long the update may take")
	flag.Parse()
	if *dir == "" || *stack == "" || *root == "" {
		fmt.Fprintln(os.Stderr, "releaserunner: -dir, -stack and -pulumi-root are required")
		os.Exit(2)
	}
	if err := run(*dir, *stack, *root, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "releaserunner:", err)
		os.Exit(1)
	}
}

func run(dir, stack, root string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	proj, err := workspace.LoadProject(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return fmt.Errorf("the project file: %w", err)
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root})
	if err != nil {
		return fmt.Errorf("the Pulumi CLI under %s: %w", root, err)
	}
	s, err := auto.UpsertStackInlineSource(ctx, stack, proj.Name.String(), stacks.Run,
		auto.WorkDir(dir), auto.Pulumi(cmd), auto.SecretsProvider("passphrase"))
	if err != nil {
		return err
	}
	res, err := s.Up(ctx, optup.ProgressStreams(os.Stderr), optup.ErrorProgressStreams(os.Stderr))
	if err != nil {
		return fmt.Errorf("up: %w", err)
	}
	return json.NewEncoder(os.Stdout).Encode(res.Summary)
}
