package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/cluster"
	"github.com/eventscale/eventscale/components/network"
	"github.com/eventscale/eventscale/infra"
)

// Run is the program `pulumi up` runs: it reads the configuration the engine passed (see
// EngineConfig) and deploys the stack.
func Run(ctx *pulumi.Context) error {
	raw, err := EngineConfig(ctx)
	if err != nil {
		return err
	}
	return Program(raw)(ctx)
}

// EngineConfig returns the stack configuration the Pulumi engine handed to the program, read the
// way the SDK hands it to a compiled program (`pulumi up` through the Go language host) and to an
// inline one (the Automation API) alike: ctx.GetConfig, for every key the program reads (its
// sections and RegionKey).
//
// The SDK offers a program no way to list its configuration, and the engine does not refuse a
// key the project does not declare. So that a mistyped section is still refused by name, the
// keys of this project's namespace that the program does not know are also taken from the whole
// map where the engine passes it in the environment (PULUMI_CONFIG, compiled programs); an
// inline program does not receive that variable, and there a mistyped section is only absent.
func EngineConfig(ctx *pulumi.Context) (map[string]string, error) {
	raw := map[string]string{}
	for _, k := range append(prefixed(sections), RegionKey) {
		if v, ok := ctx.GetConfig(k); ok {
			raw[k] = v
		}
	}
	if s := os.Getenv(pulumi.EnvConfig); s != "" {
		all := map[string]string{}
		if err := json.Unmarshal([]byte(s), &all); err != nil {
			return nil, fmt.Errorf("reading %s from the Pulumi engine: %w", pulumi.EnvConfig, err)
		}
		for k, v := range all {
			if _, read := raw[k]; !read && strings.HasPrefix(k, Namespace+":") {
				raw[k] = v
			}
		}
	}
	return raw, nil
}

// Program returns the stack's program for a given raw configuration. Tests and the offline plan
// call it with a stack file's config on the mocked resource monitor; Run calls it with the engine's.
// An invalid configuration fails before any resource is registered.
func Program(raw map[string]string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		cfg, err := Load(raw, ctx.Project(), ctx.Stack())
		if err != nil {
			return fmt.Errorf("invalid configuration of stack %q (nothing was created):\n%w", ctx.Stack(), err)
		}
		for _, w := range cfg.Warnings(time.Now()) {
			if err := ctx.Log.Warn(w, nil); err != nil {
				return fmt.Errorf("logging a warning: %w", err)
			}
		}
		return Deploy(ctx, cfg)
	}
}

// env is what every part of the stack shares: the validated config, the account facts and
// the components already created.
//
// Ordering between components has one name on each side: a component exposes Ready, what must
// exist before others may use it (the cluster's Fargate profile and CoreDNS, KEDA's chart, the
// NodePool), and an Args takes DependsOn, what must exist before the component's own resources.
// DependsOn is the name of the pulumi.DependsOn option it feeds, so the wiring reads
// `DependsOn: e.cluster.Ready`.
type env struct {
	cfg       Config
	partition string
	accountID string
	tags      map[string]string
	network   *network.Network
	cluster   *cluster.Cluster
}

// Deploy creates the whole platform for a validated Config and exports the stack outputs.
func Deploy(ctx *pulumi.Context, cfg Config) error {
	part, err := aws.GetPartition(ctx, nil)
	if err != nil {
		return fmt.Errorf("looking up the AWS partition: %w", err)
	}
	ident, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return fmt.Errorf("looking up the AWS account: %w", err)
	}
	zones, err := availabilityZones(ctx, cfg)
	if err != nil {
		return err
	}
	private, public := cfg.Network.PrivateSubnetCidrs, cfg.Network.PublicSubnetCidrs
	if len(private) == 0 || len(public) == 0 {
		p, q, err := infra.SubnetPlan(cfg.Network.VpcCidr, cfg.Network.AzCount, cfg.Network.PrivateSubnetPrefixLength, cfg.Network.PublicSubnetPrefixLength)
		if err != nil {
			return fmt.Errorf("planning subnets: %w", err)
		}
		if len(private) == 0 {
			private = p
		}
		if len(public) == 0 {
			public = q
		}
	}
	e := &env{cfg: cfg, partition: part.Partition, accountID: ident.AccountId, tags: infra.BaseTags(cfg.Project, cfg.Stack, cfg.Tags)}

	// The network component gets the section with its zones and subnets resolved.
	net := cfg.Network
	net.AvailabilityZones, net.PrivateSubnetCidrs, net.PublicSubnetCidrs = zones, private, public
	net.AvailabilityZoneIds = nil // resolved to names in AvailabilityZones
	e.network, err = network.New(ctx, "network", &network.Args{
		NetworkSettings: net,
		Tags:            e.tags,
		Partition:       e.partition,
		Region:          cfg.Region,
		AccountID:       e.accountID,
		ClusterName:     cfg.Cluster.Name,
	})
	if err != nil {
		return err
	}
	e.cluster, err = cluster.New(ctx, "cluster", &cluster.Args{
		ClusterSettings:  cfg.Cluster,
		Fargate:          cfg.Fargate,
		VpcID:            e.network.VpcID,
		PrivateSubnetIDs: e.network.PrivateSubnetIDs,
		Partition:        e.partition,
		Region:           cfg.Region,
		AccountID:        e.accountID,
		Tags:             e.tags,
	})
	if err != nil {
		return err
	}

	if err := deployKarpenter(ctx, e); err != nil {
		return err
	}
	if err := deployPipeline(ctx, e); err != nil {
		return err
	}

	ctx.Export("programVersion", pulumi.String(Version))
	ctx.Export("region", pulumi.String(cfg.Region))
	ctx.Export("vpcId", e.network.VpcID)
	ctx.Export("privateSubnetIds", e.network.PrivateSubnetIDs)
	ctx.Export("publicSubnetIds", e.network.PublicSubnetIDs)
	ctx.Export("clusterName", e.cluster.ClusterName)
	ctx.Export("clusterEndpoint", e.cluster.Endpoint)
	ctx.Export("oidcProviderArn", e.cluster.OidcProviderArn)
	ctx.Export("oidcProviderUrl", e.cluster.OidcProviderURL)
	ctx.Export("clusterSecurityGroupId", e.cluster.ClusterSecurityGroupID)
	ctx.Export("kubeconfig", e.cluster.Kubeconfig)
	return nil
}
