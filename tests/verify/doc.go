// Package verify checks Kubernetes objects the way a real API server would,
// without a cluster: custom resources against the real Karpenter and KEDA CRD
// schemas (OpenAPI structural schema, pruning of unknown fields, defaulting and
// CEL rules from x-kubernetes-validations), built-in kinds by strict decoding
// into the k8s.io/api types, and Helm charts by rendering them offline with
// the Helm Go SDK.
//
// It lives in its own Go module (tests/verify) so that its heavy dependencies
// (k8s.io/apiextensions-apiserver, CEL, Helm) stay out of the Pulumi program's
// import graph.
//
// Typical use from a whole-stack test:
//
//	objs := offline.Run(t, ...)            // []map[string]any
//	verify.AssertValid(t, objs)            // or: err := verify.ValidateObjects(objs)
//
// CRDs and charts come from pinned Go modules in the module cache (see
// [KarpenterModule], [KEDAModule] and [KEDAChartModule]; [KarpenterChartDir],
// [KEDAChartDir]), so nothing outside the repository is needed.
package verify
