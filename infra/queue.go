package infra

import (
	"encoding/json"
	"fmt"
)

// SQS actions granted to the pipeline's identities. Each list is the complete set its role gets.
var (
	// KedaQueueActions are all KEDA's aws-sqs-queue scaler calls: it reads ApproximateNumberOfMessages
	// (and ...NotVisible for scaleOnInFlight) with GetQueueAttributes, nothing else.
	KedaQueueActions = []string{"sqs:GetQueueAttributes"}
	// WorkloadQueueActions are what a worker needs on its own queue: receive, delete on success,
	// change visibility (heartbeat, and release on shutdown) and read attributes.
	WorkloadQueueActions = []string{
		"sqs:ReceiveMessage",
		"sqs:DeleteMessage",
		"sqs:ChangeMessageVisibility",
		"sqs:GetQueueAttributes",
	}
)

// QueueSettings is the `eventscale:queue` section: settings shared by every workload's SQS queue
// and DLQ. It is the config section (stacks.Config.Queue) and the settings of the queue
// component (queue.Args); the worker reads its wait and visibility timeout (WorkloadObjectSettings).
type QueueSettings struct {
	// VisibilityTimeoutSeconds must exceed every workload's MaxProcessingSeconds.
	VisibilityTimeoutSeconds int `json:"visibilityTimeoutSeconds"`
	// MessageRetentionSeconds of the work queue (60 to 1209600).
	MessageRetentionSeconds int `json:"messageRetentionSeconds"`
	// DlqRetentionSeconds of the dead-letter queue (60 to 1209600); must be at least MessageRetentionSeconds.
	DlqRetentionSeconds int `json:"dlqRetentionSeconds"`
	// MaxReceiveCount is how many receives a message gets before it moves to the DLQ (1 to 1000).
	MaxReceiveCount int `json:"maxReceiveCount"`
	// ReceiveWaitTimeSeconds is the queue's default long-poll wait (1 to 20).
	ReceiveWaitTimeSeconds int `json:"receiveWaitTimeSeconds"`
	// Protect marks the queues `protect` so `pulumi destroy` refuses to delete them (prod).
	Protect bool `json:"protect"`
}

// WorkQueueName is the physical name of a workload's work queue; its dead-letter queue is
// the same name with WorkQueueDLQSuffix. Both are scoped by the cluster name, which is unique
// per account and region, so two stacks never share a queue.
func WorkQueueName(clusterName, workload string) string { return clusterName + "-" + workload }

// WorkQueueDLQSuffix is appended to the work queue's name to name its dead-letter queue.
const WorkQueueDLQSuffix = "-dlq"

// QueueArn is the ARN of the SQS queue with the given name.
func QueueArn(partition, region, accountID, name string) string {
	return fmt.Sprintf("arn:%s:sqs:%s:%s:%s", partition, region, accountID, name)
}

// MaxQueueNameLength is the SQS limit on queue names.
const MaxQueueNameLength = 80

// RedrivePolicy is an SQS queue's RedrivePolicy attribute: after MaxReceiveCount receives
// without a delete, SQS moves the message to the dead-letter queue.
type RedrivePolicy struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int    `json:"maxReceiveCount"`
}

// RedriveAllowPolicy is a dead-letter queue's RedriveAllowPolicy attribute.
type RedriveAllowPolicy struct {
	// RedrivePermission is "allowAll", "denyAll" or "byQueue".
	RedrivePermission string `json:"redrivePermission"`
	// SourceQueueArns lists the queues allowed to use this one as DLQ (with "byQueue"; at most 10).
	SourceQueueArns []string `json:"sourceQueueArns,omitempty"`
}

// WorkQueueRedrivePolicy sends a message to dlqArn after maxReceiveCount failed receives.
func WorkQueueRedrivePolicy(dlqArn string, maxReceiveCount int) RedrivePolicy {
	return RedrivePolicy{DeadLetterTargetArn: dlqArn, MaxReceiveCount: maxReceiveCount}
}

// DeadLetterAllowPolicy lets only the given source queue use a dead-letter queue.
func DeadLetterAllowPolicy(sourceQueueArn string) RedriveAllowPolicy {
	return RedriveAllowPolicy{RedrivePermission: "byQueue", SourceQueueArns: []string{sourceQueueArn}}
}

// JSON renders the attribute as the JSON text SQS takes.
func (p RedrivePolicy) JSON() string { return pipelineJSON(p) }

// JSON renders the attribute as the JSON text SQS takes.
func (p RedriveAllowPolicy) JSON() string { return pipelineJSON(p) }

// WorkQueuePolicy is the resource policy of a work queue or dead-letter queue: it denies every
// SQS action over plain HTTP (aws:SecureTransport false) to everyone, so the queue is TLS-only.
// It grants nothing: access comes from the identity policies of the KEDA and workload roles.
func WorkQueuePolicy(queueArn string) PolicyDocument {
	return NewPolicy(denyHTTPStatement(queueArn))
}

// denyHTTPStatement denies every SQS action on the queue to everyone when the request is not
// over TLS (aws:SecureTransport false). Every queue policy of the platform carries it.
func denyHTTPStatement(queueArn string) Statement {
	return Statement{
		Sid:       "DenyHTTP",
		Effect:    "Deny",
		Principal: map[string]any{"AWS": "*"},
		Action:    []string{"sqs:*"},
		Resource:  []string{queueArn},
		Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}},
	}
}

// KedaOperatorPolicy is the identity policy of the KEDA operator's IRSA role: read the depth of
// the given work queues and nothing else.
func KedaOperatorPolicy(queueArns []string) PolicyDocument {
	return NewPolicy(Statement{
		Sid:      "ReadWorkQueueDepth",
		Effect:   "Allow",
		Action:   append([]string(nil), KedaQueueActions...),
		Resource: append([]string(nil), queueArns...),
	})
}

// WorkloadPolicy is the identity policy of a workload's IRSA role: consume its own queue only.
func WorkloadPolicy(queueArn string) PolicyDocument {
	return NewPolicy(Statement{
		Sid:      "ConsumeWorkQueue",
		Effect:   "Allow",
		Action:   append([]string(nil), WorkloadQueueActions...),
		Resource: []string{queueArn},
	})
}

// SendTestMessagesCommand is a ready-to-paste AWS CLI command that puts count (1 to 10) test
// messages on a queue in one SendMessageBatch call.
func SendTestMessagesCommand(queueURL, region string, count int) string {
	count = min(max(count, 1), 10)
	cmd := fmt.Sprintf("aws sqs send-message-batch --region %s --queue-url %s --entries", region, queueURL)
	for i := 1; i <= count; i++ {
		cmd += fmt.Sprintf(" Id=%d,MessageBody=test-%d", i, i)
	}
	return cmd
}

func pipelineJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("infra: marshalling %T: %v", v, err)) // plain strings and ints only: cannot fail
	}
	return string(b)
}
