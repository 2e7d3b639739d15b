package infra

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDLQAlarm(t *testing.T) {
	t.Parallel()
	a := DLQAlarm("eventscale-dev-worker", "eventscale-dev-worker-dlq")
	assert.Equal(t, Alarm{
		Name:               "eventscale-dev-worker-dlq-not-empty",
		Description:        a.Description,
		Namespace:          "AWS/SQS",
		MetricName:         "ApproximateNumberOfMessagesVisible",
		Dimensions:         map[string]string{"QueueName": "eventscale-dev-worker-dlq"},
		Statistic:          "Maximum",
		Period:             60,
		EvaluationPeriods:  1,
		DatapointsToAlarm:  1,
		Threshold:          1,
		ComparisonOperator: "GreaterThanOrEqualToThreshold",
		TreatMissingData:   "ignore",
	}, a)
	assert.Contains(t, a.Description, "eventscale-dev-worker-dlq")
	assert.Contains(t, a.Description, "redrive")
}

func TestAgeAlarm(t *testing.T) {
	t.Parallel()
	a := AgeAlarm("eventscale-prod-worker", 300)
	assert.Equal(t, Alarm{
		Name:               "eventscale-prod-worker-oldest-message-age",
		Description:        a.Description,
		Namespace:          "AWS/SQS",
		MetricName:         "ApproximateAgeOfOldestMessage",
		Dimensions:         map[string]string{"QueueName": "eventscale-prod-worker"},
		Statistic:          "Maximum",
		Period:             60,
		EvaluationPeriods:  5,
		DatapointsToAlarm:  3,
		Threshold:          300,
		ComparisonOperator: "GreaterThanThreshold",
		TreatMissingData:   "notBreaching",
	}, a)
	assert.Contains(t, a.Description, "over 300 s")
	assert.Contains(t, a.Description, "KEDA")
	assert.Equal(t, 1800.0, AgeAlarm("q", 1800).Threshold, "the threshold is the configured age")
}

func TestAlarmTopicPolicy(t *testing.T) {
	t.Parallel()
	topic := "arn:aws:sns:us-west-2:123456789012:eventscale-dev-alarms"
	alarms := []string{AlarmArn("aws", "us-west-2", "123456789012", "a"), AlarmArn("aws", "us-west-2", "123456789012", "b")}
	p := AlarmTopicPolicy(topic, "123456789012", alarms)
	require.Len(t, p.Statement, 1)
	s := p.Statement[0]
	assert.Equal(t, "Allow", s.Effect)
	assert.Equal(t, map[string]any{"Service": "cloudwatch.amazonaws.com"}, s.Principal)
	assert.Equal(t, []string{"sns:Publish"}, s.Action)
	assert.Equal(t, []string{topic}, s.Resource)
	assert.Equal(t, map[string]map[string]any{
		"StringEquals": {"aws:SourceAccount": "123456789012"},
		"ArnLike":      {"aws:SourceArn": []string{"arn:aws:cloudwatch:us-west-2:123456789012:alarm:a", "arn:aws:cloudwatch:us-west-2:123456789012:alarm:b"}},
	}, s.Condition)
	alarms[0] = "changed"
	assert.NotEqual(t, "changed", s.Condition["ArnLike"]["aws:SourceArn"].([]string)[0], "the policy keeps its own copy")
}

func TestAlarmTopicKeyPolicy(t *testing.T) {
	t.Parallel()
	p := AlarmTopicKeyPolicy("aws-cn", "123456789012")
	require.Len(t, p.Statement, 2)
	assert.Equal(t, map[string]any{"AWS": "arn:aws-cn:iam::123456789012:root"}, p.Statement[0].Principal)
	assert.Equal(t, map[string]any{"Service": "cloudwatch.amazonaws.com"}, p.Statement[1].Principal)
	assert.Equal(t, []string{"kms:Decrypt", "kms:GenerateDataKey*"}, p.Statement[1].Action)
}

func TestNamesAndURL(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "eventscale-dev-alarms", AlarmTopicName("eventscale-dev"))
	assert.Equal(t, "eventscale-dev-queues", DashboardName("eventscale-dev"))
	assert.Equal(t, "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/d", DashboardURL("eu-west-1", "d"))
	assert.Equal(t, "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x", AlarmArn("aws", "us-east-1", "123456789012", "x"))
	assert.Equal(t, SubscriptionKey("Oncall@Example.com"), SubscriptionKey("oncall@example.com"), "e-mail addresses are compared without case")
	assert.NotEqual(t, SubscriptionKey("a@example.com"), SubscriptionKey("b@example.com"))
	assert.Len(t, SubscriptionKey("a@example.com"), 10)
}

// TestQueueDashboard: the alarm states on top, then one row of four graphs per workload on the
// 24-column grid, nothing overlapping, every graph on the workload's queues.
func TestQueueDashboard(t *testing.T) {
	t.Parallel()
	qs := []DashboardQueue{
		{Workload: "a", WorkQueue: "c-a", DLQ: "c-a-dlq", DLQAlarmArn: "arn:dlq-a", AgeAlarmArn: "arn:age-a"},
		{Workload: "b", WorkQueue: "c-b", DLQ: "c-b-dlq", DLQAlarmArn: "arn:dlq-b", AgeAlarmArn: "arn:age-b"},
	}
	d := QueueDashboard("us-west-2", 900, qs)
	require.Len(t, d.Widgets, 1+4*len(qs))
	top := d.Widgets[0]
	assert.Equal(t, "alarm", top.Type)
	assert.Equal(t, []string{"arn:dlq-a", "arn:age-a", "arn:dlq-b", "arn:age-b"}, top.Properties.(AlarmStatusWidget).Alarms)
	assert.Equal(t, [4]int{0, 0, 24, 3}, [4]int{top.X, top.Y, top.Width, top.Height})

	type cell struct{ x, y int }
	used := map[cell]bool{}
	for _, w := range d.Widgets {
		assert.LessOrEqual(t, w.X+w.Width, 24, "widget inside the grid")
		for x := w.X; x < w.X+w.Width; x++ {
			for y := w.Y; y < w.Y+w.Height; y++ {
				assert.False(t, used[cell{x, y}], "widgets overlap at %d,%d", x, y)
				used[cell{x, y}] = true
			}
		}
	}
	for i, q := range qs {
		row := d.Widgets[1+4*i : 5+4*i]
		var got [][]string
		for _, w := range row {
			p := w.Properties.(MetricWidget)
			assert.Equal(t, "us-west-2", p.Region)
			assert.Equal(t, 60, p.Period)
			assert.Equal(t, 3+6*i, w.Y, "one row per workload")
			var names []string
			for _, m := range p.Metrics {
				names = append(names, m.MetricName+"@"+m.Queue)
			}
			got = append(got, names)
		}
		assert.Equal(t, [][]string{
			{"ApproximateNumberOfMessagesVisible@" + q.WorkQueue, "ApproximateNumberOfMessagesNotVisible@" + q.WorkQueue},
			{"ApproximateAgeOfOldestMessage@" + q.WorkQueue},
			{"ApproximateNumberOfMessagesVisible@" + q.DLQ},
			{"NumberOfMessagesSent@" + q.WorkQueue, "NumberOfMessagesDeleted@" + q.WorkQueue},
		}, got, q.Workload)
		assert.Equal(t, 900.0, row[1].Properties.(MetricWidget).Annotations.Horizontal[0].Value, "the age graph draws the alarm threshold")
		assert.Equal(t, 1.0, row[2].Properties.(MetricWidget).Annotations.Horizontal[0].Value, "the DLQ graph draws the alarm threshold")
		assert.Equal(t, "Sum", row[3].Properties.(MetricWidget).Stat, "sent and deleted are counts per minute")
	}
}

// TestDashboardJSON: the body is CloudWatch's JSON form, metrics as
// [namespace, metric, dimension, value, {options}] arrays.
func TestDashboardJSON(t *testing.T) {
	t.Parallel()
	d := QueueDashboard("us-west-2", 300, []DashboardQueue{{Workload: "w", WorkQueue: "q", DLQ: "q-dlq", DLQAlarmArn: "a1", AgeAlarmArn: "a2"}})
	var body struct {
		Widgets []struct {
			Type       string         `json:"type"`
			Properties map[string]any `json:"properties"`
		} `json:"widgets"`
	}
	require.NoError(t, json.Unmarshal([]byte(d.JSON()), &body))
	require.Len(t, body.Widgets, 5)
	assert.Equal(t, []any{"a1", "a2"}, body.Widgets[0].Properties["alarms"])
	assert.Equal(t, []any{
		[]any{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "q", map[string]any{"label": "visible", "stat": "Maximum"}},
		[]any{"AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", "q", map[string]any{"label": "in flight", "stat": "Maximum"}},
	}, body.Widgets[1].Properties["metrics"])
	assert.NotContains(t, body.Widgets[1].Properties, "annotations", "a graph without a threshold has no annotations")

	// The whole body, byte for byte, against the recorded one (keys in this order: a body whose
	// bytes change between runs would update the dashboard on every `pulumi up`).
	// testdata/queue-dashboard.json is QueueDashboard("us-west-2", 300, one queue) as reviewed
	// against CloudWatch's dashboard body (CloudWatch API Reference, "Dashboard Body Structure and
	// Syntax": an alarm status widget, then metric widgets whose metrics are [namespace, metric,
	// dimension, value, {options}] arrays and whose thresholds are horizontal annotations).
	raw, err := os.ReadFile(filepath.Join("testdata", "queue-dashboard.json"))
	require.NoError(t, err)
	var recorded bytes.Buffer
	require.NoError(t, json.Compact(&recorded, raw))
	assert.Equal(t, recorded.String(), d.JSON())
	// Built again from inputs of its own, it is the same bytes; other inputs give another body.
	again := QueueDashboard("us-west-2", 300, []DashboardQueue{{Workload: "w", WorkQueue: "q", DLQ: "q-dlq", DLQAlarmArn: "a1", AgeAlarmArn: "a2"}})
	assert.Equal(t, d.JSON(), again.JSON())
	assert.NotEqual(t, d.JSON(), QueueDashboard("us-west-2", 600, []DashboardQueue{{Workload: "w", WorkQueue: "q", DLQ: "q-dlq", DLQAlarmArn: "a1", AgeAlarmArn: "a2"}}).JSON())
}
