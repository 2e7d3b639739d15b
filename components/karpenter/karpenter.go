// Package karpenter provides the Karpenter component: the node autoscaler's IAM roles, its
// interruption queue and EventBridge rules, the Helm chart (controller on Fargate, IRSA), and
// the EC2NodeClass and NodePool that say which EC2 nodes it may launch.
package karpenter

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/internal/component"
	"github.com/eventscale/eventscale/components/internal/kube"
	"github.com/eventscale/eventscale/components/internal/required"
	"github.com/eventscale/eventscale/infra"
)

// TypeToken is the Pulumi type of the Karpenter component.
const TypeToken = "eventscale:karpenter:Karpenter"

// Args configures a Karpenter installation: its settings (the `eventscale:karpenter` section)
// and what comes from the stack and from other resources.
type Args struct {
	// KarpenterSettings are the controller's Namespace and ServiceAccount (the IRSA trust's subject
	// and the FlowSchemas' subject are derived from them; the component creates, and owns,
	// Namespace unless Kubernetes creates it itself, and adds FlowSchemas unless it is
	// kube-system), its replicas (leader-elected) and size, and the NodePool and NodeClass that
	// shape the nodes it launches. NodeClass.Tags are the nodes' full tags: the stack adds its
	// own (infra.KarpenterNodeTags).
	infra.KarpenterSettings

	// ClusterName, ClusterEndpoint, OidcProviderArn and OidcProviderURL come from the EKS cluster.
	// The URL may carry "https://"; it is stripped for the IRSA trust conditions.
	ClusterName     pulumi.StringInput
	ClusterEndpoint pulumi.StringInput
	OidcProviderArn pulumi.StringInput
	OidcProviderURL pulumi.StringInput
	// Provider deploys to the cluster; DependsOn must exist before pods in the controller's
	// (Fargate) namespace can run: the cluster's Ready (the Fargate profile and CoreDNS).
	Provider  *kubernetes.Provider
	DependsOn []pulumi.Resource

	// Partition, Region and AccountID scope the controller's IAM policies.
	Partition, Region, AccountID string

	// Tags go on every taggable AWS resource this component creates. The nodes' tags are
	// NodeClass.Tags.
	Tags map[string]string
}

// kind is the Karpenter component's error prefix, type token and presence checks.
var kind = component.Kind[Args]{Name: "karpenter", Type: TypeToken, Check: (*Args).check}

// check adds a message for each value New needs that is missing (required fields, nil inputs), in a
// fixed order. Ranges and rules between fields are stacks.Validate's, which names the config key.
func (a *Args) check(c *required.Check) {
	c.Input("ClusterName", a.ClusterName)
	c.Input("ClusterEndpoint", a.ClusterEndpoint)
	c.Input("OidcProviderArn", a.OidcProviderArn)
	c.Input("OidcProviderURL", a.OidcProviderURL)
	c.That(a.Provider != nil, "Provider is required: every Kubernetes object must go to the cluster")
	c.Strings("Partition", a.Partition, "Region", a.Region, "AccountID", a.AccountID,
		"Namespace", a.Namespace, "ServiceAccount", a.ServiceAccount,
		"ControllerCPU", a.ControllerCPU, "ControllerMemory", a.ControllerMemory,
		"NodePool.Name", a.NodePool.Name, "NodeClass.Name", a.NodeClass.Name,
		"NodeClass.AmiAlias", a.NodeClass.AmiAlias, "NodeClass.RootVolumeSize", a.NodeClass.RootVolumeSize,
		"ChartRepository", a.ChartRepository)
	c.That(len(a.NodePool.CapacityTypes) > 0 && len(a.NodePool.Architectures) > 0, "NodePool.CapacityTypes and NodePool.Architectures must not be empty")
}

// Karpenter is Karpenter v1 on an EKS cluster, its controller on Fargate with IRSA.
//
// Resources:
//   - iam.Role "<name>-node-role" (trusted by EC2) + 4 iam.RolePolicyAttachment of the AWS managed
//     node policies, and aws.eks.AccessEntry "<name>-node-access-entry" of type EC2_LINUX;
//   - sqs.Queue "<name>-interruption-queue" (retention 300 s, SSE-SQS) + sqs.QueuePolicy;
//   - 5 cloudwatch.EventRule + cloudwatch.EventTarget forwarding interruption events to the queue;
//   - iam.Role "<name>-controller-role" (IRSA) + 6 iam.Policy (the upstream managed policies)
//   - 6 iam.RolePolicyAttachment;
//   - kubernetes core/v1 Namespace "<name>-namespace", unless Namespace is one Kubernetes creates
//     itself (infra.SystemNamespaces; the default, kube-system, is never created, owned or
//     labelled), with the Pod Security Standards labels of infra.KarpenterPodSecurityLevel;
//   - outside kube-system, 2 flowcontrol.apiserver.k8s.io/v1 FlowSchema
//     "<name>-flowschema-{leader-election,workload}" (infra.KarpenterFlowSchemas);
//   - iam.ServiceLinkedRole "<name>-spot-service-linked-role" (AWSServiceRoleForEC2Spot, retained
//     on delete) when SpotServiceLinkedRoleWanted;
//   - helm/v4 Chart "<name>" (release "karpenter", with CRDs);
//   - karpenter.k8s.aws/v1 EC2NodeClass and karpenter.sh/v1 NodePool.
//
// The Kubernetes objects (Namespace, FlowSchemas, EC2NodeClass, NodePool) are built in infra and
// registered through components/internal/kube, like every other component's.
//
// Order: the chart waits for the cluster's system pods, the namespace and FlowSchemas (when
// created) and the controller's permissions; the EC2NodeClass waits for the chart (its CRDs and
// controller) and the node role's access; the NodePool waits for the EC2NodeClass and the spot
// service-linked role (when created). Pulumi destroys in reverse, so the NodePool and the
// EC2NodeClass go while the controller can still terminate their nodes.
type Karpenter struct {
	pulumi.ResourceState

	// ControllerRoleArn is the controller's IRSA role.
	ControllerRoleArn pulumi.StringOutput `pulumi:"controllerRoleArn"`
	// NodeRoleName and NodeRoleArn identify the role of the nodes Karpenter launches.
	NodeRoleName pulumi.StringOutput `pulumi:"nodeRoleName"`
	NodeRoleArn  pulumi.StringOutput `pulumi:"nodeRoleArn"`
	// InterruptionQueueName and InterruptionQueueArn identify the interruption queue.
	InterruptionQueueName pulumi.StringOutput `pulumi:"interruptionQueueName"`
	InterruptionQueueArn  pulumi.StringOutput `pulumi:"interruptionQueueArn"`
	// NodePoolName and NodeClassName name the NodePool and EC2NodeClass objects.
	NodePoolName  pulumi.StringOutput `pulumi:"nodePoolName"`
	NodeClassName pulumi.StringOutput `pulumi:"nodeClassName"`
	// Namespace the controller runs in.
	Namespace pulumi.StringOutput `pulumi:"namespace"`

	// Ready is what must exist before pods can get Karpenter's EC2 nodes (the NodePool).
	Ready []pulumi.Resource `pulumi:"-"`
}

// New creates Karpenter.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Karpenter, error) {
	comp, parent, err := component.New[Karpenter](ctx, kind, name, args, opts...)
	if err != nil {
		return nil, err
	}
	tags := pulumi.ToStringMap(args.Tags)

	// Node role: what the instances run as. Karpenter creates their instance profiles itself.
	nodeRole, err := iam.NewRole(ctx, name+"-node-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(infra.KarpenterNodeTrust(args.Partition).JSON()),
		Description:      pulumi.String("Nodes launched by Karpenter"),
		Tags:             tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating karpenter node role: %w", err)
	}
	nodeAccess := []pulumi.Resource{}
	for _, p := range infra.KarpenterNodeManagedPolicies(args.NodeClass.SSMManagedInstanceCore) {
		att, err := iam.NewRolePolicyAttachment(ctx, name+"-node-role-"+p.Key, &iam.RolePolicyAttachmentArgs{
			Role:      nodeRole.Name,
			PolicyArn: pulumi.String(infra.ManagedPolicyArn(args.Partition, p.Name)),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("attaching %s to the karpenter node role: %w", p.Name, err)
		}
		nodeAccess = append(nodeAccess, att)
	}
	entry, err := awseks.NewAccessEntry(ctx, name+"-node-access-entry", &awseks.AccessEntryArgs{
		ClusterName:  args.ClusterName,
		PrincipalArn: nodeRole.Arn,
		Type:         pulumi.String("EC2_LINUX"),
		Tags:         tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating the EKS access entry of the karpenter node role: %w", err)
	}
	nodeAccess = append(nodeAccess, entry)

	// The account's EC2 Spot service-linked role, when the settings ask for it (by default when
	// the NodePool allows spot): EC2 refuses Karpenter's first spot launch in an account without
	// it, and the controller's policy may not create it (infra.SpotServiceLinkedRoleName). It is
	// the account's, not the stack's: retained on delete, as other stacks and other users of spot
	// in the account rely on it once it exists (and IAM fails its deletion while the service
	// still uses it), and untagged, as the stack's tags would claim it. It exists once per
	// account: where it does, its creation fails, and the stack sets
	// KarpenterSettings.CreateSpotServiceLinkedRole false or imports it (README).
	var nodePoolDeps []pulumi.Resource
	if args.SpotServiceLinkedRoleWanted() {
		spotRole, err := iam.NewServiceLinkedRole(ctx, name+"-spot-service-linked-role", &iam.ServiceLinkedRoleArgs{
			AwsServiceName: pulumi.String(infra.SpotServiceName),
		}, parent, pulumi.RetainOnDelete(true))
		if err != nil {
			return nil, fmt.Errorf("creating the EC2 Spot service-linked role: %w", err)
		}
		nodePoolDeps = append(nodePoolDeps, spotRole)
	}

	// Interruption queue and the rules that feed it.
	queue, err := sqs.NewQueue(ctx, name+"-interruption-queue", &sqs.QueueArgs{
		MessageRetentionSeconds: pulumi.Int(300),
		SqsManagedSseEnabled:    pulumi.Bool(true),
		Tags:                    tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating karpenter interruption queue: %w", err)
	}
	queuePolicy, err := sqs.NewQueuePolicy(ctx, name+"-interruption-queue-policy", &sqs.QueuePolicyArgs{
		QueueUrl: queue.Url,
		Policy: queue.Arn.ApplyT(func(arn string) string {
			return infra.KarpenterInterruptionQueuePolicy(arn).JSON()
		}).(pulumi.StringOutput),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating karpenter interruption queue policy: %w", err)
	}
	for _, r := range infra.KarpenterInterruptionRules {
		rule, err := cloudwatch.NewEventRule(ctx, name+"-"+r.Key, &cloudwatch.EventRuleArgs{
			Description:  pulumi.String(r.Description()),
			EventPattern: pulumi.String(r.EventPattern()),
			Tags:         tags,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating karpenter event rule %s: %w", r.Key, err)
		}
		if _, err := cloudwatch.NewEventTarget(ctx, name+"-"+r.Key, &cloudwatch.EventTargetArgs{
			Rule:     rule.Name,
			Arn:      queue.Arn,
			TargetId: pulumi.String("KarpenterInterruptionQueueTarget"),
		}, parent, pulumi.DependsOn([]pulumi.Resource{queuePolicy})); err != nil {
			return nil, fmt.Errorf("creating karpenter event target %s: %w", r.Key, err)
		}
	}

	// Controller role (IRSA) and its policies.
	trust := pulumi.All(args.OidcProviderArn, args.OidcProviderURL).ApplyT(func(v []any) string {
		return infra.IRSATrust(v[0].(string), v[1].(string), args.Namespace, args.ServiceAccount).JSON()
	}).(pulumi.StringOutput)
	controllerRole, err := iam.NewRole(ctx, name+"-controller-role", &iam.RoleArgs{
		AssumeRolePolicy: trust,
		Description:      pulumi.String("Karpenter controller (IRSA: " + infra.ServiceAccountSubject(args.Namespace, args.ServiceAccount) + ")"),
		Tags:             tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating karpenter controller role: %w", err)
	}
	policies := pulumi.All(args.ClusterName, nodeRole.Arn, queue.Arn).ApplyT(func(v []any) ([]string, error) {
		scope := infra.KarpenterScope{
			Partition: args.Partition, Region: args.Region, AccountID: args.AccountID,
			ClusterName: v[0].(string), NodeRoleArn: v[1].(string), InterruptionQueueArn: v[2].(string),
		}
		if err := scope.Validate(); err != nil {
			return nil, err
		}
		var docs []string
		for _, p := range infra.KarpenterControllerPolicies(scope) {
			docs = append(docs, p.Document.JSON())
		}
		return docs, nil
	}).(pulumi.StringArrayOutput)
	controllerAccess := []pulumi.Resource{}
	// An empty scope: only the names and order of the documents are used here.
	for i, p := range infra.KarpenterControllerPolicies(infra.KarpenterScope{}) {
		policy, err := iam.NewPolicy(ctx, name+"-controller-"+p.Key, &iam.PolicyArgs{
			Description: pulumi.String(infra.KarpenterControllerPolicyDescription(p.Name)),
			Policy:      policies.Index(pulumi.Int(i)),
			Tags:        tags,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating karpenter controller policy %s: %w", p.Name, err)
		}
		att, err := iam.NewRolePolicyAttachment(ctx, name+"-controller-"+p.Key, &iam.RolePolicyAttachmentArgs{
			Role:      controllerRole.Name,
			PolicyArn: policy.Arn,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("attaching karpenter controller policy %s: %w", p.Name, err)
		}
		controllerAccess = append(controllerAccess, att)
	}

	// The controller's namespace (selected by the cluster's Fargate profile): created only when
	// it is not one Kubernetes creates itself. Owning kube-system (the default) would delete it,
	// and every system pod, on `pulumi destroy`. A namespace the stack creates is labelled with
	// the strictest Pod Security Standards level the chart's pods pass.
	k8s := pulumi.Provider(args.Provider)
	namespace := pulumi.String(args.Namespace).ToStringOutput()
	chartDeps := []pulumi.Resource{}
	if !infra.IsSystemNamespace(args.Namespace) {
		ns, err := kube.New(ctx, name+"-namespace", infra.NewKubeNamespace(args.Namespace, infra.PodSecurityLabels(infra.KarpenterPodSecurityLevel)), nil, parent, k8s)
		if err != nil {
			return nil, fmt.Errorf("creating karpenter namespace: %w", err)
		}
		namespace = ns.Name
		chartDeps = append(chartDeps, ns)
	}
	// Outside kube-system the API server's built-in FlowSchemas do not prioritise the
	// controller: add upstream's two. The chart waits for them, so the controller's first
	// leader election already runs at "leader-election" priority, and on destroy they go
	// only after the controller, which still needs the API while it terminates its nodes.
	if infra.KarpenterNeedsFlowSchemas(args.Namespace) {
		for _, fs := range infra.KarpenterFlowSchemas(args.Namespace, args.ServiceAccount) {
			obj, err := kube.New(ctx, name+"-flowschema-"+strings.TrimPrefix(fs.Metadata.Name, "karpenter-"), fs, nil, parent, k8s)
			if err != nil {
				return nil, fmt.Errorf("creating karpenter FlowSchema %s: %w", fs.Metadata.Name, err)
			}
			chartDeps = append(chartDeps, obj)
		}
	}
	values := pulumi.All(args.ClusterName, args.ClusterEndpoint, queue.Name, controllerRole.Arn).ApplyT(func(v []any) map[string]any {
		return infra.KarpenterChartValues(infra.KarpenterChartSettings{
			KarpenterSettings:     args.KarpenterSettings,
			ClusterName:           v[0].(string),
			ClusterEndpoint:       v[1].(string),
			InterruptionQueueName: v[2].(string),
			ControllerRoleArn:     v[3].(string),
			Region:                args.Region,
		})
	}).(pulumi.MapOutput)
	chartDeps = append(append(chartDeps, args.DependsOn...), controllerAccess...)
	src := infra.NewHelmChartSource(args.ChartRepository, infra.KarpenterChartName)
	chart, err := helmv4.NewChart(ctx, name, &helmv4.ChartArgs{
		Chart:          pulumi.String(src.Chart),
		RepositoryOpts: kube.ChartRepositoryOpts(src),
		Version:        pulumi.String(infra.KarpenterVersion),
		Name:           pulumi.String(infra.KarpenterReleaseName),
		Namespace:      namespace,
		Values:         values,
	}, parent, k8s, pulumi.DependsOn(chartDeps))
	if err != nil {
		return nil, fmt.Errorf("creating karpenter chart: %w", err)
	}
	// Depend on the chart and on each object it renders: a dependency on the remote component alone
	// does not order deletions against its children, and the controller Deployment must outlive
	// the NodePool and EC2NodeClass so it can terminate their nodes.
	chartObjects := kube.ChartObjects(chart.Resources)

	// EC2NodeClass, then NodePool. The node class names the node role and the cluster, bound as
	// outputs at their leaves.
	var bind kube.Bindings
	nodeClass, err := kube.New(ctx, name+"-nodeclass",
		infra.EC2NodeClassObject(args.NodeClass, bind.Bind(nodeRole.Name), bind.Bind(args.ClusterName)), &bind,
		parent, k8s, pulumi.DependsOn(append([]pulumi.Resource{chart}, nodeAccess...)), pulumi.DependsOnInputs(chartObjects))
	if err != nil {
		return nil, fmt.Errorf("creating karpenter EC2NodeClass: %w", err)
	}
	// The NodePool also waits for the spot role (when created): Karpenter launches nothing
	// without a NodePool, so no spot launch comes before the role.
	nodePool, err := kube.New(ctx, name+"-nodepool", infra.NodePoolObject(args.NodePool, args.NodeClass.Name), nil,
		parent, k8s, pulumi.DependsOn(append([]pulumi.Resource{chart, nodeClass}, nodePoolDeps...)), pulumi.DependsOnInputs(chartObjects))
	if err != nil {
		return nil, fmt.Errorf("creating karpenter NodePool: %w", err)
	}

	comp.ControllerRoleArn = controllerRole.Arn
	comp.NodeRoleName = nodeRole.Name
	comp.NodeRoleArn = nodeRole.Arn
	comp.InterruptionQueueName = queue.Name
	comp.InterruptionQueueArn = queue.Arn
	comp.NodePoolName = nodePool.Name
	comp.NodeClassName = nodeClass.Name
	comp.Namespace = namespace
	comp.Ready = []pulumi.Resource{nodePool}
	return component.Finish(ctx, comp)
}
