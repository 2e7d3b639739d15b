package infra

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLogRetentionDays(t *testing.T) {
	t.Parallel()
	for _, d := range []int{1, 90, 1096, 3653} {
		assert.True(t, IsLogRetentionDays(d), d)
	}
	for _, d := range []int{0, 2, 89, 100, 1095, 3654, -1} {
		assert.False(t, IsLogRetentionDays(d), d)
	}
	assert.Len(t, LogRetentionDays, 22, "PutRetentionPolicy's 22 possible values")
	assert.Equal(t, "arn:aws-cn:logs:cn-north-1:111122223333:log-group:/aws/vpc-flow-log/c1", LogGroupArn("aws-cn", "cn-north-1", "111122223333", "/aws/vpc-flow-log/c1"))
}

// TestFlowLogDocuments: the trust policy admits the flow logs service for this account's flow
// logs in the region only, and the role may write to its log group and its streams only.
func TestFlowLogDocuments(t *testing.T) {
	t.Parallel()
	trust := FlowLogTrust("aws-cn", "cn-north-1", "111122223333")
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},
		"Action":["sts:AssumeRole"],"Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"},
		"ArnLike":{"aws:SourceArn":"arn:aws-cn:ec2:cn-north-1:111122223333:vpc-flow-log/*"}}}]}`, trust.JSON())
	arn := LogGroupArn("aws", "us-west-2", "111122223333", FlowLogGroupName("c1"))
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Sid":"PublishFlowLogs","Effect":"Allow",
		"Action":["logs:CreateLogStream","logs:PutLogEvents","logs:DescribeLogGroups","logs:DescribeLogStreams"],
		"Resource":["arn:aws:logs:us-west-2:111122223333:log-group:/aws/vpc-flow-log/c1","arn:aws:logs:us-west-2:111122223333:log-group:/aws/vpc-flow-log/c1:*"]}]}`,
		FlowLogPolicy(arn).JSON())
}

// TestImageLifecyclePolicy: untagged images expire after the days given, tagged ones beyond the
// count given; rules in ascending priority, the tagged rule naming every tag, the untagged none.
func TestImageLifecyclePolicy(t *testing.T) {
	t.Parallel()
	p := ImageLifecyclePolicy(7, 50)
	assert.JSONEq(t, `{"rules":[
		{"rulePriority":1,"description":"Expire untagged images pushed more than untaggedExpiryDays ago",
		 "selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}},
		{"rulePriority":2,"description":"Keep the keepTaggedImages most recently pushed tagged images",
		 "selection":{"tagStatus":"tagged","tagPatternList":["*"],"countType":"imageCountMoreThan","countNumber":50},"action":{"type":"expire"}}]}`, p.JSON())
}
