package worker

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/eventscale/eventscale/infra"
)

// contractSettings are sample workload settings; the contract must hold for any of them.
func contractSettings() []infra.WorkloadObjectSettings {
	base := infra.WorkloadObjectSettings{
		WorkloadSettings: infra.WorkloadSettings{
			Name: "worker", Namespace: "worker", Image: "123456789012.dkr.ecr.us-west-2.amazonaws.com/eventscale-dev/worker:latest",
			CPU: "1", Memory: "3Gi",
			Concurrency: 4, MaxProcessingSeconds: 30, SimulatedWorkSeconds: 1,
			MinReplicas: 0, MaxReplicas: 2, PollingIntervalSeconds: 10, CooldownPeriodSeconds: 25,
			QueueLength: 4, ScaleOnInFlight: true,
		},
		Queue:    infra.QueueSettings{ReceiveWaitTimeSeconds: 20, VisibilityTimeoutSeconds: 60},
		QueueURL: "https://sqs.us-west-2.amazonaws.com/123456789012/eventscale-dev-worker", Region: "us-west-2",
		RoleArn: "arn:aws:iam::123456789012:role/worker",
	}
	long := base
	long.Concurrency, long.SimulatedWorkSeconds, long.MaxProcessingSeconds = 1, 0, 3600
	long.Queue = infra.QueueSettings{ReceiveWaitTimeSeconds: 0, VisibilityTimeoutSeconds: 3660}
	return []infra.WorkloadObjectSettings{base, long}
}

// TestDeploymentEnvIsWhatLoadConfigReads: every variable the Deployment sets (infra.WorkerEnv)
// is one LoadConfig reads, LoadConfig accepts that environment as it is (nothing it requires is
// missing, no value is out of its range), and the values arrive as the Deployment meant them.
func TestDeploymentEnvIsWhatLoadConfigReads(t *testing.T) {
	t.Parallel()
	for i, s := range contractSettings() {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			for _, e := range infra.WorkerEnv(s) {
				if _, dup := env[e.Name]; dup {
					t.Errorf("the Deployment sets %s twice", e.Name)
				}
				env[e.Name] = e.Value
			}
			read := map[string]bool{}
			c, err := LoadConfig(func(k string) string { read[k] = true; return env[k] })
			if err != nil {
				t.Fatalf("LoadConfig rejects the Deployment's environment %v: %v", env, err)
			}
			for name := range env {
				if !read[name] {
					t.Errorf("the Deployment sets %s, which LoadConfig does not read", name)
				}
			}
			want := Config{
				QueueURL: s.QueueURL, Region: s.Region,
				Concurrency:         s.Concurrency,
				BatchSize:           infra.WorkerBatchSize,
				WaitSeconds:         s.Queue.ReceiveWaitTimeSeconds,
				VisibilityExtension: time.Duration(s.Queue.VisibilityTimeoutSeconds) * time.Second,
				ShutdownTimeout:     infra.ShutdownTimeout(s.MaxProcessingSeconds),
				SimulatedWork:       time.Duration(s.SimulatedWorkSeconds) * time.Second,
				HealthAddr:          fmt.Sprintf(":%d", infra.WorkerHealthPort),
				LogLevel:            c.LogLevel, RecordFile: c.RecordFile, EndpointURL: c.EndpointURL,
			}
			if c != want {
				t.Errorf("LoadConfig of the Deployment's environment = %+v, want %+v", c, want)
			}
		})
	}
}

// TestDeploymentSetsWhatLoadConfigRequires: the variables LoadConfig cannot do without (leaving
// one out of the Deployment's environment is an error) are all set by the Deployment; this also
// shows the check above can fail.
func TestDeploymentSetsWhatLoadConfigRequires(t *testing.T) {
	t.Parallel()
	env := map[string]string{}
	for _, e := range infra.WorkerEnv(contractSettings()[0]) {
		env[e.Name] = e.Value
	}
	var required []string
	for name := range env {
		if _, err := LoadConfig(func(k string) string {
			if k == name {
				return ""
			}
			return env[k]
		}); err != nil {
			required = append(required, name)
		}
	}
	slices.Sort(required)
	if want := []string{EnvRegion, EnvQueueURL}; !slices.Equal(required, want) {
		t.Errorf("leaving out one of the Deployment's variables fails LoadConfig for %v, want %v", required, want)
	}
}
