package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eventscale/eventscale/internal/cost/prices"
	"github.com/eventscale/eventscale/internal/offline"
)

// TestPlanPrintsVersionWarnings: a stack on Kubernetes 1.34 planned on 2026-12-01 gets the
// support warning the engine would show in `pulumi preview`; the shipped dev stack gets none.
func TestPlanPrintsVersionWarnings(t *testing.T) {
	t.Parallel()
	dev, err := os.ReadFile("../../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	old := filepath.Join(dir, "Pulumi.old.yaml")
	edited := strings.Replace(string(dev), "  eventscale:cluster:\n", "  eventscale:cluster:\n    version: \"1.34\"\n", 1)
	if edited == string(dev) || strings.Count(edited, "eventscale:cluster:") != 1 {
		t.Fatalf("Pulumi.dev.yaml changed shape; adjust this test (it adds a version to the eventscale:cluster section)")
	}
	if err := os.WriteFile(old, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	on := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	if err := printWarnings(&out, dir, "old", on); err != nil {
		t.Fatal(err)
	}
	if want := `warning: eventscale:cluster.version "1.34": Kubernetes 1.34 leaves EKS standard support on 2026-12-02`; !strings.Contains(out.String(), want) {
		t.Errorf("plan output %q lacks %q", out.String(), want)
	}
	out.Reset()
	if err := printWarnings(&out, "../..", "dev", on); err != nil {
		t.Fatal(err)
	}
	// dev's one warning: its public endpoint is open to the internet (a demo stack).
	if want := `warning: eventscale:cluster.publicAccessCidrs[0] "0.0.0.0/0": the cluster's API endpoint is open to the internet`; strings.Count(out.String(), "warning:") != 1 || !strings.Contains(out.String(), want) {
		t.Errorf("dev warns %q, want only %q", out.String(), want)
	}
}

// TestPlanPrintsTheCost: the plan ends with the stack's cost estimate, its prices' date and
// what it leaves out.
func TestPlanPrintsTheCost(t *testing.T) {
	t.Parallel()
	rec, err := offline.RunStackFile("../..", "prod")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := printCost(&out, rec); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`What it costs: stack "prod" in us-east-1, US dollars a month (prices of ` + prices.Read + ")",
		"excluding data transfer and NAT gateway data processing",
		"| NAT gateways | 3 | 3 | $0.045 / NAT gateway-hour | 98.55 | 98.55 |",
		"| EKS control plane | 1 | 1 | $0.10 / cluster-hour (standard support) | 73.00 | 73.00 |",
		"| **total** |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan output lacks %q:\n%s", want, out.String())
		}
	}
}
