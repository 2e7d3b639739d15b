package integration

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/tests/verify"
)

// Computed is how the offline runner shows a value the mocks could not resolve.
const Computed = "<computed>"

// Object is one Kubernetes object the stack emits: a recorded
// kubernetes:<group>/<version>:<Kind> resource whose inputs carry apiVersion
// and kind.
type Object struct {
	// URN, Type and Name identify the Pulumi resource.
	URN, Type, Name string
	// Index is the registration order within the run.
	Index int
	// Body is the object as the program sends it (the resource's inputs).
	Body map[string]any
}

// Chart is one kubernetes:helm.sh/v4:Chart (or v3) resource of the stack.
type Chart struct {
	URN, Type, Name string
	Index           int
	// Chart is the chart reference (e.g. oci://public.ecr.aws/karpenter/karpenter or keda).
	Chart string
	// Version is the chart version the program pins.
	Version string
	// Release and Namespace are the Helm release name and namespace.
	Release, Namespace string
	// Values are the program's chart values.
	Values map[string]any
}

// ChartName is the chart's short name: the last path element of its reference.
func (c Chart) ChartName() string { return path.Base(c.Chart) }

// Stack is what one program run emits for Kubernetes, plus the dependency
// graph of all its resources.
type Stack struct {
	Name    string
	Objects []Object
	Charts  []Chart
	// Resources is every recorded resource, in registration order.
	Resources []offline.Resource
}

// Collect extracts the Kubernetes objects and Helm charts of a recording. It
// fails if a value is still unresolved ("<computed>"), if an object lacks
// apiVersion or kind, or if a chart lacks its release name, namespace or
// version.
func Collect(rec *offline.Recording) (*Stack, error) {
	s := &Stack{Name: rec.Stack, Resources: rec.Resources}
	var errs []string
	for i, r := range rec.Resources {
		if !strings.HasPrefix(r.Type, "kubernetes:") || strings.HasPrefix(r.Type, "kubernetes:index:") {
			continue // not a Kubernetes object (pulumi:providers:kubernetes is a provider)
		}
		if p := findComputed(r.Inputs, ""); p != "" {
			errs = append(errs, fmt.Sprintf("%s %s: unresolved value at %s", r.Type, r.Name, p))
			continue
		}
		if r.IsChart() {
			c := Chart{URN: r.URN, Type: r.Type, Name: r.Name, Index: i}
			c.Chart, _ = r.Inputs["chart"].(string)
			c.Version, _ = r.Inputs["version"].(string)
			c.Release, _ = r.Inputs["name"].(string)
			c.Namespace, _ = r.Inputs["namespace"].(string)
			if c.Release == "" {
				// helm/v4.Chart's release name is the resource name unless set.
				c.Release = r.Name
			}
			if c.Namespace == "" {
				c.Namespace = "default"
			}
			if v, ok := r.Inputs["values"].(map[string]any); ok {
				c.Values = v
			}
			if c.Chart == "" || c.Version == "" {
				errs = append(errs, fmt.Sprintf("%s %s: chart %q version %q: both must be set", r.Type, r.Name, c.Chart, c.Version))
				continue
			}
			s.Charts = append(s.Charts, c)
			continue
		}
		apiVersion, _ := r.Inputs["apiVersion"].(string)
		kind, _ := r.Inputs["kind"].(string)
		if !r.IsKubernetesObject() || apiVersion == "" || kind == "" {
			if r.Custom {
				errs = append(errs, fmt.Sprintf("%s %s: inputs lack apiVersion/kind", r.Type, r.Name))
			}
			continue // e.g. a component resource (yaml/v2.ConfigGroup) whose children are recorded separately
		}
		body, err := verify.DeepCopyJSON(r.Inputs)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s %s: %v", r.Type, r.Name, err))
			continue
		}
		s.Objects = append(s.Objects, Object{URN: r.URN, Type: r.Type, Name: r.Name, Index: i, Body: body})
	}
	if len(errs) > 0 {
		return s, fmt.Errorf("stack %s: %s", rec.Stack, strings.Join(errs, "; "))
	}
	return s, nil
}

// findComputed returns the path of the first "<computed>" string in v, or "".
func findComputed(v any, at string) string {
	switch x := v.(type) {
	case string:
		if strings.Contains(x, Computed) {
			if at == "" {
				return "."
			}
			return at
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p := findComputed(x[k], at+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range x {
			if p := findComputed(e, fmt.Sprintf("%s[%d]", at, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// Kinds counts the stack's own objects by kind (charts excluded).
func (s *Stack) Kinds() map[string]int {
	out := map[string]int{}
	for _, o := range s.Objects {
		k, _ := o.Body["kind"].(string)
		out[k]++
	}
	return out
}

// DependsOn reports whether the resource with URN from waits, in Pulumi's
// deployment, for the resource with URN to: directly or transitively through
// dependsOn and input dependencies. A dependency on a component resource is a
// dependency on all its descendants.
func (s *Stack) DependsOn(from, to string) bool {
	return s.closure(from)[to]
}

func (s *Stack) closure(from string) map[string]bool {
	byURN := map[string]offline.Resource{}
	children := map[string][]string{}
	for _, r := range s.Resources {
		byURN[r.URN] = r
		if r.Parent != "" {
			children[r.Parent] = append(children[r.Parent], r.URN)
		}
	}
	seen := map[string]bool{}
	var visit func(urn string)
	visit = func(urn string) {
		r, ok := byURN[urn]
		if !ok {
			return
		}
		deps := append([]string(nil), r.Depends...)
		for _, d := range r.Depends {
			if dr, ok := byURN[d]; ok && !dr.Custom {
				deps = append(deps, descendants(children, d)...)
			}
		}
		for _, d := range deps {
			if !seen[d] {
				seen[d] = true
				visit(d)
			}
		}
	}
	visit(from)
	return seen
}

func descendants(children map[string][]string, urn string) []string {
	var out []string
	for _, c := range children[urn] {
		out = append(out, c)
		out = append(out, descendants(children, c)...)
	}
	return out
}

// DeploymentOrder returns the indexes of s.Resources in an order Pulumi may
// create them: a topological order of the dependency graph. Among the
// resources that are ready it always picks the one registered last, the
// opposite of the program's source order, so a dependency the program
// forgot to declare shows up as a failed apply instead of being hidden by
// registration order.
func (s *Stack) DeploymentOrder() ([]int, error) {
	n := len(s.Resources)
	index := map[string]int{}
	children := map[string][]string{}
	for i, r := range s.Resources {
		index[r.URN] = i
		if r.Parent != "" {
			children[r.Parent] = append(children[r.Parent], r.URN)
		}
	}
	deps := make([]map[int]bool, n)
	dependents := make([][]int, n)
	for i, r := range s.Resources {
		deps[i] = map[int]bool{}
		all := append([]string(nil), r.Depends...)
		for _, d := range r.Depends {
			if j, ok := index[d]; ok && !s.Resources[j].Custom {
				all = append(all, descendants(children, d)...)
			}
		}
		for _, d := range all {
			if j, ok := index[d]; ok && j != i && !deps[i][j] {
				deps[i][j] = true
				dependents[j] = append(dependents[j], i)
			}
		}
	}
	var order []int
	ready := []int{}
	for i := range n {
		if len(deps[i]) == 0 {
			ready = append(ready, i)
		}
	}
	for len(ready) > 0 {
		sort.Ints(ready)
		i := ready[len(ready)-1]
		ready = ready[:len(ready)-1]
		order = append(order, i)
		for _, j := range dependents[i] {
			delete(deps[j], i)
			if len(deps[j]) == 0 {
				ready = append(ready, j)
			}
		}
	}
	if len(order) != n {
		return order, fmt.Errorf("stack %s: dependency cycle among %d resources", s.Name, n-len(order))
	}
	return order, nil
}

// Identity names an object as "apiVersion Kind namespace/name".
func Identity(obj map[string]any) string {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	if ns, _ := meta["namespace"].(string); ns != "" {
		name = ns + "/" + name
	}
	return fmt.Sprintf("%s %s %s", apiVersion, kind, name)
}
