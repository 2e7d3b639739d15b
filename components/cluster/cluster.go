// Package cluster provides the Cluster component: the EKS control plane, its OIDC provider,
// the Fargate profile that runs the system pods, CoreDNS on Fargate, and a Kubernetes provider.
package cluster

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/internal/component"
	"github.com/eventscale/eventscale/components/internal/required"
	"github.com/eventscale/eventscale/infra"
)

// TypeToken is the Pulumi type of the Cluster component.
const TypeToken = "eventscale:cluster:Cluster"

// Args configures a Cluster: its settings (the `eventscale:cluster` and `eventscale:fargate`
// sections) and what comes from the stack and from other resources.
type Args struct {
	// ClusterSettings are the cluster's name (required: the stack derives it when empty in
	// config), version, endpoint access, log types and admin principals.
	infra.ClusterSettings
	// Fargate are the namespaces the Fargate profile selects.
	Fargate infra.FargateSettings
	// VpcID and PrivateSubnetIDs place the control plane's ENIs and the Fargate pods.
	VpcID            pulumi.StringInput
	PrivateSubnetIDs pulumi.StringArrayInput
	// Partition, Region and AccountID scope the Fargate pod execution role's trust.
	Partition, Region, AccountID string
	// Tags go on every taggable resource.
	Tags map[string]string
}

// kind is the Cluster component's error prefix, type token and presence checks.
var kind = component.Kind[Args]{Name: "cluster", Type: TypeToken, Check: (*Args).check}

// check adds a message for each value New needs that is missing (required fields, nil inputs), in a
// fixed order. Ranges and rules between fields are stacks.Validate's, which names the config key.
func (a *Args) check(c *required.Check) {
	c.Strings("Name", a.Name, "Version", a.Version, "Partition", a.Partition, "Region", a.Region, "AccountID", a.AccountID)
	c.That(a.VpcID != nil && a.PrivateSubnetIDs != nil, "VpcID and PrivateSubnetIDs are required")
	c.That(len(a.Fargate.Namespaces) > 0, "Fargate.Namespaces is required: the Fargate profile needs at least one namespace")
}

// Cluster is an EKS cluster (pulumi-eks v2, API authentication mode, OIDC provider, no node
// group) with the system pods on Fargate, ready for Karpenter.
//
// Resources: eks.Cluster (pulumi-eks remote component), per admin principal an aws.eks.AccessEntry
// + aws.eks.AccessPolicyAssociation (cluster-admin), iam.Role + iam.RolePolicyAttachment for the
// Fargate pod execution role, aws.eks.FargateProfile, aws.eks.Addon "coredns" with computeType
// Fargate, ec2.Tag karpenter.sh/discovery on the EKS-managed cluster security group, and a
// kubernetes.Provider built from the cluster's kubeconfig.
type Cluster struct {
	pulumi.ResourceState

	// ClusterName is the EKS cluster's name.
	ClusterName pulumi.StringOutput `pulumi:"clusterName"`
	// ClusterArn is the EKS cluster's ARN.
	ClusterArn pulumi.StringOutput `pulumi:"clusterArn"`
	// Endpoint is the API server URL.
	Endpoint pulumi.StringOutput `pulumi:"endpoint"`
	// OidcProviderArn and OidcProviderURL identify the IAM OIDC provider for IRSA.
	OidcProviderArn pulumi.StringOutput `pulumi:"oidcProviderArn"`
	OidcProviderURL pulumi.StringOutput `pulumi:"oidcProviderUrl"`
	// ClusterSecurityGroupID is the EKS-managed cluster security group (Fargate pods and Karpenter nodes use it).
	ClusterSecurityGroupID pulumi.StringOutput `pulumi:"clusterSecurityGroupId"`
	// Kubeconfig is a secret kubeconfig (JSON) for the cluster.
	Kubeconfig pulumi.StringOutput `pulumi:"kubeconfig"`
	// FargateProfileName is the name of the system Fargate profile.
	FargateProfileName pulumi.StringOutput `pulumi:"fargateProfileName"`

	// Provider deploys Kubernetes objects to this cluster; pass it to every Kubernetes resource.
	Provider *kubernetes.Provider `pulumi:"-"`
	// Ready is what must exist before pods in the Fargate namespaces can run (the Fargate profile
	// and CoreDNS); the components running there take it as their DependsOn.
	Ready []pulumi.Resource `pulumi:"-"`
}

// New creates a Cluster.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Cluster, error) {
	comp, parent, err := component.New[Cluster](ctx, kind, name, args, opts...)
	if err != nil {
		return nil, err
	}
	tags := pulumi.ToStringMap(args.Tags)

	// Admin access entries are created beside the cluster, not with AccessEntries: see createAdminAccess.
	authMode := eks.AuthenticationModeApi
	skip, useDefaultCni := true, true
	cl, err := eks.NewCluster(ctx, name+"-eks", &eks.ClusterArgs{
		Name:                   pulumi.String(args.Name),
		Version:                pulumi.String(args.Version),
		VpcId:                  args.VpcID,
		PrivateSubnetIds:       args.PrivateSubnetIDs,
		EndpointPublicAccess:   pulumi.Bool(args.EndpointPublicAccess),
		EndpointPrivateAccess:  pulumi.Bool(args.EndpointPrivateAccess),
		PublicAccessCidrs:      pulumi.ToStringArray(args.PublicAccessCidrs),
		EnabledClusterLogTypes: pulumi.ToStringArray(args.LogTypes),
		AuthenticationMode:     &authMode,
		CreateOidcProvider:     pulumi.Bool(true),
		SkipDefaultNodeGroup:   &skip,
		// Keep the VPC CNI EKS installs; pulumi-eks would otherwise manage its own copy with kubectl.
		UseDefaultVpcCni: &useDefaultCni,
		Tags:             tags,
		ClusterTags:      tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating EKS cluster: %w", err)
	}
	eksCluster := cl.EksCluster
	// The IAM OIDC provider pulumi-eks creates is named by the cluster's issuer: its URL is the
	// issuer and its ARN is arn:<partition>:iam::<account>:oidc-provider/<issuer without https://>.
	// Both are built from the EKS cluster here rather than read from cl.Core: pulumi-eks 2.8.1's
	// Go SDK cannot decode `core` once pulumi-eks has created an access entry (it creates one for
	// its instance role in API mode), and every read of it fails `pulumi up` with "expected a
	// eks.AccessEntry, got a resource of type *eks.AccessEntry" (pulumi/pulumi-eks#1435 and
	// #1476; the fix, pulumi/pulumi-eks#1481, is not in 2.8.1). Found under the real engine; the
	// mocked monitor's cluster now returns that access entry too, so a read fails under the mocks
	// as well (internal/offline's TestMockedEKSCoreHoldsAccessEntries). The outputs depend on the pulumi-eks
	// component, so the IRSA roles that use them wait for the provider to exist.
	issuer := eksCluster.Identities().Index(pulumi.Int(0)).Oidcs().Index(pulumi.Int(0)).Issuer().Elem()
	oidcURL := pulumi.OutputWithDependencies(ctx.Context(), issuer, cl).(pulumi.StringOutput)
	oidcArn := oidcURL.ApplyT(func(u string) string {
		return infra.OIDCProviderArn(args.Partition, args.AccountID, u)
	}).(pulumi.StringOutput)

	if err := createAdminAccess(ctx, name, comp, eksCluster.Name(), args); err != nil {
		return nil, err
	}

	// The Fargate pod execution role, trusted only for this cluster's Fargate profiles.
	podRole, err := iam.NewRole(ctx, name+"-fargate-pod-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(infra.FargatePodExecutionTrust(args.Partition, args.Region, args.AccountID, args.Name).JSON()),
		Description:      pulumi.String("Fargate pod execution role of EKS cluster " + args.Name),
		Tags:             tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating fargate pod execution role: %w", err)
	}
	podRoleAttach, err := iam.NewRolePolicyAttachment(ctx, name+"-fargate-pod-role-policy", &iam.RolePolicyAttachmentArgs{
		Role:      podRole.Name,
		PolicyArn: pulumi.String(infra.ManagedPolicyArn(args.Partition, "AmazonEKSFargatePodExecutionRolePolicy")),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("attaching fargate pod execution policy: %w", err)
	}
	selectors := awseks.FargateProfileSelectorArray{}
	for _, ns := range args.Fargate.Namespaces {
		selectors = append(selectors, awseks.FargateProfileSelectorArgs{Namespace: pulumi.String(ns)})
	}
	profile, err := awseks.NewFargateProfile(ctx, name+"-fargate-system", &awseks.FargateProfileArgs{
		ClusterName:         eksCluster.Name(),
		FargateProfileName:  pulumi.String("system"),
		PodExecutionRoleArn: podRole.Arn,
		SubnetIds:           args.PrivateSubnetIDs,
		Selectors:           selectors,
		Tags:                tags,
	}, parent, pulumi.DependsOn([]pulumi.Resource{podRoleAttach}))
	if err != nil {
		return nil, fmt.Errorf("creating fargate profile: %w", err)
	}
	// CoreDNS as a managed add-on scheduled on Fargate; it replaces the self-managed copy EKS bootstraps.
	coredns, err := awseks.NewAddon(ctx, name+"-coredns", &awseks.AddonArgs{
		ClusterName:              eksCluster.Name(),
		AddonName:                pulumi.String("coredns"),
		ConfigurationValues:      pulumi.String(`{"computeType":"Fargate"}`),
		ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
		ResolveConflictsOnUpdate: pulumi.String("OVERWRITE"),
		Tags:                     tags,
	}, parent, pulumi.DependsOn([]pulumi.Resource{profile}))
	if err != nil {
		return nil, fmt.Errorf("creating coredns add-on: %w", err)
	}
	// Karpenter launches nodes into the security groups tagged for discovery: the EKS-managed
	// cluster security group, which the control plane and the Fargate pods (CoreDNS) also use.
	clusterSG := eksCluster.VpcConfig().ClusterSecurityGroupId().Elem()
	if _, err := ec2.NewTag(ctx, name+"-cluster-sg-discovery", &ec2.TagArgs{
		ResourceId: clusterSG,
		Key:        pulumi.String(infra.DiscoveryTagKey),
		Value:      pulumi.String(args.Name),
	}, parent); err != nil {
		return nil, fmt.Errorf("tagging cluster security group: %w", err)
	}

	provider, err := kubernetes.NewProvider(ctx, name+"-k8s", &kubernetes.ProviderArgs{
		Kubeconfig: cl.KubeconfigJson,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating kubernetes provider: %w", err)
	}

	comp.ClusterName = eksCluster.Name()
	comp.ClusterArn = eksCluster.Arn()
	comp.Endpoint = eksCluster.Endpoint()
	comp.OidcProviderArn = oidcArn
	comp.OidcProviderURL = oidcURL
	comp.ClusterSecurityGroupID = clusterSG
	comp.Kubeconfig = pulumi.ToSecret(cl.KubeconfigJson).(pulumi.StringOutput)
	comp.FargateProfileName = profile.FargateProfileName
	comp.Provider = provider
	comp.Ready = []pulumi.Resource{profile, coredns}
	return component.Finish(ctx, comp)
}

// createAdminAccess gives each of args.AdminPrincipalArns cluster-admin: an aws.eks.AccessEntry
// of type STANDARD and an aws.eks.AccessPolicyAssociation of AmazonEKSClusterAdminPolicy with
// cluster scope, both children of the component, beside the cluster (like the Karpenter node
// role's entry).
//
// pulumi-eks' own ClusterArgs.AccessEntries is not used: in pulumi-eks v2 (v2.8.1 included) a
// Go program whose cluster was created with access entries fails every later run with
// "expected a eks.AccessEntry, got a resource of type *eks.AccessEntry", because the provider
// returns the entries as aws.eks.AccessEntry resources while the schema (and so the Go SDK)
// declares its own eks.AccessEntry type (upstream pulumi/pulumi-eks#1435, labelled language/go;
// fixed by pulumi/pulumi-eks#1481, first released in pulumi-eks 3.0.2, never in v2).
//
// Names are "<name>-admin-<key>" and "<name>-admin-<key>-cluster-admin", with key
// infra.AccessEntryKey(arn), a hash of the ARN: removing the first of two admins leaves the
// second one's resources untouched, where index-based names would shift and replace them.
func createAdminAccess(ctx *pulumi.Context, name string, comp *Cluster, clusterName pulumi.StringInput, args *Args) error {
	parent := pulumi.Parent(comp)
	for _, arn := range args.AdminPrincipalArns {
		entryName := name + "-admin-" + infra.AccessEntryKey(arn)
		entry, err := awseks.NewAccessEntry(ctx, entryName, &awseks.AccessEntryArgs{
			ClusterName:  clusterName,
			PrincipalArn: pulumi.String(arn),
			Type:         pulumi.String(infra.AccessEntryTypeStandard),
			Tags:         pulumi.ToStringMap(args.Tags),
		}, parent)
		if err != nil {
			return fmt.Errorf("creating the EKS access entry of admin %s: %w", arn, err)
		}
		// The entry's principalArn output, not the plain string: the association needs the
		// entry, and this makes the engine create it after (and delete it before) the entry.
		if _, err := awseks.NewAccessPolicyAssociation(ctx, entryName+"-cluster-admin", &awseks.AccessPolicyAssociationArgs{
			ClusterName:  clusterName,
			PrincipalArn: entry.PrincipalArn,
			PolicyArn:    pulumi.String(infra.EKSAccessPolicyArn(args.Partition, infra.ClusterAdminAccessPolicy)),
			AccessScope:  awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String(infra.AccessScopeCluster)},
		}, parent); err != nil {
			return fmt.Errorf("associating cluster-admin with the EKS access entry of admin %s: %w", arn, err)
		}
	}
	return nil
}
