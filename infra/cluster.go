package infra

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// ClusterSettings is the `eventscale:cluster` section: the EKS control plane. It is the config
// section (stacks.Config.Cluster) and the settings of the cluster component (cluster.Args).
type ClusterSettings struct {
	// Name is the EKS cluster name (also the karpenter.sh/discovery tag value); empty in config
	// means "<project>-<stack>", which the stack fills in before the component sees it.
	Name string `json:"name"`
	// Version is the Kubernetes minor version, e.g. "1.35".
	Version string `json:"version"`
	// EndpointPublicAccess exposes the API server endpoint to the internet, to PublicAccessCidrs
	// only: true with no CIDRs is refused.
	EndpointPublicAccess bool `json:"endpointPublicAccess"`
	// EndpointPrivateAccess exposes the API server endpoint inside the VPC.
	EndpointPrivateAccess bool `json:"endpointPrivateAccess"`
	// PublicAccessCidrs are the networks that reach the public endpoint (your deploy runner's and
	// administrators' egress ranges); "0.0.0.0/0" opens it to the internet and only then does so.
	PublicAccessCidrs []string `json:"publicAccessCidrs"`
	// LogTypes are the control-plane log types sent to CloudWatch Logs.
	LogTypes []string `json:"logTypes"`
	// LogRetentionDays is how long the control-plane log group keeps its events; one of
	// LogRetentionDays (infra/logs.go).
	LogRetentionDays int `json:"logRetentionDays"`
	// SecretsKmsKeyArn is a KMS key of your own that encrypts the cluster's Kubernetes secrets;
	// empty means the component creates one for the cluster.
	SecretsKmsKeyArn string `json:"secretsKmsKeyArn"`
	// Protect marks the EKS cluster and its secrets key `protect`, so `pulumi destroy` refuses to
	// delete them.
	Protect bool `json:"protect"`
	// AdminPrincipalArns get an EKS access entry with AmazonEKSClusterAdminPolicy (cluster scope).
	AdminPrincipalArns []string `json:"adminPrincipalArns"`
}

// FargateSettings is the `eventscale:fargate` section: which namespaces run on Fargate. The
// cluster component's Fargate profile selects them.
type FargateSettings struct {
	// Namespaces are selected by the Fargate profile; must include kube-system (CoreDNS) and the
	// Karpenter and KEDA namespaces, so that an idle cluster has no EC2 nodes.
	Namespaces []string `json:"namespaces"`
}

// FirstFargateProfileName is the name the first release gave the Fargate profile, whatever
// its namespaces. Stacks deployed by it keep this name (and the profile) until their
// namespaces change: see FargateProfileName.
const FirstFargateProfileName = "system"

// FargateProfileName is the name of the Fargate profile that selects namespaces and places its
// pods in subnetIDs: FirstFargateProfileName, "-" and the first 8 hex digits of the SHA-256 of
// the sorted namespaces and the sorted subnet ids, so the same sets in any order give the same
// name and a change of either set gives another.
//
// EKS cannot change a profile: pulumi-aws replaces it when its selectors or subnets change (the
// bridged terraform-provider-aws marks `selector`, `subnet_ids`, `pod_execution_role_arn`,
// `cluster_name` and `fargate_profile_name` ForceNew: internal/service/eks/fargate_profile.go,
// read 2026-12-08 at the v5-line commits fd91d1b79 and 1455913b0 of
// hashicorp/terraform-provider-aws; the snapshot of the tag pulumi-aws v6.83.4 bridges was too
// large to fetch; the role's ARN and the cluster's name do not change while the cluster lives).
// Deleting a profile deletes the pods it runs, which then go to another profile that matches
// them, or stay Pending (Amazon EKS User Guide, "Delete a Fargate profile",
// https://docs.aws.amazon.com/eks/latest/userguide/delete-fargate-profile.html, read
// 2026-12-08). With a name that follows what replaces the profile, the replacement has a new
// name, so it can be created, and become ACTIVE (the provider waits for it), before the old
// profile is deleted, as the EKS API reference advises ("create a new updated profile to
// replace an existing profile and then delete the original after the updated profile has
// finished creating", CreateFargateProfile,
// https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateFargateProfile.html, read
// 2026-12-08). The EKS API reference gives no pattern or length for the name; this one is 15
// characters of [a-z0-9-], like "system" and the user guide's examples.
func FargateProfileName(namespaces, subnetIDs []string) string {
	key := strings.Join(slices.Sorted(slices.Values(namespaces)), ",") + ";" +
		strings.Join(slices.Sorted(slices.Values(subnetIDs)), ",")
	sum := sha256.Sum256([]byte(key))
	return FirstFargateProfileName + "-" + hex.EncodeToString(sum[:])[:8]
}
