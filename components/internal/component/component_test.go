package component

import (
	"errors"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/components/internal/required"
)

type testArgs struct{ A, B string }

var testKind = Kind[testArgs]{
	Name: "thing",
	Type: "eventscale:test:Thing",
	Check: func(a *testArgs, c *required.Check) {
		c.Strings("A", a.A, "B", a.B)
	},
}

type thing struct {
	pulumi.ResourceState

	Out   pulumi.StringOutput      `pulumi:"out"`
	List  pulumi.StringArrayOutput `pulumi:"list"`
	Other *pulumi.ResourceState    `pulumi:"-"`
}

// registered is what the mock engine saw: type, name and parent URN of each resource.
type registered struct {
	mu   sync.Mutex
	regs []reg
}

type reg struct {
	Type, Name, Parent string
	Custom             bool
}

func (r *registered) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.regs = append(r.regs, reg{args.TypeToken, args.Name, args.RegisterRPC.GetParent(), args.Custom})
	return args.Name + "-id", args.Inputs, nil
}

func (r *registered) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

func run(t *testing.T, program func(*pulumi.Context) error) []reg {
	t.Helper()
	var r registered
	err := pulumi.RunErr(program, pulumi.WithMocks("project", "stack", &r))
	require.NoError(t, err)
	return r.regs
}

func TestValidate(t *testing.T) {
	t.Parallel()
	assert.EqualError(t, testKind.Validate(nil), "thing: args are required")
	assert.EqualError(t, testKind.Validate(&testArgs{}), "A is required\nB is required")
	assert.EqualError(t, testKind.Validate(&testArgs{A: "a"}), "B is required")
	assert.NoError(t, testKind.Validate(&testArgs{A: "a", B: "b"}))
}

func TestNewMakesTheComponentTheParent(t *testing.T) {
	t.Parallel()
	var comp *thing
	regs := run(t, func(ctx *pulumi.Context) error {
		var parent pulumi.ResourceOption
		var err error
		comp, parent, err = New[thing](ctx, testKind, "t1", &testArgs{A: "a", B: "b"})
		if err != nil {
			return err
		}
		var child pulumi.CustomResourceState
		return ctx.RegisterResource("test:index:Child", "t1-child", pulumi.Map{}, &child, parent)
	})
	assert.NotNil(t, comp)
	compURN := "urn:pulumi:stack::project::eventscale:test:Thing::t1"
	assert.Contains(t, regs, reg{Type: "eventscale:test:Thing", Name: "t1", Parent: "urn:pulumi:stack::project::pulumi:pulumi:Stack::project-stack"})
	assert.Contains(t, regs, reg{Type: "test:index:Child", Name: "t1-child", Parent: compURN, Custom: true})
}

func TestNewRefusesInvalidArgsBeforeRegistering(t *testing.T) {
	t.Parallel()
	var errs []error
	regs := run(t, func(ctx *pulumi.Context) error {
		for _, a := range []*testArgs{nil, {A: "a"}} {
			comp, parent, err := New[thing](ctx, testKind, "bad", a)
			if comp != nil || parent != nil {
				return errors.New("a component or a parent option for invalid args")
			}
			errs = append(errs, err)
		}
		return nil
	})
	require.Len(t, errs, 2)
	assert.EqualError(t, errs[0], `thing "bad": thing: args are required`)
	assert.EqualError(t, errs[1], `thing "bad": B is required`)
	for _, r := range regs {
		assert.NotEqual(t, "bad", r.Name, "nothing is registered for invalid args")
	}
}

func TestOutputsReadsTheTags(t *testing.T) {
	t.Parallel()
	out := pulumi.String("x").ToStringOutput()
	list := pulumi.ToStringArray([]string{"a"}).ToStringArrayOutput()
	outs, err := Outputs(&thing{Out: out, List: list, Other: &pulumi.ResourceState{}})
	require.NoError(t, err)
	assert.Equal(t, pulumi.Map{"out": out, "list": list}, outs, "embedded state and pulumi:\"-\" fields are left out")
}

func TestOutputsRefusesWhatItCannotRegister(t *testing.T) {
	t.Parallel()
	_, err := Outputs(&thing{Out: pulumi.String("x").ToStringOutput()})
	assert.EqualError(t, err, `component outputs: thing.List (output "list") is not set`)

	type untagged struct {
		pulumi.ResourceState
		Out pulumi.StringOutput
	}
	_, err = Outputs(&untagged{Out: pulumi.String("x").ToStringOutput()})
	assert.ErrorContains(t, err, "untagged.Out has no pulumi tag")

	type notInput struct {
		pulumi.ResourceState
		N int `pulumi:"n"`
	}
	_, err = Outputs(&notInput{N: 1})
	assert.ErrorContains(t, err, `notInput.N (output "n") is a int, not a pulumi.Input`)

	_, err = Outputs(thing{})
	assert.EqualError(t, err, "component outputs: component.thing is not a pointer to a struct")
}

// untaggedThing has an exported field Outputs refuses: Finish must not register half the outputs.
type untaggedThing struct {
	pulumi.ResourceState

	Out pulumi.StringOutput
}

func TestFinishReturnsTheComponentOrNil(t *testing.T) {
	t.Parallel()
	var done *thing
	var refused *untaggedThing
	var refusedErr error
	run(t, func(ctx *pulumi.Context) error {
		comp, _, err := New[thing](ctx, testKind, "t2", &testArgs{A: "a", B: "b"})
		if err != nil {
			return err
		}
		comp.Out = pulumi.String("x").ToStringOutput()
		comp.List = pulumi.ToStringArray(nil).ToStringArrayOutput()
		if done, err = Finish(ctx, comp); err != nil {
			return err
		}
		bad := &untaggedThing{}
		if err := ctx.RegisterComponentResource("eventscale:test:Untagged", "t3", bad); err != nil {
			return err
		}
		bad.Out = pulumi.String("x").ToStringOutput()
		refused, refusedErr = Finish(ctx, bad)
		return nil
	})
	assert.NotNil(t, done)
	assert.Nil(t, refused)
	assert.ErrorContains(t, refusedErr, "untaggedThing.Out has no pulumi tag")
}
