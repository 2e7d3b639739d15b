// Package scan runs trivy's Kubernetes misconfiguration checks over a folder of Kubernetes
// manifests and holds the scan tier's gate: every failed check is either accepted in the
// exceptions file (.trivyignore.yaml at the repository root, trivy's YAML ignore format with a
// statement per entry) or fails the tier, an exception that no failed check matches any more
// fails it too, and so does a scan that ran no check, or fewer than a floor on a Deployment.
//
// The scanner is trivy-k8s (the wrapper module tools/trivy): trivy v0.74.0's own Kubernetes IaC
// scanner and embedded checks, configured as `trivy config` configures them, driven by a
// one-file main instead of trivy's 3,082-package CLI, whose cold build (1,337 CPU-s) does not
// fit the CI run's budget; the main is 741 packages, about 200 CPU-s cold (BENCHMARKS.md).
// TestCompareWithCLI compares the two when a trivy CLI is at hand (make scan-compare).
//
// The tier's tests (make test-scan) need TRIVY_K8S_BIN, the binary make/trivy.mk builds.
package scan
