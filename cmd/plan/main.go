// Command plan is the offline plan: it runs the real Pulumi program for one stack on Pulumi's
// mocked resource monitor, with that stack's Pulumi.<stack>.yaml and no cloud credentials, prints
// the resource tree and counts, and writes under out/<stack>/ each resource's inputs (JSON), every
// Kubernetes object (YAML), every chart's values (YAML), every IAM policy document (JSON), every
// CloudWatch alarm's definition and every dashboard's body (JSON), and prints what the stack
// costs a month, idle and at the scaling table's peak (internal/cost).
// It is an offline rendering, not `pulumi preview`: nothing talks to AWS or Kubernetes, and ids,
// ARNs and the account (123456789012) are placeholders.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/eventscale/eventscale/internal/cost"
	"github.com/eventscale/eventscale/internal/cost/prices"
	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/stacks"
)

func main() {
	stack := flag.String("stack", "dev", "stack name: reads Pulumi.<stack>.yaml")
	dir := flag.String("dir", ".", "project directory holding Pulumi.yaml and the stack files")
	out := flag.String("out", "out", "output directory; the plan is written to <out>/<stack>/")
	flag.Parse()
	if err := run(os.Stdout, *dir, *stack, *out); err != nil {
		fmt.Fprintln(os.Stderr, "plan:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, dir, stack, outDir string) error {
	if !regexp.MustCompile(`^[A-Za-z0-9_.-]+$`).MatchString(stack) {
		return fmt.Errorf("-stack must be a stack name such as \"dev\", got %q", stack)
	}
	if _, err := os.Stat(filepath.Join(dir, "Pulumi."+stack+".yaml")); err != nil {
		return fmt.Errorf("no stack file Pulumi.%s.yaml in %s (create it to add an environment; see README)", stack, dir)
	}
	fmt.Fprintf(w, "OFFLINE PLAN for stack %q: the real program on Pulumi's mocked resource monitor with Pulumi.%s.yaml.\n", stack, stack)
	fmt.Fprintln(w, "Nothing is sent to AWS or Kubernetes; this is not `pulumi preview`. Ids, ARNs and account "+offline.AccountID+" are placeholders.")
	fmt.Fprintln(w)
	rec, err := offline.RunStackFile(dir, stack)
	if err != nil {
		return fmt.Errorf("the program failed for stack %q:\n%w", stack, err)
	}
	// Registration order varies from run to run; sort for a stable plan.
	sort.SliceStable(rec.Resources, func(i, j int) bool { return rec.Resources[i].URN < rec.Resources[j].URN })
	target := filepath.Join(outDir, stack)
	if err := os.RemoveAll(target); err != nil {
		return err
	}
	files, err := write(rec, target)
	if err != nil {
		return err
	}
	printTree(w, rec)
	fmt.Fprintln(w)
	printCounts(w, rec)
	fmt.Fprintln(w)
	printOutputs(w, rec)
	if err := printCost(w, rec); err != nil {
		return err
	}
	if err := printWarnings(w, dir, stack, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nWrote %d files under %s/ (resources/, kubernetes/, charts/, iam/, alarms/, dashboards/, outputs.json).\n", files, target)
	return nil
}

// printCost prints the stack's monthly cost estimate, idle and at the scaling table's peak.
func printCost(w io.Writer, rec *offline.Recording) error {
	q, err := cost.Count(rec)
	if err != nil {
		return fmt.Errorf("counting what the plan costs: %w", err)
	}
	e, err := cost.New(q)
	if err != nil {
		return fmt.Errorf("estimating what the plan costs: %w", err)
	}
	fmt.Fprintf(w, "\nWhat it costs: stack %q in %s, US dollars a month (prices of %s).\n", e.Stack, e.Region, prices.Read)
	fmt.Fprintln(w, cost.Disclaimer)
	fmt.Fprintln(w)
	fmt.Fprint(w, e.Table())
	return nil
}

// printWarnings prints what `pulumi preview` would print as warnings for this stack's
// configuration on day `now` (the program logs the same list through the engine).
func printWarnings(w io.Writer, dir, stack string, now time.Time) error {
	raw, err := stacks.ReadStackFile(filepath.Join(dir, "Pulumi."+stack+".yaml"))
	if err != nil {
		return err
	}
	cfg, err := stacks.Load(raw, offline.Project, stack)
	if err != nil {
		return err
	}
	for _, msg := range cfg.Warnings(now) {
		fmt.Fprintln(w, "\nwarning: "+msg)
	}
	return nil
}

func printTree(w io.Writer, rec *offline.Recording) {
	children := map[string][]offline.Resource{}
	urns := map[string]bool{}
	for _, r := range rec.Resources {
		urns[r.URN] = true
	}
	for _, r := range rec.Resources {
		p := r.Parent
		if !urns[p] {
			p = ""
		}
		children[p] = append(children[p], r)
	}
	fmt.Fprintln(w, "Resources (type  name):")
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		for _, r := range children[parent] {
			note := ""
			switch {
			case r.StandIn:
				note = "   [offline stand-in for an output of the pulumi-eks component; not created by this program]"
			case r.Remote:
				note = "   [component implemented by its provider: its children appear only in a real preview]"
			case r.Protect:
				note = "   [protected]"
			case r.RetainOnDelete:
				note = "   [retained: pulumi destroy leaves it]"
			}
			fmt.Fprintf(w, "%s%s  %s%s\n", strings.Repeat("  ", depth+1), r.Type, r.Name, note)
			walk(r.URN, depth+1)
		}
	}
	walk("", 0)
}

func printCounts(w io.Writer, rec *offline.Recording) {
	counts := map[string]int{}
	total, standIns := 0, 0
	for _, r := range rec.Resources {
		if r.StandIn {
			standIns++
			continue
		}
		counts[r.Type]++
		total++
	}
	types := make([]string, 0, len(counts))
	for t := range counts {
		types = append(types, t)
	}
	sort.Strings(types)
	fmt.Fprintf(w, "Counts: %d resources of %d types (plus %d offline stand-ins):\n", total, len(types), standIns)
	for _, t := range types {
		fmt.Fprintf(w, "  %4d  %s\n", counts[t], t)
	}
}

func printOutputs(w io.Writer, rec *offline.Recording) {
	keys := make([]string, 0, len(rec.Outputs))
	for k := range rec.Outputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintln(w, "Stack outputs:")
	for _, k := range keys {
		v := rec.Outputs[k]
		if rec.SecretOutputs[k] {
			v = "[secret]"
		}
		b, _ := json.Marshal(v)
		s := string(b)
		if len(s) > 160 {
			s = s[:157] + "..."
		}
		fmt.Fprintf(w, "  %s: %s\n", k, s)
	}
}

var unsafe = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func fileName(parts ...string) string {
	for i, p := range parts {
		parts[i] = strings.Trim(unsafe.ReplaceAllString(p, "_"), "_")
	}
	return strings.Join(parts, "--")
}

// write writes the plan files and returns how many it wrote.
func write(rec *offline.Recording, target string) (int, error) {
	n := 0
	put := func(rel string, data []byte) error {
		p := filepath.Join(target, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		n++
		return os.WriteFile(p, data, 0o644)
	}
	var errs []error
	for _, r := range rec.Resources {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return n, err
		}
		errs = append(errs, put(filepath.Join("resources", fileName(r.Type, r.Name)+".json"), b))
	}
	for _, r := range rec.KubernetesObjects() {
		y, err := yaml.Marshal(r.Inputs)
		if err != nil {
			return n, err
		}
		kind, _ := r.Inputs["kind"].(string)
		errs = append(errs, put(filepath.Join("kubernetes", fileName(kind, r.Name)+".yaml"), y))
	}
	for _, r := range rec.Charts() {
		y, err := yaml.Marshal(r.Inputs)
		if err != nil {
			return n, err
		}
		errs = append(errs, put(filepath.Join("charts", fileName(r.Name)+".yaml"), y))
	}
	for _, d := range rec.IAMDocuments() {
		b, err := json.MarshalIndent(d.Document, "", "  ")
		if err != nil {
			return n, err
		}
		errs = append(errs, put(filepath.Join("iam", fileName(d.Resource.Name, d.Input)+".json"), b))
	}
	for _, r := range rec.Alarms() {
		b, err := json.MarshalIndent(r.Inputs, "", "  ")
		if err != nil {
			return n, err
		}
		errs = append(errs, put(filepath.Join("alarms", fileName(fmt.Sprint(r.Inputs["name"]))+".json"), b))
	}
	for _, r := range rec.Dashboards() {
		body, err := offline.DashboardBody(r)
		if err != nil {
			return n, err
		}
		b, err := json.MarshalIndent(body, "", "  ")
		if err != nil {
			return n, err
		}
		errs = append(errs, put(filepath.Join("dashboards", fileName(fmt.Sprint(r.Inputs["dashboardName"]))+".json"), b))
	}
	outs := map[string]any{}
	for k, v := range rec.Outputs {
		if rec.SecretOutputs[k] {
			v = "[secret]"
		}
		outs[k] = v
	}
	b, err := json.MarshalIndent(outs, "", "  ")
	if err != nil {
		return n, err
	}
	errs = append(errs, put("outputs.json", b))
	return n, errors.Join(errs...)
}
