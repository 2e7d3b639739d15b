// Package engine is the "real Pulumi engine" test tier: the program's own entry point, run by
// the real Pulumi CLI and engine (built from the Go module proxy) through the Automation API,
// with the real Kubernetes provider against the real kube-apiserver of the integration tier.
//
// The module is separate from the Pulumi program's so that the engine, the Helm SDK and the
// registry the tier serves charts from stay out of the program's build.
package engine
