package awsstandin

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/eventscale/eventscale/internal/offline"
)

// replacements are, per resource type the program or pulumi-eks creates, the input paths whose
// change replaces a resource of the type: the fields terraform-provider-aws marks ForceNew, under
// the names pulumi-aws gives them (the bridge's camelCase; a TypeSet or TypeList block gets a
// plural name: selector -> selectors, encryption_configuration -> encryptionConfigurations; each
// name checked against the pulumi-aws v6.83.4 Go SDK's State struct in the module cache). A nested
// path (accessConfig.x) replaces only when the value at that path changes. A type with an empty
// list has no ForceNew input: every change is an update. A type that is not listed has no rules,
// and Diff fails naming it (no fallback): TestEveryCreatedTypeHasRules checks that every type of
// every shipped stack, and every type pulumi-eks creates, is listed.
//
// Source: hashicorp/terraform-provider-aws internal/service/<file> per type, read 2026-12-08 as
// the search index stores it (one version per file, not a tag; the repository's snapshot, 930 MB,
// is over this environment's fetch limit). pulumi-aws v6.83.4 bridges the v5 line (pulumi-aws v7
// moved to terraform-provider-aws v6, pulumi/pulumi-aws#5665); where the stored file is newer
// than that line, the fields the v6.83.4 SDK does not have are left out. The entries read before
// 2026-12-08 (on the repository's main branch) say so.
var replacements = map[string][]string{
	// sqs/queue.go (name, name_prefix, fifo_queue), read 2026-12-07.
	"aws:sqs/queue:Queue": {"name", "namePrefix", "fifoQueue"},
	// sqs/queue_policy.go: queue_url.
	"aws:sqs/queuePolicy:QueuePolicy": {"queueUrl"},
	// iam/role.go (name, name_prefix, path), read 2026-12-07.
	"aws:iam/role:Role": {"name", "namePrefix", "path"},
	// iam/policy.go: description, name, name_prefix, path (policy is an update: a new version).
	"aws:iam/policy:Policy": {"description", "name", "namePrefix", "path"},
	// iam/role_policy.go: name, name_prefix, role.
	"aws:iam/rolePolicy:RolePolicy": {"name", "namePrefix", "role"},
	// iam/role_policy_attachment.go: role, policy_arn (the resource has no Update).
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment": {"role", "policyArn"},
	// iam/openid_connect_provider.go: url (client_id_list and thumbprint_list are updates).
	"aws:iam/openIdConnectProvider:OpenIdConnectProvider": {"url"},
	// iam/service_linked_role.go (aws_service_name, custom_suffix), read 2026-12-07.
	"aws:iam/serviceLinkedRole:ServiceLinkedRole": {"awsServiceName", "customSuffix"},
	// eks/cluster.go, read 2026-12-07 (and removalReplacements).
	"aws:eks/cluster:Cluster": {
		"name", "roleArn", "bootstrapSelfManagedAddons", "remoteNetworkConfig",
		"accessConfig.bootstrapClusterCreatorAdminPermissions",
		"kubernetesNetworkConfig.ipFamily", "kubernetesNetworkConfig.serviceIpv4Cidr",
	},
	// eks/fargate_profile.go: cluster_name, fargate_profile_name, pod_execution_role_arn,
	// selector (and its labels and namespace), subnet_ids; only tags update.
	"aws:eks/fargateProfile:FargateProfile": {"clusterName", "fargateProfileName", "podExecutionRoleArn", "selectors", "subnetIds"},
	// eks/addon.go: addon_name, cluster_name (version, configuration values and role update).
	"aws:eks/addon:Addon": {"addonName", "clusterName"},
	// eks/access_entry.go: cluster_name, principal_arn, type.
	"aws:eks/accessEntry:AccessEntry": {"clusterName", "principalArn", "type"},
	// eks/access_policy_association.go: every argument (access_scope, cluster_name, policy_arn,
	// principal_arn; the resource has no Update).
	"aws:eks/accessPolicyAssociation:AccessPolicyAssociation": {"accessScope", "clusterName", "policyArn", "principalArn"},
	// The security group: the pulumi-aws v6.83.4 SDK's doc of go/aws/ec2/securityGroup.go.
	"aws:ec2/securityGroup:SecurityGroup": {"name", "namePrefix", "description", "vpcId"},
	// ec2/vpc_security_group_rule.go: every argument but description.
	"aws:ec2/securityGroupRule:SecurityGroupRule": {
		"cidrBlocks", "fromPort", "ipv6CidrBlocks", "prefixListIds", "protocol", "securityGroupId", "self",
		"sourceSecurityGroupId", "toPort", "type",
	},
	// ec2/vpc_.go: cidr_block, ipv4_ipam_pool_id, ipv4_netmask_length.
	"aws:ec2/vpc:Vpc": {"cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"},
	// ec2/vpc_subnet.go: availability_zone, availability_zone_id, cidr_block, ipv6_native,
	// outpost_arn, vpc_id (its IPAM fields are newer than the v6.83.4 SDK; its CustomizeDiff
	// replaces on an IPv6 CIDR change of a subnet that assigns IPv6 addresses, which the program
	// does not use, and is not modelled).
	"aws:ec2/subnet:Subnet": {"availabilityZone", "availabilityZoneId", "cidrBlock", "ipv6Native", "outpostArn", "vpcId"},
	// ec2/vpc_internet_gateway.go: nothing (vpc_id is an update: detach, attach).
	"aws:ec2/internetGateway:InternetGateway": {},
	// ec2/ec2_eip.go: address, domain, ipam_pool_id, network_border_group, public_ipv4_pool (the
	// deprecated vpc of the v5 line is not in the stored file and not listed; the program sets
	// domain).
	"aws:ec2/eip:Eip": {"address", "domain", "ipamPoolId", "networkBorderGroup", "publicIpv4Pool"},
	// ec2/vpc_nat_gateway.go: allocation_id, connectivity_type, private_ip,
	// secondary_private_ip_address_count, subnet_id.
	"aws:ec2/natGateway:NatGateway": {"allocationId", "connectivityType", "privateIp", "secondaryPrivateIpAddressCount", "subnetId"},
	// ec2/vpc_route_table.go: vpc_id (routes are updates).
	"aws:ec2/routeTable:RouteTable": {"vpcId"},
	// ec2/vpc_route_table_association.go: gateway_id, subnet_id (route_table_id is an update).
	"aws:ec2/routeTableAssociation:RouteTableAssociation": {"gatewayId", "subnetId"},
	// aws_ec2_tag: resource_id and key; its schema file is not in the search index here, so this
	// is NOT checked against the schema (the resource's documentation names the three arguments;
	// value is the one that changes in place).
	"aws:ec2/tag:Tag": {"resourceId", "key"},
	// ec2/vpc_flow_log.go (every argument but tags), read 2026-12-07 on main; its
	// regional_nat_gateway_id there is newer and not listed.
	"aws:ec2/flowLog:FlowLog": {
		"vpcId", "subnetId", "eniId", "transitGatewayId", "transitGatewayAttachmentId", "iamRoleArn", "logDestination",
		"logDestinationType", "logFormat", "maxAggregationInterval", "trafficType", "deliverCrossAccountRole", "destinationOptions",
	},
	// sns/{topic,topic_policy,topic_subscription}.go, read 2026-12-07 (topic_arn is the
	// subscription's topic).
	"aws:sns/topic:Topic":                         {"name", "namePrefix", "fifoTopic"},
	"aws:sns/topicPolicy:TopicPolicy":             {"arn"},
	"aws:sns/topicSubscription:TopicSubscription": {"topic", "protocol", "endpoint"},
	// cloudwatch/{metric_alarm,dashboard}.go, read 2026-12-07 (alarm_name is the alarm's name).
	"aws:cloudwatch/metricAlarm:MetricAlarm": {"name"},
	"aws:cloudwatch/dashboard:Dashboard":     {"dashboardName"},
	// events/rule.go: event_bus_name, name, name_prefix (the pattern is an update).
	"aws:cloudwatch/eventRule:EventRule": {"eventBusName", "name", "namePrefix"},
	// events/target.go: event_bus_name, rule, target_id (arn and the target blocks update).
	"aws:cloudwatch/eventTarget:EventTarget": {"eventBusName", "rule", "targetId"},
	// logs/group.go (name, name_prefix, log_group_class), read 2026-12-07.
	"aws:cloudwatch/logGroup:LogGroup": {"name", "namePrefix", "logGroupClass"},
	// kms/key.go, read 2026-12-07.
	"aws:kms/key:Key": {"customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"},
	// kms/alias.go: name, name_prefix (target_key_id is an update).
	"aws:kms/alias:Alias": {"name", "namePrefix"},
	// ecr/repository.go: encryption_configuration (and its fields), name.
	"aws:ecr/repository:Repository": {"encryptionConfigurations", "name"},
	// ecr/lifecycle_policy.go (repository, policy: it has no update), read 2026-12-07.
	"aws:ecr/lifecyclePolicy:LifecyclePolicy": {"repository", "policy"},
}

// autoNamed are, per type, the property pulumi-aws fills with a name of its own (the resource's
// name and a random suffix) when the program gives none: a SchemaInfo with tfbridge.AutoName.
// Sources (read 2026-12-08): pulumi/pulumi-aws provider/autonaming.go, setAutonaming (every
// resource whose Terraform schema has an input "name" that no Fields entry customises), and
// provider/resources.go (aws_eks_fargate_profile: fargate_profile_name; aws_cloudwatch_metric_alarm:
// alarm_name as "name"; aws_cloudwatch_event_rule: name), as the search index stores them; the
// pulumi-aws v6.83.4 Go SDK agrees where it can show it: a Terraform-required argument that is
// auto-named is optional in the Args (FargateProfileArgs.FargateProfileName, ecr RepositoryArgs.Name,
// eks ClusterArgs.Name are pointers; DashboardArgs.DashboardName and AddonArgs.AddonName are not).
// Types not listed name nothing by themselves.
var autoNamed = map[string]string{
	"aws:sqs/queue:Queue":                    "name",
	"aws:iam/role:Role":                      "name",
	"aws:iam/policy:Policy":                  "name",
	"aws:iam/rolePolicy:RolePolicy":          "name",
	"aws:eks/cluster:Cluster":                "name",
	"aws:eks/fargateProfile:FargateProfile":  "fargateProfileName",
	"aws:ec2/securityGroup:SecurityGroup":    "name",
	"aws:sns/topic:Topic":                    "name",
	"aws:cloudwatch/metricAlarm:MetricAlarm": "name",
	"aws:cloudwatch/eventRule:EventRule":     "name",
	"aws:cloudwatch/logGroup:LogGroup":       "name",
	"aws:kms/alias:Alias":                    "name",
	"aws:ecr/repository:Repository":          "name",
}

// defaultsKey is the input the bridge's Check adds to every resource's inputs: the names of the
// properties it filled in itself (defaults and auto-names). pulumi-terraform-bridge
// pkg/reservedkeys (Defaults = "__defaults") and pkg/tfbridge/schema.go, which sets it to the
// sorted keys it defaulted (tags v3.109.0 to v3.112.0, read 2026-12-08).
const defaultsKey = "__defaults"

// deleteBeforeReplace reports whether replacing a resource of type typ with the checked inputs
// news must delete the old resource before creating the new one, as pulumi-terraform-bridge
// decides it (pkg/tfbridge/provider.go, Diff: DeleteBeforeReplace is len(replaces) > 0 &&
// (ResourceInfo.DeleteBeforeReplace || nameRequiresDeleteBeforeReplace(news, olds, ...));
// pkg/tfbridge/schema.go, nameRequiresDeleteBeforeReplace: false when news has no __defaults
// list; otherwise true when news holds an auto-named property that is not in __defaults, that is
// a name the program set itself and the replacement would need too. Identical at the bridge's
// tags v3.109.0 to v3.112.0, which span the versions pulumi-aws's v6.83 line was built with;
// read 2026-12-08 in a snapshot of pulumi/pulumi-terraform-bridge). The types here have no
// ResourceInfo.DeleteBeforeReplace and no UniqueNameFields in pulumi-aws's provider/resources.go
// (the index's stored versions: the flag is set on aws_cloudwatch_log_metric_filter, which the
// program does not use), so the name decides alone. The caller checks that there are replaces.
func deleteBeforeReplace(typ string, news resource.PropertyMap) bool {
	field, ok := autoNamed[typ]
	if !ok {
		return false
	}
	defaults, ok := news[defaultsKey]
	if !ok || !defaults.IsArray() {
		return false
	}
	if _, set := news[resource.PropertyKey(field)]; !set {
		return false
	}
	for _, d := range defaults.ArrayValue() {
		if d.IsString() && d.StringValue() == field {
			return false
		}
	}
	return true
}

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
// news: its replacements, and each of removalReplacements that olds has and news has not. A type
// without rules is an error naming it.
func replacementsFor(typ string, olds, news resource.PropertyMap) ([]string, error) {
	paths, ok := replacements[typ]
	if !ok {
		return nil, fmt.Errorf("aws stand-in: no replacement rules for %s: add its ForceNew fields (terraform-provider-aws's schema) to replacements in tests/engine/awsstandin/diff.go", typ)
	}
	for _, k := range removalReplacements[typ] {
		if present(olds, k) && !present(news, k) {
			paths = append(slices.Clone(paths), k)
		}
	}
	return paths, nil
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

// diff is the DiffResponse for olds -> news: each changed top-level key is an add, delete or
// update, and a replacement when one of the paths in replace under it changed (then the detailed
// diff names that path). The bridge's reserved keys (__defaults) are no properties and never
// differ.
func diff(olds, news resource.PropertyMap, replace []string) *pulumirpc.DiffResponse {
	d := withoutReserved(olds).Diff(withoutReserved(news))
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

// withDefaults is checked (news with what Check filled in) with __defaults set to the sorted keys
// checked has and news had not, as the bridge's Check lists the properties it filled in.
func withDefaults(news, checked resource.PropertyMap) resource.PropertyMap {
	var filled []string
	for k := range checked {
		if _, ok := news[k]; !ok && !isReserved(k) {
			filled = append(filled, string(k))
		}
	}
	slices.Sort(filled)
	list := make([]resource.PropertyValue, 0, len(filled))
	for _, k := range filled {
		list = append(list, resource.NewProperty(k))
	}
	out := checked.Copy()
	out[defaultsKey] = resource.NewProperty(list)
	return out
}

// withoutReserved is m without the bridge's reserved keys (those that start with "__").
func withoutReserved(m resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		if !isReserved(k) {
			out[k] = v
		}
	}
	return out
}

func isReserved(k resource.PropertyKey) bool { return strings.HasPrefix(string(k), "__") }

// autoName is checked with the type's auto-named property (autoNamed) set to offline.AutoName of
// the resource's name when the inputs give it no value, nor a namePrefix for a "name": what
// pulumi-aws's Check fills in. offline.Derivation.Check has named the types the offline plan
// derives names for already.
func autoName(typ, name string, checked resource.PropertyMap) resource.PropertyMap {
	field, ok := autoNamed[typ]
	if !ok {
		return checked
	}
	keys := []resource.PropertyKey{resource.PropertyKey(field)}
	if field == "name" {
		keys = append(keys, "namePrefix")
	}
	for _, k := range keys {
		if v, ok := checked[k]; ok && !v.IsNull() {
			return checked
		}
	}
	out := checked.Copy()
	out[resource.PropertyKey(field)] = resource.NewProperty(offline.AutoName(name))
	return out
}
