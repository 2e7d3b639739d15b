// Package demo is the offline demo tier: the real binaries that will replay the tutorial's
// scaling loop on a local control plane (etcd, kube-scheduler, the KEDA operator and metrics
// adapter, kwok, and Karpenter's kwok provider), built once from the Go module proxy into the
// cache outside the clone by make/demo.mk. This step holds only the checks that each of them
// starts and is the version its wrapper module pins (tools_test.go); the scenarios come later.
// See docs/demo.md.
package demo
