package stacks

import "github.com/eventscale/eventscale/infra"

// Defaults returns the configuration used for every key a stack file leaves out.
// It is the one place defaults live; the dev stack is these defaults plus a workload.
// The node pool and workload defaults reproduce the tutorial's scenario: a 1 vCPU / 3Gi
// worker pod fits once on a 2-vCPU m-class node, and the NodePool's CPU limit of 4 allows
// exactly two such nodes, so a third replica would stay Pending.
func Defaults() Config {
	return Config{
		Network: infra.NetworkSettings{
			VpcCidr:                   "10.0.0.0/16",
			AzCount:                   3,
			PrivateSubnetPrefixLength: 19,
			PublicSubnetPrefixLength:  24,
			NatGateways:               infra.NatSingle,
			FlowLogs: infra.FlowLogSettings{
				Enabled: true,
				// terraform-aws-modules/vpc v6.6.0's flow_log_traffic_type default (variables.tf):
				// rejected and accepted traffic alike.
				TrafficType: "ALL",
				// Three months of records to investigate with; CloudWatch Logs keeps them forever
				// unless told (and so does terraform-aws-modules/vpc v6.6.0, whose
				// flow_log_cloudwatch_log_group_retention_in_days defaults to null).
				RetentionDays: 90,
			},
		},
		Cluster: infra.ClusterSettings{
			Version:               infra.DefaultKubernetesVersion,
			EndpointPublicAccess:  true,
			EndpointPrivateAccess: true,
			// No network reaches the public endpoint until the stack file lists one (CIS 5.4.1):
			// Validate refuses the public endpoint without CIDRs, and 0.0.0.0/0 only when written.
			PublicAccessCidrs: []string{},
			LogTypes:          append([]string(nil), infra.ClusterLogTypes...), // CIS 2.1.1
			LogRetentionDays:  infra.DefaultLogRetentionDays,
		},
		Fargate: infra.FargateSettings{
			// Karpenter runs in kube-system (karpenter.namespace), so it needs no selector of its own.
			Namespaces: []string{"kube-system", "keda"},
		},
		Karpenter: infra.KarpenterSettings{
			// Upstream's recommendation since v0.33: the API server's built-in FlowSchemas
			// prioritise kube-system's service accounts (infra.KarpenterNeedsFlowSchemas).
			Namespace:        infra.KubeSystemNamespace,
			ServiceAccount:   "karpenter",
			Replicas:         1,
			ControllerCPU:    "1",
			ControllerMemory: "1Gi",
			NodePool: infra.NodePoolSettings{
				Name:                  "default",
				CapacityTypes:         []string{"on-demand"},
				Architectures:         []string{"amd64"},
				InstanceTypes:         []string{"m6i.large", "m5.large"},
				MaxInstanceCPU:        nil, // no bound on instance size
				LimitCPU:              "4",
				LimitMemory:           "16Gi",
				ConsolidationPolicy:   "WhenEmptyOrUnderutilized",
				ConsolidateAfter:      "30s",
				ExpireAfter:           "720h",
				DisruptionBudgetNodes: "10%",
			},
			NodeClass: infra.NodeClassSettings{
				Name:           "default",
				AmiAlias:       "al2023@latest",
				RootVolumeSize: "20Gi",
			},
			ChartRepository: infra.KarpenterChartRepository,
		},
		Keda: infra.KedaSettings{
			Namespace:           "keda",
			OperatorReplicas:    1,
			OperatorCPU:         "500m",
			OperatorMemory:      "1Gi",
			MetricsServerCPU:    "500m",
			MetricsServerMemory: "1Gi",
			WebhooksCPU:         "250m",
			WebhooksMemory:      "512Mi",
			ChartRepository:     infra.KedaChartRepo,
		},
		Queue: infra.QueueSettings{
			VisibilityTimeoutSeconds: 60,
			MessageRetentionSeconds:  345600,  // 4 days
			DlqRetentionSeconds:      1209600, // 14 days, the SQS maximum
			MaxReceiveCount:          5,
			ReceiveWaitTimeSeconds:   20,
		},
		Monitoring: infra.MonitoringSettings{
			Enabled: true,
			// Lenient: dev scales 0 -> 2 workers and its scale-from-zero budget is about 80 s
			// plus the image pull, so 15 minutes of waiting means a stuck queue, not a slow
			// start. Prod sets a strict 300 s in Pulumi.prod.yaml.
			OldestMessageAgeSeconds: 900,
			AlarmEmails:             []string{},
		},
		Registry: infra.RegistrySettings{
			// terraform-aws-modules/ecr v3.2.0's repository_image_tag_mutability default
			// (variables.tf), and the EKS Best Practices Guide's "Use immutable tags with ECR"
			// (https://docs.aws.amazon.com/eks/latest/best-practices/image-security.html, read
			// 2026-12-07): a pushed tag cannot be overwritten with another image.
			ImageTagMutability: infra.ImmutableTags,
			// terraform-aws-modules/ecr v3.2.0 ships no lifecycle rules of its own
			// (repository_lifecycle_policy defaults to ""); its examples/complete keeps the last
			// 30 tagged images, and the Amazon ECR User Guide's lifecycle policy example expires
			// untagged images after 14 days
			// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_examples.html,
			// read 2026-12-07).
			KeepTaggedImages:   30,
			UntaggedExpiryDays: 14,
			// terraform-aws-modules/ecr v3.2.0's repository_force_delete: unset, so destroy fails
			// while the repository holds images (dev's stack file sets true).
			ForceDelete: false,
		},
		Workloads: []infra.WorkloadSettings{},
		Tags:      map[string]string{},
	}
}

// DefaultWorkload returns the defaults applied to each entry of `eventscale:workloads`
// before the entry's own keys are decoded over it.
func DefaultWorkload() infra.WorkloadSettings {
	return infra.WorkloadSettings{
		ImageTag:               "latest",
		CPU:                    "1",
		Memory:                 "3Gi",
		Concurrency:            1,
		SimulatedWorkSeconds:   1,
		MaxProcessingSeconds:   30,
		MinReplicas:            0,
		MaxReplicas:            2,
		PollingIntervalSeconds: 10,
		CooldownPeriodSeconds:  25,
		QueueLength:            1,
		ActivationQueueLength:  0,
		ScaleOnInFlight:        true,
		ZoneSpread:             infra.ZoneSpreadNone,
	}
}
