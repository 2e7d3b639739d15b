package sqstest_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventscale/eventscale/internal/sqstest"
)

func TestServerRoundTrip(t *testing.T) {
	s := sqstest.Start(t)
	q := s.CreateQueue(t, "roundtrip", map[string]string{"VisibilityTimeout": "5"})
	if q.ARN == "" {
		t.Fatal("queue ARN is empty")
	}
	s.SendBodies(t, q.URL, sqstest.Bodies("m", 15))
	if got := s.QueueCounts(t, q.URL); got.Visible != 15 || got.NotVisible != 0 {
		t.Fatalf("counts after send = %+v, want 15 visible", got)
	}
	out, err := s.Client().ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(q.URL), MaxNumberOfMessages: 10,
	})
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	if len(out.Messages) == 0 {
		t.Fatal("received nothing")
	}
	if got := s.QueueCounts(t, q.URL); got.NotVisible != len(out.Messages) || got.Total() != 15 {
		t.Fatalf("counts after receive = %+v, want %d not visible of 15", got, len(out.Messages))
	}
}
