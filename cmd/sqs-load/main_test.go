package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventscale/eventscale/internal/sqstest"
)

func noEnv(string) string { return "" }

func TestParseFlagsErrors(t *testing.T) {
	t.Parallel()
	const q = "-queue-url=http://127.0.0.1:1/123456789012/q"
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"no queue", []string{"-region=us-east-1"}, []string{"-queue-url is required"}},
		{"no region", []string{q}, []string{"-region is required"}},
		{"bad queue url", []string{"-queue-url=jobs", "-region=r"}, []string{`-queue-url must be an absolute http(s) URL, got "jobs"`}},
		{"bad endpoint", []string{q, "-region=r", "-endpoint-url=localhost"}, []string{`-endpoint-url must be an absolute http(s) URL, got "localhost"`}},
		{"count 0", []string{q, "-region=r", "-count=0"}, []string{"-count must be at least 1, got 0"}},
		{"negative rate", []string{q, "-region=r", "-rate=-1"}, []string{"-rate must be >= 0"}},
		{"poison > count", []string{q, "-region=r", "-count=5", "-poison=6"}, []string{"-poison must be from 0 to -count (5), got 6"}},
		{"non-numeric count", []string{q, "-region=r", "-count=ten"}, []string{`invalid value "ten" for flag -count`}},
		{"unknown flag", []string{q, "-region=r", "-bogus"}, []string{"flag provided but not defined: -bogus"}},
		{"extra args", []string{q, "-region=r", "extra"}, []string{`unexpected arguments ["extra"]`}},
		{"several", []string{"-count=0", "-concurrency=0"}, []string{"-queue-url is required", "-region is required", "-count must be at least 1", "-concurrency must be from 1 to 64"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr, noEnv)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d", code, exitUsage)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr does not contain %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}

func TestParseFlagsEnvDefaults(t *testing.T) {
	t.Parallel()
	env := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}
	o, err := parseFlags([]string{"-queue-url=https://sqs.eu-west-1.amazonaws.com/1/q"}, &bytes.Buffer{}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	if o.region != "eu-west-1" || o.endpointURL != "http://127.0.0.1:4566" || o.count != 100 || o.rate != 0 || o.poison != 0 {
		t.Errorf("unexpected options %+v", o)
	}
}

func TestIsPoisonSpreadsExactlyK(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ n, k int }{{10, 0}, {10, 1}, {10, 3}, {10, 10}, {1000, 7}, {7, 5}} {
		got := 0
		for i := range c.n {
			if isPoison(i, c.n, c.k) {
				got++
			}
		}
		if got != c.k {
			t.Errorf("n=%d k=%d: %d poison", c.n, c.k, got)
		}
	}
}

func TestBatchPlan(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		rate  float64
		size  int
		every time.Duration
	}{
		{0, 10, 0}, {0.5, 1, 2 * time.Second}, {1, 1, time.Second}, {5, 5, time.Second},
		{20, 10, 500 * time.Millisecond}, {1000, 10, 10 * time.Millisecond},
	} {
		size, every := batchPlan(c.rate)
		if size != c.size || every != c.every {
			t.Errorf("batchPlan(%g) = %d, %s; want %d, %s", c.rate, size, every, c.size, c.every)
		}
	}
}

// drain receives and deletes everything in the queue, returning the bodies.
func drain(t *testing.T, s *sqstest.Server, queueURL string) []string {
	t.Helper()
	c := s.Client()
	var bodies []string
	for {
		out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		if len(out.Messages) == 0 {
			return bodies
		}
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			if _, err := c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatalf("delete: %v", err)
			}
		}
	}
}

func TestSendWithPoisonAndRate(t *testing.T) {
	t.Parallel()
	s := sqstest.Start(t)
	q := s.CreateQueue(t, "load", nil)
	o := options{queueURL: q.URL, region: s.Region, count: 35, poison: 4, concurrency: 4, runID: "test", rate: 20}
	var stdout, stderr bytes.Buffer
	begin := time.Now()
	if code := send(context.Background(), s.Client(), o, &stdout, &stderr); code != exitOK {
		t.Fatalf("send exit %d; stderr:\n%s", code, stderr.String())
	}
	// 4 batches of 10 at 20 msgs/s are scheduled 0.5s apart.
	if el := time.Since(begin); el < 1500*time.Millisecond {
		t.Errorf("35 messages at 20 msgs/s took %s, want >= 1.5s", el)
	}
	if !strings.Contains(stdout.String(), "summary: sent 35 of 35 messages (4 poison), 0 failed") {
		t.Errorf("unexpected summary:\n%s", stdout.String())
	}
	bodies := drain(t, s, q.URL)
	poison := 0
	for _, b := range bodies {
		if strings.Contains(b, "poison") {
			poison++
		}
	}
	if len(bodies) != 35 || poison != 4 {
		t.Errorf("queue held %d messages with %d poison, want 35 and 4", len(bodies), poison)
	}
}

func TestSendReportsFailure(t *testing.T) {
	t.Parallel()
	s := sqstest.Start(t)
	o := options{queueURL: s.URL + "/123456789012/does-not-exist", region: s.Region, count: 5, concurrency: 1, runID: "x"}
	var stdout, stderr bytes.Buffer
	if code := send(context.Background(), s.Client(), o, &stdout, &stderr); code != exitFailed {
		t.Fatalf("exit %d, want %d", code, exitFailed)
	}
	if !strings.Contains(stderr.String(), "send batch") {
		t.Errorf("stderr lacks the send error:\n%s", stderr.String())
	}
}

// TestRunEndToEnd goes through flag parsing and the default AWS config chain
// with dummy credentials from the environment.
func TestRunEndToEnd(t *testing.T) {
	s := sqstest.Start(t)
	q := s.CreateQueue(t, "e2e", nil)
	for _, kv := range sqstest.DummyCredentialsEnv() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_PROFILE", "")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-queue-url", q.URL, "-region", s.Region, "-endpoint-url", s.URL, "-count", "12", "-poison", "1"},
		&stdout, &stderr, noEnv)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	if c := s.QueueCounts(t, q.URL); c.Visible != 12 {
		t.Errorf("queue has %+v, want 12 visible", c)
	}
}
