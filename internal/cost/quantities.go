package cost

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/eventscale/eventscale/infra"
	"github.com/eventscale/eventscale/internal/offline"
	"github.com/eventscale/eventscale/internal/workerenv"
)

// The pulumi types whose registrations the quantities count.
const (
	typeEKSCluster     = "eks:index:Cluster"
	typeNATGateway     = "aws:ec2/natGateway:NatGateway"
	typeEIP            = "aws:ec2/eip:Eip"
	typeFargateProfile = "aws:eks/fargateProfile:FargateProfile"
	typeAddon          = "aws:eks/addon:Addon"
	typeSubnet         = "aws:ec2/subnet:Subnet"
	typeDeployment     = "kubernetes:apps/v1:Deployment"
	typeScaledObject   = "kubernetes:keda.sh/v1alpha1:ScaledObject"
	typeNodePool       = "kubernetes:karpenter.sh/v1:NodePool"
)

// Chart defaults the program leaves alone: KEDA chart 2.20.2 runs one metrics server and one
// admission webhooks pod (github.com/kedacore/charts@v2.20.2+incompatible/keda/values.yaml,
// metricsServer.replicaCount and webhooks.replicaCount, both enabled; Go module cache, read
// 2026-12-07).
const kedaChartDefaultReplicas = 1

// CoreDNS as the EKS add-on: two replicas by default (Amazon EKS User Guide, "CoreDNS",
// https://docs.aws.amazon.com/eks/latest/userguide/add-ons-coredns.html, read 2026-12-07),
// requesting 100m CPU and 70Mi memory (limit 170Mi) as upstream's manifest does
// (coredns/deployment kubernetes/coredns.yaml.sed). Either size rounds to Fargate's smallest
// combination, 0.25 vCPU and 0.5 GB.
const (
	coreDNSReplicas = 2
	coreDNSCPU      = 0.1
	coreDNSMemGiB   = 70.0 / 1024
)

// FargatePod is one kind of pod the plan runs on Fargate, always (idle and at the peak).
type FargatePod struct {
	// Name says what runs ("karpenter controller").
	Name     string
	Replicas int
	// VCPU and GiB are the Fargate configuration each replica is billed as.
	VCPU, GiB float64
}

// Workload is what the cost of one workload's queue depends on.
type Workload struct {
	Name string
	// MaxReplicas is the ScaledObject's maxReplicaCount: the workload's pods at the peak.
	MaxReplicas int
	// PollingIntervalSeconds is how often KEDA reads the queue.
	PollingIntervalSeconds int
	// Concurrency and SimulatedWork are the worker's WORKER_CONCURRENCY and WORKER_SIMULATED_WORK:
	// at most Concurrency/SimulatedWork messages a second per pod.
	Concurrency   int
	SimulatedWork time.Duration
}

// Quantities is what a stack's plan creates and runs, counted from its recording.
type Quantities struct {
	Stack, Region string
	// Clusters are EKS clusters; LogTypes the control-plane log types they send to CloudWatch Logs.
	Clusters int
	LogTypes []string
	// NATGateways and their Elastic IPs (public IPv4 addresses).
	NATGateways, PublicIPv4 int
	// Fargate lists the pods on Fargate, in a fixed order.
	Fargate []FargatePod
	// Alarms and Dashboards are CloudWatch metric alarms and dashboards.
	Alarms, Dashboards int
	// Workloads, by name.
	Workloads []Workload
	// PeakFingerprint identifies what decides the nodes at the peak (see Fingerprint).
	PeakFingerprint string
}

// Count counts the quantities of rec, a recording of the program for one stack.
func Count(rec *offline.Recording) (Quantities, error) {
	q := Quantities{Stack: rec.Stack}
	region, _ := rec.Outputs["region"].(string)
	q.Region = region
	fargateNamespaces := map[string]bool{}
	for _, r := range rec.Resources {
		if r.StandIn {
			continue
		}
		switch r.Type {
		case typeEKSCluster:
			q.Clusters++
			for _, t := range list(r.Inputs["enabledClusterLogTypes"]) {
				q.LogTypes = append(q.LogTypes, fmt.Sprint(t))
			}
		case typeNATGateway:
			q.NATGateways++
		case typeEIP:
			q.PublicIPv4++
		case offline.TypeMetricAlarm:
			q.Alarms++
		case offline.TypeDashboard:
			q.Dashboards++
		case typeFargateProfile:
			for _, s := range list(r.Inputs["selectors"]) {
				if ns, ok := offline.Lookup(s, "namespace").(string); ok {
					fargateNamespaces[ns] = true
				}
			}
		}
	}
	var err error
	if q.Fargate, err = fargatePods(rec, fargateNamespaces); err != nil {
		return q, err
	}
	if q.Workloads, err = workloads(rec); err != nil {
		return q, err
	}
	q.PeakFingerprint, err = Fingerprint(rec)
	return q, err
}

// fargatePods lists the pods of the Karpenter and KEDA charts and of the CoreDNS add-on that run
// in a namespace a Fargate profile selects, with the replicas and sizes the plan gives them.
func fargatePods(rec *offline.Recording, onFargate map[string]bool) ([]FargatePod, error) {
	var pods []FargatePod
	add := func(name string, replicas any, defaultReplicas int, res any) error {
		n := defaultReplicas
		if replicas != nil {
			v, err := strconv.Atoi(fmt.Sprint(replicas))
			if err != nil {
				return fmt.Errorf("%s: replicas %v: %w", name, replicas, err)
			}
			n = v
		}
		cpu, mem, err := podRequests(res)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		vcpu, gib, err := fargateSize(cpu, mem)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		pods = append(pods, FargatePod{Name: name, Replicas: n, VCPU: vcpu, GiB: gib})
		return nil
	}
	for _, c := range rec.Charts() {
		ns, _ := c.Inputs["namespace"].(string)
		if !onFargate[ns] {
			continue
		}
		values := c.Inputs["values"]
		var err error
		switch path.Base(fmt.Sprint(c.Inputs["chart"])) {
		case infra.KarpenterChartName:
			err = add(karpenterPod, offline.Lookup(values, "replicas"), 1, offline.Lookup(values, "controller", "resources"))
		case infra.KedaChart:
			err = errors.Join(
				add(kedaOperator, offline.Lookup(values, "operator", "replicaCount"), kedaChartDefaultReplicas, offline.Lookup(values, "resources", "operator")),
				add(kedaMetrics, offline.Lookup(values, "metricsServer", "replicaCount"), kedaChartDefaultReplicas, offline.Lookup(values, "resources", "metricServer")),
				add(kedaWebhooks, offline.Lookup(values, "webhooks", "replicaCount"), kedaChartDefaultReplicas, offline.Lookup(values, "resources", "webhooks")),
			)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, r := range rec.Resources {
		if r.Type != typeAddon || r.Inputs["addonName"] != "coredns" || !onFargate["kube-system"] {
			continue
		}
		var conf map[string]any
		if s, ok := r.Inputs["configurationValues"].(string); ok {
			_ = json.Unmarshal([]byte(s), &conf)
		}
		if conf["computeType"] != "Fargate" {
			continue
		}
		vcpu, gib, err := fargateSize(coreDNSCPU, coreDNSMemGiB)
		if err != nil {
			return nil, err
		}
		pods = append(pods, FargatePod{Name: coreDNSPod, Replicas: coreDNSReplicas, VCPU: vcpu, GiB: gib})
	}
	// The recording's order of the charts varies from run to run; list the pods in a fixed one.
	sort.SliceStable(pods, func(i, j int) bool { return podRank(pods[i].Name) < podRank(pods[j].Name) })
	return pods, nil
}

// The Fargate pods' names, in the order an estimate lists them.
const (
	karpenterPod = "Karpenter controller"
	kedaOperator = "KEDA operator"
	kedaMetrics  = "KEDA metrics server"
	kedaWebhooks = "KEDA admission webhooks"
	coreDNSPod   = "CoreDNS (EKS add-on)"
)

func podRank(name string) int {
	return slices.Index([]string{karpenterPod, kedaOperator, kedaMetrics, kedaWebhooks, coreDNSPod}, name)
}

// podRequests reads a container's resources (requests, else limits) as vCPU and GiB.
func podRequests(res any) (float64, float64, error) {
	pick := func(name string) (float64, error) {
		v := offline.Lookup(res, "requests", name)
		if v == nil {
			v = offline.Lookup(res, "limits", name)
		}
		if v == nil {
			return 0, fmt.Errorf("no %s request", name)
		}
		q, err := resource.ParseQuantity(fmt.Sprint(v))
		if err != nil {
			return 0, fmt.Errorf("%s %v: %w", name, v, err)
		}
		return q.AsApproximateFloat64(), nil
	}
	cpu, err := pick("cpu")
	if err != nil {
		return 0, 0, err
	}
	mem, err := pick("memory")
	if err != nil {
		return 0, 0, err
	}
	return cpu, mem / (1 << 30), nil
}

// workloads reads each ScaledObject and the Deployment it scales.
func workloads(rec *offline.Recording) ([]Workload, error) {
	deployments := map[string]offline.Resource{}
	for _, r := range rec.KubernetesObjects() {
		if r.Type == typeDeployment {
			deployments[key(r)] = r
		}
	}
	var out []Workload
	for _, r := range rec.KubernetesObjects() {
		if r.Type != typeScaledObject {
			continue
		}
		spec := r.Inputs["spec"]
		target := fmt.Sprint(offline.Lookup(spec, "scaleTargetRef", "name"))
		ns := fmt.Sprint(offline.Lookup(r.Inputs, "metadata", "namespace"))
		d, ok := deployments[ns+"/"+target]
		if !ok {
			return nil, fmt.Errorf("ScaledObject %s: no Deployment %s/%s in the plan", r.Name, ns, target)
		}
		w := Workload{Name: target}
		var err error
		if w.MaxReplicas, err = intAt(spec, "maxReplicaCount"); err != nil {
			return nil, fmt.Errorf("ScaledObject %s: %w", r.Name, err)
		}
		if w.PollingIntervalSeconds, err = intAt(spec, "pollingInterval"); err != nil {
			return nil, fmt.Errorf("ScaledObject %s: %w", r.Name, err)
		}
		env := map[string]string{}
		for _, c := range list(offline.Lookup(d.Inputs, "spec", "template", "spec", "containers")) {
			for _, e := range list(offline.Lookup(c, "env")) {
				env[fmt.Sprint(offline.Lookup(e, "name"))] = fmt.Sprint(offline.Lookup(e, "value"))
			}
		}
		if w.Concurrency, err = strconv.Atoi(env[workerenv.Concurrency]); err != nil {
			return nil, fmt.Errorf("Deployment %s: %s: %w", d.Name, workerenv.Concurrency, err)
		}
		if w.SimulatedWork, err = time.ParseDuration(env[workerenv.SimulatedWork]); err != nil {
			return nil, fmt.Errorf("Deployment %s: %s: %w", d.Name, workerenv.SimulatedWork, err)
		}
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Fingerprint identifies what decides the nodes Karpenter launches at the peak: the region, the
// zones of the subnets, the NodePool's requirements and limits, and per workload its maxReplicas,
// its containers' resources and its topology spread. Two plans with the same fingerprint get
// the same scaling table peak.
func Fingerprint(rec *offline.Recording) (string, error) {
	region, _ := rec.Outputs["region"].(string)
	zones := map[string]bool{}
	var pools []any
	loads := map[string]any{}
	maxReplicas := map[string]any{}
	for _, r := range rec.Resources {
		switch r.Type {
		case typeSubnet:
			zones[fmt.Sprint(r.Inputs["availabilityZone"])] = true
		case typeNodePool:
			pools = append(pools, map[string]any{
				"requirements": offline.Lookup(r.Inputs, "spec", "template", "spec", "requirements"),
				"limits":       offline.Lookup(r.Inputs, "spec", "limits"),
			})
		case typeDeployment:
			pod := offline.Lookup(r.Inputs, "spec", "template", "spec")
			var resources []any
			for _, c := range list(offline.Lookup(pod, "containers")) {
				resources = append(resources, offline.Lookup(c, "resources"))
			}
			loads[key(r)] = map[string]any{"resources": resources, "spread": offline.Lookup(pod, "topologySpreadConstraints")}
		case typeScaledObject:
			ns := fmt.Sprint(offline.Lookup(r.Inputs, "metadata", "namespace"))
			maxReplicas[ns+"/"+fmt.Sprint(offline.Lookup(r.Inputs, "spec", "scaleTargetRef", "name"))] = offline.Lookup(r.Inputs, "spec", "maxReplicaCount")
		}
	}
	for k, v := range maxReplicas {
		if m, ok := loads[k].(map[string]any); ok {
			m["maxReplicas"] = v
		}
	}
	zoneList := make([]string, 0, len(zones))
	for z := range zones {
		zoneList = append(zoneList, z)
	}
	slices.Sort(zoneList)
	b, err := json.Marshal(map[string]any{"region": region, "zones": zoneList, "nodePools": pools, "workloads": loads})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16], nil
}

func key(r offline.Resource) string {
	return fmt.Sprint(offline.Lookup(r.Inputs, "metadata", "namespace")) + "/" + fmt.Sprint(offline.Lookup(r.Inputs, "metadata", "name"))
}

func intAt(v any, name string) (int, error) {
	x := offline.Lookup(v, name)
	n, err := strconv.Atoi(fmt.Sprint(x))
	if err != nil {
		return 0, fmt.Errorf("%s %v is not an integer", name, x)
	}
	return n, nil
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}
