// Package program runs the real Pulumi program (internal/offline, on Pulumi's mocked resource
// monitor) and picks out the objects that decide scaling. It is the only part of the twin that
// imports the program: cmd/twin-objects prints its result as JSON, and the KEDA and Karpenter
// halves load that (spec.Load), so neither of their modules compiles the Pulumi SDKs.
package program

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/tests/twin/spec"
)

// FromProgram runs the program for `stack` with <root>/Pulumi.<stack>.yaml and returns its
// scaling objects. Every one of them is required: a stack that does not emit exactly one
// ScaledObject (with its Deployment and TriggerAuthentication) and one NodePool (with its
// EC2NodeClass) is an error, so the twin can never fall back to re-typed values.
func FromProgram(root, stack string) (*spec.Objects, error) {
	rec, err := offline.RunStackFile(root, stack)
	if err != nil {
		return nil, fmt.Errorf("program: running the program for stack %q: %w", stack, err)
	}
	return FromRecording(rec)
}

// FromRecording picks the scaling objects out of a recording.
func FromRecording(rec *offline.Recording) (*spec.Objects, error) {
	byType := map[string][]map[string]any{}
	var charts []offline.Resource
	o := &spec.Objects{Stack: rec.Stack}
	for _, r := range rec.Resources {
		switch r.Type {
		case spec.TypeScaledObject, spec.TypeTriggerAuthentication, spec.TypeDeployment, spec.TypeNodePool, spec.TypeEC2NodeClass:
			byType[r.Type] = append(byType[r.Type], r.Inputs)
		case spec.TypeHelmChart:
			charts = append(charts, r)
		case spec.TypeSubnet:
			o.Subnets = append(o.Subnets, r.Inputs)
		}
	}
	// Registration order varies from run to run; keep the subnets in a stable order.
	sort.SliceStable(o.Subnets, func(i, j int) bool { return spec.Fingerprint(o.Subnets[i]) < spec.Fingerprint(o.Subnets[j]) })
	if r, ok := rec.Outputs["region"].(string); ok {
		o.Region = r
	}
	var errs []error
	one := func(typ string) map[string]any {
		switch n := len(byType[typ]); n {
		case 1:
			return byType[typ][0]
		case 0:
			errs = append(errs, fmt.Errorf("the program registers no %s", typ))
		default:
			errs = append(errs, fmt.Errorf("the program registers %d of %s; the twin models exactly one", n, typ))
		}
		return nil
	}
	o.ScaledObject = one(spec.TypeScaledObject)
	o.NodePool = one(spec.TypeNodePool)
	if o.ScaledObject != nil {
		ns := spec.Str(o.ScaledObject, "metadata", "namespace")
		target := spec.Str(o.ScaledObject, "spec", "scaleTargetRef", "name")
		if kind := spec.Str(o.ScaledObject, "spec", "scaleTargetRef", "kind"); kind != "" && kind != "Deployment" {
			errs = append(errs, fmt.Errorf("ScaledObject targets a %s; the twin models a Deployment", kind))
		}
		o.Deployment = find(byType[spec.TypeDeployment], ns, target)
		if o.Deployment == nil {
			errs = append(errs, fmt.Errorf("no Deployment %s/%s, the ScaledObject's scaleTargetRef", ns, target))
		}
		if auth := authRefName(o.ScaledObject); auth != "" {
			o.TriggerAuthentication = find(byType[spec.TypeTriggerAuthentication], ns, auth)
			if o.TriggerAuthentication == nil {
				errs = append(errs, fmt.Errorf("no TriggerAuthentication %s/%s, the trigger's authenticationRef", ns, auth))
			}
		}
	}
	if o.NodePool != nil {
		ref := spec.Str(o.NodePool, "spec", "template", "spec", "nodeClassRef", "name")
		o.EC2NodeClass = find(byType[spec.TypeEC2NodeClass], "", ref)
		if o.EC2NodeClass == nil {
			errs = append(errs, fmt.Errorf("no EC2NodeClass %q, the NodePool's nodeClassRef", ref))
		}
	}
	for _, c := range charts {
		if strings.Contains(fmt.Sprint(c.Inputs["chart"]), "karpenter") {
			o.KarpenterValues, _ = c.Inputs["values"].(map[string]any)
		}
	}
	if len(errs) > 0 {
		return o, fmt.Errorf("program: stack %q: %w", rec.Stack, errors.Join(errs...))
	}
	return o, nil
}

func authRefName(so map[string]any) string {
	triggers, _ := spec.Get(so, "spec", "triggers").([]any)
	for _, t := range triggers {
		if m, ok := t.(map[string]any); ok {
			if n := spec.Str(m, "authenticationRef", "name"); n != "" {
				return n
			}
		}
	}
	return ""
}

func find(objs []map[string]any, namespace, name string) map[string]any {
	for _, o := range objs {
		if spec.Str(o, "metadata", "name") == name && spec.Str(o, "metadata", "namespace") == namespace {
			return o
		}
	}
	return nil
}
