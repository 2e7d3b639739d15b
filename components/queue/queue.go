// Package queue provides the Queue component: a workload's SQS work queue and its dead-letter queue.
package queue

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/internal/component"
	"github.com/eventscale/eventscale/components/internal/required"
	"github.com/eventscale/eventscale/infra"
)

// TypeToken is the Pulumi type of the Queue component.
const TypeToken = "eventscale:queue:Queue"

// Args configures a Queue: its settings (the `eventscale:queue` section, shared by every
// workload's queue) and what the stack gives it. All values are plain: nothing here comes from
// another resource.
type Args struct {
	// QueueSettings are the visibility timeout, retentions, receive count, long-poll wait and
	// protection of both queues.
	infra.QueueSettings
	// Name is the work queue's physical name; the DLQ is Name + "-dlq".
	Name string
	// Partition, Region and AccountID place the queues; with Name they give the work queue's ARN,
	// which the DLQ's redrive allow policy names before the work queue exists.
	Partition, Region, AccountID string
	// Tags go on both queues.
	Tags map[string]string
}

// kind is the Queue component's error prefix, type token and presence checks.
var kind = component.Kind[Args]{Name: "queue", Type: TypeToken, Check: (*Args).check}

// check adds a message for each value New needs that is missing (required fields, nil inputs), in a
// fixed order. Ranges and rules between fields are stacks.Validate's, which names the config key.
func (a *Args) check(c *required.Check) {
	c.Strings("Name", a.Name, "Partition", a.Partition, "Region", a.Region, "AccountID", a.AccountID)
}

// Queue is an SQS work queue with a dead-letter queue. Both are encrypted with SQS-managed keys
// (SSE-SQS) and accept TLS only; the work queue long-polls and redrives a message to the DLQ after
// MaxReceiveCount receives; the DLQ accepts redrives from this work queue only.
//
// Resources: sqs.Queue (work queue), sqs.Queue (DLQ) and sqs.QueuePolicy ×2 (DenyHTTP). The work
// queue's redrive policy names the DLQ's ARN (an output) and the DLQ's redrive allow policy names
// the work queue's ARN, which is computed from its name, so the two queues form no cycle.
type Queue struct {
	pulumi.ResourceState

	// URL, Arn and Name identify the work queue.
	URL  pulumi.StringOutput `pulumi:"url"`
	Arn  pulumi.StringOutput `pulumi:"arn"`
	Name pulumi.StringOutput `pulumi:"name"`
	// DlqURL, DlqArn and DlqName identify the dead-letter queue.
	DlqURL  pulumi.StringOutput `pulumi:"dlqUrl"`
	DlqArn  pulumi.StringOutput `pulumi:"dlqArn"`
	DlqName pulumi.StringOutput `pulumi:"dlqName"`
}

// New creates a Queue.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Queue, error) {
	comp, parent, err := component.New[Queue](ctx, kind, name, args, opts...)
	if err != nil {
		return nil, err
	}
	queueOpts := []pulumi.ResourceOption{parent}
	if args.Protect {
		queueOpts = append(queueOpts, pulumi.Protect(true))
	}
	tags := pulumi.ToStringMap(args.Tags)

	workArn := infra.QueueArn(args.Partition, args.Region, args.AccountID, args.Name)
	dlq, err := sqs.NewQueue(ctx, name+"-dlq", &sqs.QueueArgs{
		Name:                    pulumi.String(args.Name + infra.WorkQueueDLQSuffix),
		RedriveAllowPolicy:      pulumi.String(infra.DeadLetterAllowPolicy(workArn).JSON()),
		MessageRetentionSeconds: pulumi.Int(args.DlqRetentionSeconds),
		ReceiveWaitTimeSeconds:  pulumi.Int(args.ReceiveWaitTimeSeconds),
		SqsManagedSseEnabled:    pulumi.Bool(true),
		Tags:                    tags,
	}, queueOpts...)
	if err != nil {
		return nil, fmt.Errorf("creating dead-letter queue: %w", err)
	}
	work, err := sqs.NewQueue(ctx, name+"-main", &sqs.QueueArgs{
		Name:                     pulumi.String(args.Name),
		VisibilityTimeoutSeconds: pulumi.Int(args.VisibilityTimeoutSeconds),
		MessageRetentionSeconds:  pulumi.Int(args.MessageRetentionSeconds),
		ReceiveWaitTimeSeconds:   pulumi.Int(args.ReceiveWaitTimeSeconds),
		SqsManagedSseEnabled:     pulumi.Bool(true),
		RedrivePolicy: dlq.Arn.ApplyT(func(arn string) string {
			return infra.WorkQueueRedrivePolicy(arn, args.MaxReceiveCount).JSON()
		}).(pulumi.StringOutput),
		Tags: tags,
	}, queueOpts...)
	if err != nil {
		return nil, fmt.Errorf("creating work queue: %w", err)
	}
	for _, q := range []struct {
		suffix string
		queue  *sqs.Queue
	}{{"-main-policy", work}, {"-dlq-policy", dlq}} {
		if _, err := sqs.NewQueuePolicy(ctx, name+q.suffix, &sqs.QueuePolicyArgs{
			QueueUrl: q.queue.Url,
			Policy: q.queue.Arn.ApplyT(func(arn string) string {
				return infra.WorkQueuePolicy(arn).JSON()
			}).(pulumi.StringOutput),
		}, parent); err != nil {
			return nil, fmt.Errorf("creating queue policy %s: %w", name+q.suffix, err)
		}
	}

	comp.URL, comp.Arn, comp.Name = work.Url, work.Arn, work.Name
	comp.DlqURL, comp.DlqArn, comp.DlqName = dlq.Url, dlq.Arn, dlq.Name
	return component.Finish(ctx, comp)
}
