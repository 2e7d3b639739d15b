package offline

import (
	"reflect"
	"sync"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/infra"
)

var testDerivation = Derivation{Region: "eu-west-1", AccountID: AccountID}

// TestMocksAnswerThroughTheDerivation: every resource of a whole run of the dev stack carries the
// id the Derivation gives its type, name and inputs (the eks:index:Cluster component aside,
// which is mock-only and has no id), and the outputs a program reads from the mocks are the
// Derivation's, as are the invoke results.
func TestMocksAnswerThroughTheDerivation(t *testing.T) {
	t.Parallel()
	rec, err := RunStackFile("../..", "dev")
	require.NoError(t, err)
	d := Derivation{Region: "us-west-2", AccountID: AccountID}
	for _, r := range rec.Resources {
		if r.Type == "eks:index:Cluster" {
			continue
		}
		id, _ := d.Resource(r.Type, r.Name, r.Custom, resource.NewPropertyMapFromMap(r.Inputs))
		assert.Equal(t, id, r.ID, "%s %s", r.Type, r.Name)
	}

	type seen struct {
		pulumi.CustomResourceState
		Arn      pulumi.StringOutput `pulumi:"arn"`
		URL      pulumi.StringOutput `pulumi:"url"`
		Endpoint pulumi.StringOutput `pulumi:"endpoint"`
	}
	inputs := map[string]resource.PropertyMap{
		"aws:sqs/queue:Queue":                 {"fifoQueue": resource.NewProperty(true)},
		"aws:iam/role:Role":                   {"name": resource.NewProperty("r")},
		"aws:eks/cluster:Cluster":             {"name": resource.NewProperty("c")},
		"aws:ec2/securityGroup:SecurityGroup": {},
	}
	var mu sync.Mutex
	got := map[string][]string{}
	var zones map[string]any
	m := &mocks{stack: "t", region: "eu-west-1"}
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		for typ, in := range inputs {
			var r seen
			if err := ctx.RegisterResource(typ, "x", pulumi.ToMap(in.Mappable()), &r); err != nil {
				return err
			}
			pulumi.All(r.ID(), r.Arn, r.URL, r.Endpoint).ApplyT(func(xs []any) error {
				mu.Lock()
				defer mu.Unlock()
				got[typ] = []string{string(xs[0].(pulumi.ID)), xs[1].(string), xs[2].(string), xs[3].(string)}
				return nil
			})
		}
		return ctx.Invoke("aws:index/getAvailabilityZones:getAvailabilityZones", map[string]any{}, &zones)
	}, pulumi.WithMocks(Project, "t", m))
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	for typ, in := range inputs {
		id, out := testDerivation.Resource(typ, "x", true, in)
		str := func(k resource.PropertyKey) string {
			if v, ok := out[k]; ok {
				return v.StringValue()
			}
			return ""
		}
		assert.Equal(t, []string{id, str("arn"), str("url"), str("endpoint")}, got[typ], typ)
	}
	want, err := testDerivation.Invoke("aws:index/getAvailabilityZones:getAvailabilityZones", nil)
	require.NoError(t, err)
	assert.Equal(t, want.Mappable()["names"], zones["names"])
	assert.Equal(t, want.Mappable()["zoneIds"], zones["zoneIds"])
}

// TestARNTypesFollowTheSDK: a type gets a generic arn exactly when pulumi-aws's schema has an
// arn property, as the Go SDK of the version the program pins shows (its struct's Arn field).
func TestARNTypesFollowTheSDK(t *testing.T) {
	t.Parallel()
	sdk := map[string]any{
		"aws:ec2/securityGroup:SecurityGroup":                   ec2.SecurityGroup{},
		"aws:ec2/launchTemplate:LaunchTemplate":                 ec2.LaunchTemplate{},
		"aws:eks/nodeGroup:NodeGroup":                           eks.NodeGroup{},
		"aws:cloudwatch/eventTarget:EventTarget":                cloudwatch.EventTarget{},
		"aws:ec2/securityGroupRule:SecurityGroupRule":           ec2.SecurityGroupRule{},
		"aws:iam/rolePolicyAttachment:RolePolicyAttachment":     iam.RolePolicyAttachment{},
		"aws:ec2/routeTableAssociation:RouteTableAssociation":   ec2.RouteTableAssociation{},
		"aws:eks/podIdentityAssociation:PodIdentityAssociation": eks.PodIdentityAssociation{},
	}
	for typ := range arnTypes {
		assert.Contains(t, sdk, typ, "every type given a generic arn is checked against the SDK")
	}
	for typ, v := range sdk {
		_, hasArn := reflect.TypeOf(v).FieldByName("Arn")
		assert.Equal(t, hasArn, arnTypes[typ], typ)
	}
}

func TestGenericDerivation(t *testing.T) {
	t.Parallel()
	in := resource.PropertyMap{"vpcId": resource.NewProperty("vpc-1"), "secret": resource.MakeSecret(resource.NewProperty("s"))}
	id, out := testDerivation.Resource("aws:ec2/securityGroupRule:SecurityGroupRule", "rule", true, in)
	assert.Equal(t, "rule-id", id)
	assert.Equal(t, in, out, "every input echoed, secrets kept, nothing added")

	id, out = testDerivation.Resource("aws:ec2/securityGroup:SecurityGroup", "sg", true, in)
	assert.Equal(t, "sg-id", id)
	assert.Equal(t, "arn:aws:ec2:eu-west-1:123456789012:security-group/sg", out["arn"].StringValue())
	assert.True(t, out["secret"].IsSecret())

	_, out = testDerivation.Resource("aws:cloudwatch/eventTarget:EventTarget", "t", true, resource.PropertyMap{"arn": resource.NewProperty("arn:target")})
	assert.Equal(t, "arn:target", out["arn"].StringValue(), "an arn input is kept")

	id, _ = testDerivation.Resource("aws:sqs/queue:Queue", "comp", false, nil)
	assert.Empty(t, id, "a component has no id")
}

func TestDerivationNamesAndEKSEndpoint(t *testing.T) {
	t.Parallel()
	id, out := testDerivation.Resource("aws:sqs/queue:Queue", "q", true, resource.PropertyMap{"fifoQueue": resource.NewProperty(true)})
	assert.Equal(t, "https://sqs.eu-west-1.amazonaws.com/123456789012/"+AutoName("q")+".fifo", id)
	assert.Equal(t, AutoName("q")+".fifo", out["name"].StringValue())

	real := testDerivation
	real.EKS = &EKSEndpoint{Endpoint: "https://127.0.0.1:6443", CertificateAuthorityData: "Q0E=", Issuer: "https://127.0.0.1:6443/issuer"}
	for name, d := range map[string]Derivation{"example": testDerivation, "real": real} {
		id, out := d.Resource("aws:eks/cluster:Cluster", "c", true, resource.PropertyMap{"name": resource.NewProperty("prod")})
		assert.Equal(t, "prod", id, name)
		plain := out.Mappable()
		assert.Equal(t, d.endpoint(), plain["endpoint"], name)
		assert.Equal(t, map[string]any{"data": d.caData()}, plain["certificateAuthority"], name)
		assert.Equal(t, d.issuer(), plain["identities"].([]any)[0].(map[string]any)["oidcs"].([]any)[0].(map[string]any)["issuer"], name)
		_, oidc := d.Resource("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "o", true, nil)
		assert.Equal(t, "arn:aws:iam::123456789012:oidc-provider/"+d.oidcHost(), oidc["arn"].StringValue(), name)
	}
	_, out = testDerivation.Resource("aws:eks/cluster:Cluster", "c", true, resource.PropertyMap{
		"vpcConfig": resource.NewProperty(resource.PropertyMap{"subnetIds": resource.NewProperty([]resource.PropertyValue{resource.NewProperty("subnet-1")})}),
	})
	assert.Equal(t, map[string]any{"subnetIds": []any{"subnet-1"}, "clusterSecurityGroupId": "sg-0eks0cluster0sg", "vpcId": "vpc-standin"},
		out.Mappable()["vpcConfig"], "the configured vpcConfig is kept, the computed fields added")
	assert.Equal(t, "https://EXAMPLE0123456789.gr7.eu-west-1.eks.amazonaws.com", testDerivation.endpoint())
	assert.Equal(t, "https://127.0.0.1:6443", real.endpoint())
	assert.Equal(t, "127.0.0.1:6443/issuer", real.oidcHost())
}

func TestDerivationInvokes(t *testing.T) {
	t.Parallel()
	got, err := testDerivation.Invoke("aws:index/getRegion:getRegion", nil)
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", got["name"].StringValue())
	d := testDerivation
	got, err = d.Invoke("aws:index/getAvailabilityZones:getAvailabilityZones", nil)
	require.NoError(t, err)
	assert.Equal(t, []any{"eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"}, got.Mappable()["names"])
	assert.Equal(t, []any{"euw1-az1", "euw1-az2", "euw1-az4", "euw1-az3"}, got.Mappable()["zoneIds"])
	d.Zones = []Zone{{"z1", "zzz1-az3"}}
	got, err = d.Invoke("aws:index/getAvailabilityZones:getAvailabilityZones", nil)
	require.NoError(t, err)
	assert.Equal(t, []any{"z1"}, got.Mappable()["names"])
	assert.Equal(t, []any{"zzz1-az3"}, got.Mappable()["zoneIds"])
	_, err = d.Invoke("aws:eks/getAddonVersion:getAddonVersion", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"aws:eks/getAddonVersion:getAddonVersion"`)
}

// TestDefaultZones: the zone IDs have AWS's form for the regions the stacks use (us-east-1's
// use1, us-west-2's usw2), and us-east-1's first three are not use1-az3, where EKS does not
// allow cluster subnets.
func TestDefaultZones(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []Zone{{"us-east-1a", "use1-az1"}, {"us-east-1b", "use1-az2"}, {"us-east-1c", "use1-az4"}, {"us-east-1d", "use1-az3"}}, DefaultZones("us-east-1"))
	assert.Equal(t, Zone{"us-west-2b", "usw2-az2"}, DefaultZones("us-west-2")[1])
}

// TestCheckNamesWhatResourceNames: every type Check auto-names is one Resource derives a name
// for (the same name, so a name known in a preview is the one the resource gets), a FIFO queue's
// auto-name ends in .fifo, and a type Resource does not name gets no name from Check.
func TestCheckNamesWhatResourceNames(t *testing.T) {
	t.Parallel()
	d := Derivation{Region: "us-west-2", AccountID: AccountID}
	for token := range autoNamed {
		checked := d.Check(token, "res", resource.PropertyMap{})
		require.Contains(t, checked, resource.PropertyKey("name"), token)
		_, outs := d.Resource(token, "res", true, resource.PropertyMap{})
		_, fromChecked := d.Resource(token, "res", true, checked)
		assert.Equal(t, outs["arn"], fromChecked["arn"], token)
		if n, ok := outs["name"]; ok {
			assert.Equal(t, n, checked["name"], token)
		}
	}
	fifo := d.Check("aws:sqs/queue:Queue", "q", resource.PropertyMap{"fifoQueue": resource.NewProperty(true)})
	assert.Equal(t, AutoName("q")+".fifo", fifo["name"].StringValue())
	assert.NotContains(t, d.Check("aws:ec2/vpc:Vpc", "v", resource.PropertyMap{}), resource.PropertyKey("name"))
	assert.Equal(t, "given", d.Check("aws:iam/role:Role", "r", resource.PropertyMap{"name": resource.NewProperty("given")})["name"].StringValue())
}

// TestDerivationMonitoringTypes: the topic, alarm, dashboard, key and subscription carry the ids
// and ARNs in the forms AWS gives them (the topic and a subscription are addressed by ARN, an
// alarm and a dashboard by name; a dashboard's ARN has no region).
func TestDerivationMonitoringTypes(t *testing.T) {
	t.Parallel()
	named := func(k, v string) resource.PropertyMap {
		return resource.PropertyMap{resource.PropertyKey(k): resource.NewProperty(v)}
	}
	id, out := testDerivation.Resource("aws:sns/topic:Topic", "t", true, named("name", "alarms"))
	assert.Equal(t, "arn:aws:sns:eu-west-1:123456789012:alarms", id)
	assert.Equal(t, id, out["arn"].StringValue())

	id, out = testDerivation.Resource("aws:sns/topicPolicy:TopicPolicy", "p", true, named("arn", "arn:aws:sns:eu-west-1:123456789012:alarms"))
	assert.Equal(t, "arn:aws:sns:eu-west-1:123456789012:alarms", id)
	assert.Equal(t, AccountID, out["owner"].StringValue())

	id, out = testDerivation.Resource("aws:sns/topicSubscription:TopicSubscription", "s", true, named("topic", "arn:aws:sns:eu-west-1:123456789012:alarms"))
	assert.Regexp(t, `^arn:aws:sns:eu-west-1:123456789012:alarms:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, id)
	assert.Equal(t, id, out["arn"].StringValue())

	id, out = testDerivation.Resource(TypeMetricAlarm, "a", true, named("name", "q-dlq-not-empty"))
	assert.Equal(t, "q-dlq-not-empty", id)
	assert.Equal(t, "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:q-dlq-not-empty", out["arn"].StringValue())

	id, out = testDerivation.Resource(TypeDashboard, "d", true, named("dashboardName", "c-queues"))
	assert.Equal(t, "c-queues", id)
	assert.Equal(t, "arn:aws:cloudwatch::123456789012:dashboard/c-queues", out["dashboardArn"].StringValue())

	id, out = testDerivation.Resource("aws:kms/key:Key", "k", true, nil)
	assert.Equal(t, out["keyId"].StringValue(), id)
	assert.Equal(t, "arn:aws:kms:eu-west-1:123456789012:key/"+id, out["arn"].StringValue())
	id2, _ := testDerivation.Resource("aws:kms/key:Key", "k", true, nil)
	assert.Equal(t, id, id2, "stable for the name")
}

// TestDerivationClusterSecurityTypes: the control-plane log group and the secrets key's alias are
// addressed by their names, with the ARNs CloudWatch Logs and KMS give them.
func TestDerivationClusterSecurityTypes(t *testing.T) {
	t.Parallel()
	id, out := testDerivation.Resource("aws:cloudwatch/logGroup:LogGroup", "g", true,
		resource.PropertyMap{"name": resource.NewProperty("/aws/eks/c/cluster")})
	assert.Equal(t, "/aws/eks/c/cluster", id)
	assert.Equal(t, "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/eks/c/cluster", out["arn"].StringValue())
	id, out = testDerivation.Resource("aws:kms/alias:Alias", "a", true, resource.PropertyMap{"name": resource.NewProperty("alias/c-eks-secrets")})
	assert.Equal(t, "alias/c-eks-secrets", id)
	assert.Equal(t, "arn:aws:kms:eu-west-1:123456789012:alias/c-eks-secrets", out["arn"].StringValue())
}

// TestDerivationServiceLinkedRole: the spot service's role gets the name, path and ARN IAM gives
// it, and its id is the ARN, the id pulumi-aws (and `pulumi import`) uses.
func TestDerivationServiceLinkedRole(t *testing.T) {
	t.Parallel()
	id, out := testDerivation.Resource("aws:iam/serviceLinkedRole:ServiceLinkedRole", "r", true,
		resource.PropertyMap{"awsServiceName": resource.NewProperty(infra.SpotServiceName)})
	assert.Equal(t, infra.SpotServiceLinkedRoleArn("aws", AccountID), id)
	assert.Equal(t, "arn:aws:iam::123456789012:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot", id)
	assert.Equal(t, id, out["arn"].StringValue())
	assert.Equal(t, "AWSServiceRoleForEC2Spot", out["name"].StringValue())
	assert.Equal(t, "/aws-service-role/spot.amazonaws.com/", out["path"].StringValue())
	assert.Equal(t, infra.SpotServiceName, out["awsServiceName"].StringValue(), "the input is echoed")
}
