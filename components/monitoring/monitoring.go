// Package monitoring provides the Monitoring component: per workload two CloudWatch alarms on its
// queues, the SNS topic they notify, and the stack's queue dashboard.
package monitoring

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/internal/component"
	"github.com/eventscale/eventscale/components/internal/required"
	"github.com/eventscale/eventscale/infra"
)

// TypeToken is the Pulumi type of the Monitoring component.
const TypeToken = "eventscale:monitoring:Monitoring"

// Queue is one workload's queues as the queue component created them: the alarms' QueueName
// dimensions are these names, read from the queue component's outputs.
type Queue struct {
	// Workload names the alarms' and the dashboard row's workload.
	Workload string
	// Name and DlqName are the work queue's and the dead-letter queue's names.
	Name, DlqName pulumi.StringInput
}

// Args configures Monitoring: its settings (the `eventscale:monitoring` section) and what the
// stack gives it.
type Args struct {
	// MonitoringSettings are the age threshold and where notifications go (the stack's own
	// topic with e-mail subscriptions, or an existing topic).
	infra.MonitoringSettings
	// ClusterName names the topic and the dashboard.
	ClusterName string
	// Partition, Region and AccountID place the alarms, the topic and its key.
	Partition, Region, AccountID string
	// Queues are the workloads' queues, in the order the dashboard shows them.
	Queues []Queue
	// Tags go on the topic, its key and the alarms.
	Tags map[string]string
}

// kind is the Monitoring component's error prefix, type token and presence checks.
var kind = component.Kind[Args]{Name: "monitoring", Type: TypeToken, Check: (*Args).check}

// check adds a message for each value New needs that is missing, in a fixed order. The
// threshold's range, the addresses and the topic ARN are stacks.Validate's.
func (a *Args) check(c *required.Check) {
	c.Strings("ClusterName", a.ClusterName, "Partition", a.Partition, "Region", a.Region, "AccountID", a.AccountID)
	c.That(len(a.Queues) > 0, "Queues are required (at least one workload)")
	for i, q := range a.Queues {
		c.Strings(fmt.Sprintf("Queues[%d].Workload", i), q.Workload)
		c.Input(fmt.Sprintf("Queues[%d].Name", i), q.Name)
		c.Input(fmt.Sprintf("Queues[%d].DlqName", i), q.DlqName)
	}
}

// Monitoring is the stack's alarms, their topic and its dashboard.
//
// Resources: per workload two cloudwatch.MetricAlarm (the DLQ holds a message; the oldest message
// is older than OldestMessageAgeSeconds), each notifying the topic on ALARM and on OK; unless
// TopicArn names an existing topic, a kms.Key (customer managed: CloudWatch cannot use the AWS
// managed alias/aws/sns key, see infra.AlarmTopicKeyPolicy), an sns.Topic encrypted with it, an
// sns.TopicPolicy letting only this stack's alarms publish, and an sns.TopicSubscription per
// address in AlarmEmails; one cloudwatch.Dashboard.
type Monitoring struct {
	pulumi.ResourceState

	// AlarmNames are each workload's alarm names (DLQ alarm first).
	AlarmNames pulumi.StringArrayMapOutput `pulumi:"alarmNames"`
	// TopicArn is the topic the alarms notify.
	TopicArn pulumi.StringOutput `pulumi:"topicArn"`
	// DashboardURL is the dashboard in the CloudWatch console.
	DashboardURL pulumi.StringOutput `pulumi:"dashboardUrl"`
}

// New creates Monitoring.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Monitoring, error) {
	comp, parent, err := component.New[Monitoring](ctx, kind, name, args, opts...)
	if err != nil {
		return nil, err
	}
	tags := pulumi.ToStringMap(args.Tags)

	var topicArn pulumi.StringOutput
	var topic *sns.Topic
	if args.TopicArn != "" {
		topicArn = pulumi.String(args.TopicArn).ToStringOutput()
	} else {
		key, err := kms.NewKey(ctx, name+"-topic-key", &kms.KeyArgs{
			Description:       pulumi.Sprintf("Encrypts the SNS topic %s, which the CloudWatch alarms of %s notify", infra.AlarmTopicName(args.ClusterName), args.ClusterName),
			Policy:            pulumi.String(infra.AlarmTopicKeyPolicy(args.Partition, args.AccountID).JSON()),
			EnableKeyRotation: pulumi.Bool(true),
			Tags:              tags,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating the alarm topic's key: %w", err)
		}
		topic, err = sns.NewTopic(ctx, name+"-topic", &sns.TopicArgs{
			Name:           pulumi.String(infra.AlarmTopicName(args.ClusterName)),
			KmsMasterKeyId: key.Arn,
			Tags:           tags,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating the alarm topic: %w", err)
		}
		topicArn = topic.Arn
		for _, e := range args.AlarmEmails {
			if _, err := sns.NewTopicSubscription(ctx, name+"-email-"+infra.SubscriptionKey(e), &sns.TopicSubscriptionArgs{
				Topic:    topic.Arn,
				Protocol: pulumi.String("email"),
				Endpoint: pulumi.String(e),
			}, parent); err != nil {
				return nil, fmt.Errorf("subscribing %s to the alarm topic: %w", e, err)
			}
		}
	}

	actions := pulumi.Array{topicArn}
	names := pulumi.StringArrayMap{}
	var alarmArns []any
	rows := make([]any, 0, len(args.Queues))
	for _, q := range args.Queues {
		dlq, err := newAlarm(ctx, name+"-"+q.Workload+"-dlq", pulumi.All(q.Name, q.DlqName).ApplyT(func(xs []any) infra.Alarm {
			return infra.DLQAlarm(xs[0].(string), xs[1].(string))
		}).(pulumi.AnyOutput), actions, tags, parent)
		if err != nil {
			return nil, err
		}
		age, err := newAlarm(ctx, name+"-"+q.Workload+"-age", q.Name.ToStringOutput().ApplyT(func(n string) infra.Alarm {
			return infra.AgeAlarm(n, args.OldestMessageAgeSeconds)
		}).(pulumi.AnyOutput), actions, tags, parent)
		if err != nil {
			return nil, err
		}
		names[q.Workload] = pulumi.StringArray{dlq.Name, age.Name}
		alarmArns = append(alarmArns, dlq.Arn, age.Arn)
		workload := q.Workload
		rows = append(rows, pulumi.All(q.Name, q.DlqName, dlq.Arn, age.Arn).ApplyT(func(xs []any) infra.DashboardQueue {
			return infra.DashboardQueue{Workload: workload, WorkQueue: xs[0].(string), DLQ: xs[1].(string),
				DLQAlarmArn: xs[2].(string), AgeAlarmArn: xs[3].(string)}
		}))
	}

	if topic != nil {
		if _, err := sns.NewTopicPolicy(ctx, name+"-topic-policy", &sns.TopicPolicyArgs{
			Arn: topic.Arn,
			Policy: pulumi.All(append([]any{topic.Arn}, alarmArns...)...).ApplyT(func(xs []any) string {
				arns := make([]string, len(xs)-1)
				for i, x := range xs[1:] {
					arns[i] = x.(string)
				}
				return infra.AlarmTopicPolicy(xs[0].(string), args.AccountID, arns).JSON()
			}).(pulumi.StringOutput),
		}, parent); err != nil {
			return nil, fmt.Errorf("creating the alarm topic's policy: %w", err)
		}
	}

	dashboard, err := cloudwatch.NewDashboard(ctx, name+"-dashboard", &cloudwatch.DashboardArgs{
		DashboardName: pulumi.String(infra.DashboardName(args.ClusterName)),
		DashboardBody: pulumi.All(rows...).ApplyT(func(xs []any) string {
			qs := make([]infra.DashboardQueue, len(xs))
			for i, x := range xs {
				qs[i] = x.(infra.DashboardQueue)
			}
			return infra.QueueDashboard(args.Region, args.OldestMessageAgeSeconds, qs).JSON()
		}).(pulumi.StringOutput),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating the queue dashboard: %w", err)
	}

	comp.AlarmNames = names.ToStringArrayMapOutput()
	comp.TopicArn = topicArn
	comp.DashboardURL = dashboard.DashboardName.ApplyT(func(n string) string {
		return infra.DashboardURL(args.Region, n)
	}).(pulumi.StringOutput)
	return component.Finish(ctx, comp)
}

// newAlarm registers the metric alarm def describes (resolved from the queue names), notifying
// actions on ALARM and on OK.
func newAlarm(ctx *pulumi.Context, name string, def pulumi.AnyOutput, actions pulumi.Array, tags pulumi.StringMap, opts ...pulumi.ResourceOption) (*cloudwatch.MetricAlarm, error) {
	field := func(f func(infra.Alarm) string) pulumi.StringOutput {
		return def.ApplyT(func(v any) string { return f(v.(infra.Alarm)) }).(pulumi.StringOutput)
	}
	number := func(f func(infra.Alarm) int) pulumi.IntOutput {
		return def.ApplyT(func(v any) int { return f(v.(infra.Alarm)) }).(pulumi.IntOutput)
	}
	alarm, err := cloudwatch.NewMetricAlarm(ctx, name, &cloudwatch.MetricAlarmArgs{
		Name:               field(func(a infra.Alarm) string { return a.Name }),
		AlarmDescription:   field(func(a infra.Alarm) string { return a.Description }),
		Namespace:          field(func(a infra.Alarm) string { return a.Namespace }),
		MetricName:         field(func(a infra.Alarm) string { return a.MetricName }),
		Dimensions:         def.ApplyT(func(v any) map[string]string { return v.(infra.Alarm).Dimensions }).(pulumi.StringMapOutput),
		Statistic:          field(func(a infra.Alarm) string { return a.Statistic }),
		Period:             number(func(a infra.Alarm) int { return a.Period }),
		EvaluationPeriods:  number(func(a infra.Alarm) int { return a.EvaluationPeriods }),
		DatapointsToAlarm:  number(func(a infra.Alarm) int { return a.DatapointsToAlarm }),
		Threshold:          def.ApplyT(func(v any) float64 { return v.(infra.Alarm).Threshold }).(pulumi.Float64Output),
		ComparisonOperator: field(func(a infra.Alarm) string { return a.ComparisonOperator }),
		TreatMissingData:   field(func(a infra.Alarm) string { return a.TreatMissingData }),
		AlarmActions:       actions,
		OkActions:          actions,
		Tags:               tags,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating alarm %s: %w", name, err)
	}
	return alarm, nil
}
