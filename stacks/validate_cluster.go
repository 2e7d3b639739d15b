package stacks

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/eventscale/eventscale/infra"
)

var (
	clusterNameRe = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]*$`)
	versionRe     = regexp.MustCompile(`^1\.\d+$`)
	iamArnRe      = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$`)
)

func (c Config) validateCluster(v *validator) {
	cl := c.Cluster
	if len(cl.Name) > 100 || !clusterNameRe.MatchString(cl.Name) {
		v.add("%s must be 1 to 100 letters, digits, '-' or '_' starting with a letter or digit, got %q", key("cluster", "name"), cl.Name)
	}
	if !versionRe.MatchString(cl.Version) {
		v.add("%s must be a Kubernetes minor version such as %q, got %q", key("cluster", "version"), infra.DefaultKubernetesVersion, cl.Version)
	} else if _, ok := infra.KubernetesReleaseOf(cl.Version); !ok {
		first, last := infra.KubernetesReleases[0].Version, infra.KubernetesReleases[len(infra.KubernetesReleases)-1].Version
		v.add("%s must be from %s to %s (EKS minors that Karpenter %s supports and that are in EKS standard or extended support), got %q",
			key("cluster", "version"), first, last, infra.KarpenterVersion, cl.Version)
	}
	if !cl.EndpointPublicAccess && !cl.EndpointPrivateAccess {
		v.add("%s and %s cannot both be false: nothing could reach the API server", key("cluster", "endpointPublicAccess"), key("cluster", "endpointPrivateAccess"))
	}
	if cl.EndpointPublicAccess && len(cl.PublicAccessCidrs) == 0 {
		v.add("%s is empty while %s is true: list your deploy runner's and administrators' egress ranges, "+
			"or %q to open the endpoint to the internet, or set %s false", key("cluster", "publicAccessCidrs"), key("cluster", "endpointPublicAccess"),
			infra.OpenToTheInternet, key("cluster", "endpointPublicAccess"))
	}
	for i, s := range cl.PublicAccessCidrs {
		if p, err := netip.ParsePrefix(s); err != nil || !p.Addr().Is4() || p.Masked() != p {
			v.add("%s[%d] must be an IPv4 network such as \"203.0.113.0/24\", got %q", key("cluster", "publicAccessCidrs"), i, s)
		}
	}
	for i, t := range cl.LogTypes {
		if !slices.Contains(infra.ClusterLogTypes, t) {
			v.add("%s[%d] must be one of %s, got %q", key("cluster", "logTypes"), i, strings.Join(infra.ClusterLogTypes, ", "), t)
		}
	}
	checkLogRetention(v, key("cluster", "logRetentionDays"), cl.LogRetentionDays)
	if cl.SecretsKmsKeyArn != "" && !infra.KMSKeyArnRe.MatchString(cl.SecretsKmsKeyArn) {
		v.add("%s must be a KMS key ARN such as \"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\" (a key, not an alias), got %q",
			key("cluster", "secretsKmsKeyArn"), cl.SecretsKmsKeyArn)
	} else if r := strings.Split(cl.SecretsKmsKeyArn, ":"); cl.SecretsKmsKeyArn != "" && c.Region != "" && r[3] != c.Region {
		// "Created in the same AWS Region as the cluster" (EKS user guide, enable-kms.adoc).
		v.add("%s must be a key in the stack's region %s (EKS uses keys of the cluster's region only), got %q", key("cluster", "secretsKmsKeyArn"), c.Region, cl.SecretsKmsKeyArn)
	}
	for i, a := range cl.AdminPrincipalArns {
		if !iamArnRe.MatchString(a) {
			v.add("%s[%d] must be an IAM role or user ARN such as \"arn:aws:iam::123456789012:role/admin\", got %q", key("cluster", "adminPrincipalArns"), i, a)
		}
		if j := slices.Index(cl.AdminPrincipalArns, a); j != i {
			v.add("%s[%d] repeats %q of %s[%d] (EKS allows one access entry per principal)", key("cluster", "adminPrincipalArns"), i, a, key("cluster", "adminPrincipalArns"), j)
		}
	}
}
