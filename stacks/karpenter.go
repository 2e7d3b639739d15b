package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/karpenter"
	"github.com/eventscale/eventscale/infra"
)

// deployKarpenter creates the Karpenter component and exports its outputs.
func deployKarpenter(ctx *pulumi.Context, e *env) error {
	k := e.cfg.Karpenter
	kp, err := karpenter.New(ctx, "karpenter", &karpenter.Args{
		ClusterName:      e.cluster.ClusterName,
		ClusterEndpoint:  e.cluster.Endpoint,
		OidcProviderArn:  e.cluster.OidcProviderArn,
		OidcProviderURL:  e.cluster.OidcProviderURL,
		Provider:         e.cluster.Provider,
		DependsOn:        e.cluster.Ready,
		Partition:        e.partition,
		Region:           e.cfg.Region,
		AccountID:        e.accountID,
		Namespace:        k.Namespace,
		ServiceAccount:   k.ServiceAccount,
		Replicas:         k.Replicas,
		ControllerCPU:    k.ControllerCPU,
		ControllerMemory: k.ControllerMemory,
		NodePool:         KarpenterNodePoolSettings(e.cfg),
		NodeClass:        KarpenterNodeClassSettings(e.cfg),
		Tags:             e.tags,
	})
	if err != nil {
		return err
	}
	ctx.Export("karpenterControllerRoleArn", kp.ControllerRoleArn)
	ctx.Export("karpenterNodeRoleName", kp.NodeRoleName)
	ctx.Export("karpenterInterruptionQueueName", kp.InterruptionQueueName)
	ctx.Export("karpenterNodePoolName", kp.NodePoolName)
	ctx.Export("karpenterNodeClassName", kp.NodeClassName)
	return nil
}

// KarpenterNodePoolSettings are the NodePool settings of a configuration. The verification tests
// use it to build the object a (possibly invalid) configuration would produce.
func KarpenterNodePoolSettings(cfg Config) infra.NodePoolSettings {
	p := cfg.Karpenter.NodePool
	return infra.NodePoolSettings{
		Name:                          p.Name,
		CapacityTypes:                 p.CapacityTypes,
		Architectures:                 p.Architectures,
		InstanceTypes:                 p.InstanceTypes,
		InstanceCategories:            p.InstanceCategories,
		InstanceGenerationGreaterThan: p.InstanceGenerationGreaterThan,
		MaxInstanceCPU:                p.MaxInstanceCPU,
		LimitCPU:                      p.LimitCPU,
		LimitMemory:                   p.LimitMemory,
		ConsolidationPolicy:           p.ConsolidationPolicy,
		ConsolidateAfter:              p.ConsolidateAfter,
		ExpireAfter:                   p.ExpireAfter,
		DisruptionBudgetNodes:         p.DisruptionBudgetNodes,
	}
}

// KarpenterNodeClassSettings are the EC2NodeClass settings of a configuration; the nodes get the
// stack's tags (managed by Karpenter) and the node class's own tags.
func KarpenterNodeClassSettings(cfg Config) infra.NodeClassSettings {
	n := cfg.Karpenter.NodeClass
	return infra.NodeClassSettings{
		Name:           n.Name,
		AmiAlias:       n.AmiAlias,
		RootVolumeSize: n.RootVolumeSize,
		Tags:           infra.KarpenterNodeTags(infra.BaseTags(cfg.Project, cfg.Stack, cfg.Tags), n.Tags),
	}
}
