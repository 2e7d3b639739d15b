// Package tests holds whole-stack tests: the real program run on Pulumi's mocked resource
// monitor (see internal/offline) for the dev and prod stack files and for edited configurations.
package tests

import (
	"encoding/json"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/components/cluster"
	"github.com/eventscale/eventscale/components/network"
	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/internal/stacktest"
	"github.com/eventscale/eventscale/stacks"
)

// projectDir is where Pulumi.yaml and the stack files live, relative to this package.
const projectDir = ".."

// runs holds each program run of this package's tests (read-only), so a stack runs once.
var runs offline.Cache

// stackRun runs a stack file once per test binary and shares the recording (read-only).
func stackRun(t *testing.T, stack string) *offline.Recording {
	t.Helper()
	rec, err := runs.StackFile(projectDir, stack)
	require.NoError(t, err, "running stack %s on mocks", stack)
	return rec
}

// stackConfig loads a stack file's config the way the program does.
func stackConfig(t *testing.T, stack string) stacks.Config {
	t.Helper()
	raw, err := stacks.ReadStackFile(projectDir + "/Pulumi." + stack + ".yaml")
	require.NoError(t, err)
	cfg, err := stacks.Load(raw, offline.Project, stack)
	require.NoError(t, err)
	return cfg
}

func byType(rec *offline.Recording, typ string) []offline.Resource {
	var out []offline.Resource
	for _, r := range rec.Resources {
		if r.Type == typ && !r.StandIn {
			out = append(out, r)
		}
	}
	return out
}

func one(t *testing.T, rec *offline.Recording, typ, name string) offline.Resource {
	t.Helper()
	for _, r := range rec.Resources {
		if r.Type == typ && r.Name == name {
			return r
		}
	}
	require.Failf(t, "resource not registered", "%s %q", typ, name)
	return offline.Resource{}
}

func urnOf(t *testing.T, rec *offline.Recording, typ, name string) string {
	t.Helper()
	return one(t, rec, typ, name).URN
}

func str(v any) string { s, _ := v.(string); return s }

func strMap(v any) map[string]string {
	out := map[string]string{}
	m, _ := v.(map[string]any)
	for k, x := range m {
		out[k] = str(x)
	}
	return out
}

func TestNoDuplicateURNs(t *testing.T) {
	t.Parallel()
	for _, stack := range stacktest.Names(t) {
		rec := stackRun(t, stack)
		seen := map[string]bool{}
		for _, r := range rec.Resources {
			assert.False(t, seen[r.URN], "duplicate URN %s", r.URN)
			seen[r.URN] = true
		}
	}
}

func TestNetwork(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		stack string
		nats  int
	}{{"dev", 1}, {"prod", 3}} {
		t.Run(tc.stack, func(t *testing.T) {
			t.Parallel()
			rec := stackRun(t, tc.stack)
			cfg := stackConfig(t, tc.stack)
			netURN := urnOf(t, rec, network.TypeToken, "network")

			vpc := one(t, rec, "aws:ec2/vpc:Vpc", "network-vpc")
			assert.Equal(t, netURN, vpc.Parent)
			assert.Equal(t, cfg.Network.VpcCidr, vpc.Inputs["cidrBlock"])
			assert.Equal(t, true, vpc.Inputs["enableDnsHostnames"])

			subnets := byType(rec, "aws:ec2/subnet:Subnet")
			require.Len(t, subnets, 2*cfg.Network.AzCount)
			var private, public []offline.Resource
			for _, s := range subnets {
				assert.Equal(t, netURN, s.Parent, s.Name)
				if strings.Contains(s.Name, "-private-") {
					private = append(private, s)
				} else {
					public = append(public, s)
				}
			}
			require.Len(t, private, cfg.Network.AzCount)
			zones := map[string]bool{}
			for _, s := range private {
				tags := strMap(s.Inputs["tags"])
				assert.Equal(t, cfg.Cluster.Name, tags[infra.DiscoveryTagKey], "discovery tag on %s", s.Name)
				assert.Equal(t, "1", tags["kubernetes.io/role/internal-elb"], s.Name)
				assert.NotContains(t, tags, "kubernetes.io/role/elb", s.Name)
				zones[str(s.Inputs["availabilityZone"])] = true
			}
			assert.Len(t, zones, cfg.Network.AzCount, "one private subnet per zone")
			for _, s := range public {
				tags := strMap(s.Inputs["tags"])
				assert.Equal(t, "1", tags["kubernetes.io/role/elb"], s.Name)
				assert.NotContains(t, tags, infra.DiscoveryTagKey, "Karpenter must not launch nodes into public subnets (%s)", s.Name)
				assert.Equal(t, false, s.Inputs["mapPublicIpOnLaunch"], s.Name)
			}
			// CIDRs are disjoint and inside the VPC (the plan comes from infra.SubnetPlan).
			priv, pub, err := infra.SubnetPlan(cfg.Network.VpcCidr, cfg.Network.AzCount, cfg.Network.PrivateSubnetPrefixLength, cfg.Network.PublicSubnetPrefixLength)
			require.NoError(t, err)
			var got []string
			for _, s := range subnets {
				got = append(got, str(s.Inputs["cidrBlock"]))
			}
			assert.ElementsMatch(t, append(priv, pub...), got)

			assert.Len(t, byType(rec, "aws:ec2/natGateway:NatGateway"), tc.nats)
			assert.Len(t, byType(rec, "aws:ec2/eip:Eip"), tc.nats)
			// Every private route table routes 0.0.0.0/0 through a NAT gateway; the public one through the IGW.
			for _, rt := range byType(rec, "aws:ec2/routeTable:RouteTable") {
				routes, _ := rt.Inputs["routes"].([]any)
				require.Len(t, routes, 1, rt.Name)
				route := routes[0].(map[string]any)
				assert.Equal(t, "0.0.0.0/0", route["cidrBlock"])
				if strings.Contains(rt.Name, "private") {
					assert.True(t, strings.HasPrefix(str(route["natGatewayId"]), "nat-"), rt.Name)
				} else {
					assert.True(t, strings.HasPrefix(str(route["gatewayId"]), "igw-"), rt.Name)
				}
			}
			assert.Len(t, byType(rec, "aws:ec2/routeTableAssociation:RouteTableAssociation"), 2*cfg.Network.AzCount)
		})
	}
}

// clusterRun is a shipped stack's recording and config, its cluster component's URN and the
// pulumi-eks component in it.
func clusterRun(t *testing.T, stack string) (*offline.Recording, stacks.Config, string, offline.Resource) {
	t.Helper()
	rec := stackRun(t, stack)
	return rec, stackConfig(t, stack), urnOf(t, rec, cluster.TypeToken, "cluster"), one(t, rec, "eks:index:Cluster", "cluster-eks")
}

func TestCluster(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, stack string) {
		rec, cfg, clURN, eks := clusterRun(t, stack)
		assert.Equal(t, clURN, eks.Parent)
		assert.True(t, eks.Remote, "pulumi-eks Cluster is a remote component")
		in := eks.Inputs
		assert.Equal(t, cfg.Cluster.Name, in["name"])
		assert.Equal(t, cfg.Cluster.Version, in["version"])
		assert.Equal(t, "API", in["authenticationMode"])
		assert.Equal(t, true, in["createOidcProvider"])
		assert.Equal(t, true, in["skipDefaultNodeGroup"])
		assert.Equal(t, []any{"api", "audit", "authenticator", "controllerManager", "scheduler"}, in["enabledClusterLogTypes"])
		assert.Equal(t, cfg.Cluster.EndpointPrivateAccess, in["endpointPrivateAccess"])
		assert.Equal(t, cfg.Cluster.EndpointPublicAccess, in["endpointPublicAccess"])
		assert.NotContains(t, in, "fargate", "Fargate is explicit, not pulumi-eks' kubectl-patching option")
		var privateIDs []any
		for _, s := range byType(rec, "aws:ec2/subnet:Subnet") {
			if strings.Contains(s.Name, "-private-") {
				privateIDs = append(privateIDs, s.ID)
			}
		}
		assert.ElementsMatch(t, privateIDs, in["privateSubnetIds"], "control plane in the private subnets")
		assert.Equal(t, one(t, rec, "aws:ec2/vpc:Vpc", "network-vpc").ID, in["vpcId"])

		fp := one(t, rec, "aws:eks/fargateProfile:FargateProfile", "cluster-fargate-system")
		assert.Equal(t, clURN, fp.Parent)
		assert.Equal(t, cfg.Cluster.Name, fp.Inputs["clusterName"])
		var selected []string
		for _, s := range fp.Inputs["selectors"].([]any) {
			selected = append(selected, str(s.(map[string]any)["namespace"]))
		}
		assert.Equal(t, cfg.Fargate.Namespaces, selected, "Fargate selectors = config")
		assert.ElementsMatch(t, privateIDs, fp.Inputs["subnetIds"], "Fargate pods only in private subnets")
		podRole := one(t, rec, typeRole, "cluster-fargate-pod-role")
		assert.Equal(t, "arn:aws:iam::"+offline.AccountID+":role/"+podRole.ID, fp.Inputs["podExecutionRoleArn"])
		var trust infra.PolicyDocument
		require.NoError(t, json.Unmarshal([]byte(str(podRole.Inputs["assumeRolePolicy"])), &trust))
		require.Len(t, trust.Statement, 1)
		assert.Equal(t, map[string]any{"Service": "eks-fargate-pods.amazonaws.com"}, trust.Statement[0].Principal)
		assert.Equal(t, "arn:aws:eks:"+cfg.Region+":"+offline.AccountID+":fargateprofile/"+cfg.Cluster.Name+"/*",
			trust.Statement[0].Condition["ArnLike"]["aws:SourceArn"])
		att := one(t, rec, typeRoleAttachment, "cluster-fargate-pod-role-policy")
		assert.Equal(t, "arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy", att.Inputs["policyArn"])
		assert.Contains(t, fp.Depends, att.URN, "the profile waits for its role's policy")

		coredns := one(t, rec, "aws:eks/addon:Addon", "cluster-coredns")
		assert.Equal(t, "coredns", coredns.Inputs["addonName"])
		assert.JSONEq(t, `{"computeType":"Fargate"}`, str(coredns.Inputs["configurationValues"]))
		assert.Contains(t, coredns.Depends, fp.URN, "CoreDNS needs the Fargate profile to schedule")

		sgTag := one(t, rec, "aws:ec2/tag:Tag", "cluster-cluster-sg-discovery")
		assert.Equal(t, infra.DiscoveryTagKey, sgTag.Inputs["key"])
		assert.Equal(t, cfg.Cluster.Name, sgTag.Inputs["value"], "discovery tag value = cluster name")
		assert.Equal(t, "sg-0eks0cluster0sg", sgTag.Inputs["resourceId"], "tags the EKS-managed cluster security group")

		prov := one(t, rec, typeK8sProvider, "cluster-k8s")
		assert.Contains(t, str(prov.Inputs["kubeconfig"]), cfg.Cluster.Name, "provider built from the cluster's kubeconfig")

		assert.Equal(t, cfg.Cluster.Name, rec.Outputs["clusterName"])
		assert.True(t, rec.SecretOutputs["kubeconfig"], "kubeconfig output is secret")
		assert.False(t, rec.SecretOutputs["clusterName"])
		for _, k := range []string{"clusterEndpoint", "oidcProviderArn", "oidcProviderUrl", "clusterSecurityGroupId", "vpcId", "privateSubnetIds", "publicSubnetIds", "region"} {
			assert.NotEmpty(t, rec.Outputs[k], "output %s", k)
		}
	})
}

// TestAdminAccessEntries: each admin principal gets a pulumi-aws access entry (STANDARD) and a
// cluster-admin policy association beside the cluster, named by a hash of its ARN; pulumi-eks'
// accessEntries input is never used (it breaks later runs of Go programs in pulumi-eks v2).
func TestAdminAccessEntries(t *testing.T) {
	t.Parallel()
	const (
		tAssoc = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
		first  = "arn:aws:iam::123456789012:role/platform-admin"
		second = "arn:aws:iam::123456789012:user/ci/deployer"
	)
	run := func(t *testing.T, stack string, admins []string) *offline.Recording {
		t.Helper()
		raw, err := stacks.ReadStackFile(projectDir + "/Pulumi." + stack + ".yaml")
		require.NoError(t, err)
		if admins != nil {
			section := map[string]any{}
			if s, ok := raw["eventscale:cluster"]; ok {
				require.NoError(t, json.Unmarshal([]byte(s), &section))
			}
			section["adminPrincipalArns"] = admins
			b, err := json.Marshal(section)
			require.NoError(t, err)
			raw["eventscale:cluster"] = string(b)
		}
		rec, err := offline.Run(stack, raw, offline.Options{})
		require.NoError(t, err)
		return rec
	}
	// adminEntries are the access entries of the cluster component (not Karpenter's node entry).
	adminEntries := func(rec *offline.Recording) []offline.Resource {
		var out []offline.Resource
		for _, r := range byType(rec, typeAccessEntry) {
			if strings.HasPrefix(r.Name, "cluster-admin-") {
				out = append(out, r)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		stack  string
		admins []string
	}{
		{"none (dev file)", "dev", nil},
		{"none (prod file)", "prod", nil},
		{"one", "dev", []string{first}},
		{"two", "dev", []string{first, second}},
		{"two in prod", "prod", []string{second, first}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := run(t, tc.stack, tc.admins)
			cfg := stackConfig(t, tc.stack)
			comp := urnOf(t, rec, cluster.TypeToken, "cluster")
			eksCl := one(t, rec, "eks:index:Cluster", "cluster-eks")
			_, has := eksCl.Inputs["accessEntries"]
			assert.False(t, has, "no accessEntries on pulumi-eks' Cluster (pulumi/pulumi-eks#1435)")
			assert.Equal(t, "API", eksCl.Inputs["authenticationMode"])

			entries := adminEntries(rec)
			require.Len(t, entries, len(tc.admins), "one admin access entry per principal")
			assocs := byType(rec, tAssoc)
			require.Len(t, assocs, len(tc.admins), "one policy association per principal")
			for _, arn := range tc.admins {
				name := "cluster-admin-" + infra.AccessEntryKey(arn)
				e := one(t, rec, typeAccessEntry, name)
				assert.Equal(t, comp, e.Parent)
				assert.Equal(t, "STANDARD", e.Inputs["type"])
				assert.Equal(t, arn, e.Inputs["principalArn"])
				assert.Equal(t, cfg.Cluster.Name, e.Inputs["clusterName"])
				assert.Equal(t, infra.BaseTags(offline.Project, tc.stack, cfg.Tags), strMap(e.Inputs["tags"]))

				a := one(t, rec, tAssoc, name+"-cluster-admin")
				assert.Equal(t, comp, a.Parent)
				assert.Equal(t, arn, a.Inputs["principalArn"])
				assert.Equal(t, cfg.Cluster.Name, a.Inputs["clusterName"])
				assert.Equal(t, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", a.Inputs["policyArn"])
				assert.Equal(t, map[string]any{"type": "cluster"}, a.Inputs["accessScope"])
				assert.Contains(t, a.Depends, e.URN, "the association is created after its entry (it takes the entry's principalArn output)")
			}
		})
	}

	// Removing the first of two admins keeps the second one's names, so its entry is not replaced.
	t.Run("stable names", func(t *testing.T) {
		t.Parallel()
		names := func(rec *offline.Recording) map[string]string {
			out := map[string]string{}
			for _, e := range adminEntries(rec) {
				out[str(e.Inputs["principalArn"])] = e.URN
			}
			return out
		}
		both, last := names(run(t, "dev", []string{first, second})), names(run(t, "dev", []string{second}))
		require.Contains(t, both, second)
		assert.Equal(t, both[second], last[second])
		assert.Len(t, last, 1)
	})
}

// taggable lists the AWS resource types of this stack that accept tags; every one must carry them.
var untaggable = []string{
	"aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
	"aws:ec2/tag:Tag", "aws:sqs/queuePolicy:QueuePolicy", "aws:cloudwatch/eventTarget:EventTarget",
	"aws:iam/rolePolicy:RolePolicy", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
	"aws:ecr/lifecyclePolicy:LifecyclePolicy", offline.TypeDashboard, "aws:sns/topicPolicy:TopicPolicy",
	"aws:sns/topicSubscription:TopicSubscription", "aws:kms/alias:Alias",
}

// accountWide lists the taggable types the stack creates for the whole account, which carry none
// of the stack's tags: the EC2 Spot service-linked role (TestKarpenterSpotServiceLinkedRole
// asserts it has no tags).
var accountWide = []string{typeServiceLinked}

func TestTagsAppliedEverywhere(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, stack string) {
		rec := stackRun(t, stack)
		cfg := stackConfig(t, stack)
		want := infra.BaseTags(offline.Project, stack, cfg.Tags)
		checked := 0
		for _, r := range rec.Resources {
			if r.StandIn || !r.Custom || !strings.HasPrefix(r.Type, "aws:") || slices.Contains(untaggable, r.Type) || slices.Contains(accountWide, r.Type) {
				continue
			}
			tags := strMap(r.Inputs["tags"])
			for k, v := range want {
				assert.Equal(t, v, tags[k], "%s %s: tag %s", r.Type, r.Name, k)
			}
			checked++
		}
		assert.Greater(t, checked, 10)
		assert.Equal(t, stack, want["eventscale:stack"])
		eks := one(t, rec, "eks:index:Cluster", "cluster-eks")
		assert.Equal(t, want, strMap(eks.Inputs["tags"]), "pulumi-eks tags its children")
	})
}

func TestInvalidConfigRegistersNothing(t *testing.T) {
	t.Parallel()
	raw, err := stacks.ReadStackFile(projectDir + "/Pulumi.dev.yaml")
	require.NoError(t, err)
	raw["eventscale:network"] = `{"vpcCidr":"10.0.0.0/8","azCount":1}`
	rec, err := offline.Run("dev", raw, offline.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `eventscale:network.vpcCidr must have a prefix length from /16 to /24`)
	assert.Contains(t, err.Error(), `eventscale:network.azCount must be from 2 to 6`)
	assert.Contains(t, err.Error(), "nothing was created")
	for _, r := range rec.Resources {
		assert.True(t, r.StandIn, "registered %s %s despite invalid config", r.Type, r.Name)
	}
	assert.Empty(t, rec.Invokes, "no provider calls either")
}

func TestTooFewZonesInRegion(t *testing.T) {
	t.Parallel()
	raw, err := stacks.ReadStackFile(projectDir + "/Pulumi.dev.yaml")
	require.NoError(t, err)
	rec, err := offline.Run("dev", raw, offline.Options{Zones: offline.DefaultZones("us-west-2")[:2]})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "eventscale:network.azCount is 3 but region us-west-2 has only 2 available zones EKS supports (us-west-2a (usw2-az1), us-west-2b (usw2-az2))")
	for _, r := range rec.Resources {
		assert.True(t, r.StandIn, "registered %s %s before failing", r.Type, r.Name)
	}
}

// zonesOf returns the zones of a lookup given as name, zone ID, name, zone ID, ...
func zonesOf(nameIDs ...string) []offline.Zone {
	var out []offline.Zone
	for i := 0; i+1 < len(nameIDs); i += 2 {
		out = append(out, offline.Zone{Name: nameIDs[i], ID: nameIDs[i+1]})
	}
	return out
}

// privateZones returns the availabilityZone input of each private subnet in zone order: the
// order of their CIDRs, which the stack carves in zone order (the mock records registrations in
// no fixed order).
func privateZones(t *testing.T, rec *offline.Recording) []string {
	t.Helper()
	var private []offline.Resource
	for _, s := range byType(rec, "aws:ec2/subnet:Subnet") {
		if strings.Contains(s.Name, "-private-") {
			private = append(private, s)
		}
	}
	addr := func(s offline.Resource) netip.Addr {
		p, err := netip.ParsePrefix(str(s.Inputs["cidrBlock"]))
		require.NoError(t, err, s.Name)
		return p.Addr()
	}
	slices.SortFunc(private, func(a, b offline.Resource) int { return addr(a).Compare(addr(b)) })
	var out []string
	for _, s := range private {
		out = append(out, str(s.Inputs["availabilityZone"]))
	}
	return out
}

// TestZonesEKSRefusesAreSkipped: in an account whose first us-east-1 zone is use1-az3, where
// EKS does not allow cluster subnets, the stack skips it; with the mock's default lookup (no
// such zone among the first three) it keeps the first three zones.
func TestZonesEKSRefusesAreSkipped(t *testing.T) {
	t.Parallel()
	raw, err := stacks.ReadStackFile(projectDir + "/Pulumi.prod.yaml")
	require.NoError(t, err)
	require.Equal(t, "us-east-1", raw[stacks.RegionKey])
	zones := zonesOf("us-east-1a", "use1-az3", "us-east-1b", "use1-az1", "us-east-1c", "use1-az2", "us-east-1d", "use1-az4")
	rec, err := offline.Run("prod", raw, offline.Options{Zones: zones})
	require.NoError(t, err)
	assert.Equal(t, []string{"us-east-1b", "us-east-1c", "us-east-1d"}, privateZones(t, rec))
	one(t, rec, "aws:ec2/subnet:Subnet", "network-private-us-east-1b")

	assert.Equal(t, []string{"us-east-1a", "us-east-1b", "us-east-1c"}, privateZones(t, stackRun(t, "prod")))
}

// TestExplicitZones: zones by name are used as given; zones by ID become this account's zone
// names, in the configured order, and the subnets take the name, as a stack choosing the same
// zones by name gets them; a named zone that is use1-az3 in this account fails before any
// resource is registered.
func TestExplicitZones(t *testing.T) {
	t.Parallel()
	raw, err := stacks.ReadStackFile(projectDir + "/Pulumi.dev.yaml")
	require.NoError(t, err)
	raw["eventscale:network"] = `{"azCount":2,"availabilityZones":["us-west-2b","us-west-2d"]}`
	rec, err := offline.Run("dev", raw, offline.Options{})
	require.NoError(t, err)
	one(t, rec, "aws:ec2/subnet:Subnet", "network-private-us-west-2d")
	assert.Equal(t, []string{"us-west-2b", "us-west-2d"}, privateZones(t, rec))
	assert.Len(t, byType(rec, "aws:ec2/subnet:Subnet"), 4)

	// In the mock's default us-west-2, usw2-az4 is us-west-2c and usw2-az1 us-west-2a.
	raw["eventscale:network"] = `{"azCount":2,"availabilityZoneIds":["usw2-az4","usw2-az1"]}`
	byID, err := offline.Run("dev", raw, offline.Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"us-west-2c", "us-west-2a"}, privateZones(t, byID))
	raw["eventscale:network"] = `{"azCount":2,"availabilityZones":["us-west-2c","us-west-2a"]}`
	byName, err := offline.Run("dev", raw, offline.Options{})
	require.NoError(t, err)
	for _, s := range byType(byID, "aws:ec2/subnet:Subnet") {
		assert.Equal(t, one(t, byName, s.Type, s.Name).Inputs, s.Inputs, "%s: the same inputs as by name", s.Name)
		assert.NotContains(t, s.Inputs, "availabilityZoneId", s.Name)
	}

	raw[stacks.RegionKey] = "us-east-1"
	raw["eventscale:network"] = `{"azCount":2,"availabilityZones":["us-east-1a","us-east-1b"]}`
	rec, err = offline.Run("dev", raw, offline.Options{Zones: zonesOf("us-east-1a", "use1-az3", "us-east-1b", "use1-az1", "us-east-1c", "use1-az2")})
	require.ErrorContains(t, err, `eventscale:network.availabilityZones[0] is "us-east-1a", in this account zone use1-az3, in which EKS does not allow cluster subnets`)
	for _, r := range rec.Resources {
		assert.True(t, r.StandIn, "registered %s %s before failing", r.Type, r.Name)
	}
}

// TestPulumiProjectFiles loads Pulumi.yaml and the stack files with Pulumi's own loaders (the
// ones `pulumi preview` uses), and checks that every config section is declared and described.
func TestPulumiProjectFiles(t *testing.T) {
	t.Parallel()
	proj, err := workspace.LoadProject(projectDir + "/Pulumi.yaml")
	require.NoError(t, err)
	assert.Equal(t, stacks.Namespace, string(proj.Name))
	assert.Equal(t, "go", proj.Runtime.Name())
	declared := map[string]bool{}
	for k, v := range proj.Config {
		declared[k] = true
		assert.NotEmpty(t, v.Description, "config key %s has no description", k)
		assert.True(t, slices.Contains(stacks.Sections(), k), "Pulumi.yaml declares %s, which the program does not read", k)
	}
	for _, s := range stacks.Sections() {
		assert.True(t, declared[s], "section %s is not declared in Pulumi.yaml", s)
	}
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	for _, stack := range stacktest.Names(t) {
		ps, err := workspace.LoadProjectStack(sink, proj, projectDir+"/Pulumi."+stack+".yaml")
		require.NoError(t, err, stack)
		for k := range ps.Config {
			if k.Namespace() == stacks.Namespace {
				assert.True(t, declared[k.Name()], "%s sets undeclared key %s", stack, k)
			}
		}
		_, hasRegion := ps.Config[mustKey(t, "aws:region")]
		assert.True(t, hasRegion, "%s must set aws:region", stack)
	}
}

func mustKey(t *testing.T, s string) config.Key {
	t.Helper()
	k, err := config.ParseKey(s)
	require.NoError(t, err)
	return k
}
