// Command worker consumes an SQS queue: it long-polls for messages, runs the
// demo handler on each with bounded concurrency, deletes successes, leaves
// failures for redelivery and drains gracefully on SIGTERM/SIGINT.
//
// It is configured only through environment variables (see docs/worker.md):
// QUEUE_URL and AWS_REGION are required. Exit codes: 0 after a clean drain,
// 1 on a start-up failure (AWS configuration, health listener, record file),
// 2 on invalid configuration.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventscale/eventscale/internal/worker"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitConfig  = 2
)

func main() {
	os.Exit(run(os.Getenv, os.Stdout, os.Stderr))
}

func run(getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := worker.LoadConfig(getenv)
	if err != nil {
		var ce *worker.ConfigError
		if errors.As(err, &ce) {
			for _, p := range ce.Problems {
				fmt.Fprintf(stderr, "worker: configuration error: %s\n", p)
			}
		} else {
			fmt.Fprintf(stderr, "worker: configuration error: %v\n", err)
		}
		return exitConfig
	}
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if err := serve(cfg, log); err != nil {
		log.Error("worker failed", "error", err.Error())
		return exitFailure
	}
	return exitOK
}

func serve(cfg worker.Config, log *slog.Logger) error {
	log.Info("starting worker", "config", cfg, "pid", os.Getpid())

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sigs)
	go func() {
		select {
		case s := <-sigs:
			log.Info("signal received; draining", "signal", s.String())
			cancel()
		case <-ctx.Done():
			return
		}
		select {
		case s := <-sigs:
			// A second signal means "now": unfinished messages are simply not
			// deleted and will be redelivered.
			log.Warn("second signal received; exiting without waiting", "signal", s.String())
			os.Exit(exitFailure)
		case <-ctx.Done():
		}
	}()

	loadCtx, loadCancel := context.WithTimeout(ctx, 30*time.Second)
	awsCfg, err := awsconfig.LoadDefaultConfig(loadCtx, awsconfig.WithRegion(cfg.Region))
	loadCancel()
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	client := sqs.NewFromConfig(awsCfg, func(o *sqs.Options) {
		if cfg.EndpointURL != "" {
			o.BaseEndpoint = aws.String(cfg.EndpointURL)
		}
	})

	deps := worker.Deps{
		Client: client,
		Logger: log,
		Handler: worker.DemoHandler{
			Work: cfg.SimulatedWork,
			Digest: func(m worker.Message, digest string) {
				log.Debug("demo handler done", "message_id", m.ID, "sha256", digest)
			},
		},
	}
	if cfg.RecordFile != "" {
		rec, err := worker.OpenFileRecorder(cfg.RecordFile)
		if err != nil {
			return err
		}
		defer func() {
			if err := rec.Close(); err != nil {
				log.Warn("closing record file failed", "error", err.Error())
			}
		}()
		deps.Recorder = rec
	}
	w, err := worker.New(cfg, deps)
	if err != nil {
		return fmt.Errorf("create worker: %w", err)
	}

	ln, err := net.Listen("tcp", cfg.HealthAddr)
	if err != nil {
		return fmt.Errorf("health server: listen on %s: %w", cfg.HealthAddr, err)
	}
	srv := &http.Server{
		Handler:           worker.HealthHandler(w.Ready),
		ReadHeaderTimeout: 5 * time.Second,
	}
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Serve(ln) }()
	log.Info("health server listening", "addr", ln.Addr().String())

	runErr := w.Run(ctx)

	shutCtx, shutCancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer shutCancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn("health server shutdown", "error", err.Error())
	}
	if err := <-srvDone; err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("health server stopped with error", "error", err.Error())
	}
	if runErr != nil {
		return fmt.Errorf("run worker: %w", runErr)
	}
	log.Info("worker stopped")
	return nil
}
