package infra

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
