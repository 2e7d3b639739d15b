package infra

import (
	"errors"
	"fmt"
	"slices"
)

// KarpenterScope is what the Karpenter controller's IAM policies are scoped to: one cluster in
// one account and region, its node role and its interruption queue.
type KarpenterScope struct {
	Partition   string // "aws", "aws-cn", "aws-us-gov"
	Region      string
	AccountID   string
	ClusterName string
	// NodeRoleArn is the role Karpenter passes to the instance profiles it creates.
	NodeRoleArn string
	// InterruptionQueueArn is the SQS queue Karpenter reads interruption events from.
	InterruptionQueueArn string
}

// Validate reports every empty field.
func (s KarpenterScope) Validate() error {
	var errs []error
	for _, f := range []struct{ name, v string }{
		{"Partition", s.Partition}, {"Region", s.Region}, {"AccountID", s.AccountID}, {"ClusterName", s.ClusterName},
		{"NodeRoleArn", s.NodeRoleArn}, {"InterruptionQueueArn", s.InterruptionQueueArn},
	} {
		if f.v == "" {
			errs = append(errs, fmt.Errorf("karpenter IAM scope: %s is required", f.name))
		}
	}
	return errors.Join(errs...)
}

// ClusterArn is the ARN of the EKS cluster.
func (s KarpenterScope) ClusterArn() string {
	return fmt.Sprintf("arn:%s:eks:%s:%s:cluster/%s", s.Partition, s.Region, s.AccountID, s.ClusterName)
}

// ec2 returns an EC2 resource ARN pattern of the scope's region in any account, e.g. ec2("subnet/*").
func (s KarpenterScope) ec2(resource string) string {
	return fmt.Sprintf("arn:%s:ec2:%s:*:%s", s.Partition, s.Region, resource)
}

// instanceProfiles is the ARN pattern of every instance profile of the scope's account.
func (s KarpenterScope) instanceProfiles() string {
	return fmt.Sprintf("arn:%s:iam::%s:instance-profile/*", s.Partition, s.AccountID)
}

// NamedPolicy is one IAM policy document with the name of the upstream managed policy it mirrors
// and a short kebab-case key used in resource names.
type NamedPolicy struct {
	// Name is the upstream CloudFormation resource name, e.g. "NodeLifecyclePolicy".
	Name string
	// Key names the Pulumi resources, e.g. "node-lifecycle".
	Key      string
	Document PolicyDocument
}

// KarpenterControllerPolicyDescription is the description of the controller policy named
// name (NamedPolicy.Name): the first release's text, frozen. An IAM policy's description cannot
// be changed: pulumi-aws replaces the policy when it changes (the bridged terraform-provider-aws
// marks aws_iam_policy's `description` ForceNew: internal/service/iam/policy.go, read
// 2026-12-08 at the v5-line commit 01ccd9a2d of hashicorp/terraform-provider-aws), and a
// replaced policy is detached and attached again, a window in which the controller lacks its
// permissions. So the text must not follow KarpenterVersion: "v1.14" names the upstream
// reference the six policies were first written from, not the release they follow now, and a
// Karpenter upgrade changes only their documents, which IAM updates in place (a new default
// policy version). The policies' names are stable too: the program gives none, so pulumi-aws
// names each after its Pulumi resource name ("<component>-controller-<Key>") plus a random
// suffix, and keeps that name on every update (Pulumi docs, "Resource names", auto-naming,
// https://www.pulumi.com/docs/iac/concepts/resources/names/, read 2026-12-08).
func KarpenterControllerPolicyDescription(name string) string {
	return "Karpenter controller: " + name + " (upstream v1.14 reference)"
}

// KarpenterControllerPolicies are the Karpenter controller's permissions: the six managed
// policies of the upstream Karpenter v1.14 getting-started CloudFormation template, with the
// same statement ids, effects, actions and conditions, scoped to s. Each document stays far
// below IAM's 6,144-character limit for a managed policy.
func KarpenterControllerPolicies(s KarpenterScope) []NamedPolicy {
	cluster := s.ClusterName
	ownedTag := "kubernetes.io/cluster/" + cluster
	fleetInstanceEtc := []string{
		s.ec2("fleet/*"), s.ec2("instance/*"), s.ec2("volume/*"),
		s.ec2("network-interface/*"), s.ec2("launch-template/*"), s.ec2("spot-instances-request/*"),
	}
	ownedByNodePool := map[string]map[string]any{
		"StringEquals": {"aws:ResourceTag/" + ownedTag: "owned"},
		"StringLike":   {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
	}
	nodeLifecycle := NewPolicy(
		Statement{
			Sid:    "AllowScopedEC2InstanceAccessActions",
			Effect: "Allow",
			Resource: []string{
				fmt.Sprintf("arn:%s:ec2:%s::image/*", s.Partition, s.Region),
				fmt.Sprintf("arn:%s:ec2:%s::snapshot/*", s.Partition, s.Region),
				s.ec2("security-group/*"), s.ec2("subnet/*"), s.ec2("capacity-reservation/*"), s.ec2("placement-group/*"),
			},
			Action: []string{"ec2:RunInstances", "ec2:CreateFleet"},
		},
		Statement{
			Sid:       "AllowScopedEC2LaunchTemplateAccessActions",
			Effect:    "Allow",
			Resource:  []string{s.ec2("launch-template/*")},
			Action:    []string{"ec2:RunInstances", "ec2:CreateFleet"},
			Condition: ownedByNodePool,
		},
		Statement{
			Sid:      "AllowScopedEC2InstanceActionsWithTags",
			Effect:   "Allow",
			Resource: fleetInstanceEtc,
			Action:   []string{"ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"},
			Condition: map[string]map[string]any{
				"StringEquals": {
					"aws:RequestTag/" + ownedTag:          "owned",
					"aws:RequestTag/eks:eks-cluster-name": cluster,
				},
				"StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
			},
		},
		Statement{
			Sid:      "AllowScopedResourceCreationTagging",
			Effect:   "Allow",
			Resource: fleetInstanceEtc,
			Action:   []string{"ec2:CreateTags"},
			Condition: map[string]map[string]any{
				"StringEquals": {
					"aws:RequestTag/" + ownedTag:          "owned",
					"aws:RequestTag/eks:eks-cluster-name": cluster,
					"ec2:CreateAction":                    []string{"RunInstances", "CreateFleet", "CreateLaunchTemplate"},
				},
				"StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
			},
		},
		Statement{
			Sid:      "AllowScopedResourceTagging",
			Effect:   "Allow",
			Resource: []string{s.ec2("instance/*")},
			Action:   []string{"ec2:CreateTags"},
			Condition: map[string]map[string]any{
				"StringEquals":              {"aws:ResourceTag/" + ownedTag: "owned"},
				"StringLike":                {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
				"StringEqualsIfExists":      {"aws:RequestTag/eks:eks-cluster-name": cluster},
				"ForAllValues:StringEquals": {"aws:TagKeys": []string{"eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"}},
			},
		},
		Statement{
			Sid:       "AllowScopedDeletion",
			Effect:    "Allow",
			Resource:  []string{s.ec2("instance/*"), s.ec2("launch-template/*")},
			Action:    []string{"ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"},
			Condition: ownedByNodePool,
		},
	)

	iamIntegration := NewPolicy(
		Statement{
			Sid:      "AllowPassingInstanceRole",
			Effect:   "Allow",
			Resource: []string{s.NodeRoleArn},
			Action:   []string{"iam:PassRole"},
			Condition: map[string]map[string]any{
				"StringEquals": {"iam:PassedToService": []string{"ec2.amazonaws.com", "ec2.amazonaws.com.cn"}},
			},
		},
		Statement{
			Sid:      "AllowScopedInstanceProfileCreationActions",
			Effect:   "Allow",
			Resource: []string{s.instanceProfiles()},
			Action:   []string{"iam:CreateInstanceProfile"},
			Condition: map[string]map[string]any{
				"StringEquals": {
					"aws:RequestTag/" + ownedTag:                   "owned",
					"aws:RequestTag/eks:eks-cluster-name":          cluster,
					"aws:RequestTag/topology.kubernetes.io/region": s.Region,
				},
				"StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
			},
		},
		Statement{
			Sid:      "AllowScopedInstanceProfileTagActions",
			Effect:   "Allow",
			Resource: []string{s.instanceProfiles()},
			Action:   []string{"iam:TagInstanceProfile"},
			Condition: map[string]map[string]any{
				"StringEquals": {
					"aws:ResourceTag/" + ownedTag:                   "owned",
					"aws:ResourceTag/topology.kubernetes.io/region": s.Region,
					"aws:RequestTag/" + ownedTag:                    "owned",
					"aws:RequestTag/eks:eks-cluster-name":           cluster,
					"aws:RequestTag/topology.kubernetes.io/region":  s.Region,
				},
				"StringLike": {
					"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
					"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass":  "*",
				},
			},
		},
		Statement{
			Sid:      "AllowScopedInstanceProfileActions",
			Effect:   "Allow",
			Resource: []string{s.instanceProfiles()},
			Action:   []string{"iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"},
			Condition: map[string]map[string]any{
				"StringEquals": {
					"aws:ResourceTag/" + ownedTag:                   "owned",
					"aws:ResourceTag/topology.kubernetes.io/region": s.Region,
				},
				"StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
			},
		},
	)

	eksIntegration := NewPolicy(Statement{
		Sid:      "AllowAPIServerEndpointDiscovery",
		Effect:   "Allow",
		Resource: []string{s.ClusterArn()},
		Action:   []string{"eks:DescribeCluster"},
	})

	interruption := NewPolicy(Statement{
		Sid:      "AllowInterruptionQueueActions",
		Effect:   "Allow",
		Resource: []string{s.InterruptionQueueArn},
		Action:   []string{"sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"},
	})

	zonalShift := NewPolicy(Statement{
		Sid:      "AllowZonalShiftStatusReadOnly",
		Effect:   "Allow",
		Resource: []string{"*"},
		Action:   []string{"arc-zonal-shift:GetManagedResource"},
		Condition: map[string]map[string]any{
			"StringEquals": {"arc-zonal-shift:ResourceIdentifier": s.ClusterArn()},
		},
	})

	resourceDiscovery := NewPolicy(
		Statement{
			Sid:      "AllowRegionalReadActions",
			Effect:   "Allow",
			Resource: []string{"*"},
			Action: []string{
				"ec2:DescribeCapacityReservations",
				"ec2:DescribeImages",
				"ec2:DescribeInstances",
				"ec2:DescribeInstanceStatus",
				"ec2:DescribeInstanceTypeOfferings",
				"ec2:DescribeInstanceTypes",
				"ec2:DescribeLaunchTemplates",
				"ec2:DescribePlacementGroups",
				"ec2:DescribeSecurityGroups",
				"ec2:DescribeSpotPriceHistory",
				"ec2:DescribeSubnets",
			},
			Condition: map[string]map[string]any{"StringEquals": {"aws:RequestedRegion": s.Region}},
		},
		Statement{
			Sid:      "AllowSSMReadActions",
			Effect:   "Allow",
			Resource: []string{fmt.Sprintf("arn:%s:ssm:%s::parameter/aws/service/*", s.Partition, s.Region)},
			Action:   []string{"ssm:GetParameter"},
		},
		Statement{
			Sid:      "AllowPricingReadActions",
			Effect:   "Allow",
			Resource: []string{"*"},
			Action:   []string{"pricing:GetProducts"},
		},
		Statement{
			Sid:      "AllowUnscopedInstanceProfileListAction",
			Effect:   "Allow",
			Resource: []string{"*"},
			Action:   []string{"iam:ListInstanceProfiles"},
		},
		Statement{
			Sid:      "AllowInstanceProfileReadActions",
			Effect:   "Allow",
			Resource: []string{s.instanceProfiles()},
			Action:   []string{"iam:GetInstanceProfile"},
		},
	)

	return []NamedPolicy{
		{Name: "NodeLifecyclePolicy", Key: "node-lifecycle", Document: nodeLifecycle},
		{Name: "IAMIntegrationPolicy", Key: "iam-integration", Document: iamIntegration},
		{Name: "EKSIntegrationPolicy", Key: "eks-integration", Document: eksIntegration},
		{Name: "InterruptionPolicy", Key: "interruption", Document: interruption},
		{Name: "ResourceDiscoveryPolicy", Key: "resource-discovery", Document: resourceDiscovery},
		{Name: "ZonalShiftPolicy", Key: "zonal-shift", Document: zonalShift},
	}
}

// ManagedPolicyMaxChars is IAM's size limit of a managed policy document, counted without
// whitespace (JSON() renders compact JSON, so its length is what IAM counts).
const ManagedPolicyMaxChars = 6144

// EC2ServicePrincipal is the EC2 service principal of a partition: instances assume the node role through it.
func EC2ServicePrincipal(partition string) string {
	if partition == "aws-cn" {
		return "ec2.amazonaws.com.cn"
	}
	return "ec2.amazonaws.com"
}

// KarpenterNodeTrust is the trust policy of the role Karpenter's nodes run with.
func KarpenterNodeTrust(partition string) PolicyDocument {
	return ServiceTrust(EC2ServicePrincipal(partition), nil)
}

// ManagedPolicyRef is an AWS managed policy attached to a role: Key names the attachment
// ("<role>-<key>"), Name is the policy's name.
type ManagedPolicyRef struct{ Key, Name string }

// KarpenterNodePolicies are the AWS managed policies every node role gets, as in the upstream
// template: join the cluster, run the VPC CNI and pull images from ECR.
var KarpenterNodePolicies = []ManagedPolicyRef{
	{"worker", "AmazonEKSWorkerNodePolicy"},
	{"cni", "AmazonEKS_CNI_Policy"},
	{"ecr-pull", "AmazonEC2ContainerRegistryPullOnly"},
}

// KarpenterNodeSSMPolicy lets the nodes register with SSM, so that Session Manager can open a
// shell on them. The upstream template attaches it to every node role; this program attaches it
// only with karpenter.nodeClass.ssmManagedInstanceCore, off by default: a shell on a node is host
// access the workers do not need (least privilege; EKS Best Practices Guide, Security, "Protecting
// the infrastructure (hosts)": "Minimize access to worker nodes", which names SSM Session Manager
// as the way to give that access when it is needed,
// docs.aws.amazon.com/eks/latest/best-practices/protecting-the-infrastructure.html, read
// 2026-12-07), and the policy also lets anything on the node use SSM's messaging and parameter
// APIs.
var KarpenterNodeSSMPolicy = ManagedPolicyRef{"ssm", "AmazonSSMManagedInstanceCore"}

// KarpenterNodeManagedPolicies are the AWS managed policies of the node role: KarpenterNodePolicies,
// and KarpenterNodeSSMPolicy when ssm is true.
func KarpenterNodeManagedPolicies(ssm bool) []ManagedPolicyRef {
	out := slices.Clone(KarpenterNodePolicies)
	if ssm {
		out = append(out, KarpenterNodeSSMPolicy)
	}
	return out
}

// KarpenterInterruptionQueuePolicy is the interruption queue's resource policy: EventBridge (and
// SQS itself) may send to it, and any request without TLS is denied. Equal to the upstream
// template's queue policy, with a Sid on the first statement.
func KarpenterInterruptionQueuePolicy(queueArn string) PolicyDocument {
	return NewPolicy(
		Statement{
			Sid:       "EC2InterruptionPolicy",
			Effect:    "Allow",
			Principal: map[string]any{"Service": []string{"events.amazonaws.com", "sqs.amazonaws.com"}},
			Action:    []string{"sqs:SendMessage"},
			Resource:  []string{queueArn},
		},
		denyHTTPStatement(queueArn),
	)
}

// CapacityTypeSpot is the NodePool capacity type (karpenter.sh/capacity-type) of spot instances.
const CapacityTypeSpot = "spot"

// The EC2 Spot service-linked role: EC2 launches and manages spot instances as
// SpotServiceLinkedRoleName, the role IAM creates for the service SpotServiceName. It exists at
// most once per account, and a spot launch through the API (Karpenter's CreateFleet) fails while
// it is missing unless the caller may create it, which Karpenter's controller policy does not
// allow. Sources, read 2026-12-07:
//   - Karpenter v1.14 "Getting Started with Karpenter"
//     (https://karpenter.sh/v1.14/getting-started/getting-started-with-karpenter/; in
//     aws/karpenter-provider-aws at 1d927085dd81, website/content/en/v1.14/getting-started/
//     getting-started-with-karpenter/_index.md and scripts/step06-add-spot-role.sh): "Unless your
//     AWS account has already onboarded to EC2 Spot, you will need to create the service linked
//     role to avoid the ServiceLinkedRoleCreationNotPermitted error", by
//     `aws iam create-service-linked-role --aws-service-name spot.amazonaws.com || true`; where the
//     role exists, that call fails with InvalidInput "Service role name AWSServiceRoleForEC2Spot
//     has been taken in this account";
//   - Amazon EC2 User Guide, "Service-linked role for Spot Instance requests"
//     (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/service-linked-roles-spot-instance-requests.html):
//     the name, and "If you use the AWS CLI or an API to request a Spot Instance, you must first
//     ensure that this role exists"; on deleting it (its source, awsdocs/amazon-ec2-user-guide
//     doc_source/spot-requests.md): "If you no longer need to use Spot Instances, we recommend
//     that you delete the AWSServiceRoleForEC2Spot role", that is, only when the account uses spot
//     no more, which one stack cannot know;
//   - IAM API Reference, DeleteServiceLinkedRole
//     (https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteServiceLinkedRole.html): "If
//     you submit a deletion request for a service-linked role whose linked service is still
//     accessing a resource, then the deletion task fails". Hence the component retains it on
//     delete.
const (
	SpotServiceName           = "spot.amazonaws.com"
	SpotServiceLinkedRoleName = "AWSServiceRoleForEC2Spot"
)

// SpotServiceLinkedRoleArn is the ARN of the account's EC2 Spot service-linked role, which is
// also pulumi-aws's id of an aws:iam/serviceLinkedRole:ServiceLinkedRole and so the id
// `pulumi import` takes for it. IAM puts service-linked roles under the path
// /aws-service-role/<service>/. Sources, read 2026-12-07: pulumi-aws/sdk/v6@v6.83.4
// go/aws/iam/serviceLinkedRole.go ("import IAM service-linked roles using role ARN", e.g.
// arn:aws:iam::123456789012:role/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk),
// and the provider it bridges, hashicorp/terraform-provider-aws
// internal/service/iam/service_linked_role.go (the id is the role's ARN, of the form
// arn:PARTITION:iam::ACCOUNTID:role/aws-service-role/SERVICENAME/ROLENAME).
func SpotServiceLinkedRoleArn(partition, accountID string) string {
	return "arn:" + partition + ":iam::" + accountID + ":role/aws-service-role/" + SpotServiceName + "/" + SpotServiceLinkedRoleName
}
