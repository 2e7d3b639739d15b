// Package component is the frame every component's New shares: the presence checks of its Args
// (with the nil check first), the error wrapped with the component's name, the component
// resource registered under its type token, and, once its children exist, its outputs
// registered from the struct's `pulumi:"..."` tags. What lies between (the component's own
// resources) stays in the component.
package component

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/internal/required"
)

// Kind describes one component type. A, the component's Args struct, is always passed as *A.
type Kind[A any] struct {
	// Name starts the component's errors: "<Name>: args are required" for nil args and
	// "<Name> \"<resource name>\": <messages>" when a presence check fails in New.
	Name string
	// Type is the component's Pulumi type token.
	Type string
	// Check adds the presence checks of args (never nil) to c, in the order the messages must
	// come out.
	Check func(args *A, c *required.Check)
}

// Validate returns "<Name>: args are required" for nil args, otherwise Check's messages joined
// in order, or nil when every check passes.
func (k Kind[A]) Validate(args *A) error {
	if args == nil {
		return fmt.Errorf("%s: args are required", k.Name)
	}
	var c required.Check
	k.Check(args, &c)
	return c.Err()
}

// New validates args (the error wrapped as `<Name> "<name>": ...`), registers a new component C
// as the component resource name of type k.Type with opts, and returns it with the option that
// makes a resource its child. Nothing is registered when args are not valid.
func New[C any, PC interface {
	*C
	pulumi.ComponentResource
}, A any](ctx *pulumi.Context, k Kind[A], name string, args *A, opts ...pulumi.ResourceOption) (PC, pulumi.ResourceOption, error) {
	if err := k.Validate(args); err != nil {
		return nil, nil, fmt.Errorf("%s %q: %w", k.Name, name, err)
	}
	comp := PC(new(C))
	if err := ctx.RegisterComponentResource(k.Type, name, comp, opts...); err != nil {
		return nil, nil, err
	}
	return comp, pulumi.Parent(comp), nil
}

// Finish registers comp's outputs (see Outputs) and returns comp, or the zero value (nil) and
// the error. comp is a pointer to the component's struct, every output field set by the
// component: registering the component gave each tagged field a placeholder output of its own
// (pulumi SDK v3.274.1, Context.makeResourceState in go/pulumi/context.go), which Finish cannot
// tell from a set one.
func Finish[C pulumi.ComponentResource](ctx *pulumi.Context, comp C) (C, error) {
	var none C
	outs, err := Outputs(comp)
	if err != nil {
		return none, err
	}
	if err := ctx.RegisterResourceOutputs(comp, outs); err != nil {
		return none, err
	}
	return comp, nil
}

// Outputs is the map of a component's outputs, read from the fields of the struct comp points
// to: each field tagged `pulumi:"<key>"` is the output <key>, and must hold a pulumi.Input (a
// zero Output, never given a value, is an error). Embedded fields (pulumi.ResourceState) and fields tagged `pulumi:"-"` are not outputs;
// any other exported field without a pulumi tag is an error, so a new field is never left out
// of the outputs by accident.
func Outputs(comp any) (pulumi.Map, error) {
	v := reflect.ValueOf(comp)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("component outputs: %T is not a pointer to a struct", comp)
	}
	v = v.Elem()
	outs := pulumi.Map{}
	var errs []error
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if f.Anonymous || !f.IsExported() {
			continue
		}
		key, tagged := f.Tag.Lookup("pulumi")
		switch {
		case !tagged || key == "":
			errs = append(errs, fmt.Errorf("%s.%s has no pulumi tag: tag it with its output name, or `pulumi:\"-\"`", v.Type().Name(), f.Name))
			continue
		case key == "-":
			continue
		}
		in, ok := v.Field(i).Interface().(pulumi.Input)
		if !ok {
			errs = append(errs, fmt.Errorf("%s.%s (output %q) is a %s, not a pulumi.Input", v.Type().Name(), f.Name, key, f.Type))
			continue
		}
		if v.Field(i).IsZero() {
			errs = append(errs, fmt.Errorf("%s.%s (output %q) is not set", v.Type().Name(), f.Name, key))
			continue
		}
		outs[key] = in
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("component outputs: %w", err)
	}
	return outs, nil
}
