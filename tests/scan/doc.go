// Package scan runs trivy's misconfiguration checks (`trivy config`, Kubernetes scanner) over a
// folder of Kubernetes manifests and holds the scan tier's gate: every failed check is either
// accepted in the exceptions file (.trivyignore.yaml at the repository root, trivy's YAML ignore
// format with a statement per entry) or fails the tier, and an exception that no failed check
// matches any more fails it too.
//
// The tier's tests (make test-scan) need TRIVY_BIN, the trivy binary make/trivy.mk builds.
package scan
