package stacks

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/stacktest"
)

// testEgressCidr stands for a deploy runner's egress range in the test configurations: the
// defaults list none, and a public endpoint needs one. It is neither 0.0.0.0/0 nor a
// documentation range, so it draws no warning (198.18.0.0/15 is RFC 2544's benchmarking range).
const testEgressCidr = "198.18.0.0/24"

// validConfig is a valid-by-default configuration: the defaults plus one workload and the
// public endpoint's CIDR, in a region.
func validConfig() Config {
	c := Defaults()
	c.Project, c.Stack, c.Region = "eventscale", "test", "us-west-2"
	c.Cluster.Name = "eventscale-test"
	c.Cluster.PublicAccessCidrs = []string{testEgressCidr}
	w := DefaultWorkload()
	w.Name, w.Namespace = "worker", "worker"
	w.ImageTag = "1.0.0" // the default repository is IMMUTABLE, which refuses "latest"
	c.Workloads = []infra.WorkloadSettings{w}
	return c
}

func TestValidConfigPasses(t *testing.T) {
	t.Parallel()
	require.NoError(t, validConfig().Validate())
}

// TestClusterSecurityDefaults: with no cluster section the public endpoint reaches no network
// (and so the configuration is refused until one is listed), every control-plane log type goes to
// a log group kept 90 days, the cluster gets a key of its own, nothing is protected and the nodes
// get no SSM policy. 0.0.0.0/0 written in so many words, a key of the user's own and each
// CloudWatch retention are accepted.
func TestClusterSecurityDefaults(t *testing.T) {
	t.Parallel()
	d := Defaults()
	assert.Empty(t, d.Cluster.PublicAccessCidrs)
	assert.NotNil(t, d.Cluster.PublicAccessCidrs, "[] in docs/configuration.md")
	assert.True(t, d.Cluster.EndpointPrivateAccess)
	assert.Equal(t, []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}, d.Cluster.LogTypes)
	assert.Equal(t, 90, d.Cluster.LogRetentionDays)
	assert.Empty(t, d.Cluster.SecretsKmsKeyArn)
	assert.False(t, d.Cluster.Protect)
	assert.False(t, d.Karpenter.NodeClass.SSMManagedInstanceCore)

	_, err := Load(map[string]string{"aws:region": "us-west-2"}, "eventscale", "test")
	require.Error(t, err, "a stack without publicAccessCidrs")
	assert.Contains(t, err.Error(), "eventscale:cluster.publicAccessCidrs is empty")
	cfg, err := Load(map[string]string{"aws:region": "us-west-2", "eventscale:cluster": `{"endpointPublicAccess":false}`}, "eventscale", "test")
	require.NoError(t, err, "a private-only endpoint needs no CIDR")
	assert.False(t, cfg.Cluster.EndpointPublicAccess)

	for _, f := range []func(c *Config){
		func(c *Config) { c.Cluster.PublicAccessCidrs = []string{"0.0.0.0/0"} },
		func(c *Config) {
			c.Cluster.SecretsKmsKeyArn = "arn:aws:kms:us-west-2:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"
		},
		func(c *Config) { c.Cluster.Protect, c.Karpenter.NodeClass.SSMManagedInstanceCore = true, true },
	} {
		c := validConfig()
		f(&c)
		require.NoError(t, c.Validate())
	}
	for _, days := range infra.LogRetentionDays {
		c := validConfig()
		c.Cluster.LogRetentionDays = days
		require.NoError(t, c.Validate(), days)
	}
}

// TestMonitoringConfigsPass: the notification settings the rules must not refuse.
func TestMonitoringConfigsPass(t *testing.T) {
	t.Parallel()
	for name, m := range map[string]func(*infra.MonitoringSettings){
		"e-mails": func(m *infra.MonitoringSettings) {
			m.AlarmEmails = []string{"oncall@example.com", "team+alarms@ops.example.co.uk"}
		},
		"existing topic":           func(m *infra.MonitoringSettings) { m.TopicArn = "arn:aws:sns:us-west-2:123456789012:shared-alarms" },
		"disabled":                 func(m *infra.MonitoringSettings) { m.Enabled = false },
		"a minute":                 func(m *infra.MonitoringSettings) { m.OldestMessageAgeSeconds = 60 },
		"just below the retention": func(m *infra.MonitoringSettings) { m.OldestMessageAgeSeconds = 345599 },
	} {
		c := validConfig()
		m(&c.Monitoring)
		assert.NoError(t, c.Validate(), name)
	}
}

func intp(i int) *int { return &i }

// TestValidateRejects holds one case per rule: each mutates a valid config and asserts that
// Validate names the key and quotes the value.
// rejectCase is a change to validConfig that Validate must refuse, and substrings of its error.
type rejectCase struct {
	name   string
	mutate func(*Config)
	want   []string
}

// checkRejects runs each case as a parallel subtest on a fresh validConfig.
func checkRejects(t *testing.T, cases []rejectCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := validConfig()
			tc.mutate(&c)
			err := c.Validate()
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestValidateRejects(t *testing.T) {
	t.Parallel()
	cases := []rejectCase{
		{"missing region", func(c *Config) { c.Region = "" }, []string{"aws:region is required"}},
		{"bad region", func(c *Config) { c.Region = "Oregon" }, []string{"aws:region", `"Oregon"`}},
		{"vpc cidr syntax", func(c *Config) { c.Network.VpcCidr = "10.0.0.0/33" }, []string{"eventscale:network.vpcCidr", `"10.0.0.0/33"`}},
		{"vpc cidr ipv6", func(c *Config) { c.Network.VpcCidr = "fd00::/48" }, []string{"eventscale:network.vpcCidr", `"fd00::/48"`}},
		{"vpc cidr host bits", func(c *Config) { c.Network.VpcCidr = "10.0.0.1/16" }, []string{"eventscale:network.vpcCidr", "host bits", `"10.0.0.0/16"`}},
		{"vpc too small", func(c *Config) { c.Network.VpcCidr = "10.0.0.0/26" }, []string{"eventscale:network.vpcCidr", "/16 to /24", `"10.0.0.0/26"`}},
		{"vpc cannot hold subnets", func(c *Config) { c.Network.VpcCidr = "10.0.0.0/18" }, []string{"eventscale:network.vpcCidr", `"10.0.0.0/18" cannot hold 3 private /19`}},
		{"az count too low", func(c *Config) { c.Network.AzCount = 1 }, []string{"eventscale:network.azCount", "got 1"}},
		{"az count too high", func(c *Config) { c.Network.AzCount = 7 }, []string{"eventscale:network.azCount", "got 7"}},
		{"zones from another region", func(c *Config) { c.Network.AvailabilityZones = []string{"us-west-2a", "eu-west-1b", "us-west-2c"} },
			[]string{"eventscale:network.availabilityZones[1]", `"eu-west-1b"`}},
		{"zones count mismatch", func(c *Config) { c.Network.AvailabilityZones = []string{"us-west-2a", "us-west-2b"} },
			[]string{"eventscale:network.availabilityZones lists 2 zones", "azCount is 3"}},
		{"zone repeated", func(c *Config) { c.Network.AvailabilityZones = []string{"us-west-2a", "us-west-2a", "us-west-2c"} },
			[]string{"availabilityZones[1] repeats zone", `"us-west-2a"`}},
		{"zones by name and by ID", func(c *Config) {
			c.Network.AvailabilityZones = []string{"us-west-2a", "us-west-2b", "us-west-2c"}
			c.Network.AvailabilityZoneIds = []string{"usw2-az1", "usw2-az2", "usw2-az3"}
		}, []string{"eventscale:network.availabilityZones and eventscale:network.availabilityZoneIds are mutually exclusive", `["usw2-az1" "usw2-az2" "usw2-az3"]`}},
		{"zone IDs count mismatch", func(c *Config) { c.Network.AvailabilityZoneIds = []string{"usw2-az1", "usw2-az2"} },
			[]string{"eventscale:network.availabilityZoneIds lists 2 zones but eventscale:network.azCount is 3"}},
		{"zone ID repeated", func(c *Config) { c.Network.AvailabilityZoneIds = []string{"usw2-az1", "usw2-az2", "usw2-az1"} },
			[]string{`eventscale:network.availabilityZoneIds[2] repeats zone "usw2-az1"`}},
		{"zone ID that is a name", func(c *Config) { c.Network.AvailabilityZoneIds = []string{"usw2-az1", "us-west-2b", "usw2-az3"} },
			[]string{`eventscale:network.availabilityZoneIds[1] must be an availability zone ID such as "use1-az1", got "us-west-2b"`}},
		{"zone ID of a local zone", func(c *Config) { c.Network.AvailabilityZoneIds = []string{"usw2-az1", "usw2-az2", "usw2-lax1-az1"} },
			[]string{`eventscale:network.availabilityZoneIds[2] must be an availability zone ID`, `got "usw2-lax1-az1"`}},
		{"zone ID EKS refuses", func(c *Config) {
			c.Region = "us-east-1"
			c.Network.AvailabilityZoneIds = []string{"use1-az1", "use1-az3", "use1-az4"}
		}, []string{`eventscale:network.availabilityZoneIds[1] is "use1-az3", a zone of us-east-1 in which EKS does not allow cluster subnets (https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html)`}},
		{"nat strategy", func(c *Config) { c.Network.NatGateways = "perAz" }, []string{"eventscale:network.natGateways", `"perAz"`}},
		{"private prefix too long", func(c *Config) { c.Network.PrivateSubnetPrefixLength = 29 }, []string{"eventscale:network.privateSubnetPrefixLength", "got 29"}},
		{"subnet outside vpc", func(c *Config) {
			c.Network.PrivateSubnetCidrs = []string{"10.0.0.0/19", "10.0.32.0/19", "10.1.0.0/19"}
		}, []string{"eventscale:network.privateSubnetCidrs[2]", `"10.1.0.0/19" is outside`}},
		{"subnets overlap", func(c *Config) {
			c.Network.PrivateSubnetCidrs = []string{"10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"}
			c.Network.PublicSubnetCidrs = []string{"10.0.96.0/24", "10.0.97.0/24", "10.0.64.0/24"}
		}, []string{`privateSubnetCidrs[2] "10.0.64.0/19" overlaps eventscale:network.publicSubnetCidrs[2] "10.0.64.0/24"`}},
		{"subnet syntax", func(c *Config) { c.Network.PublicSubnetCidrs = []string{"10.0.96.0/24", "10.0.97.0", "10.0.98.0/24"} },
			[]string{"eventscale:network.publicSubnetCidrs[1]", `"10.0.97.0"`}},
		{"subnet count", func(c *Config) { c.Network.PublicSubnetCidrs = []string{"10.0.96.0/24"} },
			[]string{"eventscale:network.publicSubnetCidrs lists 1 subnets", "azCount is 3"}},
		{"cluster name", func(c *Config) { c.Cluster.Name = "-bad name" }, []string{"eventscale:cluster.name", `"-bad name"`}},
		{"k8s version format", func(c *Config) { c.Cluster.Version = "v1.35" }, []string{"eventscale:cluster.version", `"v1.35"`}},
		{"k8s version too old", func(c *Config) { c.Cluster.Version = "1.32" }, []string{"eventscale:cluster.version must be from 1.33 to 1.36", `"1.32"`}},
		{"k8s version too new", func(c *Config) { c.Cluster.Version = "1.37" }, []string{"eventscale:cluster.version must be from 1.33 to 1.36", `"1.37"`}},
		{"node pool cpu limit below one worker", func(c *Config) { c.Karpenter.NodePool.LimitCPU = "500m" },
			[]string{`eventscale:karpenter.nodePool.limitCpu "500m" must be more than eventscale:workloads[0].cpu "1"`}},
		{"node pool cpu limit equal to one worker", func(c *Config) { c.Karpenter.NodePool.LimitCPU = "1" },
			[]string{`eventscale:karpenter.nodePool.limitCpu "1" must be more than eventscale:workloads[0].cpu "1"`}},
		{"node pool memory limit below one worker", func(c *Config) { c.Karpenter.NodePool.LimitMemory = "2Gi" },
			[]string{`eventscale:karpenter.nodePool.limitMemory "2Gi" must be more than eventscale:workloads[0].memory "3Gi"`}},
		{"worker request above the node pool limit", func(c *Config) { c.Workloads[0].CPU = "6" },
			[]string{`eventscale:karpenter.nodePool.limitCpu "4" must be more than eventscale:workloads[0].cpu "6"`}},
		{"no endpoint", func(c *Config) { c.Cluster.EndpointPublicAccess, c.Cluster.EndpointPrivateAccess = false, false },
			[]string{"eventscale:cluster.endpointPublicAccess and eventscale:cluster.endpointPrivateAccess cannot both be false"}},
		{"public cidrs empty", func(c *Config) { c.Cluster.PublicAccessCidrs = nil }, []string{
			"eventscale:cluster.publicAccessCidrs is empty while eventscale:cluster.endpointPublicAccess is true",
			"your deploy runner's and administrators' egress ranges", `"0.0.0.0/0" to open the endpoint to the internet`, "set eventscale:cluster.endpointPublicAccess false"}},
		{"public endpoint with the default cidrs", func(c *Config) { c.Cluster.PublicAccessCidrs = Defaults().Cluster.PublicAccessCidrs },
			[]string{"eventscale:cluster.publicAccessCidrs is empty"}},
		{"log retention not a CloudWatch value", func(c *Config) { c.Cluster.LogRetentionDays = 100 }, []string{
			"eventscale:cluster.logRetentionDays must be one of the retention periods CloudWatch Logs accepts", "90, 120", "got 100"}},
		{"log retention zero", func(c *Config) { c.Cluster.LogRetentionDays = 0 }, []string{"eventscale:cluster.logRetentionDays", "got 0"}},
		{"secrets key alias", func(c *Config) { c.Cluster.SecretsKmsKeyArn = "arn:aws:kms:us-west-2:123456789012:alias/eks" }, []string{
			"eventscale:cluster.secretsKmsKeyArn must be a KMS key ARN", "(a key, not an alias)", `"arn:aws:kms:us-west-2:123456789012:alias/eks"`}},
		{"secrets key id", func(c *Config) { c.Cluster.SecretsKmsKeyArn = "1234abcd-12ab-34cd-56ef-1234567890ab" }, []string{
			"eventscale:cluster.secretsKmsKeyArn must be a KMS key ARN", `"1234abcd-12ab-34cd-56ef-1234567890ab"`}},
		{"secrets key in another region", func(c *Config) {
			c.Cluster.SecretsKmsKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		}, []string{"eventscale:cluster.secretsKmsKeyArn must be a key in the stack's region us-west-2", `"arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"`}},
		{"public cidr syntax", func(c *Config) { c.Cluster.PublicAccessCidrs = []string{"my office"} }, []string{"eventscale:cluster.publicAccessCidrs[0]", `"my office"`}},
		{"log type", func(c *Config) { c.Cluster.LogTypes = []string{"api", "audits"} }, []string{"eventscale:cluster.logTypes[1]", `"audits"`}},
		{"admin arn", func(c *Config) { c.Cluster.AdminPrincipalArns = []string{"admin"} }, []string{"eventscale:cluster.adminPrincipalArns[0]", `"admin"`}},
		{"admin arn repeated", func(c *Config) {
			c.Cluster.AdminPrincipalArns = []string{"arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/b", "arn:aws:iam::123456789012:role/a"}
		}, []string{"eventscale:cluster.adminPrincipalArns[2] repeats", `"arn:aws:iam::123456789012:role/a"`, "adminPrincipalArns[0]"}},
		{"fargate misses karpenter", func(c *Config) {
			c.Karpenter.Namespace = "karpenter" // not the default kube-system
			c.Fargate.Namespaces = []string{"kube-system", "keda"}
		}, []string{"eventscale:fargate.namespaces must include \"karpenter\"", "eventscale:karpenter.namespace"}},
		{"fargate misses kube-system", func(c *Config) { c.Fargate.Namespaces = []string{"karpenter", "keda"} },
			[]string{"eventscale:fargate.namespaces must include \"kube-system\"", "CoreDNS"}},
		{"fargate misses kube-system, karpenter's default", func(c *Config) { c.Fargate.Namespaces = []string{"keda"} },
			[]string{"eventscale:fargate.namespaces must include \"kube-system\"", "Karpenter cannot run on the nodes it creates (eventscale:karpenter.namespace)"}},
		{"fargate namespace name", func(c *Config) { c.Fargate.Namespaces = append(c.Fargate.Namespaces, "Team_A") },
			[]string{"eventscale:fargate.namespaces[2]", "DNS-1123", `"Team_A"`}},
		{"fargate too many", func(c *Config) { c.Fargate.Namespaces = append(c.Fargate.Namespaces, "a", "b", "c", "d") },
			[]string{"eventscale:fargate.namespaces must list 1 to 5", "got 6"}},
		{"fargate empty", func(c *Config) { c.Fargate.Namespaces = nil },
			[]string{"eventscale:fargate.namespaces must list 1 to 5", "got 0"}},
		{"karpenter namespace", func(c *Config) { c.Karpenter.Namespace = "Karpenter" }, []string{"eventscale:karpenter.namespace", `"Karpenter"`}},
		{"karpenter replicas", func(c *Config) { c.Karpenter.Replicas = 0 }, []string{"eventscale:karpenter.replicas", "got 0"}},
		{"controller cpu quantity", func(c *Config) { c.Karpenter.ControllerCPU = "one" }, []string{"eventscale:karpenter.controllerCpu", `"one"`}},
		{"curly-quoted quantity", func(c *Config) { c.Karpenter.NodePool.LimitCPU = "“4”" }, []string{"eventscale:karpenter.nodePool.limitCpu", `"“4”"`}},
		{"limit memory quantity", func(c *Config) { c.Karpenter.NodePool.LimitMemory = "16GB RAM" }, []string{"eventscale:karpenter.nodePool.limitMemory", `"16GB RAM"`}},
		{"capacity type", func(c *Config) { c.Karpenter.NodePool.CapacityTypes = []string{"spot", "ondemand"} },
			[]string{"eventscale:karpenter.nodePool.capacityTypes[1]", `"ondemand"`}},
		{"architecture", func(c *Config) { c.Karpenter.NodePool.Architectures = []string{"x86_64"} },
			[]string{"eventscale:karpenter.nodePool.architectures[0]", `"x86_64"`}},
		{"no instance constraint", func(c *Config) { c.Karpenter.NodePool.InstanceTypes = nil },
			[]string{"eventscale:karpenter.nodePool.instanceTypes or eventscale:karpenter.nodePool.instanceCategories must be set"}},
		{"instance type", func(c *Config) { c.Karpenter.NodePool.InstanceTypes = []string{"m5large"} },
			[]string{"eventscale:karpenter.nodePool.instanceTypes[0]", `"m5large"`}},
		{"instance category", func(c *Config) { c.Karpenter.NodePool.InstanceCategories = []string{"compute"} },
			[]string{"eventscale:karpenter.nodePool.instanceCategories[0]", `"compute"`}},
		{"instance generation", func(c *Config) { c.Karpenter.NodePool.InstanceGenerationGreaterThan = intp(0) },
			[]string{"eventscale:karpenter.nodePool.instanceGenerationGreaterThan", "got 0"}},
		{"max instance cpu zero", func(c *Config) { c.Karpenter.NodePool.MaxInstanceCPU = intp(0) },
			[]string{"eventscale:karpenter.nodePool.maxInstanceCpu must be from 1 to 1024", "got 0"}},
		{"max instance cpu too high", func(c *Config) { c.Karpenter.NodePool.MaxInstanceCPU = intp(2048) },
			[]string{"eventscale:karpenter.nodePool.maxInstanceCpu", "got 2048"}},
		{"workload does not fit max instance cpu", func(c *Config) { c.Karpenter.NodePool.MaxInstanceCPU, c.Workloads[0].CPU = intp(2), "2" },
			[]string{`eventscale:workloads[0].cpu "2" does not fit on a node of at most eventscale:karpenter.nodePool.maxInstanceCpu (2) vCPUs`}},
		{"workload as large as a one-vCPU bound", func(c *Config) {
			c.Karpenter.NodePool.InstanceTypes, c.Karpenter.NodePool.InstanceCategories = nil, []string{"m"}
			c.Karpenter.NodePool.MaxInstanceCPU = intp(1)
		}, []string{`eventscale:workloads[0].cpu "1" does not fit on a node of at most eventscale:karpenter.nodePool.maxInstanceCpu (1) vCPUs`}},
		{"consolidation policy", func(c *Config) { c.Karpenter.NodePool.ConsolidationPolicy = "WhenUnderutilized" },
			[]string{"eventscale:karpenter.nodePool.consolidationPolicy", `"WhenUnderutilized"`}},
		{"consolidate after", func(c *Config) { c.Karpenter.NodePool.ConsolidateAfter = "30 seconds" },
			[]string{"eventscale:karpenter.nodePool.consolidateAfter", `"30 seconds"`}},
		{"expire after days", func(c *Config) { c.Karpenter.NodePool.ExpireAfter = "30d" },
			[]string{"eventscale:karpenter.nodePool.expireAfter", `"30d"`}},
		{"disruption budget", func(c *Config) { c.Karpenter.NodePool.DisruptionBudgetNodes = "ten" },
			[]string{"eventscale:karpenter.nodePool.disruptionBudgetNodes", `"ten"`}},
		{"ami alias", func(c *Config) { c.Karpenter.NodeClass.AmiAlias = "al2023" },
			[]string{"eventscale:karpenter.nodeClass.amiAlias", `"al2023"`}},
		{"root volume too small", func(c *Config) { c.Karpenter.NodeClass.RootVolumeSize = "2Gi" },
			[]string{"eventscale:karpenter.nodeClass.rootVolumeSize must be from 8Gi", `"2Gi"`}},
		{"root volume in Mi", func(c *Config) { c.Karpenter.NodeClass.RootVolumeSize = "20480Mi" },
			[]string{`eventscale:karpenter.nodeClass.rootVolumeSize must be a whole number of Gi, G, Ti or T such as "20Gi" (the EC2NodeClass volumeSize format), got "20480Mi"`}},
		{"node pool name longer than a label value", func(c *Config) { c.Karpenter.NodePool.Name = strings.Repeat("a", 64) },
			[]string{"eventscale:karpenter.nodePool.name must be at most 63 characters (Karpenter sets it as the node label karpenter.sh/nodepool), got 64"}},
		{"node class name longer than a label value", func(c *Config) { c.Karpenter.NodeClass.Name = strings.Repeat("b", 70) },
			[]string{"eventscale:karpenter.nodeClass.name must be at most 63 characters (Karpenter sets it as the node label karpenter.k8s.aws/ec2nodeclass), got 70"}},
		{"restricted node tag", func(c *Config) { c.Karpenter.NodeClass.Tags = map[string]string{"kubernetes.io/cluster/x": "owned"} },
			[]string{`eventscale:karpenter.nodeClass.tags["kubernetes.io/cluster/x"] is not allowed`}},
		{"node tag value too long", func(c *Config) { c.Karpenter.NodeClass.Tags = map[string]string{"team": strings.Repeat("x", 257)} },
			[]string{`eventscale:karpenter.nodeClass.tags["team"]: EC2 tag keys are at most 128 and values at most 256 characters`}},
		{"stack tag that Karpenter reserves on nodes", func(c *Config) { c.Tags = map[string]string{"karpenter.sh/nodepool": "x"} },
			[]string{`eventscale:tags["karpenter.sh/nodepool"] is not allowed: the stack's tags are also set on Karpenter's nodes`}},
		{"keda namespace equals karpenter", func(c *Config) {
			c.Karpenter.Namespace, c.Keda.Namespace = "platform", "platform"
			c.Fargate.Namespaces = []string{"kube-system", "platform"}
		}, []string{"eventscale:keda.namespace and eventscale:karpenter.namespace must differ", `"platform"`}},
		{"keda in kube-system", func(c *Config) { c.Keda.Namespace = "kube-system" },
			[]string{`eventscale:keda.namespace "kube-system" is a namespace Kubernetes creates itself`}},
		{"keda in default", func(c *Config) {
			c.Keda.Namespace = "default"
			c.Fargate.Namespaces = []string{"kube-system", "default"}
		}, []string{`eventscale:keda.namespace "default" is a namespace Kubernetes creates itself`}},
		{"keda quantity", func(c *Config) { c.Keda.OperatorMemory = "1 GiB" }, []string{"eventscale:keda.operatorMemory", `"1 GiB"`}},
		{"keda operator replicas", func(c *Config) { c.Keda.OperatorReplicas = 0 }, []string{"eventscale:keda.operatorReplicas must be from 1 to 5", "got 0"}},
		{"visibility too long", func(c *Config) { c.Queue.VisibilityTimeoutSeconds = 50000 }, []string{"eventscale:queue.visibilityTimeoutSeconds", "got 50000"}},
		{"visibility below processing", func(c *Config) { c.Queue.VisibilityTimeoutSeconds = 30 },
			[]string{"eventscale:queue.visibilityTimeoutSeconds (30) must exceed eventscale:workloads[0].maxProcessingSeconds (30)"}},
		{"retention", func(c *Config) { c.Queue.MessageRetentionSeconds = 30 }, []string{"eventscale:queue.messageRetentionSeconds", "got 30"}},
		{"dlq retention shorter", func(c *Config) { c.Queue.DlqRetentionSeconds = 3600 },
			[]string{"eventscale:queue.dlqRetentionSeconds (3600) must be at least eventscale:queue.messageRetentionSeconds (345600)"}},
		{"max receive count", func(c *Config) { c.Queue.MaxReceiveCount = 0 }, []string{"eventscale:queue.maxReceiveCount must be from 1 to 1000, got 0"}},
		{"receive wait", func(c *Config) { c.Queue.ReceiveWaitTimeSeconds = 25 }, []string{"eventscale:queue.receiveWaitTimeSeconds", "got 25"}},
		{"alarm age below a minute", func(c *Config) { c.Monitoring.OldestMessageAgeSeconds = 30 },
			[]string{"eventscale:monitoring.oldestMessageAgeSeconds must be from 60 to 1209600", "got 30"}},
		{"alarm age above fourteen days", func(c *Config) { c.Monitoring.OldestMessageAgeSeconds = 1209601 },
			[]string{"eventscale:monitoring.oldestMessageAgeSeconds must be from 60 to 1209600", "got 1209601"}},
		{"alarm age at the retention", func(c *Config) { c.Monitoring.OldestMessageAgeSeconds = 345600 },
			[]string{"eventscale:monitoring.oldestMessageAgeSeconds (345600) must be below eventscale:queue.messageRetentionSeconds (345600)"}},
		{"alarm e-mail without a domain", func(c *Config) { c.Monitoring.AlarmEmails = []string{"oncall@example.com", "oncall@"} },
			[]string{"eventscale:monitoring.alarmEmails[1] must be a bare e-mail address", `got "oncall@"`}},
		{"alarm e-mail without a dot in the domain", func(c *Config) { c.Monitoring.AlarmEmails = []string{"oncall@localhost"} },
			[]string{"eventscale:monitoring.alarmEmails[0] must be a bare e-mail address", `got "oncall@localhost"`}},
		{"alarm e-mail with a display name", func(c *Config) { c.Monitoring.AlarmEmails = []string{"On Call <oncall@example.com>"} },
			[]string{"eventscale:monitoring.alarmEmails[0] must be a bare e-mail address", `got "On Call <oncall@example.com>"`}},
		{"alarm e-mail repeated", func(c *Config) {
			c.Monitoring.AlarmEmails = []string{"a@example.com", "b@example.com", "a@example.com"}
		},
			[]string{`eventscale:monitoring.alarmEmails[2] repeats "a@example.com" of eventscale:monitoring.alarmEmails[0]`}},
		{"topic arn syntax", func(c *Config) { c.Monitoring.TopicArn = "alarms" },
			[]string{"eventscale:monitoring.topicArn must be an SNS topic ARN", `got "alarms"`}},
		{"topic arn of a queue", func(c *Config) { c.Monitoring.TopicArn = "arn:aws:sqs:us-west-2:123456789012:alarms" },
			[]string{"eventscale:monitoring.topicArn must be an SNS topic ARN", `got "arn:aws:sqs:us-west-2:123456789012:alarms"`}},
		{"topic arn in another region", func(c *Config) { c.Monitoring.TopicArn = "arn:aws:sns:eu-west-1:123456789012:alarms" },
			[]string{`eventscale:monitoring.topicArn "arn:aws:sns:eu-west-1:123456789012:alarms" is in region "eu-west-1", not the stack's "us-west-2"`}},
		{"topic arn and e-mails", func(c *Config) {
			c.Monitoring.TopicArn = "arn:aws:sns:us-west-2:123456789012:alarms"
			c.Monitoring.AlarmEmails = []string{"oncall@example.com"}
		}, []string{`eventscale:monitoring.topicArn "arn:aws:sns:us-west-2:123456789012:alarms" and eventscale:monitoring.alarmEmails are both set`}},
		{"workload name", func(c *Config) { c.Workloads[0].Name = "Worker" }, []string{"eventscale:workloads[0].name", `"Worker"`}},
		{"workload duplicate", func(c *Config) { c.Workloads = append(c.Workloads, c.Workloads[0]) },
			[]string{`eventscale:workloads[1].name "worker" repeats the name of eventscale:workloads[0]`}},
		{"workload on fargate", func(c *Config) { c.Workloads[0].Namespace = "keda" },
			[]string{`eventscale:workloads[0].namespace "keda" is a Fargate namespace`}},
		{"workload in a namespace Kubernetes creates", func(c *Config) { c.Workloads[0].Namespace = "default" },
			[]string{`eventscale:workloads[0].namespace "default" is a namespace Kubernetes creates itself`}},
		{"workloads sharing a namespace", func(c *Config) {
			a, b := DefaultWorkload(), DefaultWorkload()
			a.Name, a.Namespace, b.Name, b.Namespace = "a", "jobs", "b", "jobs"
			c.Workloads = []infra.WorkloadSettings{a, b}
		}, []string{`eventscale:workloads[1].namespace "jobs" is also the namespace of eventscale:workloads[0]`}},
		{"dead-letter queue name too long", func(c *Config) {
			c.Cluster.Name, c.Workloads[0].Name = strings.Repeat("c", 40), strings.Repeat("w", 40)
		}, []string{`eventscale:workloads[0].name "` + strings.Repeat("w", 40) + `" makes the dead-letter queue name`, "85 characters long, over the SQS limit of 80", "eventscale:cluster.name"}},
		{"workload image", func(c *Config) { c.Workloads[0].Image = "Not An Image" }, []string{"eventscale:workloads[0].image", `"Not An Image"`}},
		{"workload image tag", func(c *Config) { c.Workloads[0].ImageTag = "has space" }, []string{"eventscale:workloads[0].imageTag", `"has space"`}},
		{"workload cpu", func(c *Config) { c.Workloads[0].CPU = "-1" }, []string{"eventscale:workloads[0].cpu", `"-1"`}},
		{"workload memory", func(c *Config) { c.Workloads[0].Memory = "3 Gi" }, []string{"eventscale:workloads[0].memory", `"3 Gi"`}},
		{"min above max", func(c *Config) { c.Workloads[0].MinReplicas, c.Workloads[0].MaxReplicas = 3, 2 },
			[]string{"eventscale:workloads[0].minReplicas (3) must not exceed eventscale:workloads[0].maxReplicas (2)"}},
		{"max zero", func(c *Config) { c.Workloads[0].MaxReplicas = 0 }, []string{"eventscale:workloads[0].maxReplicas", "got 0"}},
		{"min negative", func(c *Config) { c.Workloads[0].MinReplicas = -1 }, []string{"eventscale:workloads[0].minReplicas must be 0 or more", "got -1"}},
		{"max processing zero", func(c *Config) { c.Workloads[0].MaxProcessingSeconds = 0 },
			[]string{"eventscale:workloads[0].maxProcessingSeconds must be from 1 to 3600", "got 0"}},
		{"queue length zero", func(c *Config) { c.Workloads[0].QueueLength = 0 }, []string{"eventscale:workloads[0].queueLength must be 1 or more", "got 0"}},
		{"activation negative", func(c *Config) { c.Workloads[0].ActivationQueueLength = -1 }, []string{"eventscale:workloads[0].activationQueueLength", "got -1"}},
		{"polling zero", func(c *Config) { c.Workloads[0].PollingIntervalSeconds = 0 }, []string{"eventscale:workloads[0].pollingIntervalSeconds", "got 0"}},
		{"cooldown negative", func(c *Config) { c.Workloads[0].CooldownPeriodSeconds = -5 }, []string{"eventscale:workloads[0].cooldownPeriodSeconds", "got -5"}},
		{"concurrency", func(c *Config) { c.Workloads[0].Concurrency = 0 }, []string{"eventscale:workloads[0].concurrency", "got 0"}},
		{"simulated work above max", func(c *Config) { c.Workloads[0].SimulatedWorkSeconds = 45 },
			[]string{"eventscale:workloads[0].simulatedWorkSeconds must be from 0 to", "got 45"}},
		{"stabilization", func(c *Config) { c.Workloads[0].ScaleDownStabilizationSeconds = intp(7200) },
			[]string{"eventscale:workloads[0].scaleDownStabilizationSeconds", "got 7200"}},
		{"zone spread", func(c *Config) { c.Workloads[0].ZoneSpread = "always" },
			[]string{"eventscale:workloads[0].zoneSpread must be one of none, preferred, required", `got "always"`}},
		{"zone spread as Kubernetes spells it", func(c *Config) { c.Workloads[0].ZoneSpread = "ScheduleAnyway" },
			[]string{`eventscale:workloads[0].zoneSpread must be one of none, preferred, required, got "ScheduleAnyway"`}},
		{"zone spread empty", func(c *Config) { c.Workloads[0].ZoneSpread = "" },
			[]string{"eventscale:workloads[0].zoneSpread", `got ""`}},
		{"reserved tag", func(c *Config) { c.Tags = map[string]string{"aws:owner": "me"} }, []string{`eventscale:tags["aws:owner"] is not allowed`}},
		{"platform tag", func(c *Config) { c.Tags = map[string]string{"managed-by": "me"} }, []string{`eventscale:tags["managed-by"] is not allowed`}},
	}
	require.GreaterOrEqual(t, len(cases), 30)
	checkRejects(t, cases)
}

// TestValidateReportsEveryProblem proves problems are collected, not returned one at a time.
func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	c := validConfig()
	c.Network.AzCount = 9
	c.Cluster.Version = "2.0"
	c.Workloads[0].QueueLength = 0
	err := c.Validate()
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	assert.Len(t, lines, 3, err.Error())
}

// raw is a stack's config: the pairs kv, in us-west-2, with testEgressCidr for the public
// endpoint unless kv sets the cluster section.
func raw(kv ...string) map[string]string {
	m := map[string]string{"aws:region": "us-west-2", "eventscale:cluster": `{"publicAccessCidrs":["` + testEgressCidr + `"]}`}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestLoadDecodesStrictly(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		raw  map[string]string
		want []string
	}{
		{"unknown section", raw("eventscale:netwrok", `{}`), []string{`unknown config key "eventscale:netwrok"`, `did you mean "network"`}},
		{"unknown field", raw("eventscale:network", `{"vpcCidr":"10.0.0.0/16","azcount":3}`),
			[]string{"eventscale:network.azcount is not a known key", `did you mean "azCount"`}},
		{"unknown nested field", raw("eventscale:karpenter", `{"nodePool":{"limitCPU":"8"}}`),
			[]string{"eventscale:karpenter.nodePool.limitCPU is not a known key", `did you mean "limitCpu"`}},
		{"unknown workload field", raw("eventscale:workloads", `[{"name":"a"},{"name":"b","replicas":3}]`),
			[]string{"eventscale:workloads[1].replicas is not a known key"}},
		{"the tutorial's nesting", raw("eventscale:workloads", `[{"name":"a","scaleTargetRef":{"name":"a","minReplicaCount":0}}]`),
			[]string{"eventscale:workloads[0].scaleTargetRef is not a known key"}},
		{"wrong type", raw("eventscale:network", `{"azCount":"three"}`), []string{"eventscale:network.azCount must be an integer, got a JSON string"}},
		{"workloads not a list", raw("eventscale:workloads", `{"name":"a"}`), []string{"eventscale:workloads must be a list of workloads"}},
		{"not json", raw("eventscale:queue", `maxReceiveCount: 5`), []string{"eventscale:queue is not valid structured config"}},
		{"unknown monitoring field", raw("eventscale:monitoring", `{"alarmEmail":["oncall@example.com"]}`),
			[]string{"eventscale:monitoring.alarmEmail is not a known key", `did you mean "alarmEmails"`}},
		{"monitoring wrong type", raw("eventscale:monitoring", `{"oldestMessageAgeSeconds":"5m"}`),
			[]string{"eventscale:monitoring.oldestMessageAgeSeconds must be an integer, got a JSON string"}},
		{"spot role not a boolean", raw("eventscale:karpenter", `{"createSpotServiceLinkedRole":"yes"}`),
			[]string{"eventscale:karpenter.createSpotServiceLinkedRole must be true or false, got a JSON string"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(tc.raw, "eventscale", "test")
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestLoadAppliesDefaultsAndOverrides(t *testing.T) {
	t.Parallel()
	cfg, err := Load(raw(
		"eventscale:network", `{"natGateways":"onePerAz"}`,
		"eventscale:karpenter", `{"nodePool":{"limitCpu":"8"}}`,
		"eventscale:workloads", `[{"name":"a","maxReplicas":5},{"name":"b","namespace":"jobs"}]`,
		"eventscale:registry", `{"imageTagMutability":"MUTABLE"}`, // the workloads' default tag is latest
		"eventscale:tags", `{"team":"platform"}`,
		"kubernetes:context", "ignored: other namespaces belong to providers",
	), "eventscale", "staging")
	require.NoError(t, err)
	assert.Equal(t, "eventscale-staging", cfg.Cluster.Name, "cluster name derives from project and stack")
	assert.Equal(t, infra.NatOnePerAz, cfg.Network.NatGateways)
	assert.Equal(t, "10.0.0.0/16", cfg.Network.VpcCidr, "untouched keys keep defaults")
	assert.Equal(t, "8", cfg.Karpenter.NodePool.LimitCPU)
	assert.Equal(t, "16Gi", cfg.Karpenter.NodePool.LimitMemory, "a nested override keeps its siblings' defaults")
	require.Len(t, cfg.Workloads, 2)
	assert.Equal(t, 5, cfg.Workloads[0].MaxReplicas)
	assert.Equal(t, "a", cfg.Workloads[0].Namespace, "namespace defaults to the workload name")
	assert.Equal(t, "3Gi", cfg.Workloads[1].Memory, "each workload gets the workload defaults")
	assert.Equal(t, "jobs", cfg.Workloads[1].Namespace)
	assert.Equal(t, map[string]string{"team": "platform"}, cfg.Tags)
	assert.Equal(t, infra.MutableTags, cfg.Registry.ImageTagMutability)
	assert.Equal(t, 14, cfg.Registry.UntaggedExpiryDays, "the registry's other keys keep their defaults")
}

func TestDefaultsAreNotShared(t *testing.T) {
	t.Parallel()
	a := Defaults()
	a.Fargate.Namespaces[0] = "changed"
	assert.Equal(t, "kube-system", Defaults().Fargate.Namespaces[0])
}

func TestStackFilesLoadAndValidate(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, stack string) {
		r, err := ReadStackFile("../Pulumi." + stack + ".yaml")
		require.NoError(t, err)
		cfg, err := Load(r, "eventscale", stack)
		require.NoError(t, err)
		require.NotEmpty(t, cfg.Workloads)
		b, _ := json.Marshal(cfg)
		t.Logf("%s: %s", stack, b)
	})
}

func TestReadStackFileRefusesSecrets(t *testing.T) {
	t.Parallel()
	p := t.TempDir() + "/Pulumi.x.yaml"
	require.NoError(t, writeFile(p, "config:\n  eventscale:tags:\n    secure: AAABAC==\n"))
	_, err := ReadStackFile(p)
	require.ErrorContains(t, err, "eventscale:tags is an encrypted secret")
}

func writeFile(p, s string) error { return os.WriteFile(p, []byte(s), 0o644) }

// TestKarpenterBoundariesAccepted: the longest node pool name a label value allows and a root
// volume in Ti pass.
func TestKarpenterBoundariesAccepted(t *testing.T) {
	t.Parallel()
	c := validConfig()
	c.Karpenter.NodePool.Name, c.Karpenter.NodeClass.Name = strings.Repeat("a", 63), strings.Repeat("b", 63)
	c.Karpenter.NodeClass.RootVolumeSize = "1Ti"
	assert.NoError(t, c.Validate())
}

// TestSpreadSettingsAccepted: the valid values of the spread settings pass, and a workload just
// under the instance size bound fits it.
func TestSpreadSettingsAccepted(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"none", "preferred", "required"} {
		c := validConfig()
		c.Workloads[0].ZoneSpread = mode
		assert.NoError(t, c.Validate(), "zoneSpread %q", mode)
	}
	for _, tc := range []struct {
		max *int
		cpu string
	}{{nil, "64"}, {intp(2), "1900m"}, {intp(8), "1"}, {intp(1024), "1"}} {
		c := validConfig()
		c.Karpenter.NodePool.MaxInstanceCPU, c.Workloads[0].CPU = tc.max, tc.cpu
		c.Karpenter.NodePool.LimitCPU = "256" // above every request here
		assert.NoError(t, c.Validate(), "maxInstanceCpu %v, cpu %s", tc.max, tc.cpu)
	}
	cfg, err := Load(raw("eventscale:karpenter", `{"nodePool":{"maxInstanceCpu":16}}`, "eventscale:registry", `{"imageTagMutability":"MUTABLE"}`,
		"eventscale:workloads", `[{"name":"a","zoneSpread":"preferred"},{"name":"b"}]`), "eventscale", "staging")
	require.NoError(t, err)
	assert.Equal(t, 16, *cfg.Karpenter.NodePool.MaxInstanceCPU)
	assert.Equal(t, "preferred", cfg.Workloads[0].ZoneSpread)
	assert.Equal(t, "none", cfg.Workloads[1].ZoneSpread, "the default is no spread")
	assert.Nil(t, Defaults().Karpenter.NodePool.MaxInstanceCPU, "the default is no bound")
}
