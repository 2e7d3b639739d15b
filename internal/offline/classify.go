package offline

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// IsChart reports whether r is a Helm chart or release (a kubernetes:helm.sh/... resource):
// its inputs are the chart reference, version and values, not a Kubernetes object.
func (r Resource) IsChart() bool {
	return strings.HasPrefix(r.Type, "kubernetes:helm.sh/")
}

// IsKubernetesObject reports whether r is a Kubernetes object the program sends to the API
// server: a kubernetes:<group>/<version>:<Kind> resource, not a chart, whose inputs carry
// apiVersion and kind. The Kubernetes provider (pulumi:providers:kubernetes) is not one, nor is
// a component such as yaml/v2.ConfigGroup, whose inputs carry no apiVersion and kind.
func (r Resource) IsKubernetesObject() bool {
	if !strings.HasPrefix(r.Type, "kubernetes:") || r.IsChart() {
		return false
	}
	_, hasKind := r.Inputs["kind"]
	_, hasAPI := r.Inputs["apiVersion"]
	return hasKind && hasAPI
}

// KubernetesObjects returns the recorded resources that are Kubernetes objects
// (see Resource.IsKubernetesObject), in recording order.
func (rec *Recording) KubernetesObjects() []Resource {
	return rec.filter(Resource.IsKubernetesObject)
}

// Charts returns the recorded Helm charts (see Resource.IsChart), in recording order.
func (rec *Recording) Charts() []Resource {
	return rec.filter(Resource.IsChart)
}

// The pulumi-aws types of the CloudWatch alarms and dashboards a recording classifies.
const (
	TypeMetricAlarm = "aws:cloudwatch/metricAlarm:MetricAlarm"
	TypeDashboard   = "aws:cloudwatch/dashboard:Dashboard"
)

// Alarms returns the recorded CloudWatch metric alarms, in recording order.
func (rec *Recording) Alarms() []Resource {
	return rec.filter(func(r Resource) bool { return r.Type == TypeMetricAlarm })
}

// Dashboards returns the recorded CloudWatch dashboards, in recording order.
func (rec *Recording) Dashboards() []Resource {
	return rec.filter(func(r Resource) bool { return r.Type == TypeDashboard })
}

// DashboardBody decodes a recorded dashboard's body (the JSON text of its dashboardBody input).
func DashboardBody(r Resource) (map[string]any, error) {
	var body map[string]any
	if err := json.Unmarshal([]byte(fmt.Sprint(r.Inputs["dashboardBody"])), &body); err != nil {
		return nil, fmt.Errorf("dashboard %s: dashboardBody is not JSON: %w", r.Name, err)
	}
	return body, nil
}

func (rec *Recording) filter(keep func(Resource) bool) []Resource {
	var out []Resource
	for _, r := range rec.Resources {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// IAMDocument is an IAM policy or trust document found in one input of a resource.
type IAMDocument struct {
	// Resource holds the document in its input Input (e.g. "policy", "assumeRolePolicy").
	Resource Resource
	Input    string
	// Document is the decoded JSON document; it has a "Statement" key.
	Document map[string]any
}

// IAMDocuments returns the IAM policy documents in r's top-level inputs (see PolicyDocument),
// sorted by input name.
func (r Resource) IAMDocuments() []IAMDocument {
	keys := make([]string, 0, len(r.Inputs))
	for k := range r.Inputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []IAMDocument
	for _, k := range keys {
		if doc, ok := PolicyDocument(r.Inputs[k]); ok {
			out = append(out, IAMDocument{Resource: r, Input: k, Document: doc})
		}
	}
	return out
}

// IAMDocuments returns every IAM policy document of the recorded resources: in recording
// order, and per resource by input name.
func (rec *Recording) IAMDocuments() []IAMDocument {
	var out []IAMDocument
	for _, r := range rec.Resources {
		out = append(out, r.IAMDocuments()...)
	}
	return out
}

// PolicyDocument recognises an IAM policy document given as JSON text (as the AWS provider
// takes them): a string holding a JSON object with a "Statement" key. It returns the decoded
// object, or false for anything else.
func PolicyDocument(v any) (map[string]any, bool) {
	s, ok := v.(string)
	if !ok || !strings.Contains(s, "Statement") {
		return nil, false
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		return nil, false
	}
	if _, ok := doc["Statement"]; !ok {
		return nil, false
	}
	return doc, true
}

// Lookup returns the value at path in v, a recorded input (Resource.Inputs and the maps in it,
// as Plain makes them), or nil when an element of the path is missing or v is not a map there.
func Lookup(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}
