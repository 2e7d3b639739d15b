package awsstandin

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/internal/permissions"
	"github.com/eventscale/eventscale/internal/stacktest"
)

// TestEveryCreatedTypeHasRules: every AWS resource type the program registers in any shipped
// stack (the offline recordings), every one pulumi-eks creates inside its component
// (internal/permissions, eks:index:Cluster's Includes) and every one the permissions table lists
// has replacement rules: Diff refuses a type without them rather than guess. Each auto-named
// type has rules too.
func TestEveryCreatedTypeHasRules(t *testing.T) {
	t.Parallel()
	need := map[string]string{}
	for _, stack := range stacktest.Names(t) {
		rec, err := offline.RunStackFile(stacktest.Root(), stack)
		require.NoError(t, err, stack)
		for _, r := range rec.Resources {
			if r.Custom && !r.StandIn && strings.HasPrefix(r.Type, "aws:") {
				need[r.Type] = "stack " + stack
			}
		}
	}
	require.NotEmpty(t, need)
	eks, ok := permissions.Resource("eks:index:Cluster")
	require.True(t, ok)
	require.NotEmpty(t, eks.Includes)
	for _, typ := range eks.Includes {
		need[typ] = "pulumi-eks"
	}
	for typ := range permissions.Resources {
		if strings.HasPrefix(typ, "aws:") {
			need[typ] = "the permissions table"
		}
	}
	for typ := range autoNamed {
		need[typ] = "autoNamed"
	}
	for _, typ := range slices.Sorted(maps.Keys(need)) {
		_, err := replacementsFor(typ, nil, nil)
		assert.NoError(t, err, "%s (from %s)", typ, need[typ])
	}
}

// TestDiffRefusesATypeWithoutRules: Diff of a type the stand-in has no rules for fails naming the
// type; there is no fallback.
func TestDiffRefusesATypeWithoutRules(t *testing.T) {
	t.Parallel()
	p := startPlugin(t)
	configure(t, p, "us-west-2")
	const urn = "urn:pulumi:dev::eventscale::aws:lambda/function:Function::f"
	m := resource.PropertyMap{"name": resource.NewProperty("a")}
	_, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: urn, Id: "f", OldInputs: props(t, m), News: props(t, m)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "aws:lambda/function:Function")
}

// ruleCase is one type's ForceNew field (replace, changed from one value to another) and one of
// its fields that is updated in place (update; "" for a type whose every input is ForceNew).
type ruleCase struct {
	typ             string
	replace         string
	oldRep, newRep  any
	update          string
	oldUpd, newUpd  any
	updateRationale string
}

// ruleCases cover every type of replacements (TestRuleCasesCoverEveryType).
var ruleCases = []ruleCase{
	{typ: "aws:sqs/queue:Queue", replace: "fifoQueue", oldRep: false, newRep: true, update: "visibilityTimeoutSeconds", oldUpd: 30.0, newUpd: 60.0},
	{typ: "aws:sqs/queuePolicy:QueuePolicy", replace: "queueUrl", oldRep: "https://q/a", newRep: "https://q/b", update: "policy", oldUpd: "{}", newUpd: `{"a":1}`},
	{typ: "aws:iam/role:Role", replace: "name", oldRep: "a", newRep: "b", update: "assumeRolePolicy", oldUpd: "{}", newUpd: `{"a":1}`},
	{typ: "aws:iam/policy:Policy", replace: "description", oldRep: "Karpenter controller: x (upstream v1.13 reference)", newRep: "Karpenter controller: x (upstream v1.14 reference)", update: "policy", oldUpd: "{}", newUpd: `{"a":1}`},
	{typ: "aws:iam/rolePolicy:RolePolicy", replace: "role", oldRep: "a", newRep: "b", update: "policy", oldUpd: "{}", newUpd: `{"a":1}`},
	{typ: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", replace: "policyArn", oldRep: "arn:a", newRep: "arn:b", updateRationale: "no Update"},
	{typ: "aws:iam/openIdConnectProvider:OpenIdConnectProvider", replace: "url", oldRep: "https://a", newRep: "https://b", update: "thumbprintLists", oldUpd: []any{"a"}, newUpd: []any{"b"}},
	{typ: "aws:iam/serviceLinkedRole:ServiceLinkedRole", replace: "customSuffix", oldRep: "a", newRep: "b", update: "description", oldUpd: "a", newUpd: "b"},
	{typ: "aws:eks/cluster:Cluster", replace: "roleArn", oldRep: "arn:a", newRep: "arn:b", update: "version", oldUpd: "1.34", newUpd: "1.35"},
	{typ: "aws:eks/fargateProfile:FargateProfile", replace: "selectors", oldRep: []any{map[string]any{"namespace": "a"}}, newRep: []any{map[string]any{"namespace": "b"}}, update: "tags", oldUpd: map[string]any{"k": "a"}, newUpd: map[string]any{"k": "b"}},
	{typ: "aws:eks/addon:Addon", replace: "clusterName", oldRep: "a", newRep: "b", update: "configurationValues", oldUpd: "{}", newUpd: `{"a":1}`},
	{typ: "aws:eks/accessEntry:AccessEntry", replace: "principalArn", oldRep: "arn:a", newRep: "arn:b", update: "kubernetesGroups", oldUpd: []any{"a"}, newUpd: []any{"b"}},
	{typ: "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", replace: "accessScope", oldRep: map[string]any{"type": "cluster"}, newRep: map[string]any{"type": "namespace"}, updateRationale: "no Update"},
	{typ: "aws:ec2/securityGroup:SecurityGroup", replace: "vpcId", oldRep: "vpc-a", newRep: "vpc-b", update: "tags", oldUpd: map[string]any{"k": "a"}, newUpd: map[string]any{"k": "b"}},
	{typ: "aws:ec2/securityGroupRule:SecurityGroupRule", replace: "fromPort", oldRep: 443.0, newRep: 8443.0, update: "description", oldUpd: "a", newUpd: "b"},
	{typ: "aws:ec2/vpc:Vpc", replace: "cidrBlock", oldRep: "10.0.0.0/16", newRep: "10.1.0.0/16", update: "enableDnsHostnames", oldUpd: false, newUpd: true},
	{typ: "aws:ec2/subnet:Subnet", replace: "availabilityZone", oldRep: "us-west-2a", newRep: "us-west-2b", update: "mapPublicIpOnLaunch", oldUpd: false, newUpd: true},
	{typ: "aws:ec2/internetGateway:InternetGateway", update: "vpcId", oldUpd: "vpc-a", newUpd: "vpc-b"},
	{typ: "aws:ec2/eip:Eip", replace: "domain", oldRep: "standard", newRep: "vpc", update: "tags", oldUpd: map[string]any{"k": "a"}, newUpd: map[string]any{"k": "b"}},
	{typ: "aws:ec2/natGateway:NatGateway", replace: "subnetId", oldRep: "subnet-a", newRep: "subnet-b", update: "tags", oldUpd: map[string]any{"k": "a"}, newUpd: map[string]any{"k": "b"}},
	{typ: "aws:ec2/routeTable:RouteTable", replace: "vpcId", oldRep: "vpc-a", newRep: "vpc-b", update: "routes", oldUpd: []any{}, newUpd: []any{map[string]any{"cidrBlock": "0.0.0.0/0", "natGatewayId": "nat-a"}}},
	{typ: "aws:ec2/routeTableAssociation:RouteTableAssociation", replace: "subnetId", oldRep: "subnet-a", newRep: "subnet-b", update: "routeTableId", oldUpd: "rtb-a", newUpd: "rtb-b"},
	{typ: "aws:ec2/tag:Tag", replace: "key", oldRep: "a", newRep: "b", update: "value", oldUpd: "a", newUpd: "b"},
	{typ: "aws:ec2/flowLog:FlowLog", replace: "trafficType", oldRep: "ALL", newRep: "REJECT", update: "tags", oldUpd: map[string]any{"k": "a"}, newUpd: map[string]any{"k": "b"}},
	{typ: "aws:sns/topic:Topic", replace: "fifoTopic", oldRep: false, newRep: true, update: "kmsMasterKeyId", oldUpd: "a", newUpd: "b"},
	{typ: "aws:sns/topicPolicy:TopicPolicy", replace: "arn", oldRep: "arn:a", newRep: "arn:b", update: "policy", oldUpd: "{}", newUpd: `{"a":1}`},
	{typ: "aws:sns/topicSubscription:TopicSubscription", replace: "protocol", oldRep: "email", newRep: "sqs", update: "filterPolicy", oldUpd: "{}", newUpd: `{"a":[1]}`},
	{typ: "aws:cloudwatch/metricAlarm:MetricAlarm", replace: "name", oldRep: "a", newRep: "b", update: "threshold", oldUpd: 900.0, newUpd: 300.0},
	{typ: "aws:cloudwatch/dashboard:Dashboard", replace: "dashboardName", oldRep: "a", newRep: "b", update: "dashboardBody", oldUpd: "{}", newUpd: `{"widgets":[]}`},
	{typ: "aws:cloudwatch/eventRule:EventRule", replace: "eventBusName", oldRep: "default", newRep: "other", update: "eventPattern", oldUpd: "{}", newUpd: `{"source":["aws.ec2"]}`},
	{typ: "aws:cloudwatch/eventTarget:EventTarget", replace: "rule", oldRep: "a", newRep: "b", update: "arn", oldUpd: "arn:a", newUpd: "arn:b"},
	{typ: "aws:cloudwatch/logGroup:LogGroup", replace: "logGroupClass", oldRep: "STANDARD", newRep: "INFREQUENT_ACCESS", update: "retentionInDays", oldUpd: 30.0, newUpd: 90.0},
	{typ: "aws:kms/key:Key", replace: "keyUsage", oldRep: "ENCRYPT_DECRYPT", newRep: "SIGN_VERIFY", update: "policy", oldUpd: "{}", newUpd: `{"a":1}`},
	{typ: "aws:kms/alias:Alias", replace: "name", oldRep: "alias/a", newRep: "alias/b", update: "targetKeyId", oldUpd: "a", newUpd: "b"},
	{typ: "aws:ecr/repository:Repository", replace: "encryptionConfigurations", oldRep: []any{}, newRep: []any{map[string]any{"encryptionType": "KMS"}}, update: "imageTagMutability", oldUpd: "MUTABLE", newUpd: "IMMUTABLE"},
	{typ: "aws:ecr/lifecyclePolicy:LifecyclePolicy", replace: "policy", oldRep: "{}", newRep: `{"rules":[]}`, updateRationale: "no Update"},
}

// TestRuleCasesCoverEveryType: each type of replacements has a case in ruleCases, and each case's
// type has rules.
func TestRuleCasesCoverEveryType(t *testing.T) {
	t.Parallel()
	var covered []string
	for _, c := range ruleCases {
		covered = append(covered, c.typ)
	}
	slices.Sort(covered)
	assert.Equal(t, slices.Sorted(maps.Keys(replacements)), covered)
}

// TestReplacementRulesPerType: per type, a change of one ForceNew field replaces the resource
// (the detailed diff names the field as a replacement) and a change of a field terraform-provider-aws
// updates in place is an update, not a replacement.
func TestReplacementRulesPerType(t *testing.T) {
	t.Parallel()
	for _, c := range ruleCases {
		if c.replace != "" {
			olds := resource.PropertyMap{resource.PropertyKey(c.replace): resource.NewPropertyValue(c.oldRep)}
			news := resource.PropertyMap{resource.PropertyKey(c.replace): resource.NewPropertyValue(c.newRep)}
			paths, err := replacementsFor(c.typ, olds, news)
			require.NoError(t, err, c.typ)
			got := diff(olds, news, paths)
			assert.Equal(t, []string{c.replace}, got.GetReplaces(), "%s: a change of %s", c.typ, c.replace)
			assert.Equal(t, map[string]pulumirpc.PropertyDiff_Kind{c.replace: pulumirpc.PropertyDiff_UPDATE_REPLACE}, kinds(got), c.typ)
		}
		if c.update == "" {
			assert.NotEmpty(t, c.updateRationale, "%s: no field updated in place, and no reason given", c.typ)
			continue
		}
		olds := resource.PropertyMap{resource.PropertyKey(c.update): resource.NewPropertyValue(c.oldUpd)}
		news := resource.PropertyMap{resource.PropertyKey(c.update): resource.NewPropertyValue(c.newUpd)}
		paths, err := replacementsFor(c.typ, olds, news)
		require.NoError(t, err, c.typ)
		got := diff(olds, news, paths)
		assert.Equal(t, pulumirpc.DiffResponse_DIFF_SOME, got.GetChanges(), c.typ)
		assert.Empty(t, got.GetReplaces(), "%s: a change of %s", c.typ, c.update)
		assert.Equal(t, map[string]pulumirpc.PropertyDiff_Kind{c.update: pulumirpc.PropertyDiff_UPDATE}, kinds(got), c.typ)
	}
}

// TestDeleteBeforeReplace drives the plugin's Diff as the engine does, with inputs as Check
// returns them (__defaults included), and checks the bridge's decision: a replacement deletes
// the old resource first exactly when the program set the name pulumi-aws would otherwise choose
// (the Fargate profile named "system"), and not when the name is pulumi-aws's own (listed in
// __defaults), the type names nothing, the inputs predate __defaults, or nothing is replaced.
func TestDeleteBeforeReplace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := startPlugin(t)
	configure(t, p, "us-west-2")
	const (
		profileURN = "urn:pulumi:dev::eventscale::eventscale:cluster:Cluster$aws:eks/fargateProfile:FargateProfile::cluster-fargate-system"
		policyURN  = "urn:pulumi:dev::eventscale::eventscale:karpenter:Karpenter$aws:iam/policy:Policy::karpenter-controller-nodes"
		boardURN   = "urn:pulumi:dev::eventscale::eventscale:monitoring:Monitoring$aws:cloudwatch/dashboard:Dashboard::board"
	)
	selectors := func(ns ...string) resource.PropertyValue {
		var l []any
		for _, n := range ns {
			l = append(l, map[string]any{"namespace": n})
		}
		return resource.NewPropertyValue(l)
	}
	// checked is in as Check returns it.
	checked := func(urn string, in resource.PropertyMap) resource.PropertyMap {
		resp, err := p.Check(ctx, &pulumirpc.CheckRequest{Urn: urn, News: props(t, in)})
		require.NoError(t, err)
		return plain(t, resp.GetInputs())
	}
	profile := func(name any, ns ...string) resource.PropertyMap {
		m := resource.PropertyMap{"clusterName": resource.NewProperty("c"), "selectors": selectors(ns...), "tags": resource.NewPropertyValue(map[string]any{"k": "v"})}
		if name != nil {
			m["fargateProfileName"] = resource.NewPropertyValue(name)
		}
		return m
	}
	policy := func(description string, name any) resource.PropertyMap {
		m := resource.PropertyMap{"description": resource.NewProperty(description), "policy": resource.NewProperty("{}")}
		if name != nil {
			m["name"] = resource.NewPropertyValue(name)
		}
		return m
	}
	withoutDefaults := func(m resource.PropertyMap) resource.PropertyMap {
		out := m.Copy()
		delete(out, defaultsKey)
		return out
	}
	namedOld := checked(profileURN, profile("system", "kube-system", "keda"))
	autoOld := checked(profileURN, profile(nil, "kube-system", "keda"))
	require.Equal(t, []any{"fargateProfileName"}, autoOld[defaultsKey].Mappable(), "Check auto-names the profile and lists the name")
	retagged := profile("system", "kube-system", "keda")
	retagged["tags"] = resource.NewPropertyValue(map[string]any{"k": "w"})

	cases := []struct {
		name       string
		urn        string
		olds, news resource.PropertyMap
		replaces   []string
		dbr        bool
	}{
		{"the system profile (a fixed name) with other selectors: delete first", profileURN,
			namedOld, checked(profileURN, profile("system", "kube-system", "keda", "karpenter")), []string{"selectors"}, true},
		{"an auto-named profile with other selectors: create the new one first", profileURN,
			autoOld, checked(profileURN, profile(nil, "kube-system", "keda", "karpenter")), []string{"selectors"}, false},
		{"inputs without __defaults (older state): create first", profileURN,
			withoutDefaults(namedOld), withoutDefaults(checked(profileURN, profile("system", "kube-system", "keda", "karpenter"))), []string{"selectors"}, false},
		{"the system profile's tags: an update", profileURN,
			namedOld, checked(profileURN, retagged), nil, false},
		{"an auto-named policy's description: replaced, the new one first", policyURN,
			checked(policyURN, policy("Karpenter controller: x (upstream v1.13 reference)", nil)),
			checked(policyURN, policy("Karpenter controller: x (upstream v1.14 reference)", nil)), []string{"description"}, false},
		{"a policy named by the program, its description: delete first", policyURN,
			checked(policyURN, policy("a", "karpenter-nodes")), checked(policyURN, policy("b", "karpenter-nodes")), []string{"description"}, true},
		{"a dashboard's new name (the type names nothing itself): create first", boardURN,
			checked(boardURN, resource.PropertyMap{"dashboardName": resource.NewProperty("a")}),
			checked(boardURN, resource.PropertyMap{"dashboardName": resource.NewProperty("b")}), []string{"dashboardName"}, false},
	}
	for _, c := range cases {
		got, err := p.Diff(ctx, &pulumirpc.DiffRequest{Urn: c.urn, Id: "id", OldInputs: props(t, c.olds), News: props(t, c.news)})
		require.NoError(t, err, c.name)
		assert.Equal(t, c.replaces, got.GetReplaces(), c.name)
		assert.Equal(t, c.dbr, got.GetDeleteBeforeReplace(), c.name)
		assert.NotContains(t, got.GetDiffs(), defaultsKey, "%s: __defaults is no property", c.name)
	}
}
