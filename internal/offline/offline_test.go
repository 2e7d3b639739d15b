package offline

import (
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnknownInvokeFailsLoudly(t *testing.T) {
	t.Parallel()
	m := &mocks{stack: "t", region: "us-west-2"}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		var out map[string]any
		return ctx.Invoke("aws:ec2/getAmi:getAmi", map[string]any{"mostRecent": true}, &out)
	}, pulumi.WithMocks(Project, "t", m))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unexpected invoke "aws:ec2/getAmi:getAmi"`)
	require.Len(t, m.invokes, 1, "the call is recorded before it is refused")
}

func TestRecordsParentDependsAndProtect(t *testing.T) {
	t.Parallel()
	m := &mocks{stack: "t", region: "us-west-2"}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		var dep, child standIn
		if err := ctx.RegisterResource("aws:sqs/queue:Queue", "dep", pulumi.Map{}, &dep); err != nil {
			return err
		}
		var comp struct{ pulumi.ResourceState }
		if err := ctx.RegisterComponentResource("test:index:Comp", "comp", &comp); err != nil {
			return err
		}
		return ctx.RegisterResource("aws:sqs/queue:Queue", "child", pulumi.Map{"name": pulumi.String("q")}, &child,
			pulumi.Parent(&comp), pulumi.DependsOn([]pulumi.Resource{&dep}), pulumi.Protect(true))
	}, pulumi.WithMocks(Project, "t", m))
	require.NoError(t, err)
	var child Resource
	for _, r := range m.resources {
		if r.Name == "child" {
			child = r
		}
	}
	assert.Equal(t, "urn:pulumi:t::eventscale::test:index:Comp::comp", child.Parent)
	assert.Equal(t, "urn:pulumi:t::eventscale::test:index:Comp$aws:sqs/queue:Queue::child", child.URN)
	assert.Equal(t, []string{"urn:pulumi:t::eventscale::aws:sqs/queue:Queue::dep"}, child.Depends)
	assert.True(t, child.Protect)
	assert.Equal(t, "https://sqs.us-west-2.amazonaws.com/123456789012/q", child.ID)
}

func TestPlainUnwrapsSecretsAndUnknowns(t *testing.T) {
	t.Parallel()
	v := resource.NewObjectProperty(resource.PropertyMap{
		"s": resource.MakeSecret(resource.NewProperty("hidden")),
		"c": resource.MakeComputed(resource.NewProperty("")),
		"n": resource.NewProperty(3.0),
		"f": resource.NewProperty(1.5),
	})
	assert.Equal(t, map[string]any{"s": "hidden", "c": "<computed>", "n": int64(3), "f": 1.5}, Plain(v))
}

// TestExportsAreCapturedWhenRunErrReturns: every export is captured by the time pulumi.RunErr
// returns, also one that resolves late from an output of no context and one whose capture is
// slow (an apply on an export of plain values is not work RunErr waits for by itself).
func TestExportsAreCapturedWhenRunErrReturns(t *testing.T) {
	t.Parallel()
	for range 5 {
		var mu sync.Mutex
		got, secrets := map[string]any{}, map[string]bool{}
		err := pulumi.RunErr(func(ctx *pulumi.Context) error {
			late, set, _ := pulumi.NewOutput() // tied to no context
			go func() { time.Sleep(20 * time.Millisecond); set("late") }()
			ctx.Export("plain", pulumi.String("now"))
			ctx.Export("late", late)
			ctx.Export("secret", pulumi.ToSecret(pulumi.String("hidden")))
			captureExports(ctx, func(k string, v any, secret bool) {
				time.Sleep(10 * time.Millisecond)
				mu.Lock()
				defer mu.Unlock()
				got[k], secrets[k] = v, secret
			})
			return nil
		}, pulumi.WithMocks(Project, "t", &mocks{stack: "t", region: "us-west-2"}))
		require.NoError(t, err)
		mu.Lock()
		assert.Equal(t, map[string]any{"plain": "now", "late": "late", "secret": "hidden"}, got)
		assert.Equal(t, map[string]bool{"plain": false, "late": false, "secret": true}, secrets)
		mu.Unlock()
	}
}

// TestRunRecordsTheDevStack: a whole run of the shipped dev stack records its resources, the
// two stand-ins and every stack output.
func TestRunRecordsTheDevStack(t *testing.T) {
	t.Parallel()
	rec, err := RunStackFile("../..", "dev")
	require.NoError(t, err)
	standIns := 0
	for _, r := range rec.Resources {
		if r.StandIn {
			standIns++
		}
	}
	assert.Equal(t, 2, standIns)
	assert.NotEmpty(t, rec.KubernetesObjects())
	assert.Len(t, rec.Charts(), 2, "the Karpenter and KEDA charts")
	assert.NotEmpty(t, rec.IAMDocuments())
	assert.Equal(t, "us-west-2", rec.Outputs["region"])
	assert.Len(t, rec.SecretOutputs, len(rec.Outputs))
}
