// Package integration is the "real API server" test tier: every Kubernetes
// object the dev and prod stacks emit, and every object of the Karpenter and
// KEDA charts rendered with the program's values, is applied to a real
// kube-apiserver (built from the Go module proxy at the stack's default EKS
// minor) backed by a real etcd (v3.6.5, built from the Go module proxy through
// the wrapper module tests/integration/etcd), with the real
// Karpenter and KEDA CRDs installed.
//
// Objects are sent with server-side apply (field manager [FieldManager]) and
// fieldValidation=Strict, in an order Pulumi may deploy them
// ([Stack.DeploymentOrder]), and read back: what the server stores must
// carry every field the program set ([Missing]). A corpus of known-bad
// objects, each a real mistake, must be rejected with the expected message.
//
// The servers listen on 127.0.0.1 only and run in a temporary folder; see
// [Start]. They stop with [Cluster.Stop], and die with the test process
// (Pdeathsig) if it is killed. Controllers run only when [Options] names a
// controller manager (the controller tests, the engine and demo tiers);
// otherwise nothing reconciles the objects.
//
// The module is separate from the Pulumi program's so that client-go, the
// Helm SDK and the CRD tooling stay out of the program's build. The
// kube-apiserver wrapper module is in apiserver/; make test-integration
// (make/integration.mk) builds it once into the cache ([CacheDir]) and
// extracts etcd there. See docs/integration.md.
package integration
