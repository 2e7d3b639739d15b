package stacks

import (
	"fmt"
	"slices"
)

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
