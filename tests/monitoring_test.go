package tests

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/components/cluster"
	"github.com/eventscale/eventscale/components/monitoring"
	"github.com/eventscale/eventscale/components/queue"
	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/internal/stacktest"
	"github.com/eventscale/eventscale/stacks"
)

// Whole-stack tests of the monitoring: per workload the alarms on the queues the queue component
// created, the topic they notify (with its policy and key) and the dashboard, for dev, prod and
// edited configurations.

const (
	typeTopic        = "aws:sns/topic:Topic"
	typeTopicPolicy  = "aws:sns/topicPolicy:TopicPolicy"
	typeSubscription = "aws:sns/topicSubscription:TopicSubscription"
	typeKMSKey       = "aws:kms/key:Key"
)

// monitoringRun runs the dev stack file with edited keys once per test binary.
func monitoringRun(t *testing.T, name string, edits map[string]string) (*offline.Recording, stacks.Config) {
	t.Helper()
	raw, err := stacks.ReadStackFile(projectDir + "/Pulumi.dev.yaml")
	require.NoError(t, err)
	maps.Copy(raw, edits)
	cfg, err := stacks.Load(raw, offline.Project, "dev")
	require.NoError(t, err, "config of %s", name)
	rec, err := runs.Get("monitoring:"+name, func() (*offline.Recording, error) { return offline.Run("dev", raw, offline.Options{}) })
	require.NoError(t, err, "running %s on mocks", name)
	return rec, cfg
}

// queueNames are the work queue and DLQ names a workload's queue component registered (its
// sqs.Queue children's name inputs), the names the alarms must watch.
func queueNames(t *testing.T, rec *offline.Recording, workload string) (work, dlq string) {
	t.Helper()
	work = str(one(t, rec, typeSQSQueue, "queue-"+workload+"-main").Inputs["name"])
	dlq = str(one(t, rec, typeSQSQueue, "queue-"+workload+"-dlq").Inputs["name"])
	require.NotEmpty(t, work)
	require.NotEmpty(t, dlq)
	return work, dlq
}

// checkAlarms asserts the two alarms of every workload: metric, namespace, dimension (the
// queue component's queue names), threshold, period, window, missing-data handling and actions.
func checkAlarms(t *testing.T, rec *offline.Recording, cfg stacks.Config, topicArn string) {
	t.Helper()
	comp := urnOf(t, rec, monitoring.TypeToken, "monitoring")
	require.Len(t, rec.Alarms(), 2*len(cfg.Workloads), "two alarms per workload")
	for _, w := range cfg.Workloads {
		work, dlq := queueNames(t, rec, w.Name)
		for _, c := range []struct {
			resource, name, metric, queue, op, missing string
			threshold, window, datapoints              int64
			dependsOn                                  string
		}{
			{"monitoring-" + w.Name + "-dlq", work + "-dlq-not-empty", "ApproximateNumberOfMessagesVisible", dlq,
				"GreaterThanOrEqualToThreshold", "ignore", 1, 1, 1, "queue-" + w.Name + "-dlq"},
			{"monitoring-" + w.Name + "-age", work + "-oldest-message-age", "ApproximateAgeOfOldestMessage", work,
				"GreaterThanThreshold", "notBreaching", int64(cfg.Monitoring.OldestMessageAgeSeconds), 5, 3, "queue-" + w.Name + "-main"},
		} {
			a := one(t, rec, offline.TypeMetricAlarm, c.resource)
			assert.Equal(t, comp, a.Parent, c.name)
			in := a.Inputs
			assert.Equal(t, c.name, in["name"])
			assert.Equal(t, "AWS/SQS", in["namespace"], c.name)
			assert.Equal(t, c.metric, in["metricName"], c.name)
			assert.Equal(t, map[string]any{"QueueName": c.queue}, in["dimensions"], c.name)
			assert.Equal(t, "Maximum", in["statistic"], c.name)
			// The mocks record whole numbers as int64.
			assert.Equal(t, int64(60), in["period"], c.name)
			assert.Equal(t, c.window, in["evaluationPeriods"], c.name)
			assert.Equal(t, c.datapoints, in["datapointsToAlarm"], c.name)
			assert.Equal(t, c.threshold, in["threshold"], c.name)
			assert.Equal(t, c.op, in["comparisonOperator"], c.name)
			assert.Equal(t, c.missing, in["treatMissingData"], c.name)
			assert.Equal(t, []any{topicArn}, in["alarmActions"], c.name)
			assert.Equal(t, []any{topicArn}, in["okActions"], c.name)
			assert.NotContains(t, in, "insufficientDataActions", c.name)
			assert.Contains(t, a.Depends, urnOf(t, rec, typeSQSQueue, c.dependsOn), "%s reads the queue component's name", c.name)
		}
	}
}

// alarmArns are the ARNs of the recorded alarms, as the mocks derive them.
func alarmArns(rec *offline.Recording, cfg stacks.Config) []string {
	var out []string
	for _, a := range rec.Alarms() {
		out = append(out, infra.AlarmArn("aws", cfg.Region, offline.AccountID, str(a.Inputs["name"])))
	}
	return out
}

func TestMonitoringStacks(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, stack string) {
		rec, cfg := stackRun(t, stack), stackConfig(t, stack)
		want := map[string]int{"dev": 900, "prod": 300}[stack]
		require.Equal(t, want, cfg.Monitoring.OldestMessageAgeSeconds, "dev lenient, prod strict")

		topic := one(t, rec, typeTopic, "monitoring-topic")
		topicArn := "arn:aws:sns:" + cfg.Region + ":" + offline.AccountID + ":" + cfg.Cluster.Name + "-alarms"
		assert.Equal(t, topicArn, topic.ID)
		checkAlarms(t, rec, cfg, topicArn)

		// SSE with the stack's customer managed key, which CloudWatch may use.
		key := one(t, rec, typeKMSKey, "monitoring-topic-key")
		assert.Equal(t, "arn:aws:kms:"+cfg.Region+":"+offline.AccountID+":key/"+key.ID, topic.Inputs["kmsMasterKeyId"])
		assert.NotEqual(t, "alias/aws/sns", topic.Inputs["kmsMasterKeyId"])
		assert.Equal(t, true, key.Inputs["enableKeyRotation"])
		kp := decodePolicy(t, key.Inputs["policy"])
		require.Len(t, kp.Statement, 2)
		assert.Equal(t, map[string]any{"Service": "cloudwatch.amazonaws.com"}, kp.Statement[1].Principal)
		assert.Equal(t, []string{"kms:Decrypt", "kms:GenerateDataKey*"}, kp.Statement[1].Action)

		// Only CloudWatch may publish, only for this account's alarms of this stack.
		policy := one(t, rec, typeTopicPolicy, "monitoring-topic-policy")
		assert.Equal(t, topicArn, policy.Inputs["arn"])
		// The document is the builder's (infra's tests check its statement) for this topic and
		// account and exactly the stack's alarms.
		doc := decodePolicy(t, policy.Inputs["policy"])
		require.Len(t, doc.Statement, 1)
		var scoped []string
		for _, a := range doc.Statement[0].Condition["ArnLike"]["aws:SourceArn"].([]any) {
			scoped = append(scoped, a.(string))
		}
		assert.ElementsMatch(t, alarmArns(rec, cfg), scoped, "the policy names exactly the stack's alarms")
		assert.JSONEq(t, infra.AlarmTopicPolicy(topicArn, offline.AccountID, scoped).JSON(), str(policy.Inputs["policy"]))
		assert.Empty(t, byType(rec, typeSubscription), "no e-mail addresses in the stack files")

		// The dashboard shows every workload's queues, and the alarms' states.
		dash := one(t, rec, offline.TypeDashboard, "monitoring-dashboard")
		assert.Equal(t, cfg.Cluster.Name+"-queues", dash.Inputs["dashboardName"])
		body, err := offline.DashboardBody(dash)
		require.NoError(t, err)
		widgets := body["widgets"].([]any)
		require.Len(t, widgets, 1+4*len(cfg.Workloads))
		var alarmsShown []string
		for _, a := range offline.Lookup(widgets[0], "properties", "alarms").([]any) {
			alarmsShown = append(alarmsShown, a.(string))
		}
		assert.ElementsMatch(t, alarmArns(rec, cfg), alarmsShown)
		work, dlq := queueNames(t, rec, cfg.Workloads[0].Name)
		b, _ := json.Marshal(widgets[1:])
		assert.Contains(t, string(b), `"QueueName","`+work+`"`)
		assert.Contains(t, string(b), `"QueueName","`+dlq+`"`)
		assert.Contains(t, string(b), `"region":"`+cfg.Region+`"`)

		assert.Equal(t, topicArn, rec.Outputs["alarmTopicArn"])
		assert.Equal(t, infra.DashboardURL(cfg.Region, cfg.Cluster.Name+"-queues"), rec.Outputs["dashboardUrl"])
		names, _ := json.Marshal(rec.Outputs["alarmNames"])
		assert.JSONEq(t, `{"worker":["`+work+`-dlq-not-empty","`+work+`-oldest-message-age"]}`, string(names))
	})
}

// TestMonitoringEditedConfigs: e-mail subscriptions on the stack's topic; an existing topic
// instead of one of the stack's own; two workloads; monitoring disabled.
func TestMonitoringEditedConfigs(t *testing.T) {
	t.Parallel()
	t.Run("e-mails", func(t *testing.T) {
		t.Parallel()
		rec, cfg := monitoringRun(t, "e-mails", map[string]string{
			"eventscale:monitoring": `{"alarmEmails":["oncall@example.com","Team@Example.org"],"oldestMessageAgeSeconds":120}`})
		topicArn := one(t, rec, typeTopic, "monitoring-topic").ID
		checkAlarms(t, rec, cfg, topicArn)
		subs := byType(rec, typeSubscription)
		require.Len(t, subs, 2)
		for _, e := range cfg.Monitoring.AlarmEmails {
			s := one(t, rec, typeSubscription, "monitoring-email-"+infra.SubscriptionKey(e))
			assert.Equal(t, map[string]any{"topic": topicArn, "protocol": "email", "endpoint": e}, s.Inputs)
		}
	})
	t.Run("existing topic", func(t *testing.T) {
		t.Parallel()
		existing := "arn:aws:sns:us-west-2:123456789012:shared-oncall"
		rec, cfg := monitoringRun(t, "existing-topic", map[string]string{"eventscale:monitoring": `{"topicArn":"` + existing + `"}`})
		checkAlarms(t, rec, cfg, existing)
		for _, typ := range []string{typeTopic, typeTopicPolicy, typeKMSKey, typeSubscription} {
			assert.Empty(t, outsideCluster(t, rec, byType(rec, typ)), "an existing topic: no %s of the stack's", typ)
		}
		assert.Equal(t, existing, rec.Outputs["alarmTopicArn"])
		assert.Len(t, rec.Dashboards(), 1)
	})
	t.Run("two workloads", func(t *testing.T) {
		t.Parallel()
		rec, cfg := monitoringRun(t, "two-workloads", map[string]string{"eventscale:workloads": twoWorkloads})
		checkAlarms(t, rec, cfg, one(t, rec, typeTopic, "monitoring-topic").ID)
		body, err := offline.DashboardBody(rec.Dashboards()[0])
		require.NoError(t, err)
		assert.Len(t, body["widgets"], 1+4*2)
		doc := decodePolicy(t, one(t, rec, typeTopicPolicy, "monitoring-topic-policy").Inputs["policy"])
		assert.Len(t, doc.Statement[0].Condition["ArnLike"]["aws:SourceArn"], 4)
	})
	t.Run("disabled", func(t *testing.T) {
		t.Parallel()
		rec, _ := monitoringRun(t, "disabled", map[string]string{"eventscale:monitoring": `{"enabled":false,"alarmEmails":["oncall@example.com"]}`})
		for _, typ := range []string{monitoring.TypeToken, offline.TypeMetricAlarm, offline.TypeDashboard, typeTopic, typeTopicPolicy, typeKMSKey, typeSubscription} {
			assert.Empty(t, outsideCluster(t, rec, byType(rec, typ)), "disabled: no %s", typ)
		}
		for _, k := range []string{"alarmNames", "alarmTopicArn", "dashboardUrl"} {
			assert.NotContains(t, rec.Outputs, k)
		}
		assert.NotEmpty(t, byType(rec, queue.TypeToken), "the queues stay")
	})
}

// outsideCluster is rs without the cluster component's children (its secrets key is a KMS key
// too, not the alarm topic's).
func outsideCluster(t *testing.T, rec *offline.Recording, rs []offline.Resource) []offline.Resource {
	t.Helper()
	cl := urnOf(t, rec, cluster.TypeToken, "cluster")
	var out []offline.Resource
	for _, r := range rs {
		if r.Parent != cl {
			out = append(out, r)
		}
	}
	return out
}
