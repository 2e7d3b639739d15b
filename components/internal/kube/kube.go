// Package kube is the one way the components register Kubernetes objects: objects built as
// typed structs in infra (pure, no Pulumi) are registered as Pulumi resources under their own
// type token, and typed Helm values are turned into Pulumi inputs.
//
// Values that come from other resources (a queue URL, a role ARN, an image in a repository that
// does not exist yet) are given to the pure builders as placeholders from [Bindings.Bind]; the
// conversion puts the bound output back at exactly that leaf. So a preview shows every other
// field of the object, and only the bound leaves are unknown until their resources exist.
//
// Objects are registered under their own type token (kubernetes:core/v1:Namespace,
// kubernetes:apps/v1:Deployment, kubernetes:karpenter.sh/v1:NodePool, ...), which is what
// pulumi-kubernetes' typed resources register too, so the engine and the Kubernetes provider
// treat them alike. The components import no typed API-group package of the Kubernetes SDK
// (apps/v1, apiextensions, ...); core/v1, meta/v1 and storage/v1 are still in the program's
// build, imported by pulumi-eks.
package kube

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/infra"
)

// placeholder marks a bound leaf; the NUL bytes keep it from colliding with any real value.
const placeholder = "\x00pulumi-output-"

// Bindings holds the outputs bound into pure builders. The zero value is ready to use.
type Bindings struct {
	inputs map[string]pulumi.StringInput
}

// Bind returns a placeholder string standing for v. Pass it to a builder as a whole field
// value (not inside a longer string): conversion replaces the field with v.
func (b *Bindings) Bind(v pulumi.StringInput) string {
	if b.inputs == nil {
		b.inputs = map[string]pulumi.StringInput{}
	}
	key := fmt.Sprintf("%s%d\x00", placeholder, len(b.inputs))
	b.inputs[key] = v
	return key
}

// ToInputs converts a typed value (a struct marshalled with encoding/json) into a pulumi.Map,
// substituting the bound outputs. A placeholder embedded in a longer string is an error: it
// could not be substituted and would reach the cluster as garbage.
func ToInputs(v any, b *Bindings) (pulumi.Map, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding %T: %w", v, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic map[string]any
	if err := dec.Decode(&generic); err != nil {
		return nil, fmt.Errorf("%T is not a JSON object: %w", v, err)
	}
	if b == nil {
		b = &Bindings{}
	}
	in, err := b.convert("", generic)
	if err != nil {
		return nil, err
	}
	return in.(pulumi.Map), nil
}

func (b *Bindings) convert(path string, v any) (pulumi.Input, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(pulumi.Map, len(x))
		var errs []error
		for k, e := range x {
			if e == nil {
				continue
			}
			in, err := b.convert(path+"."+k, e)
			errs = append(errs, err)
			out[k] = in
		}
		return out, errors.Join(errs...)
	case []any:
		out := make(pulumi.Array, 0, len(x))
		var errs []error
		for i, e := range x {
			in, err := b.convert(fmt.Sprintf("%s[%d]", path, i), e)
			errs = append(errs, err)
			out = append(out, in)
		}
		return out, errors.Join(errs...)
	case string:
		if in, ok := b.inputs[x]; ok {
			return in, nil
		}
		if strings.Contains(x, placeholder) {
			return nil, fmt.Errorf("%s: a bound output is embedded in a longer string (%q); bind the whole value instead", strings.TrimPrefix(path, "."), x)
		}
		return pulumi.String(x), nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return pulumi.Int(int(i)), nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, fmt.Errorf("%s: number %s: %w", strings.TrimPrefix(path, "."), x, err)
		}
		return pulumi.Float64(f), nil
	case bool:
		return pulumi.Bool(x), nil
	}
	return nil, fmt.Errorf("%s: unexpected JSON value %T", strings.TrimPrefix(path, "."), v)
}

// TypeToken is the Pulumi type of a Kubernetes object: kubernetes:<group>/<version>:<kind>,
// with the core group spelled "core".
func TypeToken(apiVersion, kind string) string {
	if !strings.Contains(apiVersion, "/") {
		apiVersion = "core/" + apiVersion
	}
	return "kubernetes:" + apiVersion + ":" + kind
}

// Object is a Kubernetes object registered from a typed struct.
type Object struct {
	pulumi.CustomResourceState

	// Name is the object's metadata.name, as an output of the object (so whoever uses it, a
	// stack export for one, is tied to the object and the program's run).
	Name pulumi.StringOutput `pulumi:"-"`
}

// New registers obj (a typed Kubernetes object with apiVersion, kind and metadata.name) as the
// Pulumi resource `name`. Pass the Kubernetes provider and the parent in opts.
func New(ctx *pulumi.Context, name string, obj any, b *Bindings, opts ...pulumi.ResourceOption) (*Object, error) {
	props, err := ToInputs(obj, b)
	if err != nil {
		return nil, fmt.Errorf("kubernetes object %q: %w", name, err)
	}
	apiVersion, _ := props["apiVersion"].(pulumi.String)
	kind, _ := props["kind"].(pulumi.String)
	meta, _ := props["metadata"].(pulumi.Map)
	if apiVersion == "" || kind == "" || meta == nil {
		return nil, fmt.Errorf("kubernetes object %q: apiVersion, kind and metadata must be plain values, got %T", name, obj)
	}
	if _, ok := meta["name"].(pulumi.String); !ok {
		return nil, fmt.Errorf("kubernetes object %q: metadata.name must be a plain value (an explicit name)", name)
	}
	// Every object the program declares is the program's: `pulumi up` takes back a field another
	// field manager changed out of band (kubectl edit, a forced server-side apply) instead of
	// stopping on the server-side apply conflict (infra.PatchForceAnnotation).
	annotations, _ := meta["annotations"].(pulumi.Map)
	if annotations == nil {
		annotations = pulumi.Map{}
	}
	annotations[infra.PatchForceAnnotation] = pulumi.String("true")
	meta["annotations"] = annotations
	var res Object
	if err := ctx.RegisterResource(TypeToken(string(apiVersion), string(kind)), name, props, &res, opts...); err != nil {
		return nil, fmt.Errorf("registering %s %q: %w", kind, name, err)
	}
	objName := string(meta["name"].(pulumi.String))
	res.Name = res.URN().ApplyT(func(pulumi.URN) string { return objName }).(pulumi.StringOutput)
	return &res, nil
}
