// Package sqstest runs a real SQS API for tests: it starts moto_server on
// 127.0.0.1 on a free port, waits until it answers, and kills it when the
// test ends. Nothing needs to be running beforehand, and no request ever
// leaves the machine (dummy credentials, loopback endpoint).
//
// If moto_server is not on PATH the test is skipped with the reason, or
// fails when the environment variable CI is "true".
package sqstest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Region is the region used for every moto server started here.
const Region = "us-east-1"

// Binary is the name of the moto server executable looked up on PATH.
const Binary = "moto_server"

// Server is a running moto_server.
type Server struct {
	// URL is the endpoint, e.g. http://127.0.0.1:43121.
	URL string
	// Region is the AWS region to use with it.
	Region string

	cmd  *exec.Cmd
	log  *tailBuffer
	done chan struct{}
}

// Start launches moto_server for the duration of tb and returns it.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath(Binary)
	if err != nil {
		msg := fmt.Sprintf("%s not found on PATH (%v): install moto with `pip install 'moto[server]==5.2.1'`", Binary, err)
		if os.Getenv("CI") == "true" {
			tb.Fatalf("sqstest: %s; CI=true so this is a failure, not a skip", msg)
		}
		tb.Skipf("sqstest: %s", msg)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := start(tb, bin)
		if err == nil {
			return s
		}
		lastErr = err
	}
	tb.Fatalf("sqstest: could not start %s: %v", Binary, lastErr)
	return nil
}

func start(tb testing.TB, bin string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{
		URL:    "http://127.0.0.1:" + strconv.Itoa(port),
		Region: Region,
		log:    &tailBuffer{max: 16 << 10},
		done:   make(chan struct{}),
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = ChildEnv(DummyCredentialsEnv()...)
	cmd.Stdout = s.log
	cmd.Stderr = s.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s.cmd = cmd
	go func() { _ = cmd.Wait(); close(s.done) }()

	if err := s.waitReady(30 * time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w; output:\n%s", err, s.log.String())
	}
	tb.Cleanup(func() {
		s.stop()
		if tb.Failed() {
			tb.Logf("sqstest: last moto_server output:\n%s", s.log.String())
		}
	})
	return s, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("%s exited before it was ready", Binary)
		default:
		}
		resp, err := client.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready on %s after %s", Binary, s.URL, timeout)
}

// stop kills the whole process group (the pyenv shim may fork) and waits.
func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
	}
}

// DummyCredentialsEnv returns environment entries that make any AWS SDK use
// fake static credentials and never consult real profiles or instance
// metadata.
func DummyCredentialsEnv() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_DEFAULT_REGION=" + Region,
	}
}

// ChildEnv returns os.Environ() without any AWS_* variable (so no real
// profile, token or endpoint leaks in), plus extra.
func ChildEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// Env returns the AWS variables for a child process that should talk to this
// server: dummy credentials, AWS_REGION and AWS_ENDPOINT_URL. Combine it with
// ChildEnv: cmd.Env = sqstest.ChildEnv(s.Env()...).
func (s *Server) Env() []string {
	return append(DummyCredentialsEnv(), "AWS_REGION="+s.Region, "AWS_ENDPOINT_URL="+s.URL)
}

// Client returns an SQS client for this server with dummy credentials.
func (s *Server) Client() *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "sqstest"}, nil
		}),
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
	out, err := s.Client().GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		tb.Fatalf("sqstest: queue attributes of %s: %v", queueURL, err)
	}
	n := func(k types.QueueAttributeName) int {
		v, err := strconv.Atoi(out.Attributes[string(k)])
		if err != nil {
			tb.Fatalf("sqstest: attribute %s of %s = %q: %v", k, queueURL, out.Attributes[string(k)], err)
		}
		return v
	}
	return Counts{
		Visible:    n(types.QueueAttributeNameApproximateNumberOfMessages),
		NotVisible: n(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible),
		Delayed:    n(types.QueueAttributeNameApproximateNumberOfMessagesDelayed),
	}
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

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(t.buf.String())
}
