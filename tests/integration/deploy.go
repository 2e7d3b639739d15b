package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/eventscale/eventscale/tests/verify"
	"sigs.k8s.io/yaml"
)

// DryRunKinds are applied with dryRun=All: the server decodes, validates
// and admits them exactly as for a real apply but does not store them,
// because they point at Services whose pods do not run here (KEDA's admission
// webhook and external-metrics APIService). Stored, the webhook would sit in
// the path of every later ScaledObject request and the APIService would make
// discovery of external.metrics.k8s.io fail.
var DryRunKinds = map[string]bool{
	"ValidatingWebhookConfiguration": true,
	"MutatingWebhookConfiguration":   true,
	"APIService":                     true,
}

// Source says where an applied object comes from.
type Source struct {
	// URN is the Pulumi resource: the object itself, or the chart that renders it.
	URN string
	// Chart is the chart's short name for rendered objects, "" for the stack's own objects.
	Chart string
}

// Applied is the outcome of applying one object.
type Applied struct {
	Source Source
	// Object is what was sent.
	Object map[string]any
	// DryRun is true for [DryRunKinds].
	DryRun bool
	// Result is the server's answer; nil if the request failed before it.
	Result *ApplyResult
	// Err is the apply's error, nil if the server accepted the object.
	Err error
}

// Deployment is the outcome of [Deploy].
type Deployment struct {
	Stack *Stack
	// Applied lists every object in the order it was applied.
	Applied []Applied
	// CRDs are the names of the CustomResourceDefinitions installed from the
	// pinned Go modules, per chart short name.
	CRDs map[string][]string
	// Errors are failures outside single objects (chart not found or not
	// renderable, CRDs not established, ...).
	Errors []error
}

// DeployOptions adjust [Deploy].
type DeployOptions struct {
	// KubeVersion is what charts see as .Capabilities.KubeVersion, e.g. "1.35.4".
	KubeVersion string
	// Logf receives progress lines; nil discards them.
	Logf func(format string, args ...any)
}

// LocalChart is a chart on disk that stands in for a chart reference of the
// program, with the CRDs the chart installs.
type LocalChart struct {
	// Dir is the chart directory.
	Dir string
	// Version is the release the chart is a copy of: Chart.yaml's version,
	// except for the Karpenter chart, whose Chart.yaml in the module at tag
	// v1.14.1 still says 1.13.0 (the release pipeline stamps the version when
	// it publishes the OCI chart); there it is the module's version.
	Version string
	// ChartYAMLVersion is Chart.yaml's version field.
	ChartYAMLVersion string
	// CRDs are the CustomResourceDefinition manifests the chart installs,
	// from the pinned Go module (the Karpenter chart's crds/ folder is a set
	// of symlinks missing from the module zip; KEDA's chart renders its
	// own copies as templates, which are applied too).
	CRDs []verify.CRDFile
}

// FindLocalChart maps a chart short name of the program ("karpenter",
// "keda") to its local copy, both from Go modules in the module cache: the
// Karpenter chart from the pinned github.com/aws/karpenter-provider-aws
// module, the KEDA chart from github.com/kedacore/charts at the program's
// KEDA version.
func FindLocalChart(name string) (*LocalChart, error) {
	lc := &LocalChart{}
	var err error
	switch name {
	case "karpenter":
		if lc.Dir, err = verify.KarpenterChartDir(); err != nil {
			return nil, err
		}
		if lc.CRDs, err = verify.KarpenterCRDFiles(); err != nil {
			return nil, err
		}
	case "keda":
		if lc.Dir, err = verify.KEDAChartDir(); err != nil {
			return nil, err
		}
		if lc.CRDs, err = verify.KEDACRDFiles(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("no local copy of chart %q: this tier knows karpenter and keda", name)
	}
	data, err := os.ReadFile(filepath.Join(lc.Dir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	var meta struct {
		Version string `json:"version"`
	}
	if err := yaml.Unmarshal(data, &meta); err != nil {
		return nil, fmt.Errorf("%s/Chart.yaml: %w", lc.Dir, err)
	}
	lc.ChartYAMLVersion = meta.Version
	lc.Version = meta.Version
	if name == "karpenter" {
		lc.Version = strings.TrimPrefix(verify.KarpenterVersion, "v")
	}
	return lc, nil
}

// Deploy applies everything the stack emits for Kubernetes, in an order
// Pulumi may use ([Stack.DeploymentOrder]): each object of the stack with
// server-side apply and strict field validation; for each chart, first the
// CRDs it installs (waiting until they are Established), then every object
// it renders with the program's release name, namespace and values, in Helm's
// install order. Namespaced objects without a namespace get the chart's
// namespace, or "default" (the Pulumi provider's default) for the stack's
// own objects. Failures are recorded and the deployment goes on.
func Deploy(ctx context.Context, c *Client, s *Stack, opts DeployOptions) (*Deployment, error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	d := &Deployment{Stack: s, CRDs: map[string][]string{}}
	order, err := s.DeploymentOrder()
	if err != nil {
		return d, err
	}
	objects := map[int]Object{}
	for _, o := range s.Objects {
		objects[o.Index] = o
	}
	charts := map[int]Chart{}
	for _, ch := range s.Charts {
		charts[ch.Index] = ch
	}
	for _, i := range order {
		if o, ok := objects[i]; ok {
			body, err := verify.DeepCopyJSON(o.Body)
			if err != nil {
				return d, err
			}
			if nameOf(body) == "" {
				// Pulumi auto-names: <resource name>-<7 hex>.
				meta, _ := body["metadata"].(map[string]any)
				if meta == nil {
					meta = map[string]any{}
					body["metadata"] = meta
				}
				h := sha256.Sum256([]byte(o.URN))
				meta["name"] = o.Name + "-" + hex.EncodeToString(h[:])[:7]
			}
			d.apply(ctx, c, Source{URN: o.URN}, body, "default")
			continue
		}
		ch, ok := charts[i]
		if !ok {
			continue
		}
		d.deployChart(ctx, c, ch, opts.KubeVersion, logf)
	}
	return d, nil
}

func (d *Deployment) deployChart(ctx context.Context, c *Client, ch Chart, kubeVersion string, logf func(string, ...any)) {
	name := ch.ChartName()
	lc, err := FindLocalChart(name)
	if err != nil {
		d.Errors = append(d.Errors, fmt.Errorf("chart %s (%s): %w", ch.Name, ch.Chart, err))
		return
	}
	if lc.Version != ch.Version {
		d.Errors = append(d.Errors, fmt.Errorf("chart %s: the program pins %s %s but the local chart %s is %s", ch.Name, ch.Chart, ch.Version, lc.Dir, lc.Version))
	}
	if lc.ChartYAMLVersion != lc.Version {
		logf("chart %s: local copy of release %s (its Chart.yaml says %s)", name, lc.Version, lc.ChartYAMLVersion)
	}
	manifests := make([][]byte, len(lc.CRDs))
	for i, f := range lc.CRDs {
		manifests[i] = f.Data
	}
	start := time.Now()
	names, err := c.ApplyCRDs(ctx, manifests, 2*time.Minute)
	d.CRDs[name] = append(d.CRDs[name], names...)
	if err != nil {
		d.Errors = append(d.Errors, fmt.Errorf("chart %s: CRDs: %w", ch.Name, err))
		return
	}
	logf("chart %s: %d CRDs Established in %s", name, len(names), time.Since(start).Round(time.Millisecond))
	objs, err := verify.Render(lc.Dir, verify.RenderOptions{
		ReleaseName: ch.Release,
		Namespace:   ch.Namespace,
		KubeVersion: kubeVersion,
		Values:      ch.Values,
	})
	if err != nil {
		d.Errors = append(d.Errors, fmt.Errorf("chart %s: %w", ch.Name, err))
		return
	}
	kinds := map[string]int{}
	for _, o := range objs {
		k, _ := o["kind"].(string)
		kinds[k]++
	}
	logf("chart %s: rendered %d objects from %s (release %s, namespace %s): %v", name, len(objs), lc.Dir, ch.Release, ch.Namespace, kinds)
	for _, obj := range objs {
		d.apply(ctx, c, Source{URN: ch.URN, Chart: name}, obj, ch.Namespace)
		if obj["kind"] == "CustomResourceDefinition" {
			c.ResetDiscovery()
		}
	}
}

func (d *Deployment) apply(ctx context.Context, c *Client, src Source, obj map[string]any, defaultNS string) {
	a := Applied{Source: src, Object: obj}
	kind, _ := obj["kind"].(string)
	apiVersion, _ := obj["apiVersion"].(string)
	a.DryRun = DryRunKinds[kind]
	if namespaceOf(obj) == "" {
		if namespaced, err := c.Namespaced(apiVersion, kind); err == nil && namespaced {
			SetNamespace(obj, defaultNS)
		}
	}
	a.Result, a.Err = c.Apply(ctx, obj, ApplyOptions{DryRun: a.DryRun})
	d.Applied = append(d.Applied, a)
}

// CRDGroup returns spec.group of a CustomResourceDefinition manifest.
func CRDGroup(manifest []byte) (string, error) {
	var crd struct {
		Kind string `json:"kind"`
		Spec struct {
			Group string `json:"group"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(manifest, &crd); err != nil {
		return "", err
	}
	if crd.Kind != "CustomResourceDefinition" || crd.Spec.Group == "" {
		return "", fmt.Errorf("not a CustomResourceDefinition with spec.group (kind %q)", crd.Kind)
	}
	return crd.Spec.Group, nil
}
