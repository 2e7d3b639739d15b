// Command sqs-load sends test messages to an SQS queue with SendMessageBatch
// (batches of up to 10), optionally rate-limited and with some "poison"
// messages that the demo worker handler always fails, so KEDA scaling and
// dead-letter behaviour can be shown.
//
// Usage:
//
//	sqs-load -queue-url URL [-region R] [-endpoint-url URL] [-count N] [-rate R] [-poison K]
//
// Exit codes: 0 all sent, 1 some sends failed, 2 bad flags.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
	maxBatch   = 10
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// options are the parsed command-line flags.
type options struct {
	queueURL    string
	region      string
	endpointURL string
	count       int
	rate        float64
	poison      int
	concurrency int
	runID       string
	progress    time.Duration
}

// parseFlags parses and validates args, reporting every problem at once.
func parseFlags(args []string, stderr io.Writer, getenv func(string) string) (options, error) {
	var o options
	fs := flag.NewFlagSet("sqs-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.queueURL, "queue-url", "", "SQS queue URL (required)")
	fs.StringVar(&o.region, "region", getenv("AWS_REGION"), "AWS region (default $AWS_REGION)")
	fs.StringVar(&o.endpointURL, "endpoint-url", getenv("AWS_ENDPOINT_URL"), "SQS endpoint override, e.g. http://127.0.0.1:5000 for moto (default $AWS_ENDPOINT_URL)")
	fs.IntVar(&o.count, "count", 100, "total number of messages to send, poison ones included")
	fs.Float64Var(&o.rate, "rate", 0, "messages per second; 0 sends as fast as possible")
	fs.IntVar(&o.poison, "poison", 0, "how many of the -count messages are poison (spread evenly)")
	fs.IntVar(&o.concurrency, "concurrency", 4, "parallel SendMessageBatch calls")
	fs.StringVar(&o.runID, "run-id", "", "identifier put in every body (default: start time)")
	fs.DurationVar(&o.progress, "progress", time.Second, "progress report interval; 0 disables")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: sqs-load -queue-url URL [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if fs.NArg() > 0 {
		add("unexpected arguments %q", fs.Args())
	}
	if o.queueURL == "" {
		add("-queue-url is required")
	} else if !isHTTPURL(o.queueURL) {
		add("-queue-url must be an absolute http(s) URL, got %q", o.queueURL)
	}
	if o.region == "" {
		add("-region is required (or set AWS_REGION)")
	}
	if o.endpointURL != "" && !isHTTPURL(o.endpointURL) {
		add("-endpoint-url must be an absolute http(s) URL, got %q", o.endpointURL)
	}
	if o.count < 1 {
		add("-count must be at least 1, got %d", o.count)
	}
	if o.rate < 0 {
		add("-rate must be >= 0 (0 = as fast as possible), got %g", o.rate)
	}
	if o.poison < 0 || (o.count >= 1 && o.poison > o.count) {
		add("-poison must be from 0 to -count (%d), got %d", o.count, o.poison)
	}
	if o.concurrency < 1 || o.concurrency > 64 {
		add("-concurrency must be from 1 to 64, got %d", o.concurrency)
	}
	if o.progress < 0 {
		add("-progress must be >= 0, got %s", o.progress)
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(stderr, "sqs-load: %s\n", p)
		}
		return o, errors.New("invalid flags")
	}
	if o.runID == "" {
		o.runID = time.Now().UTC().Format("20060102T150405Z")
	}
	return o, nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// body is the JSON payload of every message.
type body struct {
	Run    string    `json:"run"`
	Seq    int       `json:"seq"`
	Kind   string    `json:"kind"` // "work" or "poison"
	SentAt time.Time `json:"sent_at"`
}

// isPoison spreads k poison messages evenly over n.
func isPoison(i, n, k int) bool {
	return k > 0 && (i+1)*k/n > i*k/n
}

// batchPlan returns the batch size and the interval between batches for a
// rate: low rates send small batches so the load stays smooth.
func batchPlan(rate float64) (size int, every time.Duration) {
	if rate <= 0 {
		return maxBatch, 0
	}
	size = min(maxBatch, max(1, int(rate)))
	return size, time.Duration(float64(size) / rate * float64(time.Second))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	o, err := parseFlags(args, stderr, getenv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(o.region))
	if err != nil {
		fmt.Fprintf(stderr, "sqs-load: load AWS configuration: %v\n", err)
		return exitFailed
	}
	client := sqs.NewFromConfig(awsCfg, func(opt *sqs.Options) {
		if o.endpointURL != "" {
			opt.BaseEndpoint = aws.String(o.endpointURL)
		}
	})
	return send(ctx, client, o, stdout, stderr)
}

// sender is the part of the SQS client sqs-load uses.
type sender interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

func send(ctx context.Context, client sender, o options, stdout, stderr io.Writer) int {
	size, every := batchPlan(o.rate)
	fmt.Fprintf(stdout, "sqs-load: sending %d messages (%d poison) to %s, rate %s, run %s\n",
		o.count, o.poison, o.queueURL, rateString(o.rate), o.runID)

	batches := make(chan []int)
	var sent, failed, poisonSent atomic.Int64
	var wg sync.WaitGroup
	var errOnce sync.Once
	for range o.concurrency {
		wg.Go(func() {
			for idx := range batches {
				entries := make([]types.SendMessageBatchRequestEntry, 0, len(idx))
				for _, i := range idx {
					kind := "work"
					if isPoison(i, o.count, o.poison) {
						kind = "poison"
					}
					b, _ := json.Marshal(body{Run: o.runID, Seq: i, Kind: kind, SentAt: time.Now().UTC()})
					entries = append(entries, types.SendMessageBatchRequestEntry{
						Id:          aws.String(strconv.Itoa(i)),
						MessageBody: aws.String(string(b)),
					})
				}
				out, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(o.queueURL), Entries: entries})
				if err != nil {
					failed.Add(int64(len(entries)))
					errOnce.Do(func() { fmt.Fprintf(stderr, "sqs-load: send batch: %v\n", err) })
					continue
				}
				for _, s := range out.Successful {
					if i, _ := strconv.Atoi(aws.ToString(s.Id)); isPoison(i, o.count, o.poison) {
						poisonSent.Add(1)
					}
				}
				sent.Add(int64(len(out.Successful)))
				failed.Add(int64(len(out.Failed)))
				for _, f := range out.Failed {
					errOnce.Do(func() {
						fmt.Fprintf(stderr, "sqs-load: message %s rejected: %s %s\n",
							aws.ToString(f.Id), aws.ToString(f.Code), aws.ToString(f.Message))
					})
				}
			}
		})
	}

	start := time.Now()
	progressDone := make(chan struct{})
	stopProgress := make(chan struct{})
	go func() {
		defer close(progressDone)
		if o.progress <= 0 {
			<-stopProgress
			return
		}
		t := time.NewTicker(o.progress)
		defer t.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-t.C:
				el := time.Since(start).Seconds()
				fmt.Fprintf(stdout, "sqs-load: progress %d/%d sent, %d failed, %.1f msgs/s\n",
					sent.Load(), o.count, failed.Load(), float64(sent.Load())/el)
			}
		}
	}()

	interrupted := false
schedule:
	for k, first := 0, 0; first < o.count; k, first = k+1, first+size {
		if every > 0 {
			due := start.Add(time.Duration(k) * every)
			if d := time.Until(due); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					interrupted = true
					break schedule
				}
			}
		}
		idx := make([]int, 0, size)
		for i := first; i < min(first+size, o.count); i++ {
			idx = append(idx, i)
		}
		select {
		case batches <- idx:
		case <-ctx.Done():
			interrupted = true
			break schedule
		}
	}
	close(batches)
	wg.Wait()
	close(stopProgress)
	<-progressDone

	el := time.Since(start)
	fmt.Fprintf(stdout, "sqs-load: summary: sent %d of %d messages (%d poison), %d failed, in %s (%.1f msgs/s)\n",
		sent.Load(), o.count, poisonSent.Load(), failed.Load(), el.Round(time.Millisecond), float64(sent.Load())/el.Seconds())
	switch {
	case interrupted:
		fmt.Fprintln(stderr, "sqs-load: interrupted before all messages were sent")
		return exitFailed
	case failed.Load() > 0 || sent.Load() != int64(o.count):
		return exitFailed
	}
	return exitOK
}

func rateString(r float64) string {
	if r <= 0 {
		return "unlimited"
	}
	return strconv.FormatFloat(r, 'g', -1, 64) + " msgs/s"
}
