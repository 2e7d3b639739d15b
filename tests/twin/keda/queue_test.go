package keda

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventscale/eventscale/tests/twin/spec"
)

// queue is the program's work queue recreated on moto_server: same name, same region, so the
// queueURL in the ScaledObject addresses it unchanged.
type queue struct {
	client *sqs.Client
	name   string
	url    string // moto's URL for it (the scaler uses the program's)
}

func newQueue(t *testing.T, m *spec.Moto, queueURL, region string) *queue {
	t.Helper()
	u, err := url.Parse(queueURL)
	if err != nil || path.Base(u.Path) == "" {
		t.Fatalf("queueURL %q: %v", queueURL, err)
	}
	c := sqs.New(sqs.Options{
		Region:       region,
		BaseEndpoint: aws.String(m.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, nil
		}),
	})
	return &queue{client: c, name: path.Base(u.Path)}
}

// reset deletes and recreates the queue, so every scenario starts empty.
func (q *queue) reset(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if q.url != "" {
		if _, err := q.client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(q.url)}); err != nil {
			t.Fatalf("delete queue: %v", err)
		}
	}
	out, err := q.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(q.name)})
	if err != nil {
		t.Fatalf("create queue %s: %v", q.name, err)
	}
	q.url = aws.ToString(out.QueueUrl)
	if v, f := q.counts(t); v != 0 || f != 0 {
		t.Fatalf("fresh queue holds %d visible, %d in flight", v, f)
	}
}

// fill sends visible+inFlight messages, then receives inFlight of them without deleting them
// (so they are in flight for the hour-long visibility timeout), and checks the counts.
func (q *queue) fill(t *testing.T, visible, inFlight int) {
	t.Helper()
	ctx := context.Background()
	total := visible + inFlight
	batches := make(chan int)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := range batches {
				var entries []types.SendMessageBatchRequestEntry
				for i := start; i < min(start+10, total); i++ {
					entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(fmt.Sprintf("job-%05d", i))})
				}
				out, err := q.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.url), Entries: entries})
				if err == nil && len(out.Failed) > 0 {
					err = fmt.Errorf("%d entries failed", len(out.Failed))
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for start := 0; start < total; start += 10 {
		batches <- start
	}
	close(batches)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("send: %v", err)
	default:
	}
	for got := 0; got < inFlight; {
		out, err := q.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(q.url), MaxNumberOfMessages: int32(min(10, inFlight-got)), VisibilityTimeout: 3600,
		})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		if len(out.Messages) == 0 {
			t.Fatalf("receive: queue empty after %d of %d", got, inFlight)
		}
		got += len(out.Messages)
	}
	if v, f := q.counts(t); v != visible || f != inFlight {
		t.Fatalf("queue holds %d visible, %d in flight; want %d, %d", v, f, visible, inFlight)
	}
}

func (q *queue) counts(t *testing.T) (visible, inFlight int) {
	t.Helper()
	out, err := q.client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(q.url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		t.Fatalf("attributes: %v", err)
	}
	v, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	f, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return v, f
}
