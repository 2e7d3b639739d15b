package stacks

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/eventscale/eventscale/infra"
)

var (
	regionRe       = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$`)
	clusterNameRe  = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]*$`)
	versionRe      = regexp.MustCompile(`^1\.\d+$`)
	amiAliasRe     = regexp.MustCompile(`^(al2023|bottlerocket)@(latest|v\d{8}|v?\d+\.\d+\.\d+)$`)
	instanceRe     = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9-]+$`)
	iamArnRe       = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$`)
	budgetRe       = regexp.MustCompile(`^((100|[0-9]{1,2})%|[0-9]+)$`)
	volumeSizeRe   = regexp.MustCompile(`^[1-9][0-9]*(G|Gi|T|Ti)$`)
	imageRe        = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$`)
	tagRe          = regexp.MustCompile(`^[\w.-]{1,128}$`)
	dnsLabelRe     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dnsSubdomainRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	logTypes       = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}
)

// Validate checks the whole configuration and returns every problem at once, each naming the
// config key and quoting the offending value. It creates nothing and calls no service.
func (c Config) Validate() error {
	v := &validator{}
	if c.Region == "" {
		v.add("%s is required: set it with `pulumi config set aws:region <region>`", RegionKey)
	} else if !regionRe.MatchString(c.Region) {
		v.add("%s must be an AWS region such as \"us-west-2\", got %q", RegionKey, c.Region)
	}
	c.validateNetwork(v)
	c.validateCluster(v)
	c.validateFargate(v)
	c.validateKarpenter(v)
	c.validateKeda(v)
	c.validateQueue(v)
	c.validateWorkloads(v)
	c.validateCapacity(v)
	c.validateTags(v)
	return v.err()
}

type validator struct{ errs []error }

func (v *validator) add(format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf(format, args...))
}
func (v *validator) err() error { return errors.Join(v.errs...) }

func key(section, field string) string { return Namespace + ":" + section + "." + field }

func (c Config) validateNetwork(v *validator) {
	n := c.Network
	vpc, err := netip.ParsePrefix(n.VpcCidr)
	switch {
	case err != nil || !vpc.Addr().Is4():
		v.add("%s must be an IPv4 CIDR such as \"10.0.0.0/16\", got %q", key("network", "vpcCidr"), n.VpcCidr)
		vpc = netip.Prefix{}
	case vpc.Masked() != vpc:
		v.add("%s has host bits set: %q is not a network address (did you mean %q?)", key("network", "vpcCidr"), n.VpcCidr, vpc.Masked().String())
		vpc = netip.Prefix{}
	case vpc.Bits() < 16 || vpc.Bits() > 24:
		v.add("%s must have a prefix length from /16 to /24 (AWS allows /16 to /28; EKS needs room for pods), got %q", key("network", "vpcCidr"), n.VpcCidr)
		vpc = netip.Prefix{}
	}
	if n.AzCount < 2 || n.AzCount > 6 {
		v.add("%s must be from 2 to 6 (EKS needs subnets in at least two zones), got %d", key("network", "azCount"), n.AzCount)
	}
	if len(n.AvailabilityZones) > 0 {
		if len(n.AvailabilityZones) != n.AzCount {
			v.add("%s lists %d zones but %s is %d", key("network", "availabilityZones"), len(n.AvailabilityZones), key("network", "azCount"), n.AzCount)
		}
		for i, z := range n.AvailabilityZones {
			if c.Region != "" && (!strings.HasPrefix(z, c.Region) || len(z) != len(c.Region)+1) {
				v.add("%s[%d] must be a zone of region %q such as %q, got %q", key("network", "availabilityZones"), i, c.Region, c.Region+"a", z)
			}
			if slices.Index(n.AvailabilityZones, z) != i {
				v.add("%s[%d] repeats zone %q", key("network", "availabilityZones"), i, z)
			}
		}
	}
	if n.NatGateways != NatSingle && n.NatGateways != NatOnePerAz {
		v.add("%s must be %q or %q, got %q", key("network", "natGateways"), NatSingle, NatOnePerAz, n.NatGateways)
	}
	checkPrefixLen := func(field string, bits int) bool {
		if bits < 16 || bits > 28 {
			v.add("%s must be from 16 to 28, got %d", key("network", field), bits)
			return false
		}
		if vpc.IsValid() && bits < vpc.Bits() {
			v.add("%s (%d) is shorter than the VPC's /%d", key("network", field), bits, vpc.Bits())
			return false
		}
		return true
	}
	okPriv := checkPrefixLen("privateSubnetPrefixLength", n.PrivateSubnetPrefixLength)
	okPub := checkPrefixLen("publicSubnetPrefixLength", n.PublicSubnetPrefixLength)
	if !vpc.IsValid() || n.AzCount < 2 || n.AzCount > 6 {
		return
	}
	// Explicit subnets: syntax, inside the VPC, count. Computed ones: they must fit.
	var all []netip.Prefix
	var names []string
	for _, side := range []struct {
		field string
		cidrs []string
	}{{"privateSubnetCidrs", n.PrivateSubnetCidrs}, {"publicSubnetCidrs", n.PublicSubnetCidrs}} {
		if len(side.cidrs) == 0 {
			continue
		}
		if len(side.cidrs) != n.AzCount {
			v.add("%s lists %d subnets but %s is %d (one subnet per zone)", key("network", side.field), len(side.cidrs), key("network", "azCount"), n.AzCount)
		}
		for i, s := range side.cidrs {
			p, err := netip.ParsePrefix(s)
			name := fmt.Sprintf("%s[%d]", key("network", side.field), i)
			switch {
			case err != nil || !p.Addr().Is4() || p.Masked() != p:
				v.add("%s must be an IPv4 network such as \"10.0.0.0/19\", got %q", name, s)
			case !vpc.Contains(p.Addr()) || p.Bits() < vpc.Bits():
				v.add("%s %q is outside %s %q", name, s, key("network", "vpcCidr"), n.VpcCidr)
			case p.Bits() > 28:
				v.add("%s %q is smaller than /28, the smallest subnet AWS allows", name, s)
			default:
				all = append(all, p)
				names = append(names, fmt.Sprintf("%s %q", name, s))
			}
		}
	}
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			if all[i].Overlaps(all[j]) {
				v.add("%s overlaps %s", names[i], names[j])
			}
		}
	}
	if okPriv && okPub && (len(n.PrivateSubnetCidrs) == 0 || len(n.PublicSubnetCidrs) == 0) {
		if _, _, err := infra.SubnetPlan(n.VpcCidr, n.AzCount, n.PrivateSubnetPrefixLength, n.PublicSubnetPrefixLength); err != nil {
			v.add("%s %q cannot hold %d private /%d and %d public /%d subnets: %v", key("network", "vpcCidr"), n.VpcCidr,
				n.AzCount, n.PrivateSubnetPrefixLength, n.AzCount, n.PublicSubnetPrefixLength, err)
		}
	}
}

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
		v.add("%s must list at least one CIDR while %s is true", key("cluster", "publicAccessCidrs"), key("cluster", "endpointPublicAccess"))
	}
	for i, s := range cl.PublicAccessCidrs {
		if p, err := netip.ParsePrefix(s); err != nil || !p.Addr().Is4() || p.Masked() != p {
			v.add("%s[%d] must be an IPv4 network such as \"203.0.113.0/24\", got %q", key("cluster", "publicAccessCidrs"), i, s)
		}
	}
	for i, t := range cl.LogTypes {
		if !slices.Contains(logTypes, t) {
			v.add("%s[%d] must be one of %s, got %q", key("cluster", "logTypes"), i, strings.Join(logTypes, ", "), t)
		}
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

func (c Config) validateFargate(v *validator) {
	ns := c.Fargate.Namespaces
	if len(ns) == 0 || len(ns) > 5 {
		v.add("%s must list 1 to 5 namespaces (an EKS Fargate profile takes at most 5 selectors), got %d", key("fargate", "namespaces"), len(ns))
	}
	for i, n := range ns {
		checkDNSLabel(v, fmt.Sprintf("%s[%d]", key("fargate", "namespaces"), i), n)
	}
	for _, need := range []struct{ ns, why string }{
		{"kube-system", "CoreDNS runs there and there are no EC2 nodes until Karpenter makes some"},
		{c.Karpenter.Namespace, "Karpenter cannot run on the nodes it creates (" + key("karpenter", "namespace") + ")"},
		{c.Keda.Namespace, "KEDA must run while there are no EC2 nodes, to scale from zero (" + key("keda", "namespace") + ")"},
	} {
		if need.ns != "" && !slices.Contains(ns, need.ns) {
			v.add("%s must include %q: %s; got %q", key("fargate", "namespaces"), need.ns, need.why, ns)
		}
	}
}

func (c Config) validateKarpenter(v *validator) {
	k := c.Karpenter
	checkDNSLabel(v, key("karpenter", "namespace"), k.Namespace)
	checkDNSSubdomain(v, key("karpenter", "serviceAccount"), k.ServiceAccount)
	if k.Replicas < 1 || k.Replicas > 5 {
		v.add("%s must be from 1 to 5, got %d", key("karpenter", "replicas"), k.Replicas)
	}
	checkQuantity(v, key("karpenter", "controllerCpu"), k.ControllerCPU)
	checkQuantity(v, key("karpenter", "controllerMemory"), k.ControllerMemory)

	p := k.NodePool
	pk := func(f string) string { return key("karpenter", "nodePool."+f) }
	checkDNSSubdomain(v, pk("name"), p.Name)
	checkLabelValueLength(v, pk("name"), p.Name, "karpenter.sh/nodepool")
	checkEnum(v, pk("capacityTypes"), p.CapacityTypes, []string{"on-demand", "spot", "reserved"})
	checkEnum(v, pk("architectures"), p.Architectures, []string{"amd64", "arm64"})
	if len(p.InstanceTypes) == 0 && len(p.InstanceCategories) == 0 {
		v.add("%s or %s must be set, or Karpenter may launch any instance type in the account", pk("instanceTypes"), pk("instanceCategories"))
	}
	for i, t := range p.InstanceTypes {
		if !instanceRe.MatchString(t) {
			v.add("%s[%d] must be an EC2 instance type such as \"m6i.large\", got %q", pk("instanceTypes"), i, t)
		}
	}
	for i, cat := range p.InstanceCategories {
		if len(cat) != 1 || cat[0] < 'a' || cat[0] > 'z' {
			v.add("%s[%d] must be a one-letter instance category such as \"c\", \"m\" or \"r\", got %q", pk("instanceCategories"), i, cat)
		}
	}
	if g := p.InstanceGenerationGreaterThan; g != nil && (*g < 1 || *g > 10) {
		v.add("%s must be from 1 to 10, got %d", pk("instanceGenerationGreaterThan"), *g)
	}
	if m := p.MaxInstanceCPU; m != nil && (*m < 1 || *m > 1024) {
		v.add("%s must be from 1 to 1024 (vCPUs) or null (no bound), got %d", pk("maxInstanceCpu"), *m)
	}
	checkQuantity(v, pk("limitCpu"), p.LimitCPU)
	checkQuantity(v, pk("limitMemory"), p.LimitMemory)
	if p.ConsolidationPolicy != "WhenEmpty" && p.ConsolidationPolicy != "WhenEmptyOrUnderutilized" {
		v.add("%s must be \"WhenEmpty\" or \"WhenEmptyOrUnderutilized\", got %q", pk("consolidationPolicy"), p.ConsolidationPolicy)
	}
	checkDuration(v, pk("consolidateAfter"), p.ConsolidateAfter, false)
	checkDuration(v, pk("expireAfter"), p.ExpireAfter, true)
	if !budgetRe.MatchString(p.DisruptionBudgetNodes) {
		v.add("%s must be a node count such as \"2\" or a percentage such as \"10%%\", got %q", pk("disruptionBudgetNodes"), p.DisruptionBudgetNodes)
	}

	n := k.NodeClass
	nk := func(f string) string { return key("karpenter", "nodeClass."+f) }
	checkDNSSubdomain(v, nk("name"), n.Name)
	checkLabelValueLength(v, nk("name"), n.Name, "karpenter.k8s.aws/ec2nodeclass")
	if !amiAliasRe.MatchString(n.AmiAlias) {
		v.add("%s must be an AMI alias such as \"al2023@latest\" or \"al2023@v20260903\", got %q", nk("amiAlias"), n.AmiAlias)
	}
	if q, ok := checkQuantity(v, nk("rootVolumeSize"), n.RootVolumeSize); ok {
		switch {
		case !volumeSizeRe.MatchString(n.RootVolumeSize):
			// The EC2NodeClass CRD takes whole G, Gi, T or Ti only.
			v.add("%s must be a whole number of Gi, G, Ti or T such as \"20Gi\" (the EC2NodeClass volumeSize format), got %q", nk("rootVolumeSize"), n.RootVolumeSize)
		case q.Cmp(resource.MustParse("8Gi")) < 0 || q.Cmp(resource.MustParse("16Ti")) > 0:
			v.add("%s must be from 8Gi to 16Ti, got %q", nk("rootVolumeSize"), n.RootVolumeSize)
		}
	}
	for _, t := range sortedKeys(n.Tags) {
		if reason := infra.RestrictedNodeTag(t); reason != "" {
			v.add("%s[%q] is not allowed: %s", nk("tags"), t, reason)
		} else if len(t) > 128 || len(n.Tags[t]) > 256 {
			v.add("%s[%q]: EC2 tag keys are at most 128 and values at most 256 characters", nk("tags"), t)
		}
	}
	// The stack's tags are copied to the nodes too (infra.KarpenterNodeTags).
	for _, t := range sortedKeys(c.Tags) {
		if reason := infra.RestrictedNodeTag(t); reason != "" && !strings.HasPrefix(strings.ToLower(t), "aws:") {
			v.add("%s[%q] is not allowed: the stack's tags are also set on Karpenter's nodes, and %s", Namespace+":tags", t, reason)
		}
	}
}

// checkLabelValueLength refuses names longer than a label value may be: Karpenter labels every
// node with the name of its NodePool and EC2NodeClass.
func checkLabelValueLength(v *validator, name, val, label string) {
	if len(val) > 63 {
		v.add("%s must be at most 63 characters (Karpenter sets it as the node label %s), got %d", name, label, len(val))
	}
}

func (c Config) validateKeda(v *validator) {
	k := c.Keda
	checkDNSLabel(v, key("keda", "namespace"), k.Namespace)
	if infra.IsSystemNamespace(k.Namespace) {
		v.add("%s %q is a namespace Kubernetes creates itself; KEDA creates and deletes its own namespace, choose another", key("keda", "namespace"), k.Namespace)
	} else if k.Namespace == c.Karpenter.Namespace && k.Namespace != "" {
		v.add("%s and %s must differ (each chart owns its namespace), both are %q", key("keda", "namespace"), key("karpenter", "namespace"), k.Namespace)
	}
	if k.OperatorReplicas < 1 || k.OperatorReplicas > 5 {
		v.add("%s must be from 1 to 5, got %d", key("keda", "operatorReplicas"), k.OperatorReplicas)
	}
	for _, q := range []struct{ f, val string }{
		{"operatorCpu", k.OperatorCPU}, {"operatorMemory", k.OperatorMemory},
		{"metricsServerCpu", k.MetricsServerCPU}, {"metricsServerMemory", k.MetricsServerMemory},
		{"webhooksCpu", k.WebhooksCPU}, {"webhooksMemory", k.WebhooksMemory},
	} {
		checkQuantity(v, key("keda", q.f), q.val)
	}
}

func (c Config) validateQueue(v *validator) {
	q := c.Queue
	if q.VisibilityTimeoutSeconds < 0 || q.VisibilityTimeoutSeconds > 43200 {
		v.add("%s must be from 0 to 43200 (12 hours), got %d", key("queue", "visibilityTimeoutSeconds"), q.VisibilityTimeoutSeconds)
	}
	if q.MessageRetentionSeconds < 60 || q.MessageRetentionSeconds > 1209600 {
		v.add("%s must be from 60 to 1209600 (14 days), got %d", key("queue", "messageRetentionSeconds"), q.MessageRetentionSeconds)
	}
	if q.DlqRetentionSeconds < 60 || q.DlqRetentionSeconds > 1209600 {
		v.add("%s must be from 60 to 1209600 (14 days), got %d", key("queue", "dlqRetentionSeconds"), q.DlqRetentionSeconds)
	} else if q.DlqRetentionSeconds < q.MessageRetentionSeconds {
		v.add("%s (%d) must be at least %s (%d): a message's age counts from its first enqueue, so a shorter DLQ retention deletes failed messages on arrival",
			key("queue", "dlqRetentionSeconds"), q.DlqRetentionSeconds, key("queue", "messageRetentionSeconds"), q.MessageRetentionSeconds)
	}
	if q.MaxReceiveCount < 1 || q.MaxReceiveCount > 1000 {
		v.add("%s must be from 1 to 1000, got %d", key("queue", "maxReceiveCount"), q.MaxReceiveCount)
	}
	if q.ReceiveWaitTimeSeconds < 1 || q.ReceiveWaitTimeSeconds > 20 {
		v.add("%s must be from 1 to 20 (long polling), got %d", key("queue", "receiveWaitTimeSeconds"), q.ReceiveWaitTimeSeconds)
	}
}

// reservedNamespaces exist in every cluster; a workload cannot own (create and delete) them.
var reservedNamespaces = infra.SystemNamespaces

func (c Config) validateWorkloads(v *validator) {
	seen, seenNS := map[string]int{}, map[string]int{}
	for i, w := range c.Workloads {
		wk := func(f string) string { return fmt.Sprintf("%s:workloads[%d].%s", Namespace, i, f) }
		checkDNSLabel(v, wk("name"), w.Name)
		if len(w.Name) > 40 {
			v.add("%s must be at most 40 characters (it prefixes queue and role names), got %q", wk("name"), w.Name)
		}
		if j, dup := seen[w.Name]; dup && w.Name != "" {
			v.add("%s %q repeats the name of %s:workloads[%d]", wk("name"), w.Name, Namespace, j)
		}
		seen[w.Name] = i
		if q := infra.WorkQueueName(c.Cluster.Name, w.Name) + infra.WorkQueueDLQSuffix; c.Cluster.Name != "" && w.Name != "" && len(q) > infra.MaxQueueNameLength {
			v.add("%s %q makes the dead-letter queue name %q %d characters long, over the SQS limit of %d: shorten it or %s",
				wk("name"), w.Name, q, len(q), infra.MaxQueueNameLength, key("cluster", "name"))
		}
		checkDNSLabel(v, wk("namespace"), w.Namespace)
		if slices.Contains(c.Fargate.Namespaces, w.Namespace) {
			v.add("%s %q is a Fargate namespace (%s): the workload's pods must run on Karpenter's EC2 nodes", wk("namespace"), w.Namespace, key("fargate", "namespaces"))
		} else if slices.Contains(reservedNamespaces, w.Namespace) {
			v.add("%s %q is a namespace Kubernetes creates itself; the workload creates and deletes its own namespace, choose another", wk("namespace"), w.Namespace)
		}
		if j, dup := seenNS[w.Namespace]; dup && w.Namespace != "" {
			v.add("%s %q is also the namespace of %s:workloads[%d]: each workload creates and owns its namespace", wk("namespace"), w.Namespace, Namespace, j)
		}
		seenNS[w.Namespace] = i
		if w.Image != "" && !imageRe.MatchString(w.Image) {
			v.add("%s must be an image reference such as \"123456789012.dkr.ecr.us-west-2.amazonaws.com/worker:v1\", got %q", wk("image"), w.Image)
		}
		if w.Image == "" && !regexp.MustCompile(`^[\w][\w.-]{0,127}$`).MatchString(w.ImageTag) {
			v.add("%s must be an image tag such as \"v1\", got %q", wk("imageTag"), w.ImageTag)
		}
		if q, ok := checkQuantity(v, wk("cpu"), w.CPU); ok {
			if m := c.Karpenter.NodePool.MaxInstanceCPU; m != nil && *m >= 1 && q.Cmp(*resource.NewQuantity(int64(*m), resource.DecimalSI)) >= 0 {
				v.add("%s %q does not fit on a node of at most %s (%d) vCPUs, which also reserves CPU for the kubelet and DaemonSets: its pods would stay Pending",
					wk("cpu"), w.CPU, key("karpenter", "nodePool.maxInstanceCpu"), *m)
			}
		}
		checkQuantity(v, wk("memory"), w.Memory)
		if w.Concurrency < 1 || w.Concurrency > 256 {
			v.add("%s must be from 1 to 256, got %d", wk("concurrency"), w.Concurrency)
		}
		if w.MaxProcessingSeconds < 1 || w.MaxProcessingSeconds > 3600 {
			v.add("%s must be from 1 to 3600, got %d", wk("maxProcessingSeconds"), w.MaxProcessingSeconds)
		} else if w.MaxProcessingSeconds >= c.Queue.VisibilityTimeoutSeconds {
			v.add("%s (%d) must exceed %s (%d): a message still being processed would become visible and be processed twice",
				key("queue", "visibilityTimeoutSeconds"), c.Queue.VisibilityTimeoutSeconds, wk("maxProcessingSeconds"), w.MaxProcessingSeconds)
		}
		if w.SimulatedWorkSeconds < 0 || w.SimulatedWorkSeconds > w.MaxProcessingSeconds {
			v.add("%s must be from 0 to %s (%d), got %d", wk("simulatedWorkSeconds"), wk("maxProcessingSeconds"), w.MaxProcessingSeconds, w.SimulatedWorkSeconds)
		}
		if w.MinReplicas < 0 {
			v.add("%s must be 0 or more, got %d", wk("minReplicas"), w.MinReplicas)
		}
		if w.MaxReplicas < 1 || w.MaxReplicas > 1000 {
			v.add("%s must be from 1 to 1000, got %d", wk("maxReplicas"), w.MaxReplicas)
		}
		if w.MinReplicas > w.MaxReplicas {
			v.add("%s (%d) must not exceed %s (%d)", wk("minReplicas"), w.MinReplicas, wk("maxReplicas"), w.MaxReplicas)
		}
		if w.PollingIntervalSeconds < 1 || w.PollingIntervalSeconds > 3600 {
			v.add("%s must be from 1 to 3600, got %d", wk("pollingIntervalSeconds"), w.PollingIntervalSeconds)
		}
		if w.CooldownPeriodSeconds < 0 || w.CooldownPeriodSeconds > 86400 {
			v.add("%s must be from 0 to 86400, got %d", wk("cooldownPeriodSeconds"), w.CooldownPeriodSeconds)
		}
		if w.QueueLength < 1 {
			v.add("%s must be 1 or more (messages per pod), got %d", wk("queueLength"), w.QueueLength)
		}
		if w.ActivationQueueLength < 0 {
			v.add("%s must be 0 or more, got %d", wk("activationQueueLength"), w.ActivationQueueLength)
		}
		if s := w.ScaleDownStabilizationSeconds; s != nil && (*s < 0 || *s > 3600) {
			v.add("%s must be from 0 to 3600, got %d", wk("scaleDownStabilizationSeconds"), *s)
		}
		if !slices.Contains(infra.ZoneSpreadModes, w.ZoneSpread) {
			v.add("%s must be one of %s, got %q", wk("zoneSpread"), strings.Join(infra.ZoneSpreadModes, ", "), w.ZoneSpread)
		}
	}
}

// validateCapacity refuses NodePool limits under which no worker pod could ever run. Karpenter
// counts a node's whole capacity against the NodePool's limits before it launches the node, and a
// node's allocatable CPU and memory are always less than its capacity (kubelet and system
// reservations), so a limit at or below one pod's request admits no node that fits the pod: the
// pod would stay Pending for ever with nothing saying why.
func (c Config) validateCapacity(v *validator) {
	p := c.Karpenter.NodePool
	for _, lim := range []struct {
		field, limit, resource string
		request                func(WorkloadConfig) string
	}{
		{"limitCpu", p.LimitCPU, "CPU", func(w WorkloadConfig) string { return w.CPU }},
		{"limitMemory", p.LimitMemory, "memory", func(w WorkloadConfig) string { return w.Memory }},
	} {
		limit, err := resource.ParseQuantity(lim.limit)
		if err != nil || limit.Sign() <= 0 {
			continue // reported by validateKarpenter
		}
		for i, w := range c.Workloads {
			req, err := resource.ParseQuantity(lim.request(w))
			if err != nil || req.Sign() <= 0 {
				continue // reported by validateWorkloads
			}
			if limit.Cmp(req) <= 0 {
				field := "cpu"
				if lim.resource == "memory" {
					field = "memory"
				}
				v.add("%s %q must be more than %s:workloads[%d].%s %q: Karpenter counts a node's whole %s against the limit and a node can give pods "+
					"less than that, so no node it may launch could run one worker pod; raise the limit or lower the request",
					key("karpenter", "nodePool."+lim.field), lim.limit, Namespace, i, field, lim.request(w), lim.resource)
			}
		}
	}
}

func (c Config) validateTags(v *validator) {
	if len(c.Tags) > 40 {
		v.add("%s has %d tags; at most 40 leave room for the ones the platform adds (AWS allows 50)", Namespace+":tags", len(c.Tags))
	}
	for _, k := range sortedKeys(c.Tags) {
		switch {
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			v.add("%s[%q] is not allowed: the aws: prefix is reserved by AWS", Namespace+":tags", k)
		case strings.HasPrefix(k, "eventscale:") || k == "managed-by":
			v.add("%s[%q] is not allowed: the platform sets it", Namespace+":tags", k)
		case !tagRe.MatchString(strings.ReplaceAll(strings.ReplaceAll(k, "/", "."), ":", ".")):
			v.add("%s[%q] must be 1 to 128 letters, digits or . _ - / :", Namespace+":tags", k)
		case len(c.Tags[k]) > 256:
			v.add("%s[%q] value must be at most 256 characters, got %d", Namespace+":tags", k, len(c.Tags[k]))
		}
	}
}

func checkDNSLabel(v *validator, name, val string) {
	if len(val) > 63 || !dnsLabelRe.MatchString(val) {
		v.add("%s must be a DNS-1123 label (lower-case letters, digits and '-', at most 63), got %q", name, val)
	}
}

func checkDNSSubdomain(v *validator, name, val string) {
	if len(val) > 253 || !dnsSubdomainRe.MatchString(val) {
		v.add("%s must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.'), got %q", name, val)
	}
}

func checkQuantity(v *validator, name, val string) (resource.Quantity, bool) {
	q, err := resource.ParseQuantity(val)
	if err != nil || q.Sign() <= 0 {
		v.add("%s must be a positive Kubernetes quantity such as \"1\", \"500m\" or \"4Gi\", got %q", name, val)
		return q, false
	}
	return q, true
}

func checkEnum(v *validator, name string, vals, allowed []string) {
	if len(vals) == 0 {
		v.add("%s must list at least one of %s", name, strings.Join(allowed, ", "))
	}
	for i, x := range vals {
		if !slices.Contains(allowed, x) {
			v.add("%s[%d] must be one of %s, got %q", name, i, strings.Join(allowed, ", "), x)
		}
	}
}

func checkDuration(v *validator, name, val string, allowNever bool) {
	if allowNever && val == "Never" {
		return
	}
	d, err := time.ParseDuration(val)
	if err != nil || d < 0 || !regexp.MustCompile(`^([0-9]+(s|m|h))+$`).MatchString(val) {
		extra := ""
		if allowNever {
			extra = ` or "Never"`
		}
		v.add("%s must be a duration in h, m and s such as \"30s\" or \"720h\"%s, got %q", name, extra, val)
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
