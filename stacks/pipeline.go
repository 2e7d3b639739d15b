package stacks

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eventscale/eventscale/components/keda"
	"github.com/eventscale/eventscale/components/monitoring"
	"github.com/eventscale/eventscale/components/queue"
	"github.com/eventscale/eventscale/components/registry"
	"github.com/eventscale/eventscale/components/workload"
	"github.com/eventscale/eventscale/infra"
)

// testMessageCount is how many messages the sendTestMessages command sends: with the dev
// defaults (queueLength 1, maxReplicas 2) three messages show the cap at two pods.
const testMessageCount = 3

// deployPipeline creates the event pipeline: per workload a work queue with its DLQ,
// KEDA with an IRSA role that reads those queues' depth, and per workload the worker Deployment
// with its IRSA role, TriggerAuthentication and ScaledObject. It exports the pipeline's outputs.
func deployPipeline(ctx *pulumi.Context, e *env) error {
	cfg := e.cfg

	// One image repository per stack, for the workloads that do not name an image.
	var repo *registry.Registry
	if cfg.imageRepositoryUsed() {
		var err error
		repo, err = registry.New(ctx, "worker-images", &registry.Args{
			RegistrySettings: cfg.Registry,
			Name:             infra.ECRRepositoryName(cfg.Cluster.Name),
			Tags:             e.tags,
		})
		if err != nil {
			return err
		}
	}

	queues := make([]*queue.Queue, len(cfg.Workloads))
	queueArns := make([]pulumi.StringInput, len(cfg.Workloads))
	for i, w := range cfg.Workloads {
		q, err := queue.New(ctx, "queue-"+w.Name, &queue.Args{
			QueueSettings: cfg.Queue,
			Name:          infra.WorkQueueName(cfg.Cluster.Name, w.Name),
			Partition:     e.partition,
			Region:        cfg.Region,
			AccountID:     e.accountID,
			Tags:          infra.WithTags(e.tags, map[string]string{"eventscale:workload": w.Name}),
		})
		if err != nil {
			return err
		}
		queues[i], queueArns[i] = q, q.Arn
	}

	kedaComp, err := keda.New(ctx, "keda", &keda.Args{
		KedaSettings:    cfg.Keda,
		ClusterName:     cfg.Cluster.Name,
		OidcProviderArn: e.cluster.OidcProviderArn,
		OidcProviderURL: e.cluster.OidcProviderURL,
		QueueArns:       queueArns,
		Provider:        e.cluster.Provider,
		DependsOn:       e.cluster.Ready,
		Tags:            e.tags,
	})
	if err != nil {
		return err
	}

	queueURLs, queueArnMap, dlqURLs, dlqArns := pulumi.StringMap{}, pulumi.StringMap{}, pulumi.StringMap{}, pulumi.StringMap{}
	roleArns, namespaces := pulumi.StringMap{}, pulumi.StringMap{}
	var commands []any
	for i, w := range cfg.Workloads {
		q := queues[i]
		image := pulumi.String(w.Image).ToStringOutput()
		if w.Image == "" {
			image = pulumi.Sprintf("%s:%s", repo.RepositoryURL, w.ImageTag)
		}
		wl, err := workload.New(ctx, "workload-"+w.Name, &workload.Args{
			WorkloadSettings: w,
			Queue:            cfg.Queue,
			Region:           cfg.Region,
			ImageRef:         image,
			QueueURL:         q.URL,
			QueueArn:         q.Arn,
			OidcProviderArn:  e.cluster.OidcProviderArn,
			OidcProviderURL:  e.cluster.OidcProviderURL,
			Provider:         e.cluster.Provider,
			DependsOn:        kedaComp.Ready,
			DependsOnObjects: kedaComp.ReadyObjects,
			Tags:             infra.WithTags(e.tags, map[string]string{"eventscale:workload": w.Name}),
		})
		if err != nil {
			return err
		}
		queueURLs[w.Name], queueArnMap[w.Name], dlqURLs[w.Name], dlqArns[w.Name] = q.URL, q.Arn, q.DlqURL, q.DlqArn
		roleArns[w.Name], namespaces[w.Name] = wl.RoleArn, wl.Namespace
		commands = append(commands, q.URL)
	}

	if err := deployMonitoring(ctx, e, queues); err != nil {
		return err
	}

	ctx.Export("queueUrls", queueURLs)
	ctx.Export("queueArns", queueArnMap)
	ctx.Export("dlqUrls", dlqURLs)
	ctx.Export("dlqArns", dlqArns)
	ctx.Export("workloadRoleArns", roleArns)
	ctx.Export("workloadNamespaces", namespaces)
	ctx.Export("kedaRoleArn", kedaComp.RoleArn)
	ctx.Export("kedaNamespace", kedaComp.Namespace)
	if repo != nil {
		ctx.Export("imageRepositoryUrl", repo.RepositoryURL)
	}
	// One command per workload, one per line, in config order.
	ctx.Export("sendTestMessages", pulumi.All(commands...).ApplyT(func(urls []any) string {
		lines := make([]string, len(urls))
		for i, u := range urls {
			lines[i] = infra.SendTestMessagesCommand(u.(string), cfg.Region, testMessageCount)
		}
		return strings.Join(lines, "\n")
	}).(pulumi.StringOutput))
	return nil
}

// deployMonitoring creates the alarms on every workload's queues (named as the queue components
// created them), the topic they notify and the queue dashboard, and exports their outputs;
// nothing when monitoring.enabled is false or the stack has no workload.
func deployMonitoring(ctx *pulumi.Context, e *env, queues []*queue.Queue) error {
	cfg := e.cfg
	if !cfg.Monitoring.Enabled || len(cfg.Workloads) == 0 {
		return nil
	}
	qs := make([]monitoring.Queue, len(cfg.Workloads))
	for i, w := range cfg.Workloads {
		qs[i] = monitoring.Queue{Workload: w.Name, Name: queues[i].Name, DlqName: queues[i].DlqName}
	}
	mon, err := monitoring.New(ctx, "monitoring", &monitoring.Args{
		MonitoringSettings: cfg.Monitoring,
		ClusterName:        cfg.Cluster.Name,
		Partition:          e.partition,
		Region:             cfg.Region,
		AccountID:          e.accountID,
		Queues:             qs,
		Tags:               e.tags,
	})
	if err != nil {
		return err
	}
	ctx.Export("alarmNames", mon.AlarmNames)
	ctx.Export("alarmTopicArn", mon.TopicArn)
	ctx.Export("dashboardUrl", mon.DashboardURL)
	return nil
}
