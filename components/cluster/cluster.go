// Package cluster provides the Cluster component: the EKS control plane, its OIDC provider,
// the Fargate profile that runs the system pods, CoreDNS on Fargate, and a Kubernetes provider.
package cluster

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
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
	// config), version, endpoint access, log types and retention, secrets key, protection and
	// admin principals.
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
// Resources: iam.Role + iam.RolePolicyAttachment (AmazonEKSClusterPolicy) for the cluster role;
// unless SecretsKmsKeyArn names a key, a kms.Key that encrypts the cluster's secrets and its
// kms.Alias; a cloudwatch.LogGroup for the control-plane logs, created before the cluster;
// eks.Cluster (pulumi-eks remote component, which creates no instance role, policy attachment or
// access entry of its own: instanceRoles is empty), per admin principal an aws.eks.AccessEntry
// + aws.eks.AccessPolicyAssociation (cluster-admin), iam.Role + iam.RolePolicyAttachment for the
// Fargate pod execution role, aws.eks.FargateProfile, aws.eks.Addon "coredns" with computeType
// Fargate, aws.eks.Addon "vpc-cni" with network policy enforcement, ec2.Tag karpenter.sh/discovery
// on the EKS-managed cluster security group, and a kubernetes.Provider built from the cluster's
// kubeconfig. With Protect, the EKS cluster (through the pulumi-eks component, whose children
// inherit it) and the key are protected.
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
	// FargateProfileName is the name of the system Fargate profile: infra.FargateProfileName of
	// its namespaces and subnets, or infra.FirstFargateProfileName on a stack the first release
	// deployed whose profile has not been replaced since.
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

	clusterRole, clusterPolicy, err := createClusterRole(ctx, name, comp, args)
	if err != nil {
		return nil, err
	}
	keyArn, err := secretsKey(ctx, name, comp, clusterRole, args)
	if err != nil {
		return nil, err
	}
	// EKS creates /aws/eks/<cluster>/cluster itself, without retention, when it first logs and
	// the group is missing: the group must exist before the cluster (terraform-aws-modules/eks v21
	// does the same). The log types carry the group as a dependency into the remote component, so
	// the aws.eks.Cluster inside it waits for the group too (DependsOn alone orders the component).
	logGroup, err := cloudwatch.NewLogGroup(ctx, name+"-log-group", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(infra.ClusterLogGroupName(args.Name)),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		Tags:            tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating the control-plane log group: %w", err)
	}
	logTypes := logGroup.Name.ApplyT(func(string) []string { return args.LogTypes }).(pulumi.StringArrayOutput)

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
		EnabledClusterLogTypes: logTypes,
		ServiceRole:            clusterRole,
		EncryptionConfigKeyArn: keyArn,
		// No instance role: pulumi-eks 2.8.1 creates one, with three policy attachments and an
		// EC2_LINUX access entry, whenever neither instanceRole nor instanceRoles is given, even
		// with skipDefaultNodeGroup (nodejs/eks/cluster.ts createCore); nothing here uses it
		// (Karpenter's nodes have their own role and entry). An explicit empty list skips all of
		// it; the Go SDK sends it as an empty array (TestClusterCreatesNoInstanceRole).
		InstanceRoles:        iam.RoleArray{},
		AuthenticationMode:   &authMode,
		CreateOidcProvider:   pulumi.Bool(true),
		SkipDefaultNodeGroup: &skip,
		// Keep the VPC CNI EKS installs; pulumi-eks would otherwise manage its own copy with kubectl.
		UseDefaultVpcCni: &useDefaultCni,
		Tags:             tags,
		ClusterTags:      tags,
	}, parent, pulumi.DependsOn([]pulumi.Resource{logGroup, clusterPolicy}), pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("creating EKS cluster: %w", err)
	}
	eksCluster := cl.EksCluster
	// The IAM OIDC provider pulumi-eks creates is named by the cluster's issuer: its URL is the
	// issuer and its ARN is arn:<partition>:iam::<account>:oidc-provider/<issuer without https://>.
	// Both are built from the EKS cluster here rather than read from cl.Core: pulumi-eks 2.8.1's
	// Go SDK cannot decode `core` once pulumi-eks has created an access entry (it creates one for
	// its default instance role in API mode unless instanceRoles is given), and every read of it
	// fails `pulumi up` with "expected a eks.AccessEntry, got a resource of type *eks.AccessEntry"
	// (pulumi/pulumi-eks#1435 and #1476; the fix, pulumi/pulumi-eks#1481, is not in 2.8.1). The
	// empty instanceRoles above removes that entry, but `core` stays unread: an access entry given
	// to pulumi-eks later would bring the failure back, and only a run under the real engine shows
	// it (internal/offline's TestMockedEKSCoreHoldsAccessEntries reproduces it; TestNoReadOfCore
	// keeps the program off `core`). The outputs depend on the pulumi-eks component, so the IRSA
	// roles that use them wait for the provider to exist.
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
	// The profile's name follows its namespaces and subnets (infra.FargateProfileName): a change
	// of either replaces the profile (EKS cannot update it), and the replacement, under a new
	// name, is created first; the engine deletes the old profile only at the end of the update,
	// after everything that depends on it, so the pods it runs are deleted when the new profile
	// is ACTIVE and are scheduled again through it. One profile is created, then one deleted: EKS
	// allows one profile in DELETING at a time and no creation meanwhile (infra.FargateProfileName).
	//
	// The Pulumi resource name stays the first release's, and the name is in ignoreChanges: a
	// stack deployed by the first release keeps its profile named infra.FirstFargateProfileName
	// as long as its namespaces and subnets do not change (no diff, no replacement); the engine
	// applies ignoreChanges only to updates, and checks a replacement's inputs again from the
	// program (pulumi/pulumi pkg/resource/deploy/step_generator.go, v3.274.1, "recompute the
	// default values", read 2026-12-08), so the first replacement gets the new name.
	//
	// DeleteBeforeReplace(false) is needed: pulumi-aws auto-names fargateProfileName (optional in
	// FargateProfileArgs of the v6.83.4 Go SDK, though Terraform requires it), and the
	// bridge asks for delete-before-replace whenever the program sets an auto-nameable name
	// itself (pulumi/pulumi-terraform-bridge pkg/tfbridge/schema.go,
	// nameRequiresDeleteBeforeReplace, read 2026-12-08); the program's choice overrides the
	// provider's (step_generator.go, as above). Auto-naming itself cannot keep "system": the
	// bridge reuses an old name only when it had generated it.
	profName := args.PrivateSubnetIDs.ToStringArrayOutput().ApplyT(func(ids []string) string {
		return infra.FargateProfileName(args.Fargate.Namespaces, ids)
	}).(pulumi.StringOutput)
	profile, err := awseks.NewFargateProfile(ctx, name+"-fargate-system", &awseks.FargateProfileArgs{
		ClusterName:         eksCluster.Name(),
		FargateProfileName:  profName,
		PodExecutionRoleArn: podRole.Arn,
		SubnetIds:           args.PrivateSubnetIDs,
		Selectors:           selectors,
		Tags:                tags,
	}, parent, pulumi.DependsOn([]pulumi.Resource{podRoleAttach}),
		pulumi.IgnoreChanges([]string{"fargateProfileName"}), pulumi.DeleteBeforeReplace(false))
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
	// The VPC CNI as a managed add-on with its network policy agent on: NetworkPolicy objects are
	// enforced on the EC2 (Karpenter) nodes. Fargate pods are not subject to them (see
	// infra.VpcCniConfiguration). OVERWRITE adopts the copy EKS installed.
	if _, err := awseks.NewAddon(ctx, name+"-vpc-cni", &awseks.AddonArgs{
		ClusterName:              eksCluster.Name(),
		AddonName:                pulumi.String(infra.VpcCniAddonName),
		ConfigurationValues:      pulumi.String(infra.VpcCniConfiguration),
		ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
		ResolveConflictsOnUpdate: pulumi.String("OVERWRITE"),
		Tags:                     tags,
	}, parent); err != nil {
		return nil, fmt.Errorf("creating vpc-cni add-on: %w", err)
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

// The cluster role is created here and passed to pulumi-eks (serviceRole) so that the secrets
// key's policy can name it: pulumi-eks creates its own role inside the remote component, whose ARN
// is known only from the EKS cluster, which needs the key first. The role keeps the logical names
// of the role and attachment pulumi-eks 2.8.1 created (nodejs/eks/servicerole.ts: ServiceRole
// "<cluster>-eksRole", its aws.iam.Role "<cluster>-eksRole-role" and a RolePolicyAttachment
// "<cluster>-eksRole-<first 8 hex digits of the SHA-1 of the policy ARN>"), with aliases to their
// URNs there: a stack created before takes them over as they are, where a new role would change
// the cluster's roleArn, which replaces the EKS cluster.
const (
	eksServiceRoleType = tokens.Type("eks:index:ServiceRole")
	eksClusterType     = tokens.Type("eks:index:Cluster")
	// clusterPolicyHash is sha1("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")[:8], the
	// suffix of pulumi-eks's attachment name.
	clusterPolicyHash = "4b490823"
)

// createClusterRole creates the EKS cluster role and attaches AmazonEKSClusterPolicy to it; the
// cluster depends on the attachment (EKS checks the policy when it creates the cluster).
func createClusterRole(ctx *pulumi.Context, name string, comp *Cluster, args *Args) (*iam.Role, *iam.RolePolicyAttachment, error) {
	serviceRole := name + "-eks-eksRole"
	inServiceRole := func(typ tokens.Type, child string) pulumi.Alias {
		urn := comp.URN().ApplyT(func(u pulumi.URN) pulumi.URN {
			parent := resource.URN(u)
			return pulumi.URN(resource.NewURN(parent.Stack(), parent.Project(),
				parent.QualifiedType()+"$"+eksClusterType+"$"+eksServiceRoleType, typ, child))
		}).(pulumi.URNOutput)
		return pulumi.Alias{URN: urn}
	}
	role, err := iam.NewRole(ctx, serviceRole+"-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(infra.EKSClusterTrust().JSON()),
		Description:      pulumi.String("Cluster role of EKS cluster " + args.Name),
		Tags:             pulumi.ToStringMap(args.Tags),
	}, pulumi.Parent(comp), pulumi.Aliases([]pulumi.Alias{inServiceRole("aws:iam/role:Role", serviceRole+"-role")}))
	if err != nil {
		return nil, nil, fmt.Errorf("creating the EKS cluster role: %w", err)
	}
	attachment := serviceRole + "-" + clusterPolicyHash
	att, err := iam.NewRolePolicyAttachment(ctx, attachment, &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String(infra.ManagedPolicyArn(args.Partition, infra.EKSClusterPolicy)),
	}, pulumi.Parent(comp), pulumi.Aliases([]pulumi.Alias{inServiceRole("aws:iam/rolePolicyAttachment:RolePolicyAttachment", attachment)}))
	if err != nil {
		return nil, nil, fmt.Errorf("attaching %s to the EKS cluster role: %w", infra.EKSClusterPolicy, err)
	}
	return role, att, nil
}

// secretsKey returns the ARN of the KMS key that encrypts the cluster's secrets: SecretsKmsKeyArn,
// or a key created for the cluster (rotated, a 30-day deletion window, its policy
// infra.ClusterSecretsKeyPolicy, protected with Protect) with the alias infra.SecretsKeyAlias.
func secretsKey(ctx *pulumi.Context, name string, comp *Cluster, role *iam.Role, args *Args) (pulumi.StringInput, error) {
	if args.SecretsKmsKeyArn != "" {
		return pulumi.String(args.SecretsKmsKeyArn), nil
	}
	key, err := kms.NewKey(ctx, name+"-secrets-key", &kms.KeyArgs{
		Description: pulumi.String("Encrypts the Kubernetes secrets of EKS cluster " + args.Name),
		Policy: role.Arn.ApplyT(func(arn string) string {
			return infra.ClusterSecretsKeyPolicy(args.Partition, args.AccountID, arn).JSON()
		}).(pulumi.StringOutput),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(infra.SecretsKeyDeletionWindowDays),
		Tags:                 pulumi.ToStringMap(args.Tags),
	}, pulumi.Parent(comp), pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("creating the secrets key: %w", err)
	}
	if _, err := kms.NewAlias(ctx, name+"-secrets-key-alias", &kms.AliasArgs{
		Name:        pulumi.String(infra.SecretsKeyAlias(args.Name)),
		TargetKeyId: key.KeyId,
	}, pulumi.Parent(comp)); err != nil {
		return nil, fmt.Errorf("creating the secrets key's alias: %w", err)
	}
	return key.Arn, nil
}
