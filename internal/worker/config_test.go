package worker

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := LoadConfig(envFunc(map[string]string{
		EnvQueueURL: "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs",
		EnvRegion:   "eu-west-1",
	}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	want := Config{
		QueueURL:            "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs",
		Region:              "eu-west-1",
		Concurrency:         4,
		BatchSize:           10,
		WaitSeconds:         20,
		VisibilityExtension: 30 * time.Second,
		ShutdownTimeout:     25 * time.Second,
		SimulatedWork:       time.Second,
		HealthAddr:          ":8080",
		LogLevel:            slog.LevelInfo,
	}
	if c != want {
		t.Fatalf("defaults:\n got %+v\nwant %+v", c, want)
	}
}

func TestLoadConfigValid(t *testing.T) {
	t.Parallel()
	base := map[string]string{
		EnvQueueURL: "http://127.0.0.1:5000/123456789012/q",
		EnvRegion:   "us-east-1",
	}
	tests := []struct {
		name  string
		env   map[string]string
		check func(Config) bool
	}{
		{"endpoint", map[string]string{EnvEndpointURL: "http://localhost:4566"}, func(c Config) bool { return c.EndpointURL == "http://localhost:4566" }},
		{"concurrency min", map[string]string{EnvConcurrency: "1"}, func(c Config) bool { return c.Concurrency == 1 }},
		{"concurrency max", map[string]string{EnvConcurrency: "256"}, func(c Config) bool { return c.Concurrency == 256 }},
		{"batch min", map[string]string{EnvBatchSize: "1"}, func(c Config) bool { return c.BatchSize == 1 }},
		{"wait zero", map[string]string{EnvWaitSeconds: "0"}, func(c Config) bool { return c.WaitSeconds == 0 }},
		{"extension", map[string]string{EnvVisibilityExtension: "5"}, func(c Config) bool { return c.VisibilityExtension == 5*time.Second }},
		{"shutdown", map[string]string{EnvShutdownTimeout: "1m30s"}, func(c Config) bool { return c.ShutdownTimeout == 90*time.Second }},
		{"shutdown 1h+slack", map[string]string{EnvShutdownTimeout: "3605s"}, func(c Config) bool { return c.ShutdownTimeout == 3605*time.Second }},
		{"work 1h", map[string]string{EnvSimulatedWork: "3600s"}, func(c Config) bool { return c.SimulatedWork == time.Hour }},
		{"work zero", map[string]string{EnvSimulatedWork: "0s"}, func(c Config) bool { return c.SimulatedWork == 0 }},
		{"work ms", map[string]string{EnvSimulatedWork: "10ms"}, func(c Config) bool { return c.SimulatedWork == 10*time.Millisecond }},
		{"health loopback", map[string]string{EnvHealthAddr: "127.0.0.1:0"}, func(c Config) bool { return c.HealthAddr == "127.0.0.1:0" }},
		{"log debug", map[string]string{EnvLogLevel: "DEBUG"}, func(c Config) bool { return c.LogLevel == slog.LevelDebug }},
		{"record file", map[string]string{EnvRecordFile: "/tmp/x"}, func(c Config) bool { return c.RecordFile == "/tmp/x" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tc.env {
				env[k] = v
			}
			c, err := LoadConfig(envFunc(env))
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if !tc.check(c) {
				t.Fatalf("unexpected config %+v", c)
			}
		})
	}
}

func TestLoadConfigInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want []string // substrings, each must appear in the error
		n    int      // number of problems expected; 0 means 1
	}{
		{"missing required", map[string]string{}, []string{"QUEUE_URL is required", "AWS_REGION is required"}, 2},
		{"queue url not absolute", map[string]string{EnvQueueURL: "jobs"}, []string{`QUEUE_URL must be an absolute http(s) URL, got "jobs"`}, 1},
		{"endpoint bad scheme", map[string]string{EnvEndpointURL: "ftp://x"}, []string{`AWS_ENDPOINT_URL must be an absolute http(s) URL, got "ftp://x"`}, 1},
		{"region bad", map[string]string{EnvRegion: "EU West"}, []string{`AWS_REGION must be an AWS region name such as eu-west-1, got "EU West"`}, 1},
		{"concurrency abc", map[string]string{EnvConcurrency: "abc"}, []string{`WORKER_CONCURRENCY must be an integer from 1 to 256, got "abc"`}, 1},
		{"concurrency 0", map[string]string{EnvConcurrency: "0"}, []string{`WORKER_CONCURRENCY must be an integer from 1 to 256, got "0"`}, 1},
		{"concurrency 257", map[string]string{EnvConcurrency: "257"}, []string{`WORKER_CONCURRENCY must be an integer from 1 to 256, got "257"`}, 1},
		{"batch 11", map[string]string{EnvBatchSize: "11"}, []string{`WORKER_BATCH_SIZE must be an integer from 1 to 10, got "11"`}, 1},
		{"batch 0", map[string]string{EnvBatchSize: "0"}, []string{`WORKER_BATCH_SIZE must be an integer from 1 to 10, got "0"`}, 1},
		{"wait 21", map[string]string{EnvWaitSeconds: "21"}, []string{`WORKER_WAIT_SECONDS must be an integer from 0 to 20, got "21"`}, 1},
		{"wait negative", map[string]string{EnvWaitSeconds: "-1"}, []string{`WORKER_WAIT_SECONDS must be an integer from 0 to 20, got "-1"`}, 1},
		{"extension 0", map[string]string{EnvVisibilityExtension: "0"}, []string{`WORKER_VISIBILITY_EXTENSION_SECONDS must be an integer from 1 to 43200, got "0"`}, 1},
		{"extension float", map[string]string{EnvVisibilityExtension: "1.5"}, []string{`WORKER_VISIBILITY_EXTENSION_SECONDS must be an integer from 1 to 43200, got "1.5"`}, 1},
		{"shutdown no unit", map[string]string{EnvShutdownTimeout: "25"}, []string{`WORKER_SHUTDOWN_TIMEOUT must be a positive Go duration`, `got "25"`}, 1},
		{"shutdown zero", map[string]string{EnvShutdownTimeout: "0s"}, []string{`WORKER_SHUTDOWN_TIMEOUT must be a positive Go duration`, `got "0s"`}, 1},
		{"shutdown negative", map[string]string{EnvShutdownTimeout: "-5s"}, []string{`got "-5s"`}, 1},
		{"shutdown too long", map[string]string{EnvShutdownTimeout: "13h"}, []string{`WORKER_SHUTDOWN_TIMEOUT must be a positive Go duration of at most 12h0m0s`, `got "13h"`}, 1},
		{"work bad", map[string]string{EnvSimulatedWork: "fast"}, []string{`WORKER_SIMULATED_WORK must be a non-negative Go duration`, `got "fast"`}, 1},
		{"health no port", map[string]string{EnvHealthAddr: "localhost"}, []string{`WORKER_HEALTH_ADDR must be a listen address`, `got "localhost"`}, 1},
		{"health port range", map[string]string{EnvHealthAddr: ":70000"}, []string{`got ":70000"`}, 1},
		{"log level", map[string]string{EnvLogLevel: "loud"}, []string{`WORKER_LOG_LEVEL must be one of debug, info, warn, error, got "loud"`}, 1},
		{"all at once", map[string]string{EnvConcurrency: "x", EnvBatchSize: "y", EnvWaitSeconds: "z"}, []string{
			"QUEUE_URL is required", "AWS_REGION is required",
			`WORKER_CONCURRENCY must be an integer from 1 to 256, got "x"`,
			`WORKER_BATCH_SIZE must be an integer from 1 to 10, got "y"`,
			`WORKER_WAIT_SECONDS must be an integer from 0 to 20, got "z"`,
		}, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{
				EnvQueueURL: "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs",
				EnvRegion:   "eu-west-1",
			}
			if tc.name == "missing required" || tc.name == "all at once" {
				env = map[string]string{}
			}
			for k, v := range tc.env {
				env[k] = v
			}
			_, err := LoadConfig(envFunc(env))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("LoadConfig error = %v, want *ConfigError", err)
			}
			wantN := max(tc.n, 1)
			if len(ce.Problems) != wantN {
				t.Errorf("got %d problems %q, want %d", len(ce.Problems), ce.Problems, wantN)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err.Error(), w)
				}
			}
		})
	}
}

func TestFailureBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rc   int
		want time.Duration
	}{
		{0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second},
		{6, 32 * time.Second}, {7, 60 * time.Second}, {100, 60 * time.Second},
	}
	for _, tc := range tests {
		if got := failureBackoff(tc.rc); got != tc.want {
			t.Errorf("failureBackoff(%d) = %s, want %s", tc.rc, got, tc.want)
		}
	}
}
