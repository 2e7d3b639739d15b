// Package keda provides the Keda component: KEDA installed from its Helm chart on Fargate, with
// an IRSA role that lets the operator read the depth of the work queues.
package keda

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/internal/component"
	"github.com/eventscale/eventscale/components/internal/kube"
	"github.com/eventscale/eventscale/components/internal/required"
	"github.com/eventscale/eventscale/infra"
)

// TypeToken is the Pulumi type of the Keda component.
const TypeToken = "eventscale:keda:Keda"

// Args configures Keda: its settings (the `eventscale:keda` section) and what comes from the
// stack and from other resources.
type Args struct {
	// KedaSettings are KEDA's namespace (the Fargate profile must select it), operator replicas
	// and the pods' CPU and memory (requests = limits, Fargate sizing).
	infra.KedaSettings
	// ClusterName is reported by KEDA in its events.
	ClusterName string
	// OidcProviderArn and OidcProviderURL identify the cluster's IAM OIDC provider (the URL with or
	// without "https://").
	OidcProviderArn pulumi.StringInput
	OidcProviderURL pulumi.StringInput
	// QueueArns are the work queues whose depth KEDA may read (sqs:GetQueueAttributes only).
	QueueArns []pulumi.StringInput
	// Provider deploys the namespace and the chart.
	Provider *kubernetes.Provider
	// DependsOn must exist before KEDA's pods can run: the cluster's Ready (the Fargate profile
	// and CoreDNS).
	DependsOn []pulumi.Resource
	// Tags go on the IAM role.
	Tags map[string]string
}

// kind is the Keda component's error prefix, type token and presence checks.
var kind = component.Kind[Args]{Name: "keda", Type: TypeToken, Check: (*Args).check}

// check adds a message for each value New needs that is missing (required fields, nil inputs), in a
// fixed order. Ranges and rules between fields are stacks.Validate's, which names the config key.
func (a *Args) check(c *required.Check) {
	c.Strings("Namespace", a.Namespace, "ClusterName", a.ClusterName,
		"OperatorCPU", a.OperatorCPU, "OperatorMemory", a.OperatorMemory,
		"MetricsServerCPU", a.MetricsServerCPU, "MetricsServerMemory", a.MetricsServerMemory,
		"WebhooksCPU", a.WebhooksCPU, "WebhooksMemory", a.WebhooksMemory,
		"ChartRepository", a.ChartRepository)
	c.That(a.OidcProviderArn != nil && a.OidcProviderURL != nil, "OidcProviderArn and OidcProviderURL are required")
	for i, q := range a.QueueArns {
		c.Input(fmt.Sprintf("QueueArns[%d]", i), q)
	}
	c.That(a.Provider != nil, "Provider is required")
}

// Keda is KEDA 2.20 (chart infra.KedaVersion from ChartRepository, release infra.KedaReleaseName)
// in its own namespace. The operator's service account is annotated with an IRSA role through
// the chart's podIdentity.aws.irsa values (the operator's only, not the metrics server's or the
// webhooks'); the role is trusted for exactly system:serviceaccount:<namespace>:keda-operator and
// may only call sqs:GetQueueAttributes on the work queues.
//
// Resources: the Namespace (Pod Security Standards labels at infra.KedaPodSecurityLevel), iam.Role + iam.RolePolicy (no policy when there are no queues), and a
// kubernetes helm/v4 Chart (which also installs and upgrades KEDA's CRDs).
type Keda struct {
	pulumi.ResourceState

	// Namespace KEDA runs in.
	Namespace pulumi.StringOutput `pulumi:"namespace"`
	// RoleArn is the operator's IRSA role.
	RoleArn pulumi.StringOutput `pulumi:"roleArn"`
	// Chart is the KEDA release. KEDA custom resources (ScaledObject, TriggerAuthentication) must
	// depend on it: it installs their CRDs.
	Chart *helmv4.Chart `pulumi:"-"`
	// Ready is what must exist before KEDA custom resources can be created: the chart, which
	// installs their CRDs.
	Ready []pulumi.Resource `pulumi:"-"`
	// ReadyObjects are the objects of the chart, the operator's Deployment among them: KEDA's
	// custom resources, which the operator puts its finalizer on, depend on them too, so a
	// destroy deletes them while the operator still runs (kube.ChartObjects).
	ReadyObjects pulumi.ResourceArrayOutput `pulumi:"-"`
}

// New creates Keda.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Keda, error) {
	comp, parent, err := component.New[Keda](ctx, kind, name, args, opts...)
	if err != nil {
		return nil, err
	}

	// KEDA's pods pass Pod Security Standards at infra.KedaPodSecurityLevel (the chart's pods are
	// tried at each level against the real API server in tests/integration).
	ns, err := kube.New(ctx, name+"-namespace", infra.NewKubeNamespace(args.Namespace, infra.WithPodSecurity(map[string]string{
		"app.kubernetes.io/part-of": "eventscale", "app.kubernetes.io/managed-by": "pulumi",
	}, infra.KedaPodSecurityLevel)), nil, parent, pulumi.Provider(args.Provider))
	if err != nil {
		return nil, fmt.Errorf("creating keda namespace: %w", err)
	}

	role, err := iam.NewRole(ctx, name+"-operator-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.All(args.OidcProviderArn, args.OidcProviderURL).ApplyT(func(v []any) string {
			return infra.IRSATrust(v[0].(string), v[1].(string), args.Namespace, infra.KedaOperatorServiceAccount).JSON()
		}).(pulumi.StringOutput),
		Description: pulumi.String("KEDA operator (IRSA " + infra.ServiceAccountSubject(args.Namespace, infra.KedaOperatorServiceAccount) +
			") of EKS cluster " + args.ClusterName + ": reads work queue depth"),
		Tags: pulumi.ToStringMap(args.Tags),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating keda operator role: %w", err)
	}
	chartDeps := append([]pulumi.Resource{ns}, args.DependsOn...)
	if len(args.QueueArns) > 0 {
		arns := make([]any, len(args.QueueArns))
		for i, a := range args.QueueArns {
			arns[i] = a
		}
		policy, err := iam.NewRolePolicy(ctx, name+"-operator-policy", &iam.RolePolicyArgs{
			Role: role.ID(),
			Policy: pulumi.All(arns...).ApplyT(func(v []any) string {
				s := make([]string, len(v))
				for i, x := range v {
					s[i] = x.(string)
				}
				return infra.KedaOperatorPolicy(s).JSON()
			}).(pulumi.StringOutput),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating keda operator policy: %w", err)
		}
		chartDeps = append(chartDeps, policy)
	}

	var b kube.Bindings
	values, err := kube.ToInputs(infra.NewKedaChartValues(infra.KedaChartSettings{
		KedaSettings: args.KedaSettings,
		ClusterName:  args.ClusterName,
		RoleArn:      b.Bind(role.Arn),
	}), &b)
	if err != nil {
		return nil, fmt.Errorf("building keda chart values: %w", err)
	}
	src := infra.NewHelmChartSource(args.ChartRepository, infra.KedaChart)
	chart, err := helmv4.NewChart(ctx, name+"-chart", &helmv4.ChartArgs{
		Chart:          pulumi.String(src.Chart),
		Version:        pulumi.String(infra.KedaVersion),
		RepositoryOpts: kube.ChartRepositoryOpts(src),
		Name:           pulumi.String(infra.KedaReleaseName),
		Namespace:      pulumi.String(args.Namespace),
		Values:         values,
	}, parent, pulumi.Providers(args.Provider), pulumi.DependsOn(chartDeps))
	if err != nil {
		return nil, fmt.Errorf("installing keda chart: %w", err)
	}

	comp.Namespace = ns.Name
	comp.RoleArn = role.Arn
	comp.Chart = chart
	comp.Ready = []pulumi.Resource{chart}
	comp.ReadyObjects = kube.ChartObjects(chart.Resources)
	return component.Finish(ctx, comp)
}
