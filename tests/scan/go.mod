// The scan tier (make test-scan): trivy's misconfiguration checks over every Kubernetes object
// the program creates and both charts it installs, rendered with the program's values. Its own
// module so that the tier's test code stays out of the other modules; trivy itself is built from
// the wrapper module tools/trivy.
module github.com/eventscale/eventscale/tests/scan

go 1.26.8

require sigs.k8s.io/yaml v1.6.0

require go.yaml.in/yaml/v2 v2.4.2 // indirect
