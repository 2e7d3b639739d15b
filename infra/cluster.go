package infra

// ClusterSettings is the `eventscale:cluster` section: the EKS control plane. It is the config
// section (stacks.Config.Cluster) and the settings of the cluster component (cluster.Args).
type ClusterSettings struct {
	// Name is the EKS cluster name (also the karpenter.sh/discovery tag value); empty in config
	// means "<project>-<stack>", which the stack fills in before the component sees it.
	Name string `json:"name"`
	// Version is the Kubernetes minor version, e.g. "1.35".
	Version string `json:"version"`
	// EndpointPublicAccess exposes the API server endpoint to the internet (restricted by PublicAccessCidrs).
	EndpointPublicAccess bool `json:"endpointPublicAccess"`
	// EndpointPrivateAccess exposes the API server endpoint inside the VPC.
	EndpointPrivateAccess bool `json:"endpointPrivateAccess"`
	// PublicAccessCidrs limits who reaches the public endpoint.
	PublicAccessCidrs []string `json:"publicAccessCidrs"`
	// LogTypes are the control-plane log types sent to CloudWatch.
	LogTypes []string `json:"logTypes"`
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
