package tests

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventscale/eventscale/components/network"
	"github.com/eventscale/eventscale/components/registry"
	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
)

const (
	typeLogGroup        = "aws:cloudwatch/logGroup:LogGroup"
	typeFlowLog         = "aws:ec2/flowLog:FlowLog"
	typeVpc             = "aws:ec2/vpc:Vpc"
	typeSubnet          = "aws:ec2/subnet:Subnet"
	typeLifecyclePolicy = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
)

// TestNetworkFlowLogs: each shipped stack records its VPC's traffic into a log group of its own
// with the configured retention, through a role only this account's flow logs may assume and
// that may write to that group only; flowLogs.enabled false creates none of them.
func TestNetworkFlowLogs(t *testing.T) {
	t.Parallel()
	forEachPipelineCase(t, func(t *testing.T, r pipelineRun) {
		f := r.cfg.Network.FlowLogs
		require.True(t, f.Enabled, "flow logs are on in every shipped stack")
		region, acct := r.cfg.Region, offline.AccountID
		group := r.one(t, typeLogGroup, "network-flow-log-group")
		groupName := "/aws/vpc-flow-log/" + r.cfg.Cluster.Name
		assert.Equal(t, groupName, group.Inputs["name"])
		assert.Equal(t, int64(f.RetentionDays), group.Inputs["retentionInDays"])

		role := r.one(t, typeRole, "network-flow-log-role")
		trust := decodePolicy(t, role.Inputs["assumeRolePolicy"])
		require.Len(t, trust.Statement, 1)
		assert.Equal(t, map[string]any{"Service": "vpc-flow-logs.amazonaws.com"}, trust.Statement[0].Principal)
		assert.Equal(t, map[string]map[string]any{
			"StringEquals": {"aws:SourceAccount": acct},
			"ArnLike":      {"aws:SourceArn": fmt.Sprintf("arn:aws:ec2:%s:%s:vpc-flow-log/*", region, acct)},
		}, trust.Statement[0].Condition, "the confused-deputy guard")

		policy := r.one(t, typeRolePolicy, "network-flow-log-policy")
		doc := decodePolicy(t, policy.Inputs["policy"])
		require.Len(t, doc.Statement, 1)
		groupArn := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", region, acct, groupName)
		assert.Equal(t, []string{groupArn, groupArn + ":*"}, doc.Statement[0].Resource, "that log group and its streams only")
		assert.ElementsMatch(t, []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"}, doc.Statement[0].Action)
		assert.Equal(t, role.ID, policy.Inputs["role"], "on the flow log's role")

		fl := r.one(t, typeFlowLog, "network-flow-log")
		vpc := r.one(t, typeVpc, "network-vpc")
		assert.Equal(t, vpc.ID, fl.Inputs["vpcId"])
		assert.Equal(t, f.TrafficType, fl.Inputs["trafficType"])
		assert.Equal(t, "ALL", fl.Inputs["trafficType"])
		assert.Equal(t, "cloud-watch-logs", fl.Inputs["logDestinationType"])
		assert.Equal(t, groupArn, fl.Inputs["logDestination"])
		assert.Equal(t, fmt.Sprintf("arn:aws:iam::%s:role/%s", acct, offline.AutoName(role.Name)), fl.Inputs["iamRoleArn"])
	})
	off := runPipelineCase(t, pipelineCase{name: "flow-logs-off", stack: "dev", edits: map[string]string{"eventscale:network": `{"flowLogs":{"enabled":false}}`}})
	assert.Empty(t, byType(off.rec, typeFlowLog))
	for _, g := range byType(off.rec, typeLogGroup) {
		assert.NotEqual(t, "network-flow-log-group", g.Name, "flow logs off still creates their log group")
	}
	for _, r := range byType(off.rec, typeRole) {
		assert.NotEqual(t, "network-flow-log-role", r.Name)
	}
}

// TestNetworkProtect: network.protect (prod) protects the VPC, every subnet and the flow-log
// group, and nothing else of the network; dev protects none.
func TestNetworkProtect(t *testing.T) {
	t.Parallel()
	forEachPipelineCase(t, func(t *testing.T, r pipelineRun) {
		comp := r.one(t, network.TypeToken, "network")
		want := map[string]bool{"network-vpc": true, "network-flow-log-group": true}
		for _, az := range r.zones(t) {
			want["network-private-"+az], want["network-public-"+az] = true, true
		}
		kept := map[string]bool{}
		for _, c := range r.children(comp.URN) {
			if c.Protect {
				kept[c.Name] = true
			}
		}
		if r.cfg.Network.Protect {
			assert.Equal(t, want, kept, "%s: network.protect", r.rec.Stack)
		} else {
			assert.Empty(t, kept, "%s: nothing protected", r.rec.Stack)
		}
	})
	prod := runPipelineCase(t, pipelineCases[1])
	assert.True(t, prod.cfg.Network.Protect, "Pulumi.prod.yaml sets network.protect")
}

// zones are the availability zones the run's subnets are in.
func (r pipelineRun) zones(t *testing.T) []string {
	t.Helper()
	var zones []string
	for _, s := range byType(r.rec, typeSubnet) {
		if z := str(s.Inputs["availabilityZone"]); s.Inputs["mapPublicIpOnLaunch"] == nil {
			zones = append(zones, z)
		}
	}
	require.NotEmpty(t, zones)
	return zones
}

// TestImageRepositoryComponent: the repository is a child of the registry component, keeps its
// resource name and aliases its former URN (top level, no parent), so an existing stack adopts
// it instead of replacing it; its lifecycle policy expires untagged images after
// untaggedExpiryDays and keeps keepTaggedImages tagged ones.
func TestImageRepositoryComponent(t *testing.T) {
	t.Parallel()
	forEachPipelineCase(t, func(t *testing.T, r pipelineRun) {
		if len(byType(r.rec, typeECRRepo)) == 0 {
			return // every workload names its image
		}
		comp := r.one(t, registry.TypeToken, "worker-images")
		repo := r.one(t, typeECRRepo, "worker-images")
		assert.Equal(t, comp.URN, repo.Parent)
		assert.Equal(t, []string{fmt.Sprintf("urn:pulumi:%s::%s::aws:ecr/repository:Repository::worker-images", r.rec.Stack, offline.Project)}, repo.Aliases,
			"the URN the repository had before it had a parent")
		assert.NotEqual(t, repo.URN, repo.Aliases[0])

		lp := r.one(t, typeLifecyclePolicy, "worker-images-lifecycle-policy")
		assert.Equal(t, comp.URN, lp.Parent)
		assert.Equal(t, repo.Inputs["name"], lp.Inputs["repository"])
		assert.JSONEq(t, fmt.Sprintf(`{"rules":[
			{"rulePriority":1,"description":"Expire untagged images pushed more than untaggedExpiryDays ago",
			 "selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":%d},"action":{"type":"expire"}},
			{"rulePriority":2,"description":"Keep the keepTaggedImages most recently pushed tagged images",
			 "selection":{"tagStatus":"tagged","tagPatternList":["*"],"countType":"imageCountMoreThan","countNumber":%d},"action":{"type":"expire"}}]}`,
			r.cfg.Registry.UntaggedExpiryDays, r.cfg.Registry.KeepTaggedImages), str(lp.Inputs["policy"]))
	})
	dev, prod := runPipelineCase(t, pipelineCases[0]), runPipelineCase(t, pipelineCases[1])
	assert.Equal(t, infra.MutableTags, dev.cfg.Registry.ImageTagMutability, "Pulumi.dev.yaml: dev may push a rebuilt worker under the same tag")
	assert.True(t, dev.cfg.Registry.ForceDelete)
	assert.Equal(t, infra.ImmutableTags, prod.cfg.Registry.ImageTagMutability, "prod: the IMMUTABLE default")
	assert.False(t, prod.cfg.Registry.ForceDelete)
	assert.Equal(t, "IMMUTABLE", prod.one(t, typeECRRepo, "worker-images").Inputs["imageTagMutability"])
}
