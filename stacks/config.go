// Package stacks holds the typed per-environment configuration of the platform,
// its defaults and validation, and composes the components into one stack.
package stacks

import "github.com/eventscale/eventscale/infra"

// Namespace is the Pulumi config namespace of this project's keys
// (`eventscale:network`, `eventscale:cluster`, ...). It equals the project name in Pulumi.yaml.
const Namespace = "eventscale"

// Config is the whole typed configuration of one stack (environment).
// Every section is read from the stack's `eventscale:<section>` key; `aws:region` gives Region.
type Config struct {
	// Project and Stack come from the Pulumi engine, not from config keys.
	Project string `json:"-"`
	Stack   string `json:"-"`
	// Region is `aws:region`, the region every resource is created in.
	Region string `json:"-"`

	// Each section is the settings type its component takes (infra.<X>Settings): a key is
	// declared once, there, with its doc comment; its default is in Defaults, its rules in
	// validate_<section>.go.
	Network    infra.NetworkSettings    `json:"network"`
	Cluster    infra.ClusterSettings    `json:"cluster"`
	Fargate    infra.FargateSettings    `json:"fargate"`
	Karpenter  infra.KarpenterSettings  `json:"karpenter"`
	Keda       infra.KedaSettings       `json:"keda"`
	Queue      infra.QueueSettings      `json:"queue"`
	Monitoring infra.MonitoringSettings `json:"monitoring"`
	Registry   infra.RegistrySettings   `json:"registry"`
	Workloads  []infra.WorkloadSettings `json:"workloads"`
	// Tags go on every taggable AWS resource.
	Tags map[string]string `json:"tags"`
}
