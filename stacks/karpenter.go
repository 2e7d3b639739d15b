package stacks

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// deployKarpenter creates the Karpenter component (issue #3). Placeholder until it lands.
func deployKarpenter(ctx *pulumi.Context, e *env) error { return nil }
