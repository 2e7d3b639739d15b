// Package workload provides the Workload component: a queue-driven worker on Karpenter's EC2
// nodes, scaled by KEDA on the depth of its SQS queue.
package workload

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/internal/component"
	"github.com/eventscale/eventscale/components/internal/kube"
	"github.com/eventscale/eventscale/components/internal/required"
	"github.com/eventscale/eventscale/infra"
)

// TypeToken is the Pulumi type of the Workload component.
const TypeToken = "eventscale:workload:Workload"

// Args configures a Workload: its settings (the `eventscale:workloads[]` entry), the queue
// section, and what comes from the stack and from other resources.
type Args struct {
	// WorkloadSettings are the workload's settings. Name names the ServiceAccount, Deployment and
	// ScaledObject ("<name>-aws" the TriggerAuthentication); Namespace (required, derived by the
	// stack when empty in config) is created for, and owned by, this workload and must not be a
	// Fargate namespace. Image is not read: ImageRef is the resolved image.
	infra.WorkloadSettings
	// Queue is the queue section: the worker's long-poll wait and visibility extension.
	Queue infra.QueueSettings
	// Region is the queue's region (the worker's AWS_REGION and the trigger's awsRegion).
	Region string

	// ImageRef is the worker image reference: Image, or the stack's repository at ImageTag.
	ImageRef pulumi.StringInput
	// QueueURL and QueueArn identify the workload's work queue.
	QueueURL pulumi.StringInput
	QueueArn pulumi.StringInput
	// OidcProviderArn and OidcProviderURL identify the cluster's IAM OIDC provider (URL with or without "https://").
	OidcProviderArn pulumi.StringInput
	OidcProviderURL pulumi.StringInput

	// Provider deploys the Kubernetes objects.
	Provider *kubernetes.Provider
	// DependsOn must exist before the KEDA custom resources: KEDA's Ready (the chart, which
	// installs their CRDs).
	DependsOn []pulumi.Resource
	// DependsOnObjects are more of what must exist first, known only as an output: KEDA's
	// ReadyObjects (its chart's objects). The KEDA objects depend on them too, so a destroy
	// deletes them while KEDA's operator, which holds their finalizers, still runs.
	DependsOnObjects pulumi.ResourceArrayInput
	// Tags go on the IAM role.
	Tags map[string]string
}

// kind is the Workload component's error prefix, type token and presence checks.
var kind = component.Kind[Args]{Name: "workload", Type: TypeToken, Check: (*Args).check}

// check adds a message for each value New needs that is missing (required fields, nil inputs), in a
// fixed order. Ranges and rules between fields are stacks.Validate's, which names the config key.
func (a *Args) check(c *required.Check) {
	c.Strings("Name", a.Name, "Namespace", a.Namespace, "Region", a.Region, "CPU", a.CPU, "Memory", a.Memory)
	c.Input("ImageRef", a.ImageRef)
	c.Input("QueueURL", a.QueueURL)
	c.Input("QueueArn", a.QueueArn)
	c.Input("OidcProviderArn", a.OidcProviderArn)
	c.Input("OidcProviderURL", a.OidcProviderURL)
	c.That(a.Provider != nil, "Provider is required")
	c.That(len(a.DependsOn) > 0, "DependsOn is required: the ScaledObject and TriggerAuthentication need KEDA's CRDs (KEDA's Ready)")
}

// Workload is a worker Deployment consuming its own SQS queue, scaled by KEDA from MinReplicas
// (0: scale to zero) to MaxReplicas on queue depth. Its pods run in a namespace no Fargate
// profile selects, so Karpenter launches EC2 nodes for them.
//
// Resources: iam.Role (IRSA, trusted for system:serviceaccount:<namespace>:<name>) + iam.RolePolicy
// (receive, delete, change visibility, get attributes on its queue only), and the Kubernetes objects
// built in infra: Namespace (Pod Security Standards restricted, enforced, audited and warned at
// infra.PodSecurityVersion), NetworkPolicy (every pod of the namespace: no ingress, egress only
// DNS to CoreDNS and HTTPS; infra.WorkloadNetworkPolicy), ServiceAccount (annotated with the
// role), Deployment (created with 0 replicas, which it then ignores: KEDA owns them; no
// Kubernetes API token mounted; it depends on the NetworkPolicy), TriggerAuthentication (pod identity, provider aws, identityOwner keda) and
// ScaledObject (trigger aws-sqs-queue). The two KEDA objects depend on DependsOn.
type Workload struct {
	pulumi.ResourceState

	// Namespace the workload runs in.
	Namespace pulumi.StringOutput `pulumi:"namespace"`
	// RoleArn is the workload's IRSA role.
	RoleArn pulumi.StringOutput `pulumi:"roleArn"`
	// ServiceAccount, Deployment and ScaledObject are the objects' names.
	ServiceAccount pulumi.StringOutput `pulumi:"serviceAccount"`
	Deployment     pulumi.StringOutput `pulumi:"deployment"`
	ScaledObject   pulumi.StringOutput `pulumi:"scaledObject"`
}

// New creates a Workload.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Workload, error) {
	comp, parent, err := component.New[Workload](ctx, kind, name, args, opts...)
	if err != nil {
		return nil, err
	}
	k8s := pulumi.Provider(args.Provider)

	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.All(args.OidcProviderArn, args.OidcProviderURL).ApplyT(func(v []any) string {
			return infra.IRSATrust(v[0].(string), v[1].(string), args.Namespace, args.Name).JSON()
		}).(pulumi.StringOutput),
		Description: pulumi.String("Workload " + args.Name + " (IRSA " + infra.ServiceAccountSubject(args.Namespace, args.Name) + "): consumes its SQS queue"),
		Tags:        pulumi.ToStringMap(args.Tags),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating workload role: %w", err)
	}
	policy, err := iam.NewRolePolicy(ctx, name+"-role-policy", &iam.RolePolicyArgs{
		Role: role.ID(),
		Policy: args.QueueArn.ToStringOutput().ApplyT(func(arn string) string {
			return infra.WorkloadPolicy(arn).JSON()
		}).(pulumi.StringOutput),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating workload role policy: %w", err)
	}

	var b kube.Bindings
	settings := infra.WorkloadObjectSettings{WorkloadSettings: args.WorkloadSettings, Queue: args.Queue, Region: args.Region}
	settings.Image = b.Bind(args.ImageRef)
	settings.QueueURL = b.Bind(args.QueueURL)
	settings.RoleArn = b.Bind(role.Arn)
	objs := infra.NewWorkloadObjects(settings)

	ns, err := kube.New(ctx, name+"-namespace", objs.Namespace, &b, parent, k8s)
	if err != nil {
		return nil, err
	}
	inNS := []pulumi.Resource{ns}
	// The namespace's default-deny policy exists before any pod of the workload does, so no
	// pod ever runs unrestricted.
	netpol, err := kube.New(ctx, name+"-network-policy", objs.NetworkPolicy, &b, parent, k8s, pulumi.DependsOn(inNS))
	if err != nil {
		return nil, err
	}
	sa, err := kube.New(ctx, name+"-service-account", objs.ServiceAccount, &b, parent, k8s, pulumi.DependsOn(inNS))
	if err != nil {
		return nil, err
	}
	// The pods start only once their service account and its role's permissions exist.
	//
	// The Deployment is created with 0 replicas and its count is ignored afterwards. On an update
	// the engine replaces an ignored input with the old one (pulumi/pkg/v3@v3.274.1
	// resource/deploy/step_generator.go, processIgnoreChanges) and passes the paths to the
	// provider's Update; the Kubernetes provider, in server-side apply mode (its default), reads
	// the live object and, for each ignored path, leaves the field out of the apply when another
	// field manager owns it and not Pulumi's, and otherwise sends the live value
	// (pulumi-kubernetes/provider/v4, pkg/await/await.go, handleSSAIgnoreFields: the same at
	// commit f47bc2d6f199, which the engine tier runs, and at v4.32.0, this SDK's release; read
	// 2026-12-07). The HPA's and KEDA's writes through the scale subresource take ownership of
	// spec.replicas from Pulumi (k8s.io/apimachinery@v0.35.4 pkg/util/managedfields/
	// scalehandler.go, ToParent), so an update after a scale sends no replicas and keeps their
	// count, and an update before any scale sends the live 0. Without the option the provider
	// would send 0 on every update: a conflict with the HPA's manager that fails the update, or
	// with pulumi.com/patchForce the count reset to 0.
	deploy, err := kube.New(ctx, name+"-deployment", objs.Deployment, &b, parent, k8s, pulumi.DependsOn([]pulumi.Resource{ns, netpol, sa, policy}),
		pulumi.IgnoreChanges([]string{infra.ReplicasPath}))
	if err != nil {
		return nil, err
	}
	kedaDeps := append(append([]pulumi.Resource{}, args.DependsOn...), ns)
	kedaOpts := []pulumi.ResourceOption{parent, k8s, pulumi.DependsOn(kedaDeps)}
	if args.DependsOnObjects != nil {
		kedaOpts = append(kedaOpts, pulumi.DependsOnInputs(args.DependsOnObjects))
	}
	ta, err := kube.New(ctx, name+"-trigger-auth", objs.TriggerAuthentication, &b, kedaOpts...)
	if err != nil {
		return nil, err
	}
	so, err := kube.New(ctx, name+"-scaled-object", objs.ScaledObject, &b, append(kedaOpts, pulumi.DependsOn([]pulumi.Resource{ta, deploy}))...)
	if err != nil {
		return nil, err
	}

	comp.Namespace = ns.Name
	comp.RoleArn = role.Arn
	comp.ServiceAccount = sa.Name
	comp.Deployment = deploy.Name
	comp.ScaledObject = so.Name
	return component.Finish(ctx, comp)
}
