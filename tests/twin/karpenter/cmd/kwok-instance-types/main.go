// Command kwok-instance-types writes the instance-type file of Karpenter v1.14.1's kwok provider
// (its --instance-types-file-path) for one stack: the instance types the stack's NodePool allows,
// as the scaling twin resolves them (karpenter-provider-aws v1.14.1's instance type provider over
// moto_server's EC2 data), in kwok's InstanceTypeOptions form (karpenter.KWOKInstanceTypes).
//
//	go run ./cmd/kwok-instance-types -stack dev -out FILE [-root REPO]
//
// It starts its own moto_server on 127.0.0.1 and stops it before exiting. On success it prints
// one summary line on stdout; on any error it prints the error on stderr and exits 1.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/karpenter/pkg/operator/logging"

	"github.com/eventscale/eventscale/tests/twin/karpenter"
	"github.com/eventscale/eventscale/tests/twin/spec"
)

func main() {
	stack := flag.String("stack", "", "stack whose NodePool's instance types to write: "+strings.Join(spec.Stacks, " or "))
	out := flag.String("out", "", "file to write the JSON array to")
	root := flag.String("root", "", "repository root (holds Pulumi.<stack>.yaml); default: found from the working directory or $EVENTSCALE_ROOT")
	flag.Parse()
	if err := run(*stack, *out, *root); err != nil {
		fmt.Fprintln(os.Stderr, "kwok-instance-types:", err)
		os.Exit(1)
	}
}

func run(stack, out, root string) (err error) {
	if stack == "" || out == "" {
		return errors.New("-stack and -out are required")
	}
	if !slices.Contains(spec.Stacks, stack) {
		return fmt.Errorf("-stack %q is not one of %s", stack, strings.Join(spec.Stacks, ", "))
	}
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if root == "" {
		if root, err = spec.RepoRoot(); err != nil {
			return err
		}
	}
	log.SetLogger(logging.NopLogger)
	m, err := spec.LaunchMoto()
	if err != nil {
		return err
	}
	defer func() {
		m.Stop()
		if err != nil {
			err = fmt.Errorf("%w\nlast moto_server output:\n%s", err, m.Output())
		}
	}()
	s, err := karpenter.NewStack(context.Background(), root, stack, m.URL)
	if err != nil {
		return err
	}
	its, err := karpenter.KWOKInstanceTypes(s.Cluster)
	if err != nil {
		return fmt.Errorf("stack %s: %w", stack, err)
	}
	b, err := json.MarshalIndent(its, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Printf("kwok-instance-types: %s: %d instance types (%s .. %s) -> %s\n", stack, len(its), its[0].Name, its[len(its)-1].Name, out)
	return nil
}
