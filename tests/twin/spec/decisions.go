package spec

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// KedaDecisions is what the KEDA half decided for one stack's ScaledObject: for each queue
// state it created on moto_server, the metric KEDA's aws-sqs-queue scaler read, whether the
// scaler reported the trigger active, and the replicas that follow.
type KedaDecisions struct {
	Stack string `json:"stack"`
	// Fingerprint is Fingerprint(ScaledObject) of the object the decisions were made for.
	Fingerprint string `json:"fingerprint"`
	// KedaModule is the KEDA module and version whose code made the decisions.
	KedaModule string `json:"kedaModule"`
	// MinReplicas .. CooldownPeriod are the ScaledObject's settings as KEDA decoded them.
	MinReplicas           int32 `json:"minReplicas"`
	MaxReplicas           int32 `json:"maxReplicas"`
	PollingInterval       int32 `json:"pollingInterval"`
	CooldownPeriod        int32 `json:"cooldownPeriod"`
	QueueLength           int64 `json:"queueLength"`
	ActivationQueueLength int64 `json:"activationQueueLength"`
	ScaleOnInFlight       bool  `json:"scaleOnInFlight"`
	// Rows are in TableMessages(Stack) order.
	Rows []KedaRow `json:"rows"`
}

// KedaRow is one queue state and KEDA's decision for it.
type KedaRow struct {
	// Visible and InFlight are the messages created through the SQS API (in flight = received
	// and not deleted).
	Visible  int `json:"visible"`
	InFlight int `json:"inFlight"`
	// Metric is the queue length KEDA's scaler returned (GetMetricsAndActivity).
	Metric int64 `json:"metric"`
	// Active is the scaler's activity verdict.
	Active bool `json:"active"`
	// Replicas is the desired replica count (activation + the HPA formula).
	Replicas int32 `json:"replicas"`
	// Measured is true when Metric and Active were read by KEDA's scaler from a queue that
	// really held the messages; false when the queue would have been too large for moto
	// (see MaxRealMessages) and the count itself went through the same activation and HPA steps.
	Measured bool `json:"measured"`
}

// MaxRealMessages is the largest queue the KEDA half builds on moto_server. moto 5.2.1 walks
// every message of the queue on each SendMessage (Queue.attributes computes the approximate
// counts), so filling a queue costs O(n²): here 1,000 messages take ≈ 25 s, 3,000 ≈ 3 min and
// 10,000 would take ≈ 40 min. Deeper rows use the count itself. TWIN_MAX_REAL_MESSAGES overrides it.
const MaxRealMessages = 1000

// Messages is the number of messages in the queue in that state.
func (r KedaRow) Messages() int { return r.Visible + r.InFlight }

// TableMessages are the queue depths of a stack's row in docs/scaling-table.md.
func TableMessages(stack string) []int {
	if stack == "prod" {
		return []int{0, 1, 10, 100, 1000, 10000}
	}
	return []int{0, 1, 2, 3, 10}
}

// DecisionsDir is where the KEDA half writes its decisions (git-ignored: out/ at the root).
func DecisionsDir(root string) string {
	if d := os.Getenv("TWIN_OUT"); d != "" {
		return d
	}
	return filepath.Join(root, "out", "twin")
}

// DecisionsPath is the decisions file of one stack.
func DecisionsPath(root, stack string) string {
	return filepath.Join(DecisionsDir(root), "keda-"+stack+".json")
}

// WriteDecisions writes d to DecisionsPath(root, d.Stack).
func WriteDecisions(root string, d *KedaDecisions) error {
	if err := os.MkdirAll(DecisionsDir(root), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(DecisionsPath(root, d.Stack), append(b, '\n'), 0o644)
}

// ReadDecisions reads the decisions of stack and checks they were made for the ScaledObject
// the program emits now (fingerprint).
func ReadDecisions(root, stack, fingerprint string) (*KedaDecisions, error) {
	p := DecisionsPath(root, stack)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("spec: the KEDA half's decisions for %q are missing (%w): run `make scaling-table` (or `cd tests/twin/keda && go test ./...`) first", stack, err)
	}
	var d KedaDecisions
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("spec: %s: %w", p, err)
	}
	if d.Fingerprint != fingerprint {
		return nil, fmt.Errorf("spec: %s was made for another ScaledObject (fingerprint %s, the program's is now %s): re-run the KEDA half", p, d.Fingerprint, fingerprint)
	}
	return &d, nil
}
