package stacks

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// deployPipeline creates the work queues, KEDA and the workloads (issue #4). Placeholder until it lands.
func deployPipeline(ctx *pulumi.Context, e *env) error { return nil }
