// Package permissions says what the identity that runs `pulumi preview`, `up`, `refresh` and
// `destroy` of this program needs from AWS: per Pulumi resource type token and per provider
// function the program (or pulumi-eks inside its remote component) uses, the IAM actions that
// create, read, update and delete it, and the actions that need care (iam:PassRole,
// iam:CreateServiceLinkedRole, the OIDC provider). The table is checked against the plans of
// every shipped stack (internal/permissions tests: every type and invoke of every plan has an
// entry) and rendered into docs/permissions.md (Render).
//
// Sources, read 2026-12-07:
//   - the actions of each type: the API calls of its terraform-provider-aws resource (pulumi-aws
//     v6.83.4 bridges terraform-provider-aws v5), hashicorp/terraform-provider-aws
//     internal/service/<service>/<resource>.go, and each action's name in the service's page of the
//     AWS Service Authorization Reference (Services);
//   - what pulumi-eks 2.8.1 creates inside eks:index:Cluster with this program's arguments:
//     pulumi/pulumi-eks tag v2.8.1, nodejs/eks/cluster.ts (createCore, createCluster),
//     nodejs/eks/servicerole.ts, nodejs/eks/securitygroup.ts;
//   - service-linked roles and the cluster creator's access: awsdocs/amazon-eks-user-guide
//     (commit 4d52b4d0) latest/ug/security/iam-reference/security-iam.adoc ("Create a Kubernetes
//     cluster on the AWS Cloud" policy: eks:CreateCluster, iam:CreateServiceLinkedRole for
//     AWSServiceRoleForAmazonEKS, iam:PassRole of the cluster role; "Using roles for Amazon EKS
//     Fargate profiles": EKS creates AWSServiceRoleForAmazonEKSForFargate when a Fargate profile
//     is created; AWSServiceRoleForAmazonEKSNodegroup only with CreateNodegroup), and the EKS API
//     reference, AccessConfigResponse.bootstrapClusterCreatorAdminPermissions ("the cluster
//     creator IAM principal was set as a cluster admin access entry during cluster creation");
//   - the spot service-linked role: Amazon EC2 User Guide, "Service-linked role for Spot Instance
//     requests" (AWSServiceRoleForEC2Spot; "If you use the AWS CLI or an API to request a Spot
//     Instance, you must first ensure that this role exists");
//   - sts:GetCallerIdentity: AWS STS API Reference, GetCallerIdentity ("No permissions are
//     required to perform this operation").
package permissions

import (
	"sort"
	"strings"
)

// Service is one AWS service the deploying identity calls.
type Service struct {
	// Prefix is the service's IAM action prefix (the part before the colon).
	Prefix string
	// Name is the service's name.
	Name string
	// Reference is the service's page of the AWS Service Authorization Reference, which lists its
	// actions, resource types and condition keys.
	Reference string
}

// Services are the AWS services the table's actions belong to, by IAM prefix.
var Services = []Service{
	{"cloudwatch", "Amazon CloudWatch", sar + "list_amazoncloudwatch.html"},
	{"ec2", "Amazon EC2", sar + "list_amazonec2.html"},
	{"ecr", "Amazon Elastic Container Registry", sar + "list_amazonelasticcontainerregistry.html"},
	{"eks", "Amazon Elastic Kubernetes Service", sar + "list_amazonelastickubernetesservice.html"},
	{"events", "Amazon EventBridge", sar + "list_amazoneventbridge.html"},
	{"iam", "AWS Identity and Access Management (IAM)", sar + "list_awsidentityandaccessmanagementiam.html"},
	{"kms", "AWS Key Management Service", sar + "list_awskeymanagementservice.html"},
	{"logs", "Amazon CloudWatch Logs", sar + "list_amazoncloudwatchlogs.html"},
	{"sns", "Amazon SNS", sar + "list_amazonsns.html"},
	{"sqs", "Amazon SQS", sar + "list_amazonsqs.html"},
	{"sts", "AWS Security Token Service", sar + "list_awssecuritytokenservice.html"},
}

const sar = "https://docs.aws.amazon.com/service-authorization/latest/reference/"

// Guarded is an action that needs care: it lets the identity hand permissions to a service or
// create roles, so a policy should grant it only on the resources (and under the condition) given.
type Guarded struct {
	// Action is the IAM action, e.g. iam:PassRole.
	Action string
	// Resource is the ARN pattern the action is limited to ("*" for any account).
	Resource string
	// Condition is an IAM condition block, or nil.
	Condition map[string]map[string]string
	// Why says what the action is for here.
	Why string
}

// Need is what one resource type or provider function asks of the deploying identity.
type Need struct {
	// Actions are the IAM actions that create, read, update, tag and delete it.
	Actions []string
	// Guarded are the actions that need care, each limited to what this program uses.
	Guarded []Guarded
	// Note says what else to know (what is not an IAM permission, what happens inside AWS).
	Note string
	// Includes are the resource types a remote component creates inside itself, which the plan
	// does not show: their entries apply too.
	Includes []string
	// Calls are the provider functions a remote component calls inside itself, which the plan
	// does not show either.
	Calls []string
	// Source is where the actions were read (a terraform-provider-aws file, a pulumi-eks file).
	Source string
	// PlannedOnly marks an entry for a type no shipped stack registers yet; the table lists it
	// ahead, and the coverage test accepts it as unused. It says why.
	PlannedOnly string
}

// Family is a set of types that share one need, named by a token prefix (kubernetes:, the
// program's own component types, providers).
type Family struct {
	Prefix string
	Need   Need
}

// Names of the roles this program passes to a service, as patterns over role ARNs. pulumi-eks
// 2.8.1 names its cluster role "<cluster component>-eksRole-role" (ServiceRole "<name>-eksRole",
// its aws.iam.Role "<name>-role"), and the program names the eks.Cluster "cluster-eks"
// (components/cluster, component "cluster"); Pulumi appends a random suffix to both roles.
const (
	// EKSClusterRolePattern matches the EKS cluster IAM role pulumi-eks creates.
	EKSClusterRolePattern = "arn:aws:iam::*:role/cluster-eks-eksRole-role-*"
	// FargatePodExecutionRolePattern matches the Fargate pod execution role of the cluster component.
	FargatePodExecutionRolePattern = "arn:aws:iam::*:role/cluster-fargate-pod-role-*"
)

// FlowLogRolePattern matches the role the network component's VPC flow log publishes with
// (components/network, component "network": "network-flow-log-role" and a random suffix).
const FlowLogRolePattern = "arn:aws:iam::*:role/network-flow-log-role-*"

// serviceLinkedRole is the ARN pattern of a service-linked role: IAM keeps them under the path
// aws-service-role/<service principal>/.
func serviceLinkedRole(principal, name string) string {
	return "arn:aws:iam::*:role/aws-service-role/" + principal + "/" + name
}

func tf(file string) string { return "terraform-provider-aws internal/service/" + file }

var tags = struct{ ec2, eks, iamRole, iamPolicy, iamOIDC, sqs, events, cloudwatch, sns, kms, ecr, logs []string }{
	ec2:        []string{"ec2:CreateTags", "ec2:DeleteTags"},
	eks:        []string{"eks:TagResource", "eks:UntagResource"},
	iamRole:    []string{"iam:TagRole", "iam:UntagRole"},
	iamPolicy:  []string{"iam:TagPolicy", "iam:UntagPolicy"},
	iamOIDC:    []string{"iam:TagOpenIDConnectProvider", "iam:UntagOpenIDConnectProvider"},
	sqs:        []string{"sqs:TagQueue", "sqs:UntagQueue", "sqs:ListQueueTags"},
	events:     []string{"events:TagResource", "events:UntagResource", "events:ListTagsForResource"},
	cloudwatch: []string{"cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"},
	sns:        []string{"sns:TagResource", "sns:UntagResource", "sns:ListTagsForResource"},
	kms:        []string{"kms:TagResource", "kms:UntagResource", "kms:ListResourceTags"},
	ecr:        []string{"ecr:TagResource", "ecr:UntagResource", "ecr:ListTagsForResource"},
	logs:       []string{"logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource"},
}

// need is the entry of a type whose terraform-provider-aws resource is file and whose API calls
// are actions plus, where it takes tags, tagging.
func need(file string, tagging []string, actions ...string) Need {
	return Need{Actions: with(actions, tagging), Source: tf(file)}
}

func with(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// Resources are the needs per Pulumi resource type token.
var Resources = map[string]Need{
	// Network.
	"aws:ec2/vpc:Vpc": need("ec2/vpc_.go", tags.ec2,
		"ec2:CreateVpc", "ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:ModifyVpcAttribute", "ec2:DescribeRouteTables", "ec2:DescribeNetworkAcls", "ec2:DescribeSecurityGroups", "ec2:DeleteVpc"),
	"aws:ec2/internetGateway:InternetGateway": need("ec2/vpc_internet_gateway.go", tags.ec2,
		"ec2:CreateInternetGateway", "ec2:AttachInternetGateway", "ec2:DescribeInternetGateways", "ec2:DetachInternetGateway", "ec2:DeleteInternetGateway"),
	"aws:ec2/routeTable:RouteTable": need("ec2/vpc_route_table.go", tags.ec2,
		"ec2:CreateRouteTable", "ec2:DescribeRouteTables", "ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute", "ec2:DeleteRouteTable"),
	"aws:ec2/routeTableAssociation:RouteTableAssociation": need("ec2/vpc_route_table_association.go", nil,
		"ec2:AssociateRouteTable", "ec2:DescribeRouteTables", "ec2:ReplaceRouteTableAssociation", "ec2:DisassociateRouteTable"),
	"aws:ec2/subnet:Subnet": need("ec2/vpc_subnet.go", tags.ec2,
		"ec2:CreateSubnet", "ec2:DescribeSubnets", "ec2:ModifySubnetAttribute", "ec2:DescribeNetworkInterfaces", "ec2:DeleteSubnet"),
	"aws:ec2/eip:Eip": need("ec2/ec2_eip.go", tags.ec2,
		"ec2:AllocateAddress", "ec2:DescribeAddresses", "ec2:DisassociateAddress", "ec2:ReleaseAddress"),
	"aws:ec2/natGateway:NatGateway": need("ec2/vpc_nat_gateway.go", tags.ec2,
		"ec2:CreateNatGateway", "ec2:DescribeNatGateways", "ec2:DeleteNatGateway"),
	"aws:ec2/flowLog:FlowLog": {
		Actions: with([]string{"ec2:CreateFlowLogs", "ec2:DescribeFlowLogs", "ec2:DeleteFlowLogs"}, tags.ec2),
		Guarded: []Guarded{
			{Action: "iam:PassRole", Resource: FlowLogRolePattern,
				Condition: map[string]map[string]string{"StringEquals": {"iam:PassedToService": "vpc-flow-logs.amazonaws.com"}},
				Why: "CreateFlowLogs passes the flow log's role to the VPC flow logs service (Amazon VPC User Guide, " +
					"\"IAM role for publishing flow logs to CloudWatch Logs\": the creator needs iam:PassRole on it)"},
		},
		Note:   "network.flowLogs.enabled (the default)",
		Source: tf("ec2/vpc_flow_log.go"),
	},
	"aws:ec2/tag:Tag": {
		Actions: []string{"ec2:CreateTags", "ec2:DescribeTags", "ec2:DeleteTags"},
		Note:    "tags the security group EKS creates for the cluster (karpenter.sh/discovery)",
		Source:  tf("ec2/tag.go"),
	},
	"aws:ec2/securityGroup:SecurityGroup": {
		Actions: with([]string{"ec2:CreateSecurityGroup", "ec2:DescribeSecurityGroups", "ec2:AuthorizeSecurityGroupEgress",
			"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress",
			"ec2:DescribeNetworkInterfaces", "ec2:DeleteSecurityGroup"}, tags.ec2),
		Note:   "created by pulumi-eks inside eks:index:Cluster (the cluster and node security groups)",
		Source: tf("ec2/vpc_security_group.go"),
	},
	"aws:ec2/securityGroupRule:SecurityGroupRule": {
		Actions: []string{"ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress", "ec2:DescribeSecurityGroups",
			"ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress"},
		Note:   "created by pulumi-eks inside eks:index:Cluster",
		Source: tf("ec2/vpc_security_group_rule.go"),
	},

	// The cluster. The EKS cluster, its OIDC provider and pulumi-eks's access entry are also
	// registered by the offline runner as stand-ins for what pulumi-eks creates.
	"eks:index:Cluster": {
		Note: "pulumi-eks 2.8.1's remote component: the plan does not show its children. With this program's arguments " +
			"(skipDefaultNodeGroup, authenticationMode API, createOidcProvider, useDefaultVpcCni, the cluster role as serviceRole, " +
			"an empty instanceRoles) it creates the EKS cluster (bootstrapClusterCreatorAdminPermissions: true), a cluster and a node " +
			"security group with their rules, and the IAM OIDC provider; no IAM role and no access entry of its own. It also runs `aws --version` and `kubectl version` " +
			"on the deploying machine and fetches the OIDC issuer's TLS certificate (oidc.eks.<region>.amazonaws.com) from it.",
		Includes: []string{
			"aws:eks/cluster:Cluster", "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/securityGroupRule:SecurityGroupRule",
			"aws:iam/openIdConnectProvider:OpenIdConnectProvider",
		},
		Calls:  []string{"aws:index/getPartition:getPartition", "aws:index/getRegion:getRegion"},
		Source: "pulumi-eks v2.8.1 nodejs/eks/cluster.ts (createCore, createCluster), nodejs/eks/servicerole.ts, nodejs/eks/securitygroup.ts",
	},
	"aws:eks/cluster:Cluster": {
		Actions: with([]string{"eks:CreateCluster", "eks:DescribeCluster", "eks:DescribeUpdate", "eks:UpdateClusterConfig",
			"eks:UpdateClusterVersion", "eks:AssociateEncryptionConfig", "eks:DeleteCluster"}, tags.eks),
		Guarded: []Guarded{
			{Action: "iam:PassRole", Resource: EKSClusterRolePattern,
				Condition: map[string]map[string]string{"StringEquals": {"iam:PassedToService": "eks.amazonaws.com"}},
				Why:       "CreateCluster passes the cluster IAM role (the cluster component's, named as pulumi-eks named it) to EKS"},
			{Action: "kms:CreateGrant", Resource: "arn:aws:kms:*:*:key/*",
				Why: "CreateCluster and AssociateEncryptionConfig create a grant on the secrets key, with kms:DescribeKey " +
					"(EKS user guide, security-k8s.adoc); the key's policy lets the account's IAM policies grant both"},
			{Action: "iam:CreateServiceLinkedRole", Resource: serviceLinkedRole("eks.amazonaws.com", "AWSServiceRoleForAmazonEKS"),
				Why: "EKS creates AWSServiceRoleForAmazonEKS with the first cluster of the account (not needed once it exists)"},
		},
		Note: "the identity that creates the cluster gets cluster admin through the access entry EKS bootstraps for it " +
			"(pulumi-eks sets bootstrapClusterCreatorAdminPermissions: true); control-plane logs go to the log group the stack " +
			"creates before the cluster; adding secrets encryption to an existing cluster is AssociateEncryptionConfig",
		Source: tf("eks/cluster.go"),
	},
	"aws:eks/fargateProfile:FargateProfile": {
		Actions: with([]string{"eks:CreateFargateProfile", "eks:DescribeFargateProfile", "eks:DeleteFargateProfile"}, tags.eks),
		Guarded: []Guarded{
			{Action: "iam:PassRole", Resource: FargatePodExecutionRolePattern,
				Why: "CreateFargateProfile passes the pod execution role to EKS"},
			{Action: "iam:CreateServiceLinkedRole", Resource: serviceLinkedRole("eks-fargate.amazonaws.com", "AWSServiceRoleForAmazonEKSForFargate"),
				Why: "EKS creates AWSServiceRoleForAmazonEKSForFargate with the first Fargate profile of the account (not needed once it exists)"},
		},
		Source: tf("eks/fargate_profile.go"),
	},
	"aws:eks/addon:Addon": {
		Actions: with([]string{"eks:CreateAddon", "eks:DescribeAddon", "eks:DescribeUpdate", "eks:UpdateAddon", "eks:DeleteAddon"}, tags.eks),
		Note:    "CoreDNS and the VPC CNI (vpc-cni); no service account role, so nothing is passed",
		Source:  tf("eks/addon.go"),
	},
	"aws:eks/accessEntry:AccessEntry": {
		Actions: with([]string{"eks:CreateAccessEntry", "eks:DescribeAccessEntry", "eks:UpdateAccessEntry", "eks:DeleteAccessEntry"}, tags.eks),
		Note: "entries for the Karpenter node role (EC2_LINUX) and each " +
			"cluster.adminPrincipalArns principal (STANDARD): a policy can limit eks:CreateAccessEntry with the " +
			"eks:principalArn and eks:accessEntryType condition keys",
		Source: tf("eks/access_entry.go"),
	},
	"aws:eks/accessPolicyAssociation:AccessPolicyAssociation": {
		Actions: []string{"eks:AssociateAccessPolicy", "eks:ListAssociatedAccessPolicies", "eks:DisassociateAccessPolicy"},
		Note: "grants AmazonEKSClusterAdminPolicy (cluster scope) to each cluster.adminPrincipalArns principal: whoever may " +
			"call it can make any principal cluster admin (condition keys eks:policyArn, eks:principalArn, eks:accessScope)",
		Source: tf("eks/access_policy_association.go"),
	},

	// IAM.
	"aws:iam/role:Role": {
		Actions: with([]string{"iam:CreateRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
			"iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:DeleteRole"}, tags.iamRole),
		Note: "the roles of the cluster (pulumi-eks), the Fargate pods, Karpenter's controller (IRSA) and nodes, KEDA's " +
			"operator (IRSA) and each workload (IRSA): creating roles is privilege escalation in effect, so limit " +
			"iam:CreateRole with a permissions boundary (iam:PermissionsBoundary) or a path where the account requires it",
		Source: tf("iam/role.go"),
	},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
		Actions: []string{"iam:AttachRolePolicy", "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy"},
		Note: "AWS managed policies (AmazonEKSClusterPolicy, AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy, " +
			"AmazonEC2ContainerRegistryReadOnly/PullOnly, AmazonSSMManagedInstanceCore, AmazonEKSFargatePodExecutionRolePolicy) " +
			"and the Karpenter controller's own policies: iam:PolicyARN can limit which",
		Source: tf("iam/role_policy_attachment.go"),
	},
	"aws:iam/rolePolicy:RolePolicy": {
		Actions: []string{"iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"},
		Note:    "the KEDA operator's and each workload's inline queue policy",
		Source:  tf("iam/role_policy.go"),
	},
	"aws:iam/policy:Policy": {
		Actions: with([]string{"iam:CreatePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions",
			"iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:DeletePolicy"}, tags.iamPolicy),
		Note:   "the Karpenter controller's policies",
		Source: tf("iam/policy.go"),
	},
	"aws:iam/openIdConnectProvider:OpenIdConnectProvider": {
		Actions: with([]string{"iam:CreateOpenIDConnectProvider", "iam:GetOpenIDConnectProvider",
			"iam:UpdateOpenIDConnectProviderThumbprint", "iam:AddClientIDToOpenIDConnectProvider",
			"iam:RemoveClientIDFromOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider"}, tags.iamOIDC),
		Note: "created by pulumi-eks (createOidcProvider) for the cluster's issuer: every IRSA role trusts it. " +
			"iam:TagOpenIDConnectProvider is needed whenever the provider is created or updated with tags",
		Source: tf("iam/openid_connect_provider.go"),
	},
	"aws:iam/serviceLinkedRole:ServiceLinkedRole": {
		Actions: []string{"iam:GetRole", "iam:UpdateRoleDescription", "iam:TagRole", "iam:UntagRole",
			"iam:DeleteServiceLinkedRole", "iam:GetServiceLinkedRoleDeletionStatus"},
		Guarded: []Guarded{
			{Action: "iam:CreateServiceLinkedRole", Resource: serviceLinkedRole("spot.amazonaws.com", "AWSServiceRoleForEC2Spot"),
				Condition: map[string]map[string]string{"StringEquals": {"iam:AWSServiceName": "spot.amazonaws.com"}},
				Why:       "EC2 needs AWSServiceRoleForEC2Spot before spot capacity is requested through the API (Karpenter's CreateFleet)"},
		},
		Note: "one role per account: where it exists already, Create fails with a name conflict, so import it " +
			"(pulumi import aws:iam/serviceLinkedRole:ServiceLinkedRole ...) instead",
		Source: tf("iam/service_linked_role.go"),
	},

	// Queues and events.
	"aws:sqs/queue:Queue": {
		Actions: with([]string{"sqs:CreateQueue", "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:DeleteQueue"}, tags.sqs),
		Note:    "work queues, their DLQs and Karpenter's interruption queue",
		Source:  tf("sqs/queue.go"),
	},
	"aws:sqs/queuePolicy:QueuePolicy": need("sqs/queue_policy.go", nil,
		"sqs:SetQueueAttributes", "sqs:GetQueueAttributes"),
	"aws:cloudwatch/eventRule:EventRule": need("events/rule.go", tags.events,
		"events:PutRule", "events:DescribeRule", "events:EnableRule", "events:DisableRule", "events:ListTargetsByRule", "events:DeleteRule"),
	"aws:cloudwatch/eventTarget:EventTarget": {
		Actions: []string{"events:PutTargets", "events:ListTargetsByRule", "events:RemoveTargets"},
		Note:    "the target is Karpenter's interruption queue, which its queue policy opens to EventBridge: no role is passed",
		Source:  tf("events/target.go"),
	},

	// Monitoring and images.
	"aws:cloudwatch/metricAlarm:MetricAlarm": need("cloudwatch/metric_alarm.go", tags.cloudwatch,
		"cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"),
	"aws:cloudwatch/dashboard:Dashboard": need("cloudwatch/dashboard.go", nil,
		"cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"),
	"aws:kms/key:Key": {
		Actions: with([]string{"kms:CreateKey", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus",
			"kms:EnableKeyRotation", "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion"}, tags.kms),
		Note: "the alarm topic's key and the cluster's secrets key: their policies give the account (so IAM policies) kms:*, " +
			"so the deploying identity keeps managing them after creation",
		Source: tf("kms/key.go"),
	},
	"aws:kms/alias:Alias": {
		Actions: []string{"kms:CreateAlias", "kms:ListAliases", "kms:UpdateAlias", "kms:DeleteAlias"},
		Note:    "alias/<cluster>-eks-secrets; CreateAlias and DeleteAlias need the action on both the alias and the key",
		Source:  tf("kms/alias.go"),
	},
	"aws:cloudwatch/logGroup:LogGroup": need("logs/group.go", tags.logs,
		"logs:CreateLogGroup", "logs:DescribeLogGroups", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:DeleteLogGroup"),
	"aws:sns/topic:Topic": need("sns/topic.go", tags.sns,
		"sns:CreateTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:DeleteTopic"),
	"aws:sns/topicPolicy:TopicPolicy": need("sns/topic_policy.go", nil,
		"sns:SetTopicAttributes", "sns:GetTopicAttributes"),
	"aws:sns/topicSubscription:TopicSubscription": {
		Actions: []string{"sns:Subscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe"},
		Note:    "e-mail subscriptions stay pending until the recipient confirms",
		Source:  tf("sns/topic_subscription.go"),
	},
	"aws:ecr/repository:Repository": {
		Actions: with([]string{"ecr:CreateRepository", "ecr:DescribeRepositories", "ecr:PutImageTagMutability",
			"ecr:PutImageScanningConfiguration", "ecr:DeleteRepository"}, tags.ecr),
		Note:   "registry.forceDelete (dev) deletes the images with the repository",
		Source: tf("ecr/repository.go"),
	},
	"aws:ecr/lifecyclePolicy:LifecyclePolicy": need("ecr/lifecycle_policy.go", nil,
		"ecr:PutLifecyclePolicy", "ecr:GetLifecyclePolicy", "ecr:DeleteLifecyclePolicy"),
}

// Invokes are the needs per provider function token.
var Invokes = map[string]Need{
	"aws:index/getCallerIdentity:getCallerIdentity": {
		Actions: []string{"sts:GetCallerIdentity"},
		Note:    "needs no permission (an explicit deny does not stop it); listed because it is called",
		Source:  "AWS STS API Reference, GetCallerIdentity",
	},
	"aws:index/getAvailabilityZones:getAvailabilityZones": {
		Actions: []string{"ec2:DescribeAvailabilityZones"},
		Note:    "only when network.availabilityZones is empty",
		Source:  tf("ec2/ec2_availability_zones_data_source.go"),
	},
	"aws:index/getPartition:getPartition": {
		Note:   "answered by the provider from its region, no AWS call",
		Source: tf("meta/partition_data_source.go"),
	},
	"aws:index/getRegion:getRegion": {
		Note:   "answered by the provider from its configuration, no AWS call (pulumi-eks calls it for the OIDC issuer's host)",
		Source: tf("meta/region_data_source.go"),
	},
}

// ClusterAccess says how the deploying identity reaches the Kubernetes API: every kubernetes:*
// resource is applied through it.
const ClusterAccess = "Kubernetes objects and Helm charts are applied by the Kubernetes provider with the kubeconfig " +
	"pulumi-eks generates, which runs `aws eks get-token` as the deploying identity (a presigned " +
	"sts:GetCallerIdentity, which needs no IAM permission). The cluster authorizes that identity through " +
	"the EKS access entry that EKS creates for the cluster's creator at creation (pulumi-eks 2.8.1 sets " +
	"accessConfig.bootstrapClusterCreatorAdminPermissions: true; the entry has AmazonEKSClusterAdminPolicy " +
	"and is not managed by the program). So the identity that runs `pulumi up` must be the one that " +
	"created the cluster, or be listed in cluster.adminPrincipalArns (an access entry of type STANDARD " +
	"with AmazonEKSClusterAdminPolicy, cluster scope, infra/access.go). Do not list the creating identity " +
	"there as well: EKS refuses the duplicate entry. An identity that assumes a role is the role, not " +
	"its session."

// Families are the needs of types named by a token prefix.
var Families = []Family{
	{Prefix: "kubernetes:", Need: Need{Note: "no AWS permission: the cluster's Kubernetes API, authorized by the deploying " +
		"identity's EKS access entry (see Cluster access). Helm charts are read from public registries (public.ecr.aws, " +
		"kedacore.github.io) anonymously."}},
	{Prefix: "pulumi:providers:", Need: Need{Note: "no AWS permission: the Kubernetes provider object"}},
	{Prefix: "eventscale:", Need: Need{Note: "no AWS permission: the program's component resources, which only group their children"}},
}

// Resource returns the need of a resource type token: its own entry, else its family's.
func Resource(token string) (Need, bool) {
	if n, ok := Resources[token]; ok {
		return n, true
	}
	for _, f := range Families {
		if strings.HasPrefix(token, f.Prefix) {
			return f.Need, true
		}
	}
	return Need{}, false
}

// Invoke returns the need of a provider function token.
func Invoke(token string) (Need, bool) {
	n, ok := Invokes[token]
	return n, ok
}

// ServiceOf returns the service an action belongs to.
func ServiceOf(action string) (Service, bool) {
	prefix, _, _ := strings.Cut(action, ":")
	for _, s := range Services {
		if s.Prefix == prefix {
			return s, true
		}
	}
	return Service{}, false
}

// sortedKeys returns m's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
