package offline

import (
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/stacks"
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

func TestRecordsParentDependsProtectRetainAndIgnoreChanges(t *testing.T) {
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
			pulumi.Parent(&comp), pulumi.DependsOn([]pulumi.Resource{&dep}), pulumi.Protect(true), pulumi.RetainOnDelete(true),
			pulumi.IgnoreChanges([]string{"tags", "policy.statement"}))
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
	assert.True(t, child.RetainOnDelete)
	assert.Equal(t, []string{"tags", "policy.statement"}, child.IgnoreChanges)
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
// three stand-ins and every stack output.
func TestRunRecordsTheDevStack(t *testing.T) {
	t.Parallel()
	rec, err := RunStackFile("../..", "dev")
	require.NoError(t, err)
	var standIns []string
	for _, r := range rec.Resources {
		if r.StandIn {
			standIns = append(standIns, r.Type+" "+r.Name)
		}
	}
	assert.ElementsMatch(t, []string{
		"aws:iam/openIdConnectProvider:OpenIdConnectProvider " + standInOIDC,
		"aws:eks/cluster:Cluster " + standInCluster,
	}, standIns, "no instance role access entry: the cluster gives pulumi-eks an empty instanceRoles")
	assert.NotEmpty(t, rec.KubernetesObjects())
	assert.Len(t, rec.Charts(), 2, "the Karpenter and KEDA charts")
	assert.NotEmpty(t, rec.IAMDocuments())
	assert.Equal(t, "us-west-2", rec.Outputs["region"])
	assert.Len(t, rec.SecretOutputs, len(rec.Outputs))
}

// The mocked pulumi-eks cluster returns `core` as pulumi-eks 2.8.1 does in API authentication
// mode for a cluster without instanceRoles, with the access entry it creates for its instance
// role (Options.DefaultInstanceRole), so a Go program that reads `core`
// fails under the mocks the way `pulumi up` failed under the real engine
// (pulumi/pulumi-eks#1435: the Go SDK declares core.accessEntries as its own eks.AccessEntry
// type, and the provider returns aws.eks.AccessEntry resources). The failing program is the one
// the engine caught: an IRSA trust built from core's OIDC provider. The same run reading the EKS
// cluster's issuer instead (as components/cluster does) succeeds.
func TestMockedEKSCoreHoldsAccessEntries(t *testing.T) {
	t.Parallel()
	raw := map[string]string{stacks.RegionKey: "us-west-2"}
	irsaRole := func(read func(cl *eks.Cluster) pulumi.StringOutput) pulumi.RunFunc {
		return func(ctx *pulumi.Context) error {
			mode := eks.AuthenticationModeApi
			skip := true
			cl, err := eks.NewCluster(ctx, "probe", &eks.ClusterArgs{AuthenticationMode: &mode, SkipDefaultNodeGroup: &skip})
			if err != nil {
				return err
			}
			_, err = iam.NewRole(ctx, "irsa", &iam.RoleArgs{
				AssumeRolePolicy: read(cl).ApplyT(func(oidc string) string {
					return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity","Principal":{"Federated":"` + oidc + `"}}]}`
				}).(pulumi.StringOutput),
			})
			return err
		}
	}

	rec, err := run("t", raw, Options{DefaultInstanceRole: true}, irsaRole(func(cl *eks.Cluster) pulumi.StringOutput {
		return cl.Core.OidcProvider().Arn()
	}))
	require.Error(t, err, "reading core")
	assert.Contains(t, err.Error(), "expected a eks.AccessEntry, got a resource of type *eks.AccessEntry")
	for _, r := range rec.Resources {
		assert.NotEqual(t, "irsa", r.Name, "the role was registered although core could not be read")
	}

	rec, err = run("t", raw, Options{DefaultInstanceRole: true}, irsaRole(func(cl *eks.Cluster) pulumi.StringOutput {
		return cl.EksCluster.Identities().Index(pulumi.Int(0)).Oidcs().Index(pulumi.Int(0)).Issuer().Elem()
	}))
	require.NoError(t, err)
	registered := false
	for _, r := range rec.Resources {
		registered = registered || r.Name == "irsa"
	}
	assert.True(t, registered, "the role built from the EKS cluster's issuer is registered")
}

// TestMockedEKSFollowsInstanceRoles: the mocked pulumi-eks cluster returns the default instance
// role's access entry only when the program gives no instanceRoles, as pulumi-eks 2.8.1 creates
// it only then; given an empty list (as components/cluster does), core holds no entry and no
// entry stand-in is registered. A program without instanceRoles and without
// Options.DefaultInstanceRole is refused, naming the option.
func TestMockedEKSFollowsInstanceRoles(t *testing.T) {
	t.Parallel()
	raw := map[string]string{stacks.RegionKey: "us-west-2"}
	var entries int
	var mu sync.Mutex
	probe := func(roles iam.RoleArrayInput) pulumi.RunFunc {
		return func(ctx *pulumi.Context) error {
			mode := eks.AuthenticationModeApi
			skip := true
			cl, err := eks.NewCluster(ctx, "probe", &eks.ClusterArgs{AuthenticationMode: &mode, SkipDefaultNodeGroup: &skip, InstanceRoles: roles})
			if err != nil {
				return err
			}
			cl.Core.AccessEntries().ApplyT(func(es []eks.AccessEntry) error {
				mu.Lock()
				defer mu.Unlock()
				entries = len(es)
				return nil
			})
			return nil
		}
	}
	rec, err := run("t", raw, Options{}, probe(iam.RoleArray{}))
	require.NoError(t, err, "core without access entries decodes")
	mu.Lock()
	assert.Zero(t, entries, "no access entry in core")
	mu.Unlock()
	for _, r := range rec.Resources {
		assert.NotEqual(t, "aws:eks/accessEntry:AccessEntry", r.Type, "no access entry stand-in: %s", r.Name)
		if r.Type == "eks:index:Cluster" {
			assert.Equal(t, []any{}, r.Inputs["instanceRoles"], "the Go SDK sends the empty list")
		}
	}

	_, err = run("t", raw, Options{}, probe(nil))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "gives no instanceRoles")
	assert.Contains(t, err.Error(), "Options.DefaultInstanceRole")
}
