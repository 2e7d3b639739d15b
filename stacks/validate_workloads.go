package stacks

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/eventscale/eventscale/infra"
)

var imageRe = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$`)

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
