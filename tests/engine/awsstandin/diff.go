package awsstandin

import (
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// replacements are the input paths whose change replaces a resource of the type: the fields
// pulumi-aws marks ForceNew (it bridges the Terraform AWS provider's schema; source:
// hashicorp/terraform-provider-aws internal/service/sqs/queue.go, internal/service/iam/role.go,
// internal/service/eks/cluster.go, internal/service/sns/{topic,topic_policy,topic_subscription}.go,
// internal/service/cloudwatch/{metric_alarm,dashboard}.go, internal/service/kms/key.go and
// internal/service/iam/service_linked_role.go (aws_service_name, custom_suffix), under
// pulumi-aws's names for them in the v6.83.4 Go SDK (alarm_name is the alarm's name, topic_arn
// the subscription's topic); for the security group the SDK's doc of go/aws/ec2/securityGroup.go;
// internal/service/ec2/vpc_flow_log.go (every argument but tags), internal/service/logs/group.go
// (name, name_prefix, log_group_class) and internal/service/ecr/lifecycle_policy.go (repository,
// policy: it has no update), read 2026-12-07 on the repository's main branch, not at the tag
// pulumi-aws v6.83.4 bridges; the flow log's regional_nat_gateway_id there is newer and not listed).
// A nested path (accessConfig.x) replaces only when the value at that path changes. Types not
// listed replace on name and namePrefix (defaultReplacements), the fields most AWS resources
// cannot rename in place; every other change is an update.
var replacements = map[string][]string{
	"aws:sqs/queue:Queue": {"name", "namePrefix", "fifoQueue"},
	"aws:iam/role:Role":   {"name", "namePrefix", "path"},
	"aws:eks/cluster:Cluster": {
		"name", "roleArn", "bootstrapSelfManagedAddons", "remoteNetworkConfig",
		"accessConfig.bootstrapClusterCreatorAdminPermissions",
		"kubernetesNetworkConfig.ipFamily", "kubernetesNetworkConfig.serviceIpv4Cidr",
	},
	"aws:ec2/securityGroup:SecurityGroup":         {"name", "namePrefix", "description", "vpcId"},
	"aws:sns/topic:Topic":                         {"name", "namePrefix", "fifoTopic"},
	"aws:sns/topicPolicy:TopicPolicy":             {"arn"},
	"aws:sns/topicSubscription:TopicSubscription": {"topic", "protocol", "endpoint"},
	"aws:cloudwatch/metricAlarm:MetricAlarm":      {"name"},
	"aws:cloudwatch/dashboard:Dashboard":          {"dashboardName"},
	"aws:kms/key:Key":                             {"customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"},
	"aws:iam/serviceLinkedRole:ServiceLinkedRole": {"awsServiceName", "customSuffix"},
	"aws:ec2/flowLog:FlowLog": {
		"vpcId", "subnetId", "eniId", "transitGatewayId", "transitGatewayAttachmentId", "iamRoleArn", "logDestination",
		"logDestinationType", "logFormat", "maxAggregationInterval", "trafficType", "deliverCrossAccountRole", "destinationOptions",
	},
	"aws:cloudwatch/logGroup:LogGroup":        {"name", "namePrefix", "logGroupClass"},
	"aws:ecr/lifecyclePolicy:LifecyclePolicy": {"repository", "policy"},
}

var defaultReplacements = []string{"name", "namePrefix"}

// removalReplacements are the input paths whose removal (a value before, none after) replaces a
// resource of the type, where adding or changing them is an update. The EKS cluster's
// encryptionConfig: terraform-provider-aws internal/service/eks/cluster.go (the v5 line that
// pulumi-aws v6.83.4 bridges; read 2026-12-07) marks no field of encryption_config ForceNew, and
// its CustomizeDiff is customdiff.ForceNewIfChange("encryption_config", ...) returning true only
// when the old value has one item and the new none ("You cannot disable envelope encryption
// after enabling it"); resourceClusterUpdate calls AssociateEncryptionConfig when the old value
// is empty and the new one has an item. So adding secrets encryption to a running cluster is an
// update, removing it a replacement.
var removalReplacements = map[string][]string{
	"aws:eks/cluster:Cluster": {"encryptionConfig"},
}

// replacementsFor are the paths whose change replaces a resource of the type going from olds to
// news: replacementPaths, and each of removalReplacements that olds has and news has not.
func replacementsFor(typ string, olds, news resource.PropertyMap) []string {
	paths := replacementPaths(typ)
	for _, k := range removalReplacements[typ] {
		if present(olds, k) && !present(news, k) {
			paths = append(slices.Clone(paths), k)
		}
	}
	return paths
}

// present reports whether m holds a value at the top-level key k: not null and, for a list or an
// object, not empty (the bridge's "no block").
func present(m resource.PropertyMap, k string) bool {
	v, ok := m[resource.PropertyKey(k)]
	switch {
	case !ok || v.IsNull():
		return false
	case v.IsArray():
		return len(v.ArrayValue()) > 0
	case v.IsObject():
		return len(v.ObjectValue()) > 0
	}
	return true
}

func replacementPaths(typ string) []string {
	if r, ok := replacements[typ]; ok {
		return r
	}
	return defaultReplacements
}

// diff is the DiffResponse for olds -> news: each changed top-level key is an add, delete or
// update, and a replacement when one of the paths in replace under it changed (then the detailed
// diff names that path).
func diff(olds, news resource.PropertyMap, replace []string) *pulumirpc.DiffResponse {
	d := olds.Diff(news)
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE, HasDetailedDiff: true, DetailedDiff: map[string]*pulumirpc.PropertyDiff{}}
	for _, k := range d.ChangedKeys() {
		key := string(k)
		resp.Diffs = append(resp.Diffs, key)
		kind := pulumirpc.PropertyDiff_UPDATE
		switch {
		case d.Added(k):
			kind = pulumirpc.PropertyDiff_ADD
		case d.Deleted(k):
			kind = pulumirpc.PropertyDiff_DELETE
		}
		var replaced []string
		for _, path := range replace {
			if path == key {
				replaced = append(replaced, key)
			} else if strings.HasPrefix(path, key+".") && changedAt(olds, news, path) {
				replaced = append(replaced, path)
			}
		}
		if len(replaced) == 0 {
			resp.DetailedDiff[key] = &pulumirpc.PropertyDiff{Kind: kind}
			continue
		}
		resp.Replaces = append(resp.Replaces, key)
		for _, path := range replaced {
			resp.DetailedDiff[path] = &pulumirpc.PropertyDiff{Kind: replaceKind[kind]}
		}
	}
	if len(resp.Diffs) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	slices.Sort(resp.Replaces)
	return resp
}

var replaceKind = map[pulumirpc.PropertyDiff_Kind]pulumirpc.PropertyDiff_Kind{
	pulumirpc.PropertyDiff_ADD:    pulumirpc.PropertyDiff_ADD_REPLACE,
	pulumirpc.PropertyDiff_DELETE: pulumirpc.PropertyDiff_DELETE_REPLACE,
	pulumirpc.PropertyDiff_UPDATE: pulumirpc.PropertyDiff_UPDATE_REPLACE,
}

// changedAt reports whether the values at path differ between olds and news (also when one
// has none, or the new one is not known yet).
func changedAt(olds, news resource.PropertyMap, path string) bool {
	p, err := resource.ParsePropertyPath(path)
	if err != nil {
		return true
	}
	o, okOld := p.Get(resource.NewObjectProperty(olds))
	n, okNew := p.Get(resource.NewObjectProperty(news))
	if okOld != okNew {
		return true
	}
	return !o.DeepEquals(n) || n.ContainsUnknowns()
}
