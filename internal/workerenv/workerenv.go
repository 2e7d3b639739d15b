// Package workerenv is the worker's environment contract, defined once: the names of the
// environment variables the worker container gets, and the defaults both sides share.
//
// Two sides use it. infra.WorkerEnv writes the variables into the worker Deployment (the
// plan and the cluster get exactly that list); internal/worker.LoadConfig reads them in
// cmd/worker. The package imports nothing, so the pure builders in infra (and through them
// the Pulumi program) gain no dependency by importing it.
package workerenv

// Variables the Deployment sets (infra.WorkerEnv) and the worker reads (worker.LoadConfig).
const (
	// QueueURL is the SQS queue to consume. Written by infra.WorkerEnv (the workload's queue);
	// read by LoadConfig, required.
	QueueURL = "QUEUE_URL"
	// Region is the AWS region. Written by infra.WorkerEnv (the stack's region); read by
	// LoadConfig, required.
	Region = "AWS_REGION"
	// Concurrency is the most messages processed at once. Written by infra.WorkerEnv (the
	// workload's concurrency); read by LoadConfig.
	Concurrency = "WORKER_CONCURRENCY"
	// BatchSize is the most messages one ReceiveMessage call asks for. Written by
	// infra.WorkerEnv (always DefaultBatchSize); read by LoadConfig (default DefaultBatchSize).
	BatchSize = "WORKER_BATCH_SIZE"
	// WaitSeconds is the long-poll wait of each receive. Written by infra.WorkerEnv (the
	// queue's receive wait time); read by LoadConfig.
	WaitSeconds = "WORKER_WAIT_SECONDS"
	// VisibilityExtension is the visibility timeout, in seconds, asked for on receive and
	// renewed while a message is processing. Written by infra.WorkerEnv (the queue's
	// visibility timeout); read by LoadConfig.
	VisibilityExtension = "WORKER_VISIBILITY_EXTENSION_SECONDS"
	// ShutdownTimeout bounds the drain after SIGTERM (a Go duration). Written by
	// infra.WorkerEnv (longest processing time plus slack); read by LoadConfig.
	ShutdownTimeout = "WORKER_SHUTDOWN_TIMEOUT"
	// SimulatedWork is the demo handler's work per message (a Go duration). Written by
	// infra.WorkerEnv (the workload's simulated work); read by LoadConfig.
	SimulatedWork = "WORKER_SIMULATED_WORK"
	// HealthAddr is the listen address of /healthz and /readyz. Written by infra.WorkerEnv
	// (":" + HealthPort, the port the probes use); read by LoadConfig (default
	// DefaultHealthAddr).
	HealthAddr = "WORKER_HEALTH_ADDR"
)

// Variables only the worker reads: the Deployment does not set them (they are for running
// the worker elsewhere: moto or LocalStack, debugging, tests).
const (
	// EndpointURL overrides the SQS endpoint (e.g. moto). Read by LoadConfig, optional.
	EndpointURL = "AWS_ENDPOINT_URL"
	// LogLevel is the minimum log level (debug, info, warn, error). Read by LoadConfig,
	// optional.
	LogLevel = "WORKER_LOG_LEVEL"
	// RecordFile receives a JSON line per processed message (a test and debugging aid). Read
	// by LoadConfig, optional.
	RecordFile = "WORKER_RECORD_FILE"
)

// Defaults both sides share.
const (
	// DefaultBatchSize is the value infra.WorkerEnv sets for WORKER_BATCH_SIZE and LoadConfig's
	// default: the SQS maximum (the worker never receives more than it has free slots for).
	DefaultBatchSize = 10
	// HealthPort is the port of /healthz and /readyz: the container port and the probes'
	// port in the Deployment.
	HealthPort = 8080
	// DefaultHealthAddr is HealthAddr's value in the Deployment and LoadConfig's default:
	// every interface, HealthPort.
	DefaultHealthAddr = ":8080"
)
