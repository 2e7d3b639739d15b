package verify

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/eventscale/eventscale/infra"
)

// PlanChart is one Helm chart the program installs, as the offline plan writes it (cmd/plan:
// out/<stack>/charts/<resource>.yaml holds the helm/v4.Chart resource's inputs).
type PlanChart struct {
	// Chart is the chart reference: "keda" (with RepositoryOpts.Repo) or an OCI reference
	// such as "oci://public.ecr.aws/karpenter/karpenter".
	Chart string `json:"chart"`
	// Version is the chart version the program pins.
	Version string `json:"version"`
	// Name is the Helm release name.
	Name string `json:"name"`
	// Namespace is the release namespace.
	Namespace string `json:"namespace"`
	// Values are the values the program gives the chart.
	Values map[string]any `json:"values"`
	// RepositoryOpts names the chart repository of a chart referenced by name.
	RepositoryOpts map[string]any `json:"repositoryOpts,omitempty"`
}

// RenderedChart is a chart of the plan rendered with the pinned chart source.
type RenderedChart struct {
	// File is the plan file the chart's inputs came from, relative to the plan folder.
	File string
	PlanChart
	// Objects are the rendered objects in Helm's install order.
	Objects []map[string]any
}

// RenderPlanCharts renders every chart of a stack's offline plan (planDir is out/<stack>) with the
// chart the program pins, from the Go module cache, exactly with the plan's release name,
// namespace and values, for Kubernetes kubeVersion ("1.35.0"). The results are in file name
// order. A chart other than Karpenter's or KEDA's, or at another version than the pinned one, is
// an error naming the file.
func RenderPlanCharts(planDir, kubeVersion string) ([]RenderedChart, error) {
	files, err := filepath.Glob(filepath.Join(planDir, "charts", "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no chart files in %s: run the offline plan (cmd/plan) first", filepath.Join(planDir, "charts"))
	}
	sort.Strings(files)
	var out []RenderedChart
	for _, f := range files {
		rel, _ := filepath.Rel(planDir, f)
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var c PlanChart
		if err := yaml.UnmarshalStrict(raw, &c); err != nil {
			return nil, fmt.Errorf("%s: %w", rel, err)
		}
		dir, opts, err := pinnedChart(c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rel, err)
		}
		opts.ReleaseName, opts.Namespace, opts.KubeVersion, opts.Values = c.Name, c.Namespace, kubeVersion, c.Values
		objs, err := Render(dir, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rel, err)
		}
		out = append(out, RenderedChart{File: rel, PlanChart: c, Objects: objs})
	}
	return out, nil
}

// pinnedChart returns the chart folder in the module cache and the render options (beyond the
// release, namespace, Kubernetes version and values) of the chart c names.
func pinnedChart(c PlanChart) (string, RenderOptions, error) {
	switch name := path.Base(c.Chart); {
	case name == "karpenter" && c.Version == infra.KarpenterVersion:
		dir, err := KarpenterChartDir()
		// Chart.yaml at the module's tag still names the previous release (RenderOptions).
		return dir, RenderOptions{ChartVersion: infra.KarpenterVersion, AppVersion: infra.KarpenterVersion}, err
	case name == "keda" && c.Version == infra.KedaVersion:
		dir, err := KEDAChartDir()
		return dir, RenderOptions{}, err
	}
	return "", RenderOptions{}, fmt.Errorf("chart %q version %q is not a pinned chart (karpenter %s, keda %s)",
		c.Chart, c.Version, infra.KarpenterVersion, infra.KedaVersion)
}

// WriteObjects writes each object to dir/<kind>--<name>.yaml, the file names cmd/plan gives the
// program's own objects, creating dir. Two objects of one kind and name are an error.
func WriteObjects(dir string, objs []map[string]any) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, o := range objs {
		kind, _ := o["kind"].(string)
		meta, _ := o["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		file := kind + "--" + name + ".yaml"
		if kind == "" || name == "" || strings.ContainsAny(file, `/\`) || seen[file] {
			return fmt.Errorf("object kind %q name %q: no file name of its own in %s", kind, name, dir)
		}
		seen[file] = true
		y, err := yaml.Marshal(o)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, file), y, 0o644); err != nil {
			return err
		}
	}
	return nil
}
