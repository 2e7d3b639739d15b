// Package karpenter is the Karpenter half of the scaling twin. It resolves the instance types
// the program's NodePool and EC2NodeClass allow with karpenter-provider-aws v1.14.1's own
// instance type provider (pkg/providers/instancetype: capacity, kube-reserved, eviction
// threshold, ENI-limited max pods, zonal offerings and prices) fed by moto_server's EC2
// DescribeInstanceTypes / DescribeInstanceTypeOfferings (real EC2 specifications), then runs
// Karpenter v1.14.1's own scheduler (sigs.k8s.io/karpenter/pkg/controllers/provisioning/
// scheduling) on a controller-runtime fake client, the way Karpenter's scheduling benchmark
// does, for N pods of the program's Deployment plus the EKS DaemonSets: nodes launched, their
// instance types and the pods left Pending.
package karpenter

import (
	"context"
	"flag"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/patrickmn/go-cache"
	"github.com/samber/lo"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	fakecr "sigs.k8s.io/controller-runtime/pkg/client/fake"

	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	awscache "github.com/aws/karpenter-provider-aws/pkg/cache"
	awsoptions "github.com/aws/karpenter-provider-aws/pkg/operator/options"
	zonalshift "github.com/aws/karpenter-provider-aws/pkg/providers/arczonalshift"
	"github.com/aws/karpenter-provider-aws/pkg/providers/capacityreservation"
	instancefilter "github.com/aws/karpenter-provider-aws/pkg/providers/instance/filter"
	"github.com/aws/karpenter-provider-aws/pkg/providers/instancetype"
	"github.com/aws/karpenter-provider-aws/pkg/providers/placementgroup"
	"github.com/aws/karpenter-provider-aws/pkg/providers/pricing"
	"github.com/aws/karpenter-provider-aws/pkg/providers/subnet"

	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/karpenter/pkg/cloudprovider"
	"sigs.k8s.io/karpenter/pkg/cloudprovider/fake"
	"sigs.k8s.io/karpenter/pkg/controllers/provisioning/scheduling"
	"sigs.k8s.io/karpenter/pkg/controllers/state"
	"sigs.k8s.io/karpenter/pkg/events"
	"sigs.k8s.io/karpenter/pkg/operator/injection"
	coreoptions "sigs.k8s.io/karpenter/pkg/operator/options"
	kscheduling "sigs.k8s.io/karpenter/pkg/scheduling"
	"sigs.k8s.io/karpenter/pkg/utils/daemonset"

	"github.com/eventscale/eventscale/tests/twin/spec"
)

// Modules are the Karpenter modules whose code the twin runs (kept equal to the build by a test).
var Modules = []string{
	"github.com/aws/karpenter-provider-aws v1.14.1",
	"sigs.k8s.io/karpenter v1.14.1",
}

// Options returns Karpenter's own option defaults, obtained the way the controller obtains
// them: both option sets register their flags, and are parsed with no arguments but the
// cluster name and those the program's chart values set (settings.batchIdleDuration,
// settings.batchMaxDuration, settings.vmMemoryOverheadPercent, settings.reservedENIs, ...).
// Environment variables Karpenter reads (BATCH_MAX_DURATION, ...) are honoured as in the pod.
func Options(clusterName string, settings map[string]any) (*coreoptions.Options, *awsoptions.Options, error) {
	fs := &coreoptions.FlagSet{FlagSet: flag.NewFlagSet("karpenter", flag.ContinueOnError)}
	core, aws := &coreoptions.Options{}, &awsoptions.Options{}
	core.AddFlags(fs)
	aws.AddFlags(fs)
	args := []string{"--cluster-name=" + clusterName}
	for _, k := range spec.SortedKeys(settings) {
		flagName := kebab(k)
		if fs.Lookup(flagName) == nil {
			continue // e.g. clusterName (given), interruptionQueue (not a flag here): no scheduling effect
		}
		if flagName == "cluster-name" {
			continue
		}
		args = append(args, fmt.Sprintf("--%s=%v", flagName, settings[k]))
	}
	if err := core.Parse(fs, args...); err != nil {
		return nil, nil, fmt.Errorf("karpenter core options: %w", err)
	}
	if err := aws.Parse(fs, args...); err != nil {
		return nil, nil, fmt.Errorf("karpenter-provider-aws options: %w", err)
	}
	return core, aws, nil
}

// kebab turns a chart settings key (batchMaxDuration) into its flag name (batch-max-duration).
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Context returns ctx carrying both option sets and the provisioner's controller name, as
// Karpenter's own scheduling benchmark sets it up.
func Context(ctx context.Context, core *coreoptions.Options, aws *awsoptions.Options) context.Context {
	ctx = injection.WithControllerName(ctx, "provisioner")
	ctx = coreoptions.ToContext(ctx, core)
	return awsoptions.ToContext(ctx, aws)
}

// NewEC2 returns an EC2 client for endpoint (moto_server) with static test credentials.
func NewEC2(endpoint, region string) *ec2.Client {
	return ec2.New(ec2.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, nil
		}),
	})
}

// NewInstanceTypeProvider wires karpenter-provider-aws's instance type provider exactly as
// its operator does (pkg/operator/operator.go), over ec2api, with the static price list of
// pricing.NewDefaultProvider (no pricing API is called), no zonal shift and no capacity
// reservations, and hydrates it (UpdateInstanceTypes, UpdateInstanceTypeOfferings).
func NewInstanceTypeProvider(ctx context.Context, ec2api *ec2.Client, region string, kube client.Client) (*instancetype.DefaultProvider, *pricing.DefaultProvider, error) {
	clk := clock.RealClock{}
	pricingProvider := pricing.NewDefaultProvider(nil, ec2api, region, true)
	subnetProvider := subnet.NewDefaultProvider(ec2api, cache.New(awscache.DefaultTTL, awscache.DefaultCleanupInterval), cache.New(awscache.AvailableIPAddressTTL, awscache.DefaultCleanupInterval))
	capacityReservationProvider := capacityreservation.NewProvider(ec2api, clk,
		cache.New(awscache.DefaultTTL, awscache.DefaultCleanupInterval),
		cache.New(awscache.CapacityReservationAvailabilityTTL, awscache.DefaultCleanupInterval))
	placementGroupProvider := placementgroup.NewProvider(ec2api,
		cache.New(awscache.DefaultTTL, awscache.DefaultCleanupInterval),
		cache.New(awscache.PlacementGroupAvailabilityTTL, awscache.DefaultCleanupInterval))
	p := instancetype.NewDefaultProvider(
		cache.New(awscache.InstanceTypesZonesAndOfferingsTTL, awscache.DefaultCleanupInterval),
		cache.New(awscache.InstanceTypesZonesAndOfferingsTTL, awscache.DefaultCleanupInterval),
		cache.New(awscache.DiscoveredCapacityCacheTTL, awscache.DefaultCleanupInterval),
		ec2api,
		subnetProvider,
		pricingProvider,
		capacityReservationProvider,
		placementGroupProvider,
		awscache.NewUnavailableOfferings(),
		instancetype.NewDefaultResolver(region),
		zonalshift.NewNoopProvider(),
		kube,
	)
	if err := p.UpdateInstanceTypes(ctx); err != nil {
		return nil, nil, err
	}
	if err := p.UpdateInstanceTypeOfferings(ctx); err != nil {
		return nil, nil, err
	}
	return p, pricingProvider, nil
}

// NodeClass decodes the program's EC2NodeClass and fills the status Karpenter's nodeclass
// controller would: the subnets its subnetSelectorTerms select among the program's subnets
// (zone names from the program, zone IDs from EC2 DescribeAvailabilityZones).
func NodeClass(ctx context.Context, o *spec.Objects, ec2api *ec2.Client) (*awsv1.EC2NodeClass, error) {
	nc := &awsv1.EC2NodeClass{}
	if err := spec.Decode(o.EC2NodeClass, nc); err != nil {
		return nil, err
	}
	azs, err := ec2api.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		return nil, fmt.Errorf("describe availability zones: %w", err)
	}
	zoneIDs := map[string]string{}
	for _, z := range azs.AvailabilityZones {
		zoneIDs[aws.ToString(z.ZoneName)] = aws.ToString(z.ZoneId)
	}
	for i, sn := range o.Subnets {
		tags, _ := sn["tags"].(map[string]any)
		if !selected(nc.Spec.SubnetSelectorTerms, tags) {
			continue
		}
		zone, _ := sn["availabilityZone"].(string)
		if zoneIDs[zone] == "" {
			return nil, fmt.Errorf("subnet %d is in zone %q, which EC2 does not list in this region", i, zone)
		}
		nc.Status.Subnets = append(nc.Status.Subnets, awsv1.Subnet{ID: fmt.Sprintf("subnet-program-%d", i), Zone: zone, ZoneID: zoneIDs[zone]})
	}
	if len(nc.Status.Subnets) == 0 {
		return nil, fmt.Errorf("EC2NodeClass %s selects none of the program's %d subnets", nc.Name, len(o.Subnets))
	}
	return nc, nil
}

func selected(terms []awsv1.SubnetSelectorTerm, tags map[string]any) bool {
	for _, t := range terms {
		if t.ID != "" || len(t.Tags) == 0 {
			continue
		}
		ok := true
		for k, v := range t.Tags {
			if got, _ := tags[k].(string); got != v && !(v == "*" && got != "") {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// DaemonSet is a node DaemonSet whose requests the scheduler reserves on every new node.
type DaemonSet struct {
	Name, Namespace string
	// Requests are the DaemonSet pod's container requests.
	Requests corev1.ResourceList
	// Source is where the requests come from.
	Source string
}

// EKSDaemonSets are the DaemonSets every EC2 node of the cluster runs (CoreDNS, Karpenter and
// KEDA run on Fargate). Their requests are the upstream defaults:
//   - aws-node (Amazon VPC CNI): cpu 25m, no memory request — amazon-vpc-cni-k8s
//     charts/aws-vpc-cni/values.yaml `resources.requests.cpu: 25m`;
//   - kube-proxy: cpu 100m, no memory request — the Kubernetes kube-proxy add-on DaemonSet
//     (cluster/addons/kube-proxy/kube-proxy-ds.yaml) that the EKS kube-proxy add-on follows.
func EKSDaemonSets() []DaemonSet {
	return []DaemonSet{
		{Name: "aws-node", Namespace: "kube-system", Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("25m")},
			Source: "amazon-vpc-cni-k8s charts/aws-vpc-cni/values.yaml (resources.requests.cpu: 25m)"},
		{Name: "kube-proxy", Namespace: "kube-system", Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
			Source: "Kubernetes cluster/addons/kube-proxy/kube-proxy-ds.yaml (requests cpu 100m), as in the EKS kube-proxy add-on"},
	}
}

// daemonSetPods turns the DaemonSets into the pods the provisioner schedules for them, with
// Karpenter's own daemonset.PodForDaemonSet; like aws-node and kube-proxy they tolerate
// every taint and avoid Fargate.
func daemonSetPods(dss []DaemonSet) []*corev1.Pod {
	var pods []*corev1.Pod
	for _, d := range dss {
		ds := &appsv1.DaemonSet{
			ObjectMeta: metav1.ObjectMeta{Name: d.Name, Namespace: d.Namespace, UID: types.UID("ds-" + d.Name)},
			Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"k8s-app": d.Name}},
				Spec: corev1.PodSpec{
					Containers:  []corev1.Container{{Name: d.Name, Resources: corev1.ResourceRequirements{Requests: d.Requests}}},
					Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
						NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
							{Key: corev1.LabelOSStable, Operator: corev1.NodeSelectorOpIn, Values: []string{"linux"}},
							{Key: "eks.amazonaws.com/compute-type", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"fargate"}},
						}}},
					}}},
				},
			}},
		}
		pods = append(pods, daemonset.PodForDaemonSet(ds))
	}
	return pods
}

// Cluster is one stack's Karpenter view: its NodePool, the instance types the NodePool's
// EC2NodeClass resolves to, the node DaemonSets and the workload's pod template.
type Cluster struct {
	NodePool  *karpv1.NodePool
	NodeClass *awsv1.EC2NodeClass
	// InstanceTypes are the EC2NodeClass's instance types as first listed (read-only: the
	// launch filters change the offerings of the instance types they are given, so every
	// scheduling pass and every launch lists them again, as Karpenter does).
	InstanceTypes []*cloudprovider.InstanceType
	DaemonSets    []DaemonSet
	Deployment    *appsv1.Deployment
	Pricing       *pricing.DefaultProvider
	provider      *instancetype.DefaultProvider
}

// NewCluster decodes the NodePool and Deployment and lists the EC2NodeClass's instance types
// with the provider (what CloudProvider.GetInstanceTypes returns), compatible with it.
func NewCluster(ctx context.Context, o *spec.Objects, provider *instancetype.DefaultProvider, nodeClass *awsv1.EC2NodeClass, prices *pricing.DefaultProvider) (*Cluster, error) {
	c := &Cluster{NodePool: &karpv1.NodePool{}, NodeClass: nodeClass, Deployment: &appsv1.Deployment{}, DaemonSets: EKSDaemonSets(), Pricing: prices}
	if err := spec.Decode(o.NodePool, c.NodePool); err != nil {
		return nil, err
	}
	c.NodePool.UID = types.UID("nodepool-" + c.NodePool.Name)
	if err := spec.Decode(o.Deployment, c.Deployment); err != nil {
		return nil, err
	}
	c.provider = provider
	its, err := c.list(ctx)
	if err != nil {
		return nil, err
	}
	c.InstanceTypes = its
	return c, nil
}

// list is CloudProvider.GetInstanceTypes: the provider's List for the EC2NodeClass, limited
// to the types compatible with it. Offerings are injected afresh on every call.
func (c *Cluster) list(ctx context.Context) ([]*cloudprovider.InstanceType, error) {
	its, err := c.provider.List(ctx, c.NodeClass)
	if err != nil {
		return nil, fmt.Errorf("listing instance types: %w", err)
	}
	its = c.provider.FilterForNodeClass(ctx, its, c.NodeClass)
	if len(its) == 0 {
		return nil, fmt.Errorf("no instance types for EC2NodeClass %s", c.NodeClass.Name)
	}
	return its, nil
}

// Allowed returns the instance types the NodePool's requirements admit, by name.
func (c *Cluster) Allowed() []*cloudprovider.InstanceType {
	reqs := kscheduling.NewNodeSelectorRequirementsWithMinValues(c.NodePool.Spec.Template.Spec.Requirements...)
	var out []*cloudprovider.InstanceType
	for _, it := range c.InstanceTypes {
		if it.Requirements.Intersects(reqs) == nil && len(it.Offerings.Available().Compatible(reqs)) > 0 {
			out = append(out, it)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Stack is one stack's Karpenter view with what it was resolved from.
type Stack struct {
	Objects *spec.Objects
	// Core and AWS are Karpenter's option sets (Options); Context carries them (Context).
	Core    *coreoptions.Options
	AWS     *awsoptions.Options
	Context context.Context
	Cluster *Cluster
}

// NewStack resolves stack's Cluster from the program's objects (spec.LoadStack at root) with
// EC2 at ec2Endpoint (a moto_server): Karpenter's options from the chart values, the instance
// type provider, the EC2NodeClass's status and the NodePool. ctx is the parent of
// Stack.Context.
func NewStack(ctx context.Context, root, stack, ec2Endpoint string) (*Stack, error) {
	objs, err := spec.LoadStack(root, stack)
	if err != nil {
		return nil, err
	}
	settings, _ := spec.Get(objs.KarpenterValues, "settings").(map[string]any)
	clusterName, _ := settings["clusterName"].(string)
	if clusterName == "" {
		return nil, fmt.Errorf("stack %s: the Karpenter chart values carry no settings.clusterName: %v", stack, objs.KarpenterValues)
	}
	core, awsOpts, err := Options(clusterName, settings)
	if err != nil {
		return nil, err
	}
	ctx = Context(ctx, core, awsOpts)
	ec2api := NewEC2(ec2Endpoint, objs.Region)
	provider, prices, err := NewInstanceTypeProvider(ctx, ec2api, objs.Region, fakecr.NewFakeClient())
	if err != nil {
		return nil, fmt.Errorf("stack %s: instance type provider: %w", stack, err)
	}
	nc, err := NodeClass(ctx, objs, ec2api)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", stack, err)
	}
	c, err := NewCluster(ctx, objs, provider, nc, prices)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", stack, err)
	}
	return &Stack{Objects: objs, Core: core, AWS: awsOpts, Context: ctx, Cluster: c}, nil
}

// Node is one NodeClaim the scheduler creates, as the AWS provider would launch it.
type Node struct {
	// Pods is how many workload pods the scheduler placed on it.
	Pods int
	// CapacityType is the one the launch uses (reserved, then spot, then on-demand).
	CapacityType string
	// InstanceType is the cheapest launch candidate ("a/b" when several tie) and Price its
	// hourly price in the simulation's price list; Candidates is how many types the launch
	// request carries.
	InstanceType string
	Price        float64
	Candidates   int
	// CPU and Memory are InstanceType's capacity.
	CPU, Memory resource.Quantity
	// Zones are the zones the launch may land in (the candidates' offerings the NodeClaim's
	// requirements admit); Zone is the only one, or "" when EC2 Fleet picks among several.
	Zone  string
	Zones []string
}

// Result is one scheduling pass.
type Result struct {
	Pods    int
	Nodes   []Node
	Pending int
	// Reasons are the distinct scheduling errors of the pending pods.
	Reasons []string
}

// HourlyPrice is the sum of the nodes' prices.
func (r Result) HourlyPrice() float64 {
	return lo.SumBy(r.Nodes, func(n Node) float64 { return n.Price })
}

// Schedule runs Karpenter's scheduler once for replicas pending pods of the Deployment on an
// empty cluster (no EC2 nodes: everything else runs on Fargate), as the provisioner does
// (Provisioner.NewScheduler: NewTopology, then NewScheduler with the DaemonSet pods; then
// Solve), and resolves each new NodeClaim's launch as karpenter-provider-aws would.
func (c *Cluster) Schedule(ctx context.Context, replicas int) (Result, error) {
	kube := fakecr.NewFakeClient()
	clk := clock.RealClock{}
	cluster := state.NewCluster(clk, kube, fake.NewCloudProvider())
	nodePool := c.NodePool.DeepCopy()
	pods := make([]*corev1.Pod, replicas)
	for i := range pods {
		tpl := c.Deployment.Spec.Template.DeepCopy()
		pods[i] = &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Name: fmt.Sprintf("%s-%d", c.Deployment.Name, i), Namespace: c.Deployment.Namespace,
				UID: types.UID(fmt.Sprintf("pod-%d", i)), Labels: tpl.Labels, Annotations: tpl.Annotations,
			},
			Spec:   tpl.Spec,
			Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable}}},
		}
	}
	listed, err := c.list(ctx)
	if err != nil {
		return Result{}, err
	}
	its := map[string][]*cloudprovider.InstanceType{nodePool.Name: listed}
	opts := SchedulerOptions(ctx)
	topology, err := scheduling.NewTopology(ctx, kube, cluster, nil, []*karpv1.NodePool{nodePool}, its, pods, opts...)
	if err != nil {
		return Result{}, fmt.Errorf("topology: %w", err)
	}
	s := scheduling.NewScheduler(ctx, kube, []*karpv1.NodePool{nodePool}, cluster, nil, topology, its,
		daemonSetPods(c.DaemonSets), events.NewRecorder(&record.FakeRecorder{}), clk, nil, nil, opts...)
	results, err := s.Solve(ctx, pods)
	if err != nil {
		return Result{}, fmt.Errorf("solve: %w", err)
	}
	r := Result{Pods: replicas, Pending: len(results.PodErrors)}
	reasons := map[string]bool{}
	for _, e := range results.PodErrors {
		reasons[e.Error()] = true
	}
	r.Reasons = spec.SortedKeys(reasons)
	for _, nc := range results.NewNodeClaims {
		n, err := c.launch(ctx, nc)
		if err != nil {
			return r, err
		}
		r.Nodes = append(r.Nodes, n)
	}
	sort.SliceStable(r.Nodes, func(i, j int) bool { return r.Nodes[i].InstanceType < r.Nodes[j].InstanceType })
	return r, nil
}

// SchedulerOptions are the options Provisioner.Schedule gives NewTopology and NewScheduler
// (sigs.k8s.io/karpenter pkg/controllers/provisioning/provisioner.go), from the options in ctx:
// no fallback from reserved capacity, the concurrency of the controller's CPU requests, the
// minValues policy, and IgnorePreferences when preferencePolicy is Ignore. With the default
// (Respect) the scheduler treats preferences such as a ScheduleAnyway topology spread as
// required, and relaxes them one by one only for a pod it cannot place otherwise.
func SchedulerOptions(ctx context.Context) []scheduling.Options {
	o := coreoptions.FromContext(ctx)
	opts := []scheduling.Options{
		scheduling.DisableReservedCapacityFallback,
		scheduling.NumConcurrentReconciles(int(math.Ceil(float64(o.CPURequests) / 1000.0))),
		scheduling.MinValuesPolicy(o.MinValuesPolicy),
	}
	if o.PreferencePolicy == coreoptions.PreferencePolicyIgnore {
		opts = append(opts, scheduling.IgnorePreferences)
	}
	return opts
}

// launch resolves what karpenter-provider-aws's instance provider does with a NodeClaim
// (pkg/providers/instance/instance.go): the NodeClaim as the provisioner writes it
// (NodeClaimTemplate.ToNodeClaim: the 60 cheapest options), the instance types listed afresh
// (CloudProvider.Create calls List again), the launch filters
// (filterInstanceTypes: compatible+available, capacity reservation, capacity block, reserved
// offering, exotic instance types, spot offerings; then Truncate to 60) and the capacity type
// (getCapacityType: reserved, then spot, then on-demand). EC2 Fleet then picks among the
// candidates (lowest-price for on-demand, price-capacity-optimized for spot); the twin reports
// the cheapest candidate.
func (c *Cluster) launch(ctx context.Context, nc *scheduling.NodeClaim) (Node, error) {
	claim := nc.ToNodeClaim()
	reqs := kscheduling.NewNodeSelectorRequirementsWithMinValues(claim.Spec.Requirements...)
	its, err := c.list(ctx)
	if err != nil {
		return Node{}, err
	}
	for _, f := range []instancefilter.Filter{
		instancefilter.CompatibleAvailableFilter(reqs, claim.Spec.Resources.Requests),
		instancefilter.CapacityReservationTypeFilter(reqs),
		instancefilter.CapacityBlockFilter(reqs),
		instancefilter.ReservedOfferingFilter(reqs),
		instancefilter.ExoticInstanceTypeFilter(reqs),
		instancefilter.SpotOfferingFilter(reqs),
	} {
		remaining, _ := f.FilterReject(its)
		if len(remaining) == 0 {
			return Node{}, fmt.Errorf("launch filter %s rejected every instance type", f.Name())
		}
		its = remaining
	}
	its, err = cloudprovider.InstanceTypes(its).Truncate(ctx, reqs, 60)
	if err != nil {
		return Node{}, err
	}
	capacityType := karpv1.CapacityTypeOnDemand
	for _, ct := range []string{karpv1.CapacityTypeReserved, karpv1.CapacityTypeSpot} {
		if !reqs.Get(karpv1.CapacityTypeLabelKey).Has(ct) {
			continue
		}
		r := kscheduling.NewRequirements(reqs.Values()...)
		r[karpv1.CapacityTypeLabelKey] = kscheduling.NewRequirement(karpv1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, ct)
		if lo.ContainsBy(its, func(it *cloudprovider.InstanceType) bool { return len(it.Offerings.Available().Compatible(r)) > 0 }) {
			capacityType = ct
			break
		}
	}
	r := kscheduling.NewRequirements(reqs.Values()...)
	r[karpv1.CapacityTypeLabelKey] = kscheduling.NewRequirement(karpv1.CapacityTypeLabelKey, corev1.NodeSelectorOpIn, capacityType)
	var cheapest []*cloudprovider.InstanceType
	bestPrice := 0.0
	for _, it := range its {
		ofs := it.Offerings.Available().Compatible(r)
		if len(ofs) == 0 {
			continue
		}
		switch p := ofs.Cheapest().Price; {
		case len(cheapest) == 0 || p < bestPrice:
			cheapest, bestPrice = []*cloudprovider.InstanceType{it}, p
		case p == bestPrice:
			cheapest = append(cheapest, it)
		}
	}
	if len(cheapest) == 0 {
		return Node{}, fmt.Errorf("no %s offering among %d candidates", capacityType, len(its))
	}
	sort.Slice(cheapest, func(i, j int) bool { return cheapest[i].Name < cheapest[j].Name })
	best := cheapest[0]
	// The zones the launch may land in: those of the candidates' offerings of that capacity
	// type that the NodeClaim's requirements (a zone spread pins one) admit.
	zoneSet := map[string]bool{}
	for _, it := range its {
		for _, o := range it.Offerings.Available().Compatible(r) {
			zoneSet[o.Zone()] = true
		}
	}
	zones := spec.SortedKeys(zoneSet)
	zone := ""
	if len(zones) == 1 {
		zone = zones[0]
	}
	return Node{
		Zone: zone, Zones: zones,
		Pods: len(nc.Pods), CapacityType: capacityType, Price: bestPrice, Candidates: len(its),
		InstanceType: strings.Join(lo.Map(cheapest, func(it *cloudprovider.InstanceType, _ int) string { return it.Name }), "/"),
		CPU:          best.Capacity[corev1.ResourceCPU], Memory: best.Capacity[corev1.ResourceMemory],
	}, nil
}

// Allocatable is what one pod of the workload can use on an instance type: its allocatable
// (capacity minus kube-reserved, system-reserved and the eviction threshold) minus the
// DaemonSets' requests.
func (c *Cluster) Allocatable(it *cloudprovider.InstanceType) corev1.ResourceList {
	out := it.Allocatable().DeepCopy()
	for _, d := range c.DaemonSets {
		for k, v := range d.Requests {
			q := out[k]
			q.Sub(v)
			out[k] = q
		}
	}
	return out
}
