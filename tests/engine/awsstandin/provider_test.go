package awsstandin

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/eventscale/eventscale/internal/offline"
)

const (
	queueURN   = "urn:pulumi:t::eventscale::aws:sqs/queue:Queue::work"
	clusterURN = "urn:pulumi:t::eventscale::eks:index:Cluster$aws:eks/cluster:Cluster::c-eksCluster"
)

func props(t *testing.T, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := marshal(m)
	require.NoError(t, err)
	return s
}

func plain(t *testing.T, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	m, err := unmarshal(s)
	require.NoError(t, err)
	return m
}

func configure(t *testing.T, p pulumirpc.ResourceProviderClient, region string) {
	t.Helper()
	typ := "pulumi:providers:aws"
	resp, err := p.Configure(context.Background(), &pulumirpc.ConfigureRequest{
		Type: &typ, Args: props(t, resource.PropertyMap{"region": resource.NewProperty(region)}), AcceptSecrets: true,
	})
	require.NoError(t, err)
	assert.True(t, resp.GetAcceptSecrets())
	assert.False(t, resp.GetSupportsPreview(), "so the engine calls no Create during a preview")
}

// TestProviderLifecycle drives the plugin over gRPC the way the engine does for a queue and an
// EKS cluster: check, create, an in-place change, a replacing change, update, invokes, delete;
// and reads the op log the tier asserts order on.
func TestProviderLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	logPath := filepath.Join(t.TempDir(), "ops.jsonl")
	eks := offline.EKSEndpoint{Endpoint: "https://127.0.0.1:16443", CertificateAuthorityData: "Q0E=", Issuer: "https://127.0.0.1:16443/issuer"}
	p := startPlugin(t, EnvLog+"="+logPath, EnvEKSEndpoint+"="+eks.Endpoint, EnvEKSCAData+"="+eks.CertificateAuthorityData, EnvEKSIssuer+"="+eks.Issuer)
	configure(t, p, "eu-central-1")
	d := offline.Derivation{Region: "eu-central-1", AccountID: offline.AccountID, EKS: &eks}

	// Check keeps the inputs, secrets included.
	in := resource.PropertyMap{
		"name":                     resource.NewProperty("work"),
		"visibilityTimeoutSeconds": resource.NewProperty(30.0),
		"tags":                     resource.MakeSecret(resource.NewProperty(resource.PropertyMap{"k": resource.NewProperty("v")})),
	}
	checked, err := p.Check(ctx, &pulumirpc.CheckRequest{Urn: queueURN, News: props(t, in)})
	require.NoError(t, err)
	assert.Empty(t, checked.GetFailures())
	assert.True(t, plain(t, checked.GetInputs())["tags"].IsSecret())
	assert.Equal(t, withEmptyDefaults(in), plain(t, checked.GetInputs()))

	// Create: the id and outputs are the Derivation's.
	created, err := p.Create(ctx, &pulumirpc.CreateRequest{Urn: queueURN, Properties: checked.GetInputs()})
	require.NoError(t, err)
	wantID, wantOut := d.Resource("aws:sqs/queue:Queue", "work", true, in)
	assert.Equal(t, "https://sqs.eu-central-1.amazonaws.com/123456789012/work", created.GetId())
	assert.Equal(t, wantID, created.GetId())
	assert.Equal(t, wantOut, plain(t, created.GetProperties()))

	// An in-place change and a replacing one (an SQS queue cannot be renamed).
	changed := in.Copy()
	changed["visibilityTimeoutSeconds"] = resource.NewProperty(60.0)
	diff, err := p.Diff(ctx, &pulumirpc.DiffRequest{Urn: queueURN, Id: created.GetId(), Olds: created.GetProperties(), OldInputs: props(t, in), News: props(t, changed)})
	require.NoError(t, err)
	assert.Equal(t, pulumirpc.DiffResponse_DIFF_SOME, diff.GetChanges())
	assert.Empty(t, diff.GetReplaces())
	assert.Equal(t, map[string]pulumirpc.PropertyDiff_Kind{"visibilityTimeoutSeconds": pulumirpc.PropertyDiff_UPDATE}, kinds(diff))

	renamed := changed.Copy()
	renamed["name"] = resource.NewProperty("work2")
	diff, err = p.Diff(ctx, &pulumirpc.DiffRequest{Urn: queueURN, Id: created.GetId(), OldInputs: props(t, in), News: props(t, renamed)})
	require.NoError(t, err)
	assert.Equal(t, []string{"name"}, diff.GetReplaces())
	assert.Equal(t, map[string]pulumirpc.PropertyDiff_Kind{
		"name": pulumirpc.PropertyDiff_UPDATE_REPLACE, "visibilityTimeoutSeconds": pulumirpc.PropertyDiff_UPDATE,
	}, kinds(diff))

	same, err := p.Diff(ctx, &pulumirpc.DiffRequest{Urn: queueURN, Id: created.GetId(), OldInputs: props(t, in), News: props(t, in)})
	require.NoError(t, err)
	assert.Equal(t, pulumirpc.DiffResponse_DIFF_NONE, same.GetChanges())

	updated, err := p.Update(ctx, &pulumirpc.UpdateRequest{Urn: queueURN, Id: created.GetId(), Olds: created.GetProperties(), News: props(t, changed)})
	require.NoError(t, err)
	assert.Equal(t, 60.0, plain(t, updated.GetProperties())["visibilityTimeoutSeconds"].NumberValue())

	// The EKS cluster describes the API server the environment names.
	cl, err := p.Create(ctx, &pulumirpc.CreateRequest{Urn: clusterURN, Properties: props(t, resource.PropertyMap{"name": resource.NewProperty("prod")})})
	require.NoError(t, err)
	out := plain(t, cl.GetProperties()).Mappable()
	assert.Equal(t, "prod", cl.GetId())
	assert.Equal(t, eks.Endpoint, out["endpoint"])
	assert.Equal(t, map[string]any{"data": eks.CertificateAuthorityData}, out["certificateAuthority"])

	// Invokes: a known function, and an unknown one named in the error.
	region, err := p.Invoke(ctx, &pulumirpc.InvokeRequest{Tok: "aws:index/getRegion:getRegion", Args: props(t, nil)})
	require.NoError(t, err)
	assert.Equal(t, "eu-central-1", plain(t, region.GetReturn())["name"].StringValue())
	_, err = p.Invoke(ctx, &pulumirpc.InvokeRequest{Tok: "aws:ec2/getAmi:getAmi", Args: props(t, nil)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"aws:ec2/getAmi:getAmi"`)

	// Read of known state returns it; a read by id derives the outputs.
	read, err := p.Read(ctx, &pulumirpc.ReadRequest{Urn: queueURN, Id: created.GetId(), Properties: updated.GetProperties(), Inputs: props(t, changed)})
	require.NoError(t, err)
	assert.Equal(t, plain(t, updated.GetProperties()), plain(t, read.GetProperties()))
	got, err := p.Read(ctx, &pulumirpc.ReadRequest{Urn: clusterURN, Id: "prod"})
	require.NoError(t, err)
	assert.Equal(t, "prod", got.GetId())
	assert.Equal(t, eks.Endpoint, plain(t, got.GetProperties())["endpoint"].StringValue())

	_, err = p.Delete(ctx, &pulumirpc.DeleteRequest{Urn: clusterURN, Id: cl.GetId(), Properties: cl.GetProperties()})
	require.NoError(t, err)
	_, err = p.Delete(ctx, &pulumirpc.DeleteRequest{Urn: queueURN, Id: created.GetId(), Properties: updated.GetProperties()})
	require.NoError(t, err)

	ops, err := ReadLog(logPath)
	require.NoError(t, err)
	var seq []Op
	for _, op := range ops {
		assert.False(t, op.Time.IsZero())
		seq = append(seq, Op{Op: op.Op, URN: op.URN, Type: op.Type, ID: op.ID})
	}
	const queue, cluster = "aws:sqs/queue:Queue", "aws:eks/cluster:Cluster"
	assert.Equal(t, []Op{
		{Op: "configure", Type: ""},
		{Op: "check", URN: queueURN, Type: queue},
		{Op: "create", URN: queueURN, Type: queue, ID: created.GetId()},
		{Op: "diff", URN: queueURN, Type: queue, ID: created.GetId()},
		{Op: "diff", URN: queueURN, Type: queue, ID: created.GetId()},
		{Op: "diff", URN: queueURN, Type: queue, ID: created.GetId()},
		{Op: "update", URN: queueURN, Type: queue, ID: created.GetId()},
		{Op: "create", URN: clusterURN, Type: cluster, ID: "prod"},
		{Op: "invoke", Type: "aws:index/getRegion:getRegion"},
		{Op: "invoke", Type: "aws:ec2/getAmi:getAmi"},
		{Op: "read", URN: queueURN, Type: queue, ID: created.GetId()},
		{Op: "read", URN: clusterURN, Type: cluster, ID: "prod"},
		{Op: "delete", URN: clusterURN, Type: cluster, ID: "prod"},
		{Op: "delete", URN: queueURN, Type: queue, ID: created.GetId()},
	}, seq)
}

func kinds(d *pulumirpc.DiffResponse) map[string]pulumirpc.PropertyDiff_Kind {
	out := map[string]pulumirpc.PropertyDiff_Kind{}
	for k, v := range d.GetDetailedDiff() {
		out[k] = v.GetKind()
	}
	return out
}

func TestConfigureNeedsARegion(t *testing.T) {
	t.Parallel()
	typ := "pulumi:providers:aws"
	_, err := startPlugin(t).Configure(context.Background(), &pulumirpc.ConfigureRequest{Type: &typ, Args: props(t, nil)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no region")
}

func TestNewRefusesPartOfTheEKSEndpoint(t *testing.T) {
	t.Parallel()
	_, err := New(func(k string) string {
		if k == EnvEKSEndpoint {
			return "https://127.0.0.1:1"
		}
		return ""
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), EnvEKSIssuer)
}

// TestDiffReplacements: which changes replace, per type, including a nested ForceNew path of the
// EKS cluster.
func TestDiffReplacements(t *testing.T) {
	t.Parallel()
	obj := func(kv ...any) resource.PropertyValue {
		m := resource.PropertyMap{}
		for i := 0; i < len(kv); i += 2 {
			m[resource.PropertyKey(kv[i].(string))] = resource.NewPropertyValue(kv[i+1])
		}
		return resource.NewProperty(m)
	}
	cases := []struct {
		name       string
		typ        string
		olds, news resource.PropertyMap
		replaces   []string
		detailed   map[string]pulumirpc.PropertyDiff_Kind
	}{
		{
			name: "an IAM role's path replaces", typ: "aws:iam/role:Role",
			olds: resource.PropertyMap{"path": resource.NewProperty("/")}, news: resource.PropertyMap{"path": resource.NewProperty("/x/")},
			replaces: []string{"path"}, detailed: map[string]pulumirpc.PropertyDiff_Kind{"path": pulumirpc.PropertyDiff_UPDATE_REPLACE},
		},
		{
			name: "an IAM role's policy is updated", typ: "aws:iam/role:Role",
			olds: resource.PropertyMap{"assumeRolePolicy": resource.NewProperty("{}")}, news: resource.PropertyMap{"assumeRolePolicy": resource.NewProperty(`{"a":1}`)},
			detailed: map[string]pulumirpc.PropertyDiff_Kind{"assumeRolePolicy": pulumirpc.PropertyDiff_UPDATE},
		},
		{
			name: "a service-linked role's service replaces, its description updates", typ: "aws:iam/serviceLinkedRole:ServiceLinkedRole",
			olds:     resource.PropertyMap{"awsServiceName": resource.NewProperty("spot.amazonaws.com"), "description": resource.NewProperty("a")},
			news:     resource.PropertyMap{"awsServiceName": resource.NewProperty("ec2.amazonaws.com"), "description": resource.NewProperty("b")},
			replaces: []string{"awsServiceName"},
			detailed: map[string]pulumirpc.PropertyDiff_Kind{"awsServiceName": pulumirpc.PropertyDiff_UPDATE_REPLACE, "description": pulumirpc.PropertyDiff_UPDATE},
		},
		{
			name: "an EKS cluster's service CIDR replaces", typ: "aws:eks/cluster:Cluster",
			olds:     resource.PropertyMap{"kubernetesNetworkConfig": obj("serviceIpv4Cidr", "10.100.0.0/16")},
			news:     resource.PropertyMap{"kubernetesNetworkConfig": obj("serviceIpv4Cidr", "10.200.0.0/16")},
			replaces: []string{"kubernetesNetworkConfig"},
			detailed: map[string]pulumirpc.PropertyDiff_Kind{"kubernetesNetworkConfig.serviceIpv4Cidr": pulumirpc.PropertyDiff_UPDATE_REPLACE},
		},
		{
			name: "an EKS cluster's other network setting is updated", typ: "aws:eks/cluster:Cluster",
			olds:     resource.PropertyMap{"kubernetesNetworkConfig": obj("serviceIpv4Cidr", "10.100.0.0/16")},
			news:     resource.PropertyMap{"kubernetesNetworkConfig": obj("serviceIpv4Cidr", "10.100.0.0/16", "elasticLoadBalancing", map[string]any{"enabled": true})},
			detailed: map[string]pulumirpc.PropertyDiff_Kind{"kubernetesNetworkConfig": pulumirpc.PropertyDiff_UPDATE},
		},
		{
			name: "an EKS cluster's version is updated and its name added replaces", typ: "aws:eks/cluster:Cluster",
			olds:     resource.PropertyMap{"version": resource.NewProperty("1.33")},
			news:     resource.PropertyMap{"version": resource.NewProperty("1.34"), "name": resource.NewProperty("c")},
			replaces: []string{"name"},
			detailed: map[string]pulumirpc.PropertyDiff_Kind{"version": pulumirpc.PropertyDiff_UPDATE, "name": pulumirpc.PropertyDiff_ADD_REPLACE},
		},
		{
			name: "an add-on's name replaces, its version is updated", typ: "aws:eks/addon:Addon",
			olds:     resource.PropertyMap{"addonName": resource.NewProperty("a"), "addonVersion": resource.NewProperty("1")},
			news:     resource.PropertyMap{"addonVersion": resource.NewProperty("2")},
			replaces: []string{"addonName"},
			detailed: map[string]pulumirpc.PropertyDiff_Kind{"addonName": pulumirpc.PropertyDiff_DELETE_REPLACE, "addonVersion": pulumirpc.PropertyDiff_UPDATE},
		},
		{
			name: "a dashboard's rename replaces, its body is updated", typ: "aws:cloudwatch/dashboard:Dashboard",
			olds:     resource.PropertyMap{"dashboardName": resource.NewProperty("a"), "dashboardBody": resource.NewProperty("{}")},
			news:     resource.PropertyMap{"dashboardName": resource.NewProperty("b"), "dashboardBody": resource.NewProperty(`{"widgets":[]}`)},
			replaces: []string{"dashboardName"},
			detailed: map[string]pulumirpc.PropertyDiff_Kind{"dashboardName": pulumirpc.PropertyDiff_UPDATE_REPLACE, "dashboardBody": pulumirpc.PropertyDiff_UPDATE},
		},
		{
			name: "an alarm's threshold is updated", typ: "aws:cloudwatch/metricAlarm:MetricAlarm",
			olds:     resource.PropertyMap{"name": resource.NewProperty("q-age"), "threshold": resource.NewProperty(900.0)},
			news:     resource.PropertyMap{"name": resource.NewProperty("q-age"), "threshold": resource.NewProperty(300.0)},
			detailed: map[string]pulumirpc.PropertyDiff_Kind{"threshold": pulumirpc.PropertyDiff_UPDATE},
		},
		{
			name: "an e-mail subscription's address replaces", typ: "aws:sns/topicSubscription:TopicSubscription",
			olds:     resource.PropertyMap{"endpoint": resource.NewProperty("a@example.com")},
			news:     resource.PropertyMap{"endpoint": resource.NewProperty("b@example.com")},
			replaces: []string{"endpoint"},
			detailed: map[string]pulumirpc.PropertyDiff_Kind{"endpoint": pulumirpc.PropertyDiff_UPDATE_REPLACE},
		},
		{
			name: "a key's policy is updated", typ: "aws:kms/key:Key",
			olds:     resource.PropertyMap{"policy": resource.NewProperty("{}")},
			news:     resource.PropertyMap{"policy": resource.NewProperty(`{"a":1}`)},
			detailed: map[string]pulumirpc.PropertyDiff_Kind{"policy": pulumirpc.PropertyDiff_UPDATE},
		},
		{
			name: "adding an EKS cluster's secrets encryption is an update", typ: "aws:eks/cluster:Cluster",
			olds:     resource.PropertyMap{"version": resource.NewProperty("1.35")},
			news:     resource.PropertyMap{"version": resource.NewProperty("1.35"), "encryptionConfig": obj("provider", map[string]any{"keyArn": "arn:k"}, "resources", []any{"secrets"})},
			detailed: map[string]pulumirpc.PropertyDiff_Kind{"encryptionConfig": pulumirpc.PropertyDiff_ADD},
		},
		{
			name: "adding it with a key not known yet (preview) is an update", typ: "aws:eks/cluster:Cluster",
			olds:     resource.PropertyMap{},
			news:     resource.PropertyMap{"encryptionConfig": obj("provider", map[string]any{"keyArn": resource.MakeComputed(resource.NewProperty(""))}, "resources", []any{"secrets"})},
			detailed: map[string]pulumirpc.PropertyDiff_Kind{"encryptionConfig": pulumirpc.PropertyDiff_ADD},
		},
		{
			name: "changing the key of an EKS cluster's encryption is an update", typ: "aws:eks/cluster:Cluster",
			olds:     resource.PropertyMap{"encryptionConfig": obj("provider", map[string]any{"keyArn": "arn:a"}, "resources", []any{"secrets"})},
			news:     resource.PropertyMap{"encryptionConfig": obj("provider", map[string]any{"keyArn": "arn:b"}, "resources", []any{"secrets"})},
			detailed: map[string]pulumirpc.PropertyDiff_Kind{"encryptionConfig": pulumirpc.PropertyDiff_UPDATE},
		},
		{
			name: "removing an EKS cluster's secrets encryption replaces", typ: "aws:eks/cluster:Cluster",
			olds:     resource.PropertyMap{"encryptionConfig": obj("provider", map[string]any{"keyArn": "arn:a"}, "resources", []any{"secrets"})},
			news:     resource.PropertyMap{},
			replaces: []string{"encryptionConfig"},
			detailed: map[string]pulumirpc.PropertyDiff_Kind{"encryptionConfig": pulumirpc.PropertyDiff_DELETE_REPLACE},
		},
		{
			name: "an unknown new name (preview) replaces", typ: "aws:sqs/queue:Queue",
			olds:     resource.PropertyMap{"name": resource.NewProperty("q")},
			news:     resource.PropertyMap{"name": resource.MakeComputed(resource.NewProperty(""))},
			replaces: []string{"name"},
			detailed: map[string]pulumirpc.PropertyDiff_Kind{"name": pulumirpc.PropertyDiff_UPDATE_REPLACE},
		},
	}
	for _, c := range cases {
		paths, err := replacementsFor(c.typ, c.olds, c.news)
		require.NoError(t, err, c.name)
		got := diff(c.olds, c.news, paths)
		assert.Equal(t, pulumirpc.DiffResponse_DIFF_SOME, got.GetChanges(), c.name)
		assert.Equal(t, c.replaces, got.GetReplaces(), c.name)
		assert.Equal(t, c.detailed, kinds(got), c.name)
	}
}

// TestCheckAutoNames: like pulumi-aws, Check gives a resource that names itself and was given no
// name its auto-name, so a preview knows it; the ARN Create then reports is built from that name.
// A given name, a namePrefix and a type that does not name itself are left alone. Like the
// bridge, Check lists what it filled in under __defaults (empty when nothing).
func TestCheckAutoNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := startPlugin(t)
	configure(t, p, "us-west-2")
	const roleURN = "urn:pulumi:dev::eventscale::eventscale:keda:Keda$aws:iam/role:Role::keda-operator-role"
	checked, err := p.Check(ctx, &pulumirpc.CheckRequest{Urn: roleURN, News: props(t, resource.PropertyMap{"description": resource.NewProperty("d")})})
	require.NoError(t, err)
	name := plain(t, checked.GetInputs())["name"]
	require.True(t, name.IsString(), "Check set no name: %v", plain(t, checked.GetInputs()))
	assert.Equal(t, offline.AutoName("keda-operator-role"), name.StringValue())
	assert.Equal(t, resource.NewProperty([]resource.PropertyValue{resource.NewProperty("name")}), plain(t, checked.GetInputs())[defaultsKey],
		"the name Check filled in is listed under __defaults, as the bridge lists it")
	created, err := p.Create(ctx, &pulumirpc.CreateRequest{Urn: roleURN, Properties: checked.GetInputs()})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::"+offline.AccountID+":role/"+name.StringValue(), plain(t, created.GetProperties())["arn"].StringValue())

	for _, c := range []struct {
		urn string
		in  resource.PropertyMap
	}{
		{roleURN, resource.PropertyMap{"name": resource.NewProperty("given")}},
		{roleURN, resource.PropertyMap{"namePrefix": resource.NewProperty("pre-")}},
		{"urn:pulumi:dev::eventscale::aws:ec2/vpc:Vpc::network-vpc", resource.PropertyMap{"cidrBlock": resource.NewProperty("10.0.0.0/16")}},
	} {
		checked, err := p.Check(ctx, &pulumirpc.CheckRequest{Urn: c.urn, News: props(t, c.in)})
		require.NoError(t, err)
		assert.Equal(t, withEmptyDefaults(c.in), plain(t, checked.GetInputs()), c.urn)
	}
}

// withEmptyDefaults is m with the empty __defaults list Check adds when it filled nothing in.
func withEmptyDefaults(m resource.PropertyMap) resource.PropertyMap {
	out := m.Copy()
	out[defaultsKey] = resource.NewProperty([]resource.PropertyValue{})
	return out
}
