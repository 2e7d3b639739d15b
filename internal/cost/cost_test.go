package cost

import (
	"maps"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/internal/cost/prices"
	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/stacks"
)

// edited runs the dev stack with some config sections replaced.
func edited(t *testing.T, edits map[string]string) *offline.Recording {
	t.Helper()
	raw, err := stacks.ReadStackFile(projectDir + "/Pulumi.dev.yaml")
	require.NoError(t, err)
	maps.Copy(raw, edits)
	rec, err := offline.Run("dev", raw, offline.Options{})
	require.NoError(t, err)
	return rec
}

func estimate(t *testing.T, rec *offline.Recording) (Quantities, Estimate) {
	t.Helper()
	q, err := Count(rec)
	require.NoError(t, err)
	e, err := New(q)
	require.NoError(t, err)
	return q, e
}

func line(t *testing.T, e Estimate, prefix string) Line {
	t.Helper()
	for _, l := range e.Lines {
		if strings.HasPrefix(l.Item, prefix) {
			return l
		}
	}
	require.Failf(t, "no line", "%q in %s", prefix, e.Table())
	return Line{}
}

// projectDir holds Pulumi.yaml, the stack files, README.md and docs/.
const projectDir = "../.."

// runs runs each shipped stack once for this package's tests; shipped returns its recording.
var runs offline.Cache

func shipped(t *testing.T, stack string) *offline.Recording {
	t.Helper()
	rec, err := runs.StackFile(projectDir, stack)
	require.NoError(t, err, stack)
	return rec
}

func TestFargateSize(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		cpu, gib, wantCPU, wantGiB float64
	}{
		{0.1, 70.0 / 1024, 0.25, 0.5}, // CoreDNS: 70Mi + 256Mi
		{0.25, 0.5, 0.25, 1},          // 512Mi + 256Mi
		{0.5, 1, 0.5, 2},              // 1Gi + 256Mi
		{1, 1, 1, 2},
		{1, 3, 1, 4},
		{2, 15.75, 2, 16},
		{2, 15.8, 4, 17},
		{8, 20, 8, 24},
	} {
		cpu, gib, err := fargateSize(c.cpu, c.gib)
		require.NoError(t, err)
		assert.Equal(t, []float64{c.wantCPU, c.wantGiB}, []float64{cpu, gib}, "%g vCPU %g GiB", c.cpu, c.gib)
	}
	_, _, err := fargateSize(16, 1)
	assert.ErrorContains(t, err, "no Fargate configuration holds 16 vCPU")
}

// TestShippedQuantities: what dev's and prod's plans create, counted.
func TestShippedQuantities(t *testing.T) {
	t.Parallel()
	dev, _ := estimate(t, shipped(t, "dev"))
	assert.Equal(t, 1, dev.Clusters)
	assert.Equal(t, []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}, dev.LogTypes)
	assert.Equal(t, 1, dev.NATGateways)
	assert.Equal(t, 1, dev.PublicIPv4)
	assert.Equal(t, 2, dev.Alarms)
	assert.Equal(t, 1, dev.Dashboards)
	assert.Equal(t, []FargatePod{
		{Name: "Karpenter controller", Replicas: 1, VCPU: 1, GiB: 2},
		{Name: "KEDA operator", Replicas: 1, VCPU: 0.5, GiB: 2},
		{Name: "KEDA metrics server", Replicas: 1, VCPU: 0.5, GiB: 2},
		{Name: "KEDA admission webhooks", Replicas: 1, VCPU: 0.25, GiB: 1},
		{Name: "CoreDNS (EKS add-on)", Replicas: 2, VCPU: 0.25, GiB: 0.5},
	}, dev.Fargate)
	assert.Equal(t, []Workload{{Name: "worker", MaxReplicas: 2, PollingIntervalSeconds: 10, Concurrency: 1, SimulatedWork: time.Second}}, dev.Workloads)

	prod, _ := estimate(t, shipped(t, "prod"))
	assert.Equal(t, 3, prod.NATGateways)
	assert.Equal(t, 3, prod.PublicIPv4)
	assert.Equal(t, 2, prod.Fargate[0].Replicas, "karpenter.replicas")
	assert.Equal(t, 2, prod.Fargate[1].Replicas, "keda.operatorReplicas")
	assert.Equal(t, 50, prod.Workloads[0].MaxReplicas)
}

// TestQuantitiesFollowTheConfig: edits to dev move exactly the lines they should.
func TestQuantitiesFollowTheConfig(t *testing.T) {
	t.Parallel()
	_, base := estimate(t, shipped(t, "dev"))

	t.Run("natGateways", func(t *testing.T) {
		t.Parallel()
		_, e := estimate(t, edited(t, map[string]string{"eventscale:network": `{"natGateways":"onePerAz"}`}))
		assert.Equal(t, "1", line(t, base, "NAT gateways").IdleQty)
		assert.Equal(t, "3", line(t, e, "NAT gateways").IdleQty)
		assert.InDelta(t, 3*line(t, base, "NAT gateways").IdleCost, line(t, e, "NAT gateways").IdleCost, 1e-9)
		assert.Equal(t, "3", line(t, e, "Public IPv4").IdleQty)
		assert.InDelta(t, base.IdleTotal+2*(0.045+0.005)*HoursPerMonth, e.IdleTotal, 1e-6)
	})
	t.Run("maxReplicas", func(t *testing.T) {
		t.Parallel()
		_, e := estimate(t, edited(t, map[string]string{"eventscale:workloads": `[{"name":"worker","maxReplicas":4}]`}))
		was, now := line(t, base, "SQS requests"), line(t, e, "SQS requests")
		assert.Equal(t, was.IdleQty, now.IdleQty, "idle does not depend on maxReplicas")
		// Two more pods, one message a second each, three requests a message: 15.77 M more.
		assert.Equal(t, "16.34 M / month", was.PeakQty)
		assert.Equal(t, "32.11 M / month", now.PeakQty)
		assert.Equal(t, "2 × m5.large/m6i.large (on-demand)", line(t, base, "EC2 nodes").PeakQty)
		assert.Equal(t, "not computed", line(t, e, "EC2 nodes").PeakQty, "the twin computed dev's peak for maxReplicas 2 only")
	})
	t.Run("workloads", func(t *testing.T) {
		t.Parallel()
		q, e := estimate(t, edited(t, map[string]string{"eventscale:workloads": `[{"name":"worker"},{"name":"thumbs"}]`}))
		assert.Equal(t, 4, q.Alarms)
		assert.Equal(t, "4", line(t, e, "CloudWatch alarms").IdleQty)
		assert.Equal(t, "1", line(t, e, "CloudWatch dashboards").IdleQty)
		// KEDA polls two queues every 10 s, Karpenter its interruption queue every 20 s.
		assert.Equal(t, "0.39 M / month", line(t, base, "SQS requests").IdleQty)
		assert.Equal(t, "0.66 M / month", line(t, e, "SQS requests").IdleQty)
	})
	t.Run("replicas", func(t *testing.T) {
		t.Parallel()
		_, e := estimate(t, edited(t, map[string]string{"eventscale:karpenter": `{"replicas":3}`, "eventscale:keda": `{"operatorReplicas":2}`}))
		assert.Equal(t, "3 × 1 vCPU / 2 GB", line(t, e, "Fargate: Karpenter").IdleQty)
		assert.Equal(t, "2 × 0.5 vCPU / 2 GB", line(t, e, "Fargate: KEDA operator").IdleQty)
	})
	t.Run("monitoring off", func(t *testing.T) {
		t.Parallel()
		_, e := estimate(t, edited(t, map[string]string{"eventscale:monitoring": `{"enabled":false}`}))
		for _, l := range e.Lines {
			assert.NotContains(t, l.Item, "alarms")
			assert.NotContains(t, l.Item, "dashboards")
		}
	})
}

// TestShippedPeaksMatchTheirPlans: each recorded peak was computed for what the stack plans now.
// A change to a stack's NodePool, zones or workloads fails here: rerun `make scaling-table`
// and record the new last row and fingerprint in ScalingTablePeaks.
func TestShippedPeaksMatchTheirPlans(t *testing.T) {
	t.Parallel()
	for _, p := range ScalingTablePeaks {
		fp, err := Fingerprint(shipped(t, p.Stack))
		require.NoError(t, err)
		assert.Equal(t, fp, p.Fingerprint, "%s's plan is not the one the scaling table's peak was computed for", p.Stack)
	}
}

// TestPeaksAreTheScalingTables: each recorded peak is the last row of its stack's table in
// docs/scaling-table.md (which the scaling twin checks against its own run), and every
// instance type in it has a price.
func TestPeaksAreTheScalingTables(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(projectDir + "/docs/scaling-table.md")
	require.NoError(t, err)
	for _, p := range ScalingTablePeaks {
		header := regexp.MustCompile(`(?m)^\*\*` + regexp.QuoteMeta(p.Stack) + `\*\* \(`)
		loc := header.FindStringIndex(string(doc))
		require.NotNil(t, loc, "docs/scaling-table.md has no table for %s", p.Stack)
		// The stack's table is the first run of "|" lines after its header.
		var last []string
		inTable := false
		for _, l := range strings.Split(string(doc[loc[1]:]), "\n")[1:] {
			if !strings.HasPrefix(l, "| ") {
				if inTable {
					break
				}
				continue
			}
			inTable = true
			if !strings.HasPrefix(l, "| messages") && !strings.HasPrefix(l, "| ---") {
				last = strings.Split(strings.Trim(l, "| "), " | ")
			}
		}
		require.Len(t, last, 10, "%s: the table's last row", p.Stack)
		assert.Equal(t, p.Nodes, last[5], "%s: nodes at the peak", p.Stack)
		assert.Equal(t, p.Pods, atoi(t, last[3]), "%s: pods at the peak", p.Stack)
		groups, err := p.Groups()
		require.NoError(t, err)
		for _, g := range groups {
			for _, it := range g.InstanceTypes {
				_, ok := prices.Lookup(prices.EC2(it))
				assert.True(t, ok, "no price for %s (%s's peak)", it, p.Stack)
			}
		}
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		require.True(t, c >= '0' && c <= '9', "%q is not a count", s)
		n = n*10 + int(c-'0')
	}
	return n
}

// shippedEstimates are the README's estimates: dev, then prod.
func shippedEstimates(t *testing.T) []Estimate {
	var es []Estimate
	for _, stack := range []string{"dev", "prod"} {
		_, e := estimate(t, shipped(t, stack))
		es = append(es, e)
	}
	return es
}

// TestReadmeEstimate: README's "What it costs" holds what this package computes for dev and
// prod. COST_UPDATE=1 rewrites the block.
func TestReadmeEstimate(t *testing.T) {
	t.Parallel()
	want := strings.TrimSpace(Readme(shippedEstimates(t)))
	path := projectDir + "/README.md"
	readme, err := os.ReadFile(path)
	require.NoError(t, err)
	s := string(readme)
	i, j := strings.Index(s, ReadmeBegin), strings.Index(s, ReadmeEnd)
	require.True(t, i >= 0 && j > i, "README.md has no %s … %s block", ReadmeBegin, ReadmeEnd)
	got := strings.TrimSpace(s[i+len(ReadmeBegin) : j])
	if os.Getenv("COST_UPDATE") == "1" && got != want {
		s = s[:i+len(ReadmeBegin)] + "\n" + want + "\n" + s[j:]
		require.NoError(t, os.WriteFile(path, []byte(s), 0o644))
		got = want
	}
	assert.Equal(t, want, got, "README.md's cost estimate is stale: run `COST_UPDATE=1 go test ./internal/cost -run TestReadmeEstimate`")
}
