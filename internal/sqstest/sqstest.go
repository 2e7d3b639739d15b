// Package sqstest runs a real SQS API for tests: it starts moto_server on
// 127.0.0.1 on a free port (with internal/motoserver), waits until it
// answers, and kills it when the test ends; and it has SQS helpers for it.
// Nothing needs to be running beforehand, and no request ever leaves the
// machine (dummy credentials, loopback endpoint).
//
// If moto_server is not on PATH the test is skipped with the reason, or
// fails when the environment variable CI is "true".
package sqstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/eventscale/eventscale/internal/motoserver"
)

// Region is the region used for every moto server started here.
const Region = "us-east-1"

// Binary is the name of the moto server executable looked up on PATH.
const Binary = motoserver.Binary

// Server is a running moto_server.
type Server struct {
	// URL is the endpoint, e.g. http://127.0.0.1:43121.
	URL string
	// Region is the AWS region to use with it.
	Region string
}

// Start launches moto_server for the duration of tb and returns it (internal/motoserver:
// free port, readiness, killed with its process group at cleanup or with the test binary).
func Start(tb testing.TB) *Server {
	tb.Helper()
	m := motoserver.Start(tb, "AWS_DEFAULT_REGION="+Region)
	return &Server{URL: m.URL, Region: Region}
}

// DummyCredentialsEnv returns environment entries that make any AWS SDK use
// fake static credentials and never consult real profiles or instance
// metadata.
func DummyCredentialsEnv() []string {
	return append(motoserver.DummyCredentialsEnv(), "AWS_DEFAULT_REGION="+Region)
}

// ChildEnv returns os.Environ() without any AWS_* variable (so no real
// profile, token or endpoint leaks in), plus extra.
func ChildEnv(extra ...string) []string { return motoserver.ChildEnv(extra...) }

// Env returns the AWS variables for a child process that should talk to this
// server: dummy credentials, AWS_REGION and AWS_ENDPOINT_URL. Combine it with
// ChildEnv: cmd.Env = sqstest.ChildEnv(s.Env()...).
func (s *Server) Env() []string {
	return append(DummyCredentialsEnv(), "AWS_REGION="+s.Region, "AWS_ENDPOINT_URL="+s.URL)
}

// Credentials are the dummy static credentials every client of a moto server here uses.
var Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "sqstest"}, nil
})

// Client returns an SQS client for this server with dummy credentials.
func (s *Server) Client() *sqs.Client {
	return sqs.New(sqs.Options{
		Region:           s.Region,
		BaseEndpoint:     aws.String(s.URL),
		Credentials:      Credentials,
		RetryMaxAttempts: 3,
	})
}

// Queue is a queue created on the server.
type Queue struct {
	URL string
	ARN string
}

// CreateQueue creates a standard queue with the given attributes (e.g.
// "VisibilityTimeout": "3").
func (s *Server) CreateQueue(tb testing.TB, name string, attrs map[string]string) Queue {
	tb.Helper()
	ctx := context.Background()
	c := s.Client()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		tb.Fatalf("sqstest: create queue %q: %v", name, err)
	}
	a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       out.QueueUrl,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		tb.Fatalf("sqstest: get ARN of %q: %v", name, err)
	}
	return Queue{URL: aws.ToString(out.QueueUrl), ARN: a.Attributes[string(types.QueueAttributeNameQueueArn)]}
}

// StartLoaded starts a server (as Start) with one queue, name, whose visibility timeout is
// visibilitySeconds, holding n messages with the bodies Bodies(name, n), which it returns.
func StartLoaded(tb testing.TB, name string, visibilitySeconds, n int) (*Server, Queue, []string) {
	tb.Helper()
	s := Start(tb)
	q := s.CreateQueue(tb, name, map[string]string{"VisibilityTimeout": strconv.Itoa(visibilitySeconds)})
	bodies := Bodies(name, n)
	s.SendBodies(tb, q.URL, bodies)
	return s, q, bodies
}

// CreateQueueWithDLQ creates name-dlq and name with a RedrivePolicy sending
// messages to the DLQ after maxReceiveCount receives.
func (s *Server) CreateQueueWithDLQ(tb testing.TB, name string, maxReceiveCount int, attrs map[string]string) (main, dlq Queue) {
	tb.Helper()
	dlq = s.CreateQueue(tb, name+"-dlq", nil)
	policy, err := json.Marshal(map[string]string{
		"deadLetterTargetArn": dlq.ARN,
		"maxReceiveCount":     strconv.Itoa(maxReceiveCount),
	})
	if err != nil {
		tb.Fatalf("sqstest: redrive policy: %v", err)
	}
	all := map[string]string{"RedrivePolicy": string(policy)}
	for k, v := range attrs {
		all[k] = v
	}
	return s.CreateQueue(tb, name, all), dlq
}

// Counts are the approximate message counts of a queue.
type Counts struct {
	Visible    int // ApproximateNumberOfMessages
	NotVisible int // ApproximateNumberOfMessagesNotVisible (in flight)
	Delayed    int // ApproximateNumberOfMessagesDelayed
}

// Total is the number of messages still in the queue in any state.
func (c Counts) Total() int { return c.Visible + c.NotVisible + c.Delayed }

// QueueCounts returns the approximate counts of queueURL.
func (s *Server) QueueCounts(tb testing.TB, queueURL string) Counts {
	tb.Helper()
	c, err := ReadCounts(context.Background(), s.Client(), queueURL)
	if err != nil {
		tb.Fatalf("sqstest: %v", err)
	}
	return c
}

// ReadCounts returns the approximate counts of queueURL as client reads them (one
// GetQueueAttributes), for callers that are not a test's goroutine, such as the demo tier's
// sampler.
func ReadCounts(ctx context.Context, client *sqs.Client, queueURL string) (Counts, error) {
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		return Counts{}, fmt.Errorf("queue attributes of %s: %w", queueURL, err)
	}
	var errs []error
	n := func(k types.QueueAttributeName) int {
		v, err := strconv.Atoi(out.Attributes[string(k)])
		if err != nil {
			errs = append(errs, fmt.Errorf("attribute %s of %s = %q: %w", k, queueURL, out.Attributes[string(k)], err))
		}
		return v
	}
	c := Counts{
		Visible:    n(types.QueueAttributeNameApproximateNumberOfMessages),
		NotVisible: n(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible),
		Delayed:    n(types.QueueAttributeNameApproximateNumberOfMessagesDelayed),
	}
	return c, errors.Join(errs...)
}

// SendBodies sends the bodies to queueURL in batches of 10.
func (s *Server) SendBodies(tb testing.TB, queueURL string, bodies []string) {
	tb.Helper()
	c := s.Client()
	for i := 0; i < len(bodies); i += 10 {
		end := min(i+10, len(bodies))
		entries := make([]types.SendMessageBatchRequestEntry, 0, end-i)
		for j := i; j < end; j++ {
			entries = append(entries, types.SendMessageBatchRequestEntry{
				Id:          aws.String(strconv.Itoa(j)),
				MessageBody: aws.String(bodies[j]),
			})
		}
		out, err := c.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: entries})
		if err != nil {
			tb.Fatalf("sqstest: send batch: %v", err)
		}
		if len(out.Failed) > 0 {
			tb.Fatalf("sqstest: send batch: %d entries failed, first: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
		}
	}
}

// Bodies returns n distinct bodies "<prefix>-0000", "<prefix>-0001", ...
func Bodies(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%04d", prefix, i)
	}
	return out
}

// WaitFor polls cond every 100ms until it is true or timeout elapses, and
// reports whether it became true.
func WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}
