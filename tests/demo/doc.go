// Package demo is the offline demo tier: the tutorial's scaling loop replayed on a local
// control plane. TestDemo runs the program's dev and prod objects on a real etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler, with the real KEDA operator and
// metrics adapter and Karpenter's core through its kwok provider; kwok plays the kubelets, the
// kwok provider's instance-type file (the scaling twin's EC2 shapes) plays EC2, moto plays SQS
// and one real worker process runs per Running pod (workers.go). It measures each scenario's
// timeline and checks the copy in docs/scaling.md; prod's ends with a destroy in the order of pulumi
// destroy while its nodes run, and the maxReplicas-3 one with the wrong order, Karpenter
// stopped first (destroy_test.go). The binaries are built once from the Go module proxy
// into the cache outside the clone by make/demo.mk (tools_test.go checks their versions).
// Everything runs in a network namespace of its own (netns_test.go). See docs/demo.md.
package demo
