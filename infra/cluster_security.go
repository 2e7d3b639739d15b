package infra

import (
	"net/netip"
	"regexp"
)

// The control plane's security baseline: the sources of each choice, read 2026-12-07.
//   - Endpoint: EKS Best Practices Guide, Security, "Make the EKS Cluster Endpoint private"
//     (docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html);
//     CIS Amazon EKS Benchmark v1.7 5.4.1 ("Restrict Access to the Control Plane Endpoint") and
//     5.4.2 ("Ensure clusters are created with Private Endpoint Enabled and Public Access
//     Disabled"); EKS user guide, "Cluster API server endpoint" (awsdocs/amazon-eks-user-guide
//     commit 4d52b4d0, latest/ug/clusters/cluster-endpoint.adoc: with no CIDR blocks the public
//     endpoint "receives requests from all (0.0.0.0/0) IP addresses"; "The blocks cannot include
//     reserved addresses").
//   - Secrets encryption: EKS Best Practices Guide, Security, "Data encryption and secrets
//     management" (encrypt Kubernetes secrets with a KMS key); terraform-aws-modules/eks v21
//     creates a key per cluster (create_kms_key = true, enable_kms_key_rotation = true); the EKS user guide,
//     latest/ug/security/security-k8s.adoc (the principal that calls CreateCluster needs
//     kms:DescribeKey and kms:CreateGrant) and latest/ug/security/iam-reference/cluster-iam-role.adoc
//     (the cluster role's minimal policy holds kms:DescribeKey).
//   - Control-plane logs: CIS Amazon EKS Benchmark v1.7 2.1.1 ("Enable audit Logs"; all five log
//     types); the EKS user guide, latest/ug/observability/control-plane-logs.adoc (the log group
//     is "/aws/eks/<cluster>/cluster"); terraform-aws-modules/eks v21 variables.tf
//     (cloudwatch_log_group_retention_in_days, default 90, and a log group created before the
//     cluster).

// ClusterLogTypes are the EKS control-plane log types, all of which the cluster sends by
// default (CIS 2.1.1).
var ClusterLogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}

// DefaultLogRetentionDays is the control-plane log group's retention unless configured:
// terraform-aws-modules/eks v21's default (variables.tf, cloudwatch_log_group_retention_in_days).
const DefaultLogRetentionDays = 90

// ClusterLogGroupName is the log group EKS sends a cluster's control-plane logs to (and creates
// itself when it is missing).
func ClusterLogGroupName(cluster string) string { return "/aws/eks/" + cluster + "/cluster" }

// SecretsKeyAlias is the alias of the KMS key the component creates for a cluster's secrets.
func SecretsKeyAlias(cluster string) string { return "alias/" + cluster + "-eks-secrets" }

// SecretsKeyDeletionWindowDays is the waiting period before KMS deletes a scheduled key: the
// maximum (KMS API Reference, ScheduleKeyDeletion, PendingWindowInDays 7 to 30), since a cluster
// whose key is gone cannot be recovered (EKS user guide, security-k8s.adoc: deleting the key
// "permanently put[s] the cluster in a degraded state").
const SecretsKeyDeletionWindowDays = 30

// EKSServicePrincipal is the service that assumes an EKS cluster role.
const EKSServicePrincipal = "eks.amazonaws.com"

// EKSClusterTrust is the trust policy of the EKS cluster role.
func EKSClusterTrust() PolicyDocument { return ServiceTrust(EKSServicePrincipal, nil) }

// EKSClusterPolicy is the AWS managed policy of the EKS cluster role.
const EKSClusterPolicy = "AmazonEKSClusterPolicy"

// ClusterSecretsKeyActions are what the cluster role may do with its secrets key: encrypt and
// decrypt data keys for the secrets (the KMS plugin of the API server), describe the key (the
// cluster role's minimal policy in the EKS user guide), and create and list the grants EKS uses
// (as terraform-aws-modules/eks v21 gives its cluster role: kms:Encrypt, kms:Decrypt,
// kms:ListGrants, kms:DescribeKey; CreateGrant for the association, security-k8s.adoc).
var ClusterSecretsKeyActions = []string{"kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:ListGrants"}

// ClusterSecretsKeyPolicy is the key policy of the KMS key that encrypts a cluster's secrets:
// KMS's default statement (the account administers the key through IAM, so the deploying
// identity keeps it) and ClusterSecretsKeyActions for the cluster role, nothing wider.
func ClusterSecretsKeyPolicy(partition, accountID, clusterRoleArn string) PolicyDocument {
	return KeyPolicy(partition, accountID, "AllowTheClusterRoleToUseTheKey", map[string]any{"AWS": clusterRoleArn}, ClusterSecretsKeyActions)
}

// KMSKeyArnRe is the shape of a KMS key ARN (not an alias: EKS needs the key).
var KMSKeyArnRe = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$`)

// OpenToTheInternet is the CIDR that opens the public endpoint to every address.
const OpenToTheInternet = "0.0.0.0/0"

// DocumentationRanges are the IPv4 networks RFC 5737 reserves for documentation: no request
// comes from them, so an endpoint restricted to one of them is reachable from nowhere (a
// placeholder to replace).
var DocumentationRanges = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
}

// DocumentationRange returns the RFC 5737 range that holds all of cidr, if one does.
func DocumentationRange(cidr string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return netip.Prefix{}, false
	}
	for _, d := range DocumentationRanges {
		if d.Bits() <= p.Bits() && d.Contains(p.Addr()) {
			return d, true
		}
	}
	return netip.Prefix{}, false
}

// VpcCniAddonName is the EKS add-on of the Amazon VPC CNI plugin.
const VpcCniAddonName = "vpc-cni"

// VpcCniConfiguration turns on the VPC CNI's network policy agent, which enforces Kubernetes
// NetworkPolicy on the EC2 (Karpenter) nodes; Fargate pods are not subject to it. Source: the
// EKS user guide (awsdocs/amazon-eks-user-guide commit 4d52b4d0,
// latest/ug/networking/eks-networking-add-ons.adoc, "Restrict Pod network traffic with Kubernetes
// network policies": the add-on's configuration value `{"enableNetworkPolicy": "true"}`, and
// "you can apply the policies to Amazon EC2 Linux nodes only. You can't apply the policies to
// Fargate or Windows nodes").
const VpcCniConfiguration = `{"enableNetworkPolicy":"true"}`

// KeyPolicy is a KMS key policy of two statements: KeyAdministeredByAccount, and sid letting
// principal use the key for actions (a key policy's resource is the key itself: "*").
func KeyPolicy(partition, accountID, sid string, principal map[string]any, actions []string) PolicyDocument {
	return NewPolicy(KeyAdministeredByAccount(partition, accountID), Statement{
		Sid: sid, Effect: "Allow", Principal: principal, Action: append([]string(nil), actions...), Resource: []string{"*"},
	})
}

// KeyAdministeredByAccount is KMS's default key policy statement: the account (its root) may do
// anything with the key, which lets the account's IAM policies grant access to it (AWS KMS
// Developer Guide, "Default key policy": "Allows access to the AWS account and enables IAM
// policies").
func KeyAdministeredByAccount(partition, accountID string) Statement {
	return Statement{
		Sid:       "EnableIAMPolicies",
		Effect:    "Allow",
		Principal: map[string]any{"AWS": "arn:" + partition + ":iam::" + accountID + ":root"},
		Action:    []string{"kms:*"},
		Resource:  []string{"*"},
	}
}
