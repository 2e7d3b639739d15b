package infra

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testQueueArn = "arn:aws:sqs:us-west-2:123456789012:eventscale-dev-worker"

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &m), s)
	return m
}

func TestWorkQueuePolicyDeniesPlainHTTPOnly(t *testing.T) {
	t.Parallel()
	got := decodeJSON(t, WorkQueuePolicy(testQueueArn).JSON())
	want := decodeJSON(t, `{"Version":"2012-10-17","Statement":[{"Sid":"DenyHTTP","Effect":"Deny","Principal":{"AWS":"*"},
		"Action":["sqs:*"],"Resource":["`+testQueueArn+`"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)
	assert.Equal(t, want, got)
}

func TestRedrivePolicies(t *testing.T) {
	t.Parallel()
	assert.JSONEq(t, `{"deadLetterTargetArn":"arn:dlq","maxReceiveCount":5}`, WorkQueueRedrivePolicy("arn:dlq", 5).JSON())
	assert.JSONEq(t, `{"redrivePermission":"byQueue","sourceQueueArns":["`+testQueueArn+`"]}`, DeadLetterAllowPolicy(testQueueArn).JSON())
}

func TestIdentityPolicies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		doc       PolicyDocument
		actions   []string
		resources []string
	}{
		{"keda reads depth of every work queue", KedaOperatorPolicy([]string{"arn:a", "arn:b"}),
			[]string{"sqs:GetQueueAttributes"}, []string{"arn:a", "arn:b"}},
		{"workload consumes its own queue", WorkloadPolicy(testQueueArn),
			[]string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"}, []string{testQueueArn}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Len(t, tt.doc.Statement, 1)
			st := tt.doc.Statement[0]
			assert.Equal(t, "Allow", st.Effect)
			assert.Equal(t, tt.actions, st.Action)
			assert.Equal(t, tt.resources, st.Resource)
			assert.Empty(t, st.Condition)
			assert.Empty(t, st.Principal)
		})
	}
}

func TestKedaOperatorPolicyDoesNotAlias(t *testing.T) {
	t.Parallel()
	arns := []string{"arn:a"}
	doc := KedaOperatorPolicy(arns)
	doc.Statement[0].Action[0] = "sqs:*"
	doc.Statement[0].Resource[0] = "*"
	assert.Equal(t, []string{"sqs:GetQueueAttributes"}, KedaQueueActions)
	assert.Equal(t, []string{"arn:a"}, arns)
}

func TestSendTestMessagesCommand(t *testing.T) {
	t.Parallel()
	url := "https://sqs.us-west-2.amazonaws.com/123456789012/q"
	assert.Equal(t, "aws sqs send-message-batch --region us-west-2 --queue-url "+url+
		" --entries Id=1,MessageBody=test-1 Id=2,MessageBody=test-2 Id=3,MessageBody=test-3", SendTestMessagesCommand(url, "us-west-2", 3))
	assert.Contains(t, SendTestMessagesCommand(url, "us-west-2", 50), "Id=10,")
	assert.NotContains(t, SendTestMessagesCommand(url, "us-west-2", 50), "Id=11,")
	assert.Contains(t, SendTestMessagesCommand(url, "us-west-2", 0), "Id=1,")
}

func TestWorkQueueName(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "eventscale-dev-worker", WorkQueueName("eventscale-dev", "worker"))
	assert.Equal(t, "eventscale-dev-worker-dlq", WorkQueueName("eventscale-dev", "worker")+WorkQueueDLQSuffix)
}

func TestQueueArn(t *testing.T) {
	t.Parallel()
	assert.Equal(t, testQueueArn, QueueArn("aws", "us-west-2", "123456789012", "eventscale-dev-worker"))
	assert.Equal(t, "arn:aws-cn:sqs:cn-north-1:123456789012:q", QueueArn("aws-cn", "cn-north-1", "123456789012", "q"))
}
