package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/karpenter"
	"github.com/eventscale/eventscale/infra"
)

// deployKarpenter creates the Karpenter component and exports its outputs.
func deployKarpenter(ctx *pulumi.Context, e *env) error {
	// The component gets the section with the nodes' full tags.
	k := e.cfg.Karpenter
	k.NodeClass = KarpenterNodeClassSettings(e.cfg)
	kp, err := karpenter.New(ctx, "karpenter", &karpenter.Args{
		KarpenterSettings: k,
		ClusterName:       e.cluster.ClusterName,
		ClusterEndpoint:   e.cluster.Endpoint,
		OidcProviderArn:   e.cluster.OidcProviderArn,
		OidcProviderURL:   e.cluster.OidcProviderURL,
		Provider:          e.cluster.Provider,
		DependsOn:         e.cluster.Ready,
		Partition:         e.partition,
		Region:            e.cfg.Region,
		AccountID:         e.accountID,
		Tags:              e.tags,
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

// KarpenterNodeClassSettings are the EC2NodeClass settings of a configuration as the component
// gets them: the node class section with the nodes' full tags, the stack's tags (managed by
// Karpenter) and the node class's own. The verification tests use it to build the object a
// (possibly invalid) configuration would produce.
func KarpenterNodeClassSettings(cfg Config) infra.NodeClassSettings {
	n := cfg.Karpenter.NodeClass
	n.Tags = infra.KarpenterNodeTags(infra.BaseTags(cfg.Project, cfg.Stack, cfg.Tags), n.Tags)
	return n
}
