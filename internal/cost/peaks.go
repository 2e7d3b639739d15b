package cost

import (
	"fmt"
	"strconv"
	"strings"
)

// Peak is the last row of one stack's scaling table (docs/scaling-table.md, computed by the
// scaling twin in tests/twin with Karpenter v1.14.1's scheduler): the nodes its workload's
// maxReplicas pods get. The twin is a nested module the program's module cannot import, so the
// row is recorded here; TestPeaksAreTheScalingTables checks it against the table, and the
// fingerprint against the stack's plan.
type Peak struct {
	// Stack is the stack the twin computed the row for.
	Stack string
	// Fingerprint is Fingerprint of that stack's plan: the peak applies to any plan with it.
	Fingerprint string
	// Pods is the row's pods column.
	Pods int
	// Nodes is the row's "instance type (capacity)" cell, verbatim: "2 × m5.large/m6i.large
	// (on-demand)" (a slash joins types that tie for cheapest).
	Nodes string
}

// ScalingTablePeaks are the peaks of the shipped stacks. After `make scaling-table` changes a
// last row, or a stack's NodePool, zones or workloads change, update the entry here.
var ScalingTablePeaks = []Peak{
	{Stack: "dev", Fingerprint: "a3db68f340a4444d", Pods: 2, Nodes: "2 × m5.large/m6i.large (on-demand)"},
	{Stack: "prod", Fingerprint: "332be964fd0ce101", Pods: 50, Nodes: "1 × c6a.xlarge (spot), 6 × m6a.2xlarge (spot), 2 × m6a.xlarge (spot)"},
}

// NodeGroup is one part of a peak's nodes cell.
type NodeGroup struct {
	Count int
	// InstanceTypes are the types that tie for cheapest (EC2 Fleet launches one of them).
	InstanceTypes []string
	// CapacityType is on-demand or spot.
	CapacityType string
}

// Groups parses the peak's nodes cell.
func (p Peak) Groups() ([]NodeGroup, error) {
	var out []NodeGroup
	for _, part := range strings.Split(p.Nodes, ", ") {
		count, rest, ok := strings.Cut(part, " × ")
		types, capacity, ok2 := strings.Cut(rest, " (")
		n, err := strconv.Atoi(count)
		if !ok || !ok2 || err != nil || !strings.HasSuffix(capacity, ")") {
			return nil, fmt.Errorf("peak of %s: %q is not \"<count> × <type>[/<type>] (<capacity>)\"", p.Stack, part)
		}
		out = append(out, NodeGroup{Count: n, InstanceTypes: strings.Split(types, "/"), CapacityType: strings.TrimSuffix(capacity, ")")})
	}
	return out, nil
}

// peakFor returns the recorded peak whose fingerprint is fp.
func peakFor(fp string) (Peak, bool) {
	for _, p := range ScalingTablePeaks {
		if p.Fingerprint == fp {
			return p, true
		}
	}
	return Peak{}, false
}
