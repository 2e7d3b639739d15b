package infra

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testScope = KarpenterScope{
	Partition:            "aws",
	Region:               "us-west-2",
	AccountID:            "123456789012",
	ClusterName:          "eventscale-dev",
	NodeRoleArn:          "arn:aws:iam::123456789012:role/karpenter-node",
	InterruptionQueueArn: "arn:aws:sqs:us-west-2:123456789012:karpenter-interruption",
}

func policyByName(t *testing.T, ps []NamedPolicy, name string) PolicyDocument {
	t.Helper()
	for _, p := range ps {
		if p.Name == name {
			return p.Document
		}
	}
	require.Failf(t, "no policy", "%s", name)
	return PolicyDocument{}
}

func statementBySid(t *testing.T, d PolicyDocument, sid string) Statement {
	t.Helper()
	for _, s := range d.Statement {
		if s.Sid == sid {
			return s
		}
	}
	require.Failf(t, "no statement", "%s", sid)
	return Statement{}
}

func TestKarpenterControllerPoliciesShape(t *testing.T) {
	t.Parallel()
	ps := KarpenterControllerPolicies(testScope)
	var names, keys, sids []string
	for _, p := range ps {
		names = append(names, p.Name)
		keys = append(keys, p.Key)
		js := p.Document.JSON()
		assert.Less(t, len(js), ManagedPolicyMaxChars, "%s is too large for a managed policy", p.Name)
		assert.NotContains(t, js, "${", "%s has an unresolved placeholder", p.Name)
		for _, s := range p.Document.Statement {
			assert.NotEmpty(t, s.Sid)
			assert.Equal(t, "Allow", s.Effect)
			assert.NotEmpty(t, s.Resource, s.Sid)
			for _, a := range s.Action {
				assert.NotContains(t, a, "*", "%s grants a wildcard action", s.Sid)
			}
			sids = append(sids, s.Sid)
		}
	}
	assert.Equal(t, []string{"NodeLifecyclePolicy", "IAMIntegrationPolicy", "EKSIntegrationPolicy", "InterruptionPolicy", "ResourceDiscoveryPolicy", "ZonalShiftPolicy"}, names)
	assert.Len(t, slices.Compact(slices.Sorted(slices.Values(keys))), 6, "keys name resources: they must be unique")
	assert.Len(t, slices.Compact(slices.Sorted(slices.Values(sids))), len(sids), "Sids are unique")
	assert.Len(t, sids, 18, "6 node lifecycle + 4 IAM + 1 EKS + 1 interruption + 5 discovery + 1 zonal shift")
}

func TestKarpenterControllerPoliciesScope(t *testing.T) {
	t.Parallel()
	ps := KarpenterControllerPolicies(testScope)

	pass := statementBySid(t, policyByName(t, ps, "IAMIntegrationPolicy"), "AllowPassingInstanceRole")
	assert.Equal(t, []string{testScope.NodeRoleArn}, pass.Resource, "PassRole only on the node role")
	assert.Equal(t, []string{"iam:PassRole"}, pass.Action)

	q := statementBySid(t, policyByName(t, ps, "InterruptionPolicy"), "AllowInterruptionQueueActions")
	assert.Equal(t, []string{testScope.InterruptionQueueArn}, q.Resource)
	assert.ElementsMatch(t, []string{"sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"}, q.Action)

	eks := statementBySid(t, policyByName(t, ps, "EKSIntegrationPolicy"), "AllowAPIServerEndpointDiscovery")
	assert.Equal(t, []string{"arn:aws:eks:us-west-2:123456789012:cluster/eventscale-dev"}, eks.Resource)

	zs := statementBySid(t, policyByName(t, ps, "ZonalShiftPolicy"), "AllowZonalShiftStatusReadOnly")
	assert.Equal(t, "arn:aws:eks:us-west-2:123456789012:cluster/eventscale-dev", zs.Condition["StringEquals"]["arc-zonal-shift:ResourceIdentifier"])

	del := statementBySid(t, policyByName(t, ps, "NodeLifecyclePolicy"), "AllowScopedDeletion")
	assert.Equal(t, "owned", del.Condition["StringEquals"]["aws:ResourceTag/kubernetes.io/cluster/eventscale-dev"], "deletes only this cluster's instances")

	read := statementBySid(t, policyByName(t, ps, "ResourceDiscoveryPolicy"), "AllowRegionalReadActions")
	assert.Equal(t, "us-west-2", read.Condition["StringEquals"]["aws:RequestedRegion"])
	assert.Contains(t, read.Action, "ec2:DescribeInstanceTypeOfferings")
	list := statementBySid(t, policyByName(t, ps, "ResourceDiscoveryPolicy"), "AllowUnscopedInstanceProfileListAction")
	assert.Equal(t, []string{"iam:ListInstanceProfiles"}, list.Action, "required since Karpenter 1.7")

	for _, p := range ps {
		js := p.Document.JSON()
		for _, arn := range regexpARNs(js) {
			assert.True(t, strings.HasPrefix(arn, "arn:aws:"), "%s: %s is not in partition aws", p.Name, arn)
			if strings.HasPrefix(arn, "arn:aws:ec2:") || strings.HasPrefix(arn, "arn:aws:eks:") || strings.HasPrefix(arn, "arn:aws:ssm:") || strings.HasPrefix(arn, "arn:aws:sqs:") {
				assert.Contains(t, arn, ":us-west-2:", "%s: %s is not scoped to the region", p.Name, arn)
			}
		}
	}

	cn := testScope
	cn.Partition, cn.Region = "aws-cn", "cn-north-1"
	for _, p := range KarpenterControllerPolicies(cn) {
		assert.NotContains(t, p.Document.JSON(), "arn:aws:ec2", "%s ignores the partition", p.Name)
	}
}

// regexpARNs returns every JSON string value that starts with "arn:".
func regexpARNs(js string) []string {
	var out []string
	for _, part := range strings.Split(js, `"`) {
		if strings.HasPrefix(part, "arn:") {
			out = append(out, part)
		}
	}
	return out
}

func TestKarpenterScopeValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, testScope.Validate())
	err := KarpenterScope{Partition: "aws"}.Validate()
	require.Error(t, err)
	for _, f := range []string{"Region", "AccountID", "ClusterName", "NodeRoleArn", "InterruptionQueueArn"} {
		assert.Contains(t, err.Error(), f+" is required")
	}
	assert.NotContains(t, err.Error(), "Partition is required")
}

func TestKarpenterNodeTrust(t *testing.T) {
	t.Parallel()
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole"]}]}`,
		KarpenterNodeTrust("aws").JSON())
	assert.Contains(t, KarpenterNodeTrust("aws-cn").JSON(), `"ec2.amazonaws.com.cn"`)
	names := func(ps []ManagedPolicyRef) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	base := []string{"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly"}
	assert.ElementsMatch(t, base, names(KarpenterNodeManagedPolicies(false)), "no SSM unless asked for")
	assert.ElementsMatch(t, append(base, "AmazonSSMManagedInstanceCore"), names(KarpenterNodeManagedPolicies(true)))
	assert.Len(t, KarpenterNodePolicies, 3, "KarpenterNodeManagedPolicies does not append to the shared list")
}

func TestKarpenterInterruptionQueuePolicy(t *testing.T) {
	t.Parallel()
	arn := testScope.InterruptionQueueArn
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"EC2InterruptionPolicy","Effect":"Allow","Principal":{"Service":["events.amazonaws.com","sqs.amazonaws.com"]},"Action":["sqs:SendMessage"],"Resource":["`+arn+`"]},
		{"Sid":"DenyHTTP","Effect":"Deny","Principal":{"AWS":"*"},"Action":["sqs:*"],"Resource":["`+arn+`"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`,
		KarpenterInterruptionQueuePolicy(arn).JSON())
}

func TestKarpenterInterruptionRules(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"AWS Health Event":                                       "aws.health",
		"EC2 Spot Instance Interruption Warning":                 "aws.ec2",
		"EC2 Instance Rebalance Recommendation":                  "aws.ec2",
		"EC2 Instance State-change Notification":                 "aws.ec2",
		"EC2 Capacity Reservation Instance Interruption Warning": "aws.ec2",
	}
	got := map[string]string{}
	keys := map[string]bool{}
	for _, r := range KarpenterInterruptionRules {
		var p map[string][]string
		require.NoError(t, json.Unmarshal([]byte(r.EventPattern()), &p))
		assert.Len(t, p, 2, "only source and detail-type: %s", r.EventPattern())
		require.Len(t, p["detail-type"], 1, "the key is literally detail-type: %s", r.EventPattern())
		require.Len(t, p["source"], 1)
		got[p["detail-type"][0]] = p["source"][0]
		assert.False(t, keys[r.Key], "duplicate key %s", r.Key)
		keys[r.Key] = true
		assert.Contains(t, r.Description(), r.DetailType)
	}
	assert.Equal(t, want, got)
}

func gen(n int) *int { return &n }

func TestNodePoolSpec(t *testing.T) {
	t.Parallel()
	dev := NodePoolSettings{
		Name: "default", CapacityTypes: []string{"on-demand"}, Architectures: []string{"amd64"},
		InstanceTypes: []string{"m6i.large", "m5.large"}, LimitCPU: "4", LimitMemory: "16Gi",
		ConsolidationPolicy: "WhenEmptyOrUnderutilized", ConsolidateAfter: "30s", ExpireAfter: "720h", DisruptionBudgetNodes: "10%",
	}
	obj := NodePoolObject(dev, "default")
	b, err := json.Marshal(obj)
	require.NoError(t, err)
	assert.JSONEq(t, `{"apiVersion":"karpenter.sh/v1","kind":"NodePool","metadata":{"name":"default"},"spec":{
		"template":{"spec":{
			"nodeClassRef":{"group":"karpenter.k8s.aws","kind":"EC2NodeClass","name":"default"},
			"requirements":[
				{"key":"kubernetes.io/arch","operator":"In","values":["amd64"]},
				{"key":"kubernetes.io/os","operator":"In","values":["linux"]},
				{"key":"karpenter.sh/capacity-type","operator":"In","values":["on-demand"]},
				{"key":"node.kubernetes.io/instance-type","operator":"In","values":["m6i.large","m5.large"]}],
			"expireAfter":"720h"}},
		"limits":{"cpu":"4","memory":"16Gi"},
		"disruption":{"consolidationPolicy":"WhenEmptyOrUnderutilized","consolidateAfter":"30s","budgets":[{"nodes":"10%"}]}}}`, string(b))

	prod := dev
	prod.InstanceTypes = nil
	prod.CapacityTypes = []string{"spot", "on-demand"}
	prod.InstanceCategories = []string{"c", "m", "r"}
	prod.InstanceGenerationGreaterThan = gen(5)
	prod.MaxInstanceCPU = gen(8)
	spec := NewNodePoolSpec(prod, "nc")
	assert.Equal(t, "nc", spec.Template.Spec.NodeClassRef.Name)
	assert.Equal(t, []NodeRequirement{
		{Key: LabelArch, Operator: "In", Values: []string{"amd64"}},
		{Key: LabelOS, Operator: "In", Values: []string{"linux"}},
		{Key: LabelCapacityType, Operator: "In", Values: []string{"spot", "on-demand"}},
		{Key: LabelInstanceCategory, Operator: "In", Values: []string{"c", "m", "r"}},
		{Key: LabelInstanceGeneration, Operator: "Gt", Values: []string{"5"}},
		// At most 8 vCPUs: Lt takes one integer as a string, exclusive, so 8 + 1.
		{Key: LabelInstanceCPU, Operator: "Lt", Values: []string{"9"}},
	}, spec.Template.Spec.Requirements)
	assert.Equal(t, "karpenter.k8s.aws/instance-cpu", LabelInstanceCPU, "the well-known label karpenter-provider-aws sets")

	// The spec does not alias the settings' slices.
	spec.Template.Spec.Requirements[2].Values[0] = "changed"
	assert.Equal(t, "spot", prod.CapacityTypes[0])
}

func TestEC2NodeClassSpec(t *testing.T) {
	t.Parallel()
	s := NodeClassSettings{Name: "default", AmiAlias: "al2023@latest", RootVolumeSize: "20Gi", Tags: map[string]string{"team": "a"}}
	obj := EC2NodeClassObject(s, "node-role", "eventscale-dev")
	b, err := json.Marshal(obj)
	require.NoError(t, err)
	assert.JSONEq(t, `{"apiVersion":"karpenter.k8s.aws/v1","kind":"EC2NodeClass","metadata":{"name":"default"},"spec":{
		"role":"node-role",
		"amiSelectorTerms":[{"alias":"al2023@latest"}],
		"subnetSelectorTerms":[{"tags":{"karpenter.sh/discovery":"eventscale-dev"}}],
		"securityGroupSelectorTerms":[{"tags":{"karpenter.sh/discovery":"eventscale-dev"}}],
		"metadataOptions":{"httpEndpoint":"enabled","httpProtocolIPv6":"disabled","httpPutResponseHopLimit":1,"httpTokens":"required"},
		"blockDeviceMappings":[{"deviceName":"/dev/xvda","rootVolume":true,"ebs":{"volumeSize":"20Gi","volumeType":"gp3","encrypted":true,"deleteOnTermination":true}}],
		"tags":{"team":"a"}}}`, string(b))

	br := s
	br.AmiAlias = "bottlerocket@latest"
	br.Tags = nil
	spec := NewEC2NodeClassSpec(br, "r", "c")
	assert.Equal(t, []BlockDeviceMapping{
		{DeviceName: "/dev/xvda", EBS: EBS{VolumeSize: "4Gi", VolumeType: "gp3", Encrypted: true, DeleteOnTermination: true}},
		{DeviceName: "/dev/xvdb", RootVolume: true, EBS: EBS{VolumeSize: "20Gi", VolumeType: "gp3", Encrypted: true, DeleteOnTermination: true}},
	}, spec.BlockDeviceMappings, "Bottlerocket's images and pods live on its data volume")
	assert.NotContains(t, ToMap(spec), "tags", "no tags key when there are none")

	spec = NewEC2NodeClassSpec(s, "r", "c")
	spec.Tags["team"] = "b"
	assert.Equal(t, "a", s.Tags["team"], "the spec does not alias the settings' tags")
}

func TestKarpenterNodeTags(t *testing.T) {
	t.Parallel()
	base := BaseTags("eventscale", "dev", map[string]string{"cost-center": "x"})
	got := KarpenterNodeTags(base, map[string]string{"team": "a", "cost-center": "y"})
	assert.Equal(t, map[string]string{
		"eventscale:project": "eventscale", "eventscale:stack": "dev", "managed-by": "karpenter", "cost-center": "y", "team": "a",
	}, got)
	assert.Equal(t, "pulumi", base["managed-by"], "base tags are not modified")
	for k := range got {
		assert.Empty(t, RestrictedNodeTag(k), k)
	}
}

func TestKarpenterChartValues(t *testing.T) {
	t.Parallel()
	v := KarpenterChartValues(KarpenterChartSettings{
		KarpenterSettings: KarpenterSettings{ServiceAccount: "sa", Replicas: 2, ControllerCPU: "1", ControllerMemory: "1Gi"},
		ClusterName:       "c", ClusterEndpoint: "https://e", InterruptionQueueName: "q", ControllerRoleArn: "arn:role",
		Region: "us-west-2",
	})
	b, err := json.Marshal(v)
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"replicas":2,
		"dnsPolicy":"Default",
		"serviceAccount":{"create":true,"name":"sa","annotations":{"eks.amazonaws.com/role-arn":"arn:role"}},
		"settings":{"clusterName":"c","clusterEndpoint":"https://e","interruptionQueue":"q"},
		"controller":{"image":{"tag":"1.14.1","digest":"sha256:445baefaaa689029cc12ac1f659b916b0b82fb14308ce536f8521fcf079116fa"},"resources":{"requests":{"cpu":"1","memory":"1Gi"},"limits":{"cpu":"1","memory":"1Gi"}},
			"env":[{"name":"AWS_REGION","value":"us-west-2"}]},
		"topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"topology.kubernetes.io/zone","whenUnsatisfiable":"ScheduleAnyway"}]}`, string(b))
}

func TestAmiFamily(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "al2023", AmiFamily("al2023@v20260903"))
	assert.Equal(t, "bottlerocket", AmiFamily("bottlerocket@latest"))
	assert.Equal(t, "x", AmiFamily("x"))
}

// TestSpotServiceLinkedRoleWanted: unset follows the NodePool (spot allowed or not); set, the
// setting wins either way.
func TestSpotServiceLinkedRoleWanted(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	for _, c := range []struct {
		capacityTypes []string
		create        *bool
		want          bool
	}{
		{[]string{"on-demand"}, nil, false},
		{[]string{"reserved"}, nil, false},
		{[]string{"spot"}, nil, true},
		{[]string{"on-demand", "spot"}, nil, true},
		{[]string{"spot", "on-demand"}, &no, false},
		{[]string{"on-demand"}, &yes, true},
	} {
		k := KarpenterSettings{NodePool: NodePoolSettings{CapacityTypes: c.capacityTypes}, CreateSpotServiceLinkedRole: c.create}
		assert.Equal(t, slices.Contains(c.capacityTypes, "spot"), k.AllowsSpot(), "%v", c.capacityTypes)
		assert.Equal(t, c.want, k.SpotServiceLinkedRoleWanted(), "%v, create %v", c.capacityTypes, c.create)
	}
	assert.Equal(t, "arn:aws-us-gov:iam::111122223333:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot",
		SpotServiceLinkedRoleArn("aws-us-gov", "111122223333"))
}
