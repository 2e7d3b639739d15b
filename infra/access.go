package infra

import (
	"crypto/sha256"
	"encoding/hex"
)

// EKS access policies and entry types used for cluster access (authentication mode API).
const (
	// ClusterAdminAccessPolicy is the EKS access policy that grants cluster-admin.
	ClusterAdminAccessPolicy = "AmazonEKSClusterAdminPolicy"
	// AccessEntryTypeStandard is the access entry type of people and CI roles (not nodes).
	AccessEntryTypeStandard = "STANDARD"
	// AccessScopeCluster scopes an access policy association to the whole cluster.
	AccessScopeCluster = "cluster"
)

// EKSAccessPolicyArn is the ARN of an EKS access policy (not an IAM policy) in a partition,
// e.g. arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy.
func EKSAccessPolicyArn(partition, name string) string {
	return "arn:" + partition + ":eks::aws:cluster-access-policy/" + name
}

// AccessEntryKey is the stable part of the Pulumi names of a principal's access entry and
// policy association: the first 10 hex digits of the SHA-256 of its ARN. It depends on the
// ARN alone, not on the principal's position in the list, so removing or reordering other
// principals never renames (and so never replaces) an entry. The full ARN, not the role or
// user name, is hashed: names are unique only within one account and IAM path.
func AccessEntryKey(principalArn string) string { return stableKey(principalArn) }

// stableKey is the first 10 hex digits of the SHA-256 of s: a short Pulumi name part that
// depends on s alone.
func stableKey(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:10]
}
