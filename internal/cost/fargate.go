package cost

import (
	"fmt"
	"math"
)

// Fargate sizes a pod by its containers' requests plus 256 MiB for the Kubernetes components it
// runs (kubelet, kube-proxy, containerd), rounded up to the nearest of these vCPU and memory
// combinations, and bills the combination. Source: Amazon EKS User Guide, "Understand Fargate Pod
// configuration details", https://docs.aws.amazon.com/eks/latest/userguide/fargate-pod-configuration.html
// (read 2026-12-07; the rows up to 8 vCPU).
const fargateOverheadGiB = 0.25

type fargateRow struct {
	vcpu                float64
	minGiB, maxGiB, inc float64
}

var fargateRows = []fargateRow{
	{0.25, 0.5, 0.5, 0}, // 0.5 GB, 1 GB, 2 GB: listed one by one below
	{0.25, 1, 2, 1},
	{0.5, 1, 4, 1},
	{1, 2, 8, 1},
	{2, 4, 16, 1},
	{4, 8, 30, 1},
	{8, 16, 60, 4},
}

// fargateSize returns the Fargate configuration (vCPU, GiB) a pod requesting vcpu and memGiB
// runs on, or an error when no configuration holds it.
func fargateSize(vcpu, memGiB float64) (float64, float64, error) {
	need := memGiB + fargateOverheadGiB
	for _, r := range fargateRows {
		if r.vcpu < vcpu {
			continue
		}
		if r.inc == 0 {
			if need <= r.minGiB {
				return r.vcpu, r.minGiB, nil
			}
			continue
		}
		if need > r.maxGiB {
			continue
		}
		steps := math.Ceil(math.Max(0, need-r.minGiB) / r.inc)
		return r.vcpu, r.minGiB + steps*r.inc, nil
	}
	return 0, 0, fmt.Errorf("no Fargate configuration holds %g vCPU and %g GiB (with Fargate's 256 MiB)", vcpu, memGiB)
}
