package verify

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// RenderOptions are the inputs of [Render]: what `helm template` (an install
// with --client-only) takes.
type RenderOptions struct {
	// ReleaseName is the Helm release name; chart fullname templates and so
	// service-account names usually derive from it.
	ReleaseName string
	// Namespace is the release namespace (.Release.Namespace).
	Namespace string
	// KubeVersion is the Kubernetes version the chart sees in
	// .Capabilities.KubeVersion, e.g. "1.35.0". Required: the chart's
	// kubeVersion constraint is checked against it.
	KubeVersion string
	// APIVersions are extra API versions for .Capabilities.APIVersions, e.g.
	// "monitoring.coreos.com/v1" (the built-in ones are always present).
	APIVersions []string
	// Values are the user-supplied values, merged over the chart's values.yaml
	// (and checked against values.schema.json if the chart has one).
	Values map[string]any
	// IncludeCRDs adds the objects of the chart's crds/ directory, which Helm
	// installs before the templates (`helm template --include-crds`).
	IncludeCRDs bool
	// IsUpgrade renders as for `helm upgrade` (.Release.IsUpgrade) instead of
	// an install.
	IsUpgrade bool
	// ChartVersion and AppVersion, if set, replace Chart.yaml's version and
	// appVersion, as `helm package --version --app-version` does when a chart
	// is released. The Karpenter chart at tag v1.14.1 still says 1.13.0 in
	// Chart.yaml (and in values.yaml's controller.image.tag/digest, which
	// only values can override); the published 1.14.1 package does not.
	ChartVersion, AppVersion string
}

// RenderChart renders the chart in chartDir offline, as `helm template
// --kube-version kubeVersion --namespace namespace releaseName chartDir` does,
// and returns every rendered object (templates and hooks, in Helm's install
// order) decoded like an API request body (integers as int64).
func RenderChart(chartDir, releaseName, namespace, kubeVersion string, values map[string]any) ([]map[string]any, error) {
	return Render(chartDir, RenderOptions{ReleaseName: releaseName, Namespace: namespace, KubeVersion: kubeVersion, Values: values})
}

// Render is [RenderChart] with all options. It uses the Helm v3 SDK's chart
// loader, values coalescing, schema validation and template engine, with no
// cluster access (lookup returns nothing), exactly as a client-only install.
func Render(chartDir string, opts RenderOptions) ([]map[string]any, error) {
	if opts.ReleaseName == "" || opts.Namespace == "" || opts.KubeVersion == "" {
		return nil, fmt.Errorf("render %s: release name, namespace and Kubernetes version are required", chartDir)
	}
	chrt, err := loader.Load(chartDir)
	if err != nil {
		return nil, fmt.Errorf("loading chart %s: %w", chartDir, err)
	}
	if opts.ChartVersion != "" {
		chrt.Metadata.Version = opts.ChartVersion
	}
	if opts.AppVersion != "" {
		chrt.Metadata.AppVersion = opts.AppVersion
	}
	vals := opts.Values
	if vals == nil {
		vals = map[string]any{}
	}
	// Helm mutates the values map while processing dependencies.
	vals, err = DeepCopyJSON(vals)
	if err != nil {
		return nil, fmt.Errorf("chart %s: values: %w", chrt.Name(), err)
	}
	if err := chartutil.ProcessDependenciesWithMerge(chrt, vals); err != nil {
		return nil, fmt.Errorf("chart %s: dependencies: %w", chrt.Name(), err)
	}
	kv, err := chartutil.ParseKubeVersion(opts.KubeVersion)
	if err != nil {
		return nil, fmt.Errorf("kube version %q: %w", opts.KubeVersion, err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	caps.APIVersions = append(caps.APIVersions, opts.APIVersions...)
	if c := chrt.Metadata.KubeVersion; c != "" && !chartutil.IsCompatibleRange(c, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart %s requires kubeVersion %s, incompatible with Kubernetes %s", chrt.Name(), c, caps.KubeVersion.String())
	}
	relOpts := chartutil.ReleaseOptions{
		Name:      opts.ReleaseName,
		Namespace: opts.Namespace,
		Revision:  1,
		IsInstall: !opts.IsUpgrade,
		IsUpgrade: opts.IsUpgrade,
	}
	renderVals, err := chartutil.ToRenderValues(chrt, vals, relOpts, caps)
	if err != nil {
		return nil, fmt.Errorf("chart %s: values: %w", chrt.Name(), err)
	}
	files, err := engine.Engine{}.Render(chrt, renderVals)
	if err != nil {
		return nil, fmt.Errorf("rendering chart %s: %w", chrt.Name(), err)
	}
	for name := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			delete(files, name)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, caps.APIVersions, releaseutil.InstallOrder)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", chrt.Name(), err)
	}

	var objs []map[string]any
	add := func(source, content string) error {
		docs, err := decodeManifests(content)
		if err != nil {
			return fmt.Errorf("chart %s: %s: %w", chrt.Name(), source, err)
		}
		objs = append(objs, docs...)
		return nil
	}
	if opts.IncludeCRDs {
		if err := addCRDs(chrt, add); err != nil {
			return nil, err
		}
	}
	for _, m := range manifests {
		if err := add(m.Name, m.Content); err != nil {
			return nil, err
		}
	}
	for _, h := range hooks {
		if err := add(h.Path, h.Manifest); err != nil {
			return nil, err
		}
	}
	return objs, nil
}

func addCRDs(chrt *chart.Chart, add func(source, content string) error) error {
	crds := chrt.CRDObjects()
	sort.Slice(crds, func(i, j int) bool { return crds[i].Filename < crds[j].Filename })
	for _, c := range crds {
		if err := add(c.Filename, string(c.File.Data)); err != nil {
			return err
		}
	}
	return nil
}

// decodeManifests decodes a multi-document YAML stream, skipping empty
// documents. Duplicate keys are errors (the API server would keep only one).
func decodeManifests(content string) ([]map[string]any, error) {
	docs := releaseutil.SplitManifests(content)
	keys := make([]string, 0, len(docs))
	for k := range docs {
		keys = append(keys, k)
	}
	// SplitManifests names documents manifest-0, manifest-1, ...; keep their order.
	sort.Slice(keys, func(i, j int) bool { return manifestIndex(keys[i]) < manifestIndex(keys[j]) })
	var out []map[string]any
	for _, k := range keys {
		doc := docs[k]
		if strings.TrimSpace(doc) == "" {
			continue
		}
		data, err := yaml.YAMLToJSONStrict([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("document %s: %w", k, err)
		}
		if string(data) == "null" {
			continue // only comments
		}
		obj := map[string]any{}
		if err := utiljson.Unmarshal(data, &obj); err != nil {
			return nil, fmt.Errorf("document %s: %w", k, err)
		}
		out = append(out, obj)
	}
	return out, nil
}

func manifestIndex(name string) int {
	var i int
	if _, err := fmt.Sscanf(name, "manifest-%d", &i); err != nil {
		return -1
	}
	return i
}

// DeepCopyJSON copies values through JSON with plain encoding/json number decoding (float64),
// which also turns typed slices and maps into []any and map[string]any: what Helm does with a
// values file (`-f`) and what Pulumi's number property values are.
func DeepCopyJSON(m map[string]any) (map[string]any, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ChartMetadata is what a chart's Chart.yaml says of the chart itself.
type ChartMetadata struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	AppVersion string `json:"appVersion"`
}

// ReadChartMetadata reads dir/Chart.yaml.
func ReadChartMetadata(dir string) (ChartMetadata, error) {
	var meta ChartMetadata
	data, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return meta, err
	}
	if err := yaml.Unmarshal(data, &meta); err != nil {
		return meta, fmt.Errorf("%s/Chart.yaml: %w", dir, err)
	}
	return meta, nil
}
