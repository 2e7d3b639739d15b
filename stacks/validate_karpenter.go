package stacks

import (
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/eventscale/eventscale/infra"
)

var (
	amiAliasRe   = regexp.MustCompile(`^(al2023|bottlerocket)@(latest|v\d{8}|v?\d+\.\d+\.\d+)$`)
	instanceRe   = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9-]+$`)
	budgetRe     = regexp.MustCompile(`^((100|[0-9]{1,2})%|[0-9]+)$`)
	volumeSizeRe = regexp.MustCompile(`^[1-9][0-9]*(G|Gi|T|Ti)$`)
)

func (c Config) validateKarpenter(v *validator) {
	k := c.Karpenter
	checkDNSLabel(v, key("karpenter", "namespace"), k.Namespace)
	checkDNSSubdomain(v, key("karpenter", "serviceAccount"), k.ServiceAccount)
	if k.Replicas < 1 || k.Replicas > 5 {
		v.add("%s must be from 1 to 5, got %d", key("karpenter", "replicas"), k.Replicas)
	}
	checkQuantity(v, key("karpenter", "controllerCpu"), k.ControllerCPU)
	checkQuantity(v, key("karpenter", "controllerMemory"), k.ControllerMemory)
	checkChartRepository(v, key("karpenter", "chartRepository"), k.ChartRepository)

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

// validateCapacity refuses NodePool limits under which no worker pod could ever run. Karpenter
// counts a node's whole capacity against the NodePool's limits before it launches the node, and a
// node's allocatable CPU and memory are always less than its capacity (kubelet and system
// reservations), so a limit at or below one pod's request admits no node that fits the pod: the
// pod would stay Pending for ever with nothing saying why.
func (c Config) validateCapacity(v *validator) {
	p := c.Karpenter.NodePool
	for _, lim := range []struct {
		field, limit, resource, workloadField string
		request                               func(infra.WorkloadSettings) string
	}{
		{"limitCpu", p.LimitCPU, "CPU", "cpu", func(w infra.WorkloadSettings) string { return w.CPU }},
		{"limitMemory", p.LimitMemory, "memory", "memory", func(w infra.WorkloadSettings) string { return w.Memory }},
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
				v.add("%s %q must be more than %s:workloads[%d].%s %q: Karpenter counts a node's whole %s against the limit and a node can give pods "+
					"less than that, so no node it may launch could run one worker pod; raise the limit or lower the request",
					key("karpenter", "nodePool."+lim.field), lim.limit, Namespace, i, lim.workloadField, lim.request(w), lim.resource)
			}
		}
	}
}
