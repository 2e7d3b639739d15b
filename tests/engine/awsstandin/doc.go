// Package awsstandin is a STAND-IN for AWS in the real-engine test tier: a resource provider
// plugin named pulumi-resource-aws (cmd/pulumi-resource-aws) that the real Pulumi engine loads in
// place of pulumi-aws, whose provider binary cannot be obtained here, and, the same binary under
// the name aws, an `aws` command that answers the one call the kubeconfig pulumi-eks generates
// makes: `aws eks get-token --cluster-name NAME --output json` (and, as kubectl, pulumi-eks's
// kubectl version check).
//
// The provider speaks the plugin gRPC protocol (pulumirpc.ResourceProviderServer) and talks to no
// AWS endpoint. It makes up every id, ARN, name and URL through internal/offline's Derivation, the
// same one the offline plan's mocks answer through, so the two tiers cannot drift apart; the
// aws:eks/cluster:Cluster outputs (endpoint, certificateAuthority.data,
// identities[0].oidcs[0].issuer) point at a real Kubernetes API server the tier names in the
// environment. What it therefore cannot show: AWS's validation of inputs (any input is accepted),
// eventual consistency (everything exists the moment it is created), real ARNs and ids (they only
// follow AWS's formats, in account offline.AccountID), IAM evaluation (no policy is evaluated,
// no credential checked), quotas and limits, and anything AWS does by itself (EKS runs no control
// plane; the tier's kube-apiserver stands in for it).
//
// Which changes replace a resource (Diff) follows terraform-provider-aws's ForceNew fields for
// every type the program and pulumi-eks create (replacements; a type without rules is an error),
// and whether a replacement deletes the old resource first follows pulumi-terraform-bridge's
// decision for a name the program set itself (deleteBeforeReplace).
//
// Environment, read by the provider when it starts:
//   - EVENTSCALE_AWS_STANDIN_LOG: a file every operation is appended to as one JSON line (Op);
//     unset, nothing is logged.
//   - EVENTSCALE_AWS_STANDIN_EKS_ENDPOINT, EVENTSCALE_AWS_STANDIN_EKS_CA_DATA (base64 PEM) and
//     EVENTSCALE_AWS_STANDIN_EKS_ISSUER: the API server an EKS cluster's outputs describe; all
//     three or none (then the example values of the offline plan).
//
// and by the aws command:
//   - EVENTSCALE_AWS_STANDIN_TOKEN: the bearer token get-token returns, one the tier's API server
//     accepts (its static token file).
package awsstandin
