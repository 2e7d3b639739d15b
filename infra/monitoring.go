package infra

import (
	"encoding/json"
	"fmt"
	"strings"
)

// MonitoringSettings is the `eventscale:monitoring` section: the CloudWatch alarms on every
// workload's queues, the SNS topic they notify and the stack's queue dashboard. It is the config
// section (stacks.Config.Monitoring) and the settings of the monitoring component
// (monitoring.Args).
type MonitoringSettings struct {
	// Enabled creates the alarms, the topic and the dashboard; false creates none of them.
	Enabled bool `json:"enabled"`
	// OldestMessageAgeSeconds is the age of a work queue's oldest message above which its
	// oldest-message alarm fires (60 to 1209600, below queue.messageRetentionSeconds).
	OldestMessageAgeSeconds int `json:"oldestMessageAgeSeconds"`
	// AlarmEmails are e-mail addresses subscribed to the topic the stack creates.
	AlarmEmails []string `json:"alarmEmails"`
	// TopicArn is an existing SNS topic (same region) the alarms notify instead of a topic of
	// the stack's own; empty = the stack creates one.
	TopicArn string `json:"topicArn"`
}

// SQS publishes its queue metrics to CloudWatch once a minute, under this namespace and with
// the queue's name as the one dimension (Amazon SQS Developer Guide, "Available CloudWatch
// metrics for Amazon SQS").
const (
	SQSMetricNamespace = "AWS/SQS"
	SQSQueueDimension  = "QueueName"
	// SQSMetricPeriodSeconds is the period of every alarm and dashboard graph: SQS's interval.
	SQSMetricPeriodSeconds = 60
)

// The SQS metrics the alarms and the dashboard read.
const (
	MetricMessagesVisible    = "ApproximateNumberOfMessagesVisible"
	MetricMessagesNotVisible = "ApproximateNumberOfMessagesNotVisible"
	MetricOldestMessageAge   = "ApproximateAgeOfOldestMessage"
	MetricMessagesSent       = "NumberOfMessagesSent"
	MetricMessagesDeleted    = "NumberOfMessagesDeleted"
)

// Alarm name suffixes, appended to the work queue's name (which carries the cluster and the
// workload names, see WorkQueueName).
const (
	DLQAlarmSuffix    = "-dlq-not-empty"
	AgeAlarmSuffix    = "-oldest-message-age"
	AlarmTopicSuffix  = "-alarms"
	DashboardSuffix   = "-queues"
	dlqAlarmThreshold = 1
	// ageAlarmWindow is the age alarm's evaluation window in periods, and ageAlarmDatapoints how
	// many of them must breach: 3 of 5 minutes, so one late or missing datapoint neither fires
	// nor hides it.
	ageAlarmWindow, ageAlarmDatapoints = 5, 3
)

// Alarm is one CloudWatch metric alarm on an SQS metric, in the terms of PutMetricAlarm (and of
// pulumi-aws's cloudwatch.MetricAlarm, whose inputs carry the same values). The actions are
// not part of it: the monitoring component adds the topic it notifies.
type Alarm struct {
	Name               string
	Description        string
	Namespace          string
	MetricName         string
	Dimensions         map[string]string
	Statistic          string
	Period             int
	EvaluationPeriods  int
	DatapointsToAlarm  int
	Threshold          float64
	ComparisonOperator string
	TreatMissingData   string
}

// DLQAlarm fires as soon as the dead-letter queue dlqName of the work queue workQueueName holds
// a visible message: one minute, one datapoint, Maximum >= 1.
//
// Missing data is ignored (the alarm keeps its state): SQS stops publishing a queue's metrics
// once the queue has been inactive for six hours, and nothing reads a DLQ in normal operation,
// so "no data" does not mean "empty" — treating it as not breaching would clear an alarm (and
// send an OK notification) while the failed messages are still there. It clears when a
// datapoint shows the DLQ empty (after a redrive or purge, which make the queue active).
func DLQAlarm(workQueueName, dlqName string) Alarm {
	a := sqsAlarm(workQueueName+DLQAlarmSuffix, MetricMessagesVisible, dlqName)
	a.Description = fmt.Sprintf("Dead-letter queue %s holds messages that failed queue.maxReceiveCount receives from %s: "+
		"inspect them and redrive (README, \"When an alarm fires\").", dlqName, workQueueName)
	a.EvaluationPeriods, a.DatapointsToAlarm = 1, 1
	a.Threshold, a.ComparisonOperator = dlqAlarmThreshold, "GreaterThanOrEqualToThreshold"
	a.TreatMissingData = "ignore"
	return a
}

// AgeAlarm fires when the oldest message of the work queue workQueueName has been waiting more
// than maxAgeSeconds in 3 of the last 5 minutes (Maximum per minute).
//
// Missing data is not breaching: SQS reports ApproximateAgeOfOldestMessage only while the queue
// holds a message, and KEDA reads the queue's attributes every pollingIntervalSeconds, which
// keeps it active, so a minute without a datapoint is a minute without a waiting message.
func AgeAlarm(workQueueName string, maxAgeSeconds int) Alarm {
	a := sqsAlarm(workQueueName+AgeAlarmSuffix, MetricOldestMessageAge, workQueueName)
	a.Description = fmt.Sprintf("The oldest message of %s has waited over %d s: workers are not keeping up. "+
		"Check KEDA's ScaledObject and HPA, the NodePool's limits and the worker logs (README, \"When an alarm fires\").", workQueueName, maxAgeSeconds)
	a.EvaluationPeriods, a.DatapointsToAlarm = ageAlarmWindow, ageAlarmDatapoints
	a.Threshold, a.ComparisonOperator = float64(maxAgeSeconds), "GreaterThanThreshold"
	a.TreatMissingData = "notBreaching"
	return a
}

// sqsAlarm is what every alarm here shares: the per-minute Maximum of an SQS metric of one queue.
func sqsAlarm(name, metric, queue string) Alarm {
	return Alarm{
		Name:       name,
		Namespace:  SQSMetricNamespace,
		MetricName: metric,
		Dimensions: map[string]string{SQSQueueDimension: queue},
		Statistic:  "Maximum",
		Period:     SQSMetricPeriodSeconds,
	}
}

// AlarmArn is the ARN of the CloudWatch alarm with the given name.
func AlarmArn(partition, region, accountID, name string) string {
	return fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s", partition, region, accountID, name)
}

// AlarmTopicName is the SNS topic a stack's alarms notify, named after its cluster.
func AlarmTopicName(clusterName string) string { return clusterName + AlarmTopicSuffix }

// DashboardName is the stack's queue dashboard, named after its cluster.
func DashboardName(clusterName string) string { return clusterName + DashboardSuffix }

// DashboardURL is where the CloudWatch console shows the dashboard.
func DashboardURL(region, name string) string {
	return fmt.Sprintf("https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#dashboards/dashboard/%s", region, region, name)
}

// SubscriptionKey is the stable part of the Pulumi name of an e-mail subscription: it depends on
// the address alone, so adding or removing another address never replaces a subscription.
func SubscriptionKey(address string) string { return stableKey(strings.ToLower(address)) }

// CloudWatchPrincipal is the service principal CloudWatch alarms act as.
const CloudWatchPrincipal = "cloudwatch.amazonaws.com"

// AlarmTopicPolicy is the resource policy of the alarm topic: only CloudWatch may publish, and
// only for the given alarms of this account (aws:SourceAccount and aws:SourceArn, as AWS's
// knowledge-center article "Why didn't I receive an SNS notification for my CloudWatch alarm
// trigger?" shows). The account's own identities keep their access through IAM policies.
func AlarmTopicPolicy(topicArn, accountID string, alarmArns []string) PolicyDocument {
	return NewPolicy(Statement{
		Sid:       "AllowCloudWatchAlarmsToPublish",
		Effect:    "Allow",
		Principal: map[string]any{"Service": CloudWatchPrincipal},
		Action:    []string{"sns:Publish"},
		Resource:  []string{topicArn},
		Condition: map[string]map[string]any{
			"StringEquals": {"aws:SourceAccount": accountID},
			"ArnLike":      {"aws:SourceArn": append([]string(nil), alarmArns...)},
		},
	})
}

// AlarmTopicKeyPolicy is the key policy of the customer managed KMS key the alarm topic is
// encrypted with. CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key
// alias/aws/sns, whose policy does not let them use it and cannot be edited; a customer managed
// key that allows cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey* is needed (AWS
// knowledge center, "How do I configure a CloudWatch alarm with an encrypted SNS topic?",
// repost.aws/knowledge-center/cloudwatch-configure-alarm-sns, whose statement this is). The
// first statement is KMS's default one: the account administers the key through IAM.
func AlarmTopicKeyPolicy(partition, accountID string) PolicyDocument {
	return KeyPolicy(partition, accountID, "AllowCloudWatchAlarmsToUseTheKey", map[string]any{"Service": CloudWatchPrincipal},
		[]string{"kms:Decrypt", "kms:GenerateDataKey*"})
}

// DashboardQueue is one workload's row of the dashboard: its queue names and the ARNs of its
// two alarms.
type DashboardQueue struct {
	Workload, WorkQueue, DLQ string
	DLQAlarmArn, AgeAlarmArn string
}

// Dashboard is a CloudWatch dashboard body (CloudWatch API Reference, "Dashboard Body Structure
// and Syntax"): widgets on a 24-column grid.
type Dashboard struct {
	Widgets []Widget `json:"widgets"`
}

// Widget is one dashboard widget; Properties is a MetricWidget or an AlarmStatusWidget.
type Widget struct {
	Type       string `json:"type"`
	X          int    `json:"x"`
	Y          int    `json:"y"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	Properties any    `json:"properties"`
}

// MetricWidget is the properties of a "metric" widget: a graph of its metrics.
type MetricWidget struct {
	Title       string       `json:"title"`
	View        string       `json:"view"`
	Stacked     bool         `json:"stacked"`
	Region      string       `json:"region"`
	Period      int          `json:"period"`
	Stat        string       `json:"stat"`
	Metrics     []Metric     `json:"metrics"`
	Annotations *Annotations `json:"annotations,omitempty"`
}

// AlarmStatusWidget is the properties of an "alarm" widget: the state of each alarm.
type AlarmStatusWidget struct {
	Title  string   `json:"title"`
	Alarms []string `json:"alarms"`
}

// Annotations are a graph's horizontal lines.
type Annotations struct {
	Horizontal []HorizontalAnnotation `json:"horizontal"`
}

// HorizontalAnnotation is a line at Value, labelled.
type HorizontalAnnotation struct {
	Label string  `json:"label"`
	Value float64 `json:"value"`
}

// Metric is one line of a graph: an SQS metric of one queue, with its label and statistic. It
// marshals to the array form CloudWatch takes: [namespace, metric, "QueueName", queue, {options}].
type Metric struct {
	MetricName, Queue, Label, Stat string
}

// MarshalJSON renders the metric as CloudWatch's metric array.
func (m Metric) MarshalJSON() ([]byte, error) {
	return json.Marshal([]any{SQSMetricNamespace, m.MetricName, SQSQueueDimension, m.Queue,
		map[string]string{"label": m.Label, "stat": m.Stat}})
}

// Dashboard grid: the alarm-status row on top, then one row per workload with four graphs.
const (
	dashboardColumns   = 24
	alarmRowHeight     = 3
	graphWidth, graphH = 6, 6
)

// QueueDashboard is the stack's queue dashboard: on top the state of every alarm, so a stuck or
// poisoned queue shows at a glance; then per workload (in order) one row of four graphs —
// visible and in-flight messages, the oldest message's age with the alarm threshold drawn in,
// the DLQ's depth, and messages sent and deleted per minute.
func QueueDashboard(region string, maxAgeSeconds int, queues []DashboardQueue) Dashboard {
	var alarms []string
	for _, q := range queues {
		alarms = append(alarms, q.DLQAlarmArn, q.AgeAlarmArn)
	}
	d := Dashboard{Widgets: []Widget{{
		Type: "alarm", X: 0, Y: 0, Width: dashboardColumns, Height: alarmRowHeight,
		Properties: AlarmStatusWidget{Title: "Queue alarms", Alarms: alarms},
	}}}
	for i, q := range queues {
		graph := func(col int, title, stat string, metrics []Metric, line *HorizontalAnnotation) Widget {
			p := MetricWidget{Title: q.Workload + ": " + title, View: "timeSeries", Region: region,
				Period: SQSMetricPeriodSeconds, Stat: stat, Metrics: metrics}
			if line != nil {
				p.Annotations = &Annotations{Horizontal: []HorizontalAnnotation{*line}}
			}
			return Widget{Type: "metric", X: col * graphWidth, Y: alarmRowHeight + i*graphH, Width: graphWidth, Height: graphH, Properties: p}
		}
		d.Widgets = append(d.Widgets,
			graph(0, "messages waiting and in flight", "Maximum", []Metric{
				{MetricMessagesVisible, q.WorkQueue, "visible", "Maximum"},
				{MetricMessagesNotVisible, q.WorkQueue, "in flight", "Maximum"},
			}, nil),
			graph(1, "age of the oldest message (s)", "Maximum", []Metric{
				{MetricOldestMessageAge, q.WorkQueue, "oldest message", "Maximum"},
			}, &HorizontalAnnotation{Label: "alarm threshold", Value: float64(maxAgeSeconds)}),
			graph(2, "dead-letter queue depth", "Maximum", []Metric{
				{MetricMessagesVisible, q.DLQ, "in the DLQ", "Maximum"},
			}, &HorizontalAnnotation{Label: "alarm threshold", Value: dlqAlarmThreshold}),
			graph(3, "messages sent and deleted per minute", "Sum", []Metric{
				{MetricMessagesSent, q.WorkQueue, "sent", "Sum"},
				{MetricMessagesDeleted, q.WorkQueue, "deleted", "Sum"},
			}, nil),
		)
	}
	return d
}

// JSON renders the dashboard body as the JSON text PutDashboard takes.
func (d Dashboard) JSON() string { return pipelineJSON(d) }
