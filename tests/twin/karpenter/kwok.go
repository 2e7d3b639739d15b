package karpenter

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	awsapis "github.com/aws/karpenter-provider-aws/pkg/apis"
	kwok "sigs.k8s.io/karpenter/kwok/cloudprovider"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/karpenter/pkg/cloudprovider"
)

// KWOKKubeReserved is the overhead Karpenter v1.14.1's kwok provider gives every instance type
// of its file (kube-reserved 100m CPU and 10Mi memory: sigs.k8s.io/karpenter@v1.14.1
// kwok/cloudprovider/helpers.go, newInstanceType). Its allocatable is the file's resources
// minus this, and its nodes' allocatable is that allocatable (kwok/cloudprovider/cloudprovider.go,
// toNode).
var KWOKKubeReserved = corev1.ResourceList{
	corev1.ResourceCPU:    resource.MustParse("100m"),
	corev1.ResourceMemory: resource.MustParse("10Mi"),
}

// KWOKInstanceTypes describes the NodePool's allowed instance types (Cluster.Allowed) for
// Karpenter v1.14.1's kwok provider: the JSON array its --instance-types-file-path
// (INSTANCE_TYPES_FILE_PATH) names, one entry per type name, sorted by name.
//
// Each entry has the type's name, its one kubernetes.io/arch value (amd64 or arm64, as Karpenter
// labels it), its kubernetes.io/os values, and one offering per available offering of the twin
// (price, zone, capacity type, and the type's karpenter.k8s.aws labels, below). Its resources are
// the type's EC2 capacity as karpenter-provider-aws resolves it (it.Capacity: cpu, memory, pods,
// the kubelet's max pods, and ephemeral-storage when the type has one), because NodePool limits
// count node capacity. The demo tier reports each kwok Node's status.capacity as this value,
// playing the kubelet, which reports the machine's capacity (kwok's own toNode would set the
// NodeClaim's requests: sigs.k8s.io/karpenter@v1.14.1 kwok/cloudprovider/cloudprovider.go).
// Karpenter's limit check then matches EC2's (same module: pkg/controllers/state/cluster.go,
// updateNodePoolResources, adds StateNode.Capacity per node; pkg/controllers/provisioning/
// scheduling/scheduler.go, filterByRemainingResources and subtractMax, compare and subtract
// it.Capacity): dev's m5.large has exactly 2 vCPU, so the NodePool's CPU limit 4 admits exactly
// two nodes (with 2005m, the second would already be refused).
//
// A stand-in with a known difference: kwok's allocatable is this capacity minus its fixed
// KWOKKubeReserved (100m CPU, 10Mi memory), not EC2's allocatable (minus kube-reserved,
// system-reserved and the eviction threshold) minus the EKS DaemonSets' requests, and its pods
// are all of max pods (the demo cluster runs no DaemonSets). Worker pods of 1 vCPU / 3Gi per
// node, kwok vs the twin (Cluster.Allocatable less one pod slot per DaemonSet): dev's m5.large
// and m6i.large 1 vs 1 (1900m/7567Mi vs 1805m/6903Mi); in prod, c6i.2xlarge 4 vs 4
// (7900m/15145Mi vs 7785m/14162Mi) and m6i.2xlarge 7 vs 7 (7900m/30300Mi vs 7785m/29317Mi), the
// same on 125 of prod's 138 types (every 16Gi one among them), but on the other 13, 8th-generation
// c types whose higher max pods make EC2's kube-reserved memory larger, kwok fits one more:
// c8a/c8i/c8i-flex/c8ib/c8id/c8in/c8ine.large (2 vCPU, 3788Mi) 1 vs 0 (3778Mi vs 2784Mi or
// 2575Mi), and their .xlarge but c8a's (4 vCPU, 7577Mi) 2 vs 1 (7567Mi vs 5924Mi).
//
// Every offering also carries the type's own karpenter-provider-aws requirements in the
// karpenter.k8s.aws domain that have one value with operator In (instance-category, -family,
// -generation, -size, -cpu, -memory, -hypervisor, ...), so that a NodePool requiring those
// labels (prod's instance-category In, instance-generation Gt, instance-cpu Lt) admits the same
// types from kwok as from EC2, and its nodes carry the labels EC2's would. kwok's own
// requirements do not carry them (its karpenter.kwok.sh/instance-* labels are another domain). In sigs.k8s.io/karpenter@v1.14.1:
//   - kwok/cloudprovider/helpers.go, newInstanceType, makes every offering requirement's key a
//     well-known label (v1.WellKnownLabels) and keeps the requirements on the offering;
//     kwok/cloudprovider/cloudprovider.go, addInstanceLabels, copies an offering's single-valued
//     In requirements onto the Node (and so onto the NodeClaim's labels);
//   - the scheduler admits a type if it.Requirements.Intersects(reqs) and an available offering
//     is compatible (cloudprovider.Offerings.Compatible: reqs.IsCompatible(offering.Requirements,
//     AllowUndefinedWellKnownLabels), pkg/cloudprovider/types.go), which intersects the keys both
//     have (pkg/scheduling/requirements.go, Intersects); for one key, Requirement.HasIntersection
//     (pkg/scheduling/requirement.go) keeps an In value within the Gt/Lt bounds (NewRequirement
//     turns Gt 5 into >= 6 and Lt 9 into <= 8; withinBounds), so In [6] meets Gt 5 and In [16]
//     fails Lt 9;
//   - without those labels every node would drift at once: areRequirementsDrifted
//     (pkg/controllers/nodeclaim/disruption/drift.go) needs the NodeClaim's labels to be
//     Compatible with each NodePool requirement, and a Gt or In requirement on a label the
//     NodeClaim lacks is not.
func KWOKInstanceTypes(c *Cluster) ([]kwok.InstanceTypeOptions, error) {
	seen := map[string]bool{}
	var out []kwok.InstanceTypeOptions
	for _, it := range c.Allowed() {
		if seen[it.Name] {
			return nil, fmt.Errorf("instance type %s is listed twice", it.Name)
		}
		seen[it.Name] = true
		o, err := kwokInstanceType(it)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("NodePool %s allows no instance type", c.NodePool.Name)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func kwokInstanceType(it *cloudprovider.InstanceType) (kwok.InstanceTypeOptions, error) {
	arch := it.Requirements.Get(corev1.LabelArchStable)
	if arch.Operator() != corev1.NodeSelectorOpIn || arch.Len() != 1 {
		return kwok.InstanceTypeOptions{}, fmt.Errorf("instance type %s: want exactly one %s value, have %s", it.Name, corev1.LabelArchStable, arch)
	}
	osReq := it.Requirements.Get(corev1.LabelOSStable)
	if osReq.Operator() != corev1.NodeSelectorOpIn || osReq.Len() == 0 {
		return kwok.InstanceTypeOptions{}, fmt.Errorf("instance type %s: no %s values (%s)", it.Name, corev1.LabelOSStable, osReq)
	}
	var osNames []corev1.OSName
	for _, v := range osReq.Values() { // sorted
		osNames = append(osNames, corev1.OSName(v))
	}

	res := corev1.ResourceList{}
	for _, k := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourcePods} {
		q, ok := it.Capacity[k]
		if !ok || q.Cmp(KWOKKubeReserved[k]) <= 0 {
			return kwok.InstanceTypeOptions{}, fmt.Errorf("instance type %s: capacity %s is %s, which leaves kwok no allocatable after its kube-reserved %s", it.Name, k, q.String(), KWOKKubeReserved.Name(k, resource.DecimalSI).String())
		}
		res[k] = q.DeepCopy()
	}
	if q, ok := it.Capacity[corev1.ResourceEphemeralStorage]; ok {
		res[corev1.ResourceEphemeralStorage] = q.DeepCopy()
	}

	awsReqs := awsLabelRequirements(it)
	var offerings kwok.KWOKOfferings
	for _, of := range it.Offerings.Available() {
		zone, ct := of.Zone(), of.CapacityType()
		if zone == "" || ct == "" {
			return kwok.InstanceTypeOptions{}, fmt.Errorf("instance type %s: an offering has no zone or capacity type (%s)", it.Name, of.Requirements)
		}
		offerings = append(offerings, kwok.KWOKOffering{
			Offering: cloudprovider.Offering{Price: of.Price, Available: true},
			Requirements: append([]corev1.NodeSelectorRequirement{
				{Key: karpv1.CapacityTypeLabelKey, Operator: corev1.NodeSelectorOpIn, Values: []string{ct}},
				{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{zone}},
			}, awsReqs...),
		})
	}
	if len(offerings) == 0 {
		return kwok.InstanceTypeOptions{}, fmt.Errorf("instance type %s has no available offering", it.Name)
	}
	sort.Slice(offerings, func(i, j int) bool {
		a, b := offerings[i].Requirements, offerings[j].Requirements
		if a[1].Values[0] != b[1].Values[0] {
			return a[1].Values[0] < b[1].Values[0]
		}
		return a[0].Values[0] < b[0].Values[0]
	})
	return kwok.InstanceTypeOptions{
		Name:             it.Name,
		Architecture:     arch.Values()[0],
		OperatingSystems: osNames,
		Resources:        res,
		Offerings:        offerings,
	}, nil
}

// awsLabelRequirements are the requirements of it in karpenter-provider-aws's label domain
// (karpenter.k8s.aws/) that have operator In and exactly one value, sorted by key: the labels an
// EC2 node of the type carries from its instance type. Multi-valued and DoesNotExist
// requirements (for example the GPU labels of a type without GPUs) are left out.
func awsLabelRequirements(it *cloudprovider.InstanceType) []corev1.NodeSelectorRequirement {
	var out []corev1.NodeSelectorRequirement
	for key, r := range it.Requirements {
		if strings.HasPrefix(key, awsapis.Group+"/") && r.Operator() == corev1.NodeSelectorOpIn && r.Len() == 1 {
			out = append(out, corev1.NodeSelectorRequirement{Key: key, Operator: corev1.NodeSelectorOpIn, Values: r.Values()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
