package worker

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/eventscale/eventscale/internal/workerenv"
)

// Environment variable names read by LoadConfig, defined once in internal/workerenv (the
// Kubernetes Deployment, infra.WorkerEnv, sets them from there too).
const (
	EnvQueueURL            = workerenv.QueueURL
	EnvRegion              = workerenv.Region
	EnvEndpointURL         = workerenv.EndpointURL
	EnvConcurrency         = workerenv.Concurrency
	EnvBatchSize           = workerenv.BatchSize
	EnvWaitSeconds         = workerenv.WaitSeconds
	EnvVisibilityExtension = workerenv.VisibilityExtension
	EnvShutdownTimeout     = workerenv.ShutdownTimeout
	EnvSimulatedWork       = workerenv.SimulatedWork
	EnvHealthAddr          = workerenv.HealthAddr
	EnvLogLevel            = workerenv.LogLevel
	EnvRecordFile          = workerenv.RecordFile
)

// Defaults applied by LoadConfig when a variable is unset or empty.
const (
	DefaultConcurrency         = 4
	DefaultBatchSize           = workerenv.DefaultBatchSize
	DefaultWaitSeconds         = 20
	DefaultVisibilityExtension = 30 * time.Second
	DefaultShutdownTimeout     = 25 * time.Second
	DefaultSimulatedWork       = time.Second
	DefaultHealthAddr          = workerenv.DefaultHealthAddr
)

// Limits enforced by LoadConfig.
const (
	MaxConcurrency = 256
	// MaxBatchSize is the SQS limit for ReceiveMessage and DeleteMessageBatch.
	MaxBatchSize = 10
	// MaxWaitSeconds is the SQS long-poll limit.
	MaxWaitSeconds = 20
	// MaxVisibilitySeconds is the SQS visibility timeout limit (12 hours).
	MaxVisibilitySeconds = 43200
	// MaxShutdownTimeout bounds WORKER_SHUTDOWN_TIMEOUT (12h, like the
	// longest SQS visibility timeout; the stack allows messages of up to 1h
	// plus slack).
	MaxShutdownTimeout = 12 * time.Hour
	// MaxSimulatedWork bounds WORKER_SIMULATED_WORK.
	MaxSimulatedWork = 12 * time.Hour
)

// Config is the worker configuration, normally read from the environment
// with LoadConfig.
type Config struct {
	// QueueURL is the SQS queue to consume (QUEUE_URL, required).
	QueueURL string
	// Region is the AWS region (AWS_REGION, required).
	Region string
	// EndpointURL overrides the SQS endpoint, e.g. for moto or LocalStack
	// (AWS_ENDPOINT_URL, optional).
	EndpointURL string
	// Concurrency is the maximum number of messages processed at once.
	Concurrency int
	// BatchSize is the maximum number of messages per ReceiveMessage call.
	BatchSize int
	// WaitSeconds is the long-poll wait of each ReceiveMessage call.
	WaitSeconds int
	// VisibilityExtension is the visibility timeout requested on receive and
	// renewed by the heartbeat while a message is processing.
	VisibilityExtension time.Duration
	// ShutdownTimeout bounds the drain after SIGTERM/SIGINT.
	ShutdownTimeout time.Duration
	// SimulatedWork is the per-message work duration of the demo handler.
	SimulatedWork time.Duration
	// HealthAddr is the listen address of the /healthz and /readyz server.
	HealthAddr string
	// LogLevel is the minimum level of the JSON logs.
	LogLevel slog.Level
	// RecordFile, when set, receives one JSON line per successfully processed
	// message, fsync'd before the message is deleted. It is a test and
	// debugging aid (WORKER_RECORD_FILE).
	RecordFile string
}

// ConfigError lists every problem found in the environment.
type ConfigError struct {
	// Problems holds one human-readable message per bad or missing variable.
	Problems []string
}

// Error implements error, joining all problems.
func (e *ConfigError) Error() string {
	return "invalid configuration: " + strings.Join(e.Problems, "; ")
}

var regionRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// LoadConfig reads the configuration through getenv (typically os.Getenv).
// An empty value counts as unset. All problems are reported at once in a
// *ConfigError.
func LoadConfig(getenv func(string) string) (Config, error) {
	p := &parser{getenv: getenv}
	c := Config{
		QueueURL:            p.url(EnvQueueURL, true),
		Region:              p.region(),
		EndpointURL:         p.url(EnvEndpointURL, false),
		Concurrency:         p.intRange(EnvConcurrency, DefaultConcurrency, 1, MaxConcurrency),
		BatchSize:           p.intRange(EnvBatchSize, DefaultBatchSize, 1, MaxBatchSize),
		WaitSeconds:         p.intRange(EnvWaitSeconds, DefaultWaitSeconds, 0, MaxWaitSeconds),
		VisibilityExtension: time.Duration(p.intRange(EnvVisibilityExtension, int(DefaultVisibilityExtension/time.Second), 1, MaxVisibilitySeconds)) * time.Second,
		ShutdownTimeout:     p.duration(EnvShutdownTimeout, DefaultShutdownTimeout, false, MaxShutdownTimeout),
		SimulatedWork:       p.duration(EnvSimulatedWork, DefaultSimulatedWork, true, MaxSimulatedWork),
		HealthAddr:          p.addr(EnvHealthAddr, DefaultHealthAddr),
		LogLevel:            p.level(EnvLogLevel),
		RecordFile:          getenv(EnvRecordFile),
	}
	if len(p.problems) > 0 {
		return Config{}, &ConfigError{Problems: p.problems}
	}
	return c, nil
}

type parser struct {
	getenv   func(string) string
	problems []string
}

func (p *parser) addf(format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf(format, args...))
}

func (p *parser) url(name string, required bool) string {
	v := p.getenv(name)
	if v == "" {
		if required {
			p.addf("%s is required (an absolute http(s) URL)", name)
		}
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.addf("%s must be an absolute http(s) URL, got %q", name, v)
		return ""
	}
	return v
}

func (p *parser) region() string {
	v := p.getenv(EnvRegion)
	if v == "" {
		p.addf("%s is required (e.g. eu-west-1)", EnvRegion)
		return ""
	}
	if !regionRE.MatchString(v) {
		p.addf("%s must be an AWS region name such as eu-west-1, got %q", EnvRegion, v)
		return ""
	}
	return v
}

func (p *parser) intRange(name string, def, lo, hi int) int {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		p.addf("%s must be an integer from %d to %d, got %q", name, lo, hi, v)
		return def
	}
	return n
}

func (p *parser) duration(name string, def time.Duration, allowZero bool, max time.Duration) time.Duration {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	bad := err != nil || d < 0 || d > max || (d == 0 && !allowZero)
	if bad {
		kind := "a positive"
		if allowZero {
			kind = "a non-negative"
		}
		p.addf("%s must be %s Go duration of at most %s (e.g. %s), got %q", name, kind, max, def, v)
		return def
	}
	return d
}

func (p *parser) addr(name, def string) string {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	_, port, err := net.SplitHostPort(v)
	if err == nil {
		var n int
		n, err = strconv.Atoi(port)
		if err == nil && (n < 0 || n > 65535) {
			err = fmt.Errorf("port out of range")
		}
	}
	if err != nil {
		p.addf("%s must be a listen address host:port such as :8080 or 127.0.0.1:8080, got %q", name, v)
		return def
	}
	return v
}

func (p *parser) level(name string) slog.Level {
	v := p.getenv(name)
	if v == "" {
		return slog.LevelInfo
	}
	var l slog.Level
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "debug":
		l = slog.LevelDebug
	case "info":
		l = slog.LevelInfo
	case "warn", "warning":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		p.addf("%s must be one of debug, info, warn, error, got %q", name, v)
		return slog.LevelInfo
	}
	return l
}

// LogValue implements slog.LogValuer so the effective configuration can be
// logged at start-up.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("queue_url", c.QueueURL),
		slog.String("region", c.Region),
		slog.String("endpoint_url", c.EndpointURL),
		slog.Int("concurrency", c.Concurrency),
		slog.Int("batch_size", c.BatchSize),
		slog.Int("wait_seconds", c.WaitSeconds),
		slog.String("visibility_extension", c.VisibilityExtension.String()),
		slog.String("shutdown_timeout", c.ShutdownTimeout.String()),
		slog.String("simulated_work", c.SimulatedWork.String()),
		slog.String("health_addr", c.HealthAddr),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("record_file", c.RecordFile),
	)
}
