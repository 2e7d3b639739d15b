package stacks

import (
	"github.com/eventscale/eventscale/infra"
)

func (c Config) validateKeda(v *validator) {
	k := c.Keda
	checkDNSLabel(v, key("keda", "namespace"), k.Namespace)
	if infra.IsSystemNamespace(k.Namespace) {
		v.add("%s %q is a namespace Kubernetes creates itself; the stack creates KEDA's namespace and deletes it with the stack, choose another", key("keda", "namespace"), k.Namespace)
	} else if k.Namespace == c.Karpenter.Namespace && k.Namespace != "" {
		v.add("%s and %s must differ (the stack creates each controller's namespace), both are %q", key("keda", "namespace"), key("karpenter", "namespace"), k.Namespace)
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
	checkChartRepository(v, key("keda", "chartRepository"), k.ChartRepository)
}
