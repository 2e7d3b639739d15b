# Makefile fragment for the verification module (tests/verify).
# Include it from the root Makefile:   include tests/verify/verify.mk
#
# tests/verify is a separate Go module so that k8s.io/apiextensions-apiserver,
# CEL and the Helm SDK stay out of the Pulumi program's build. It reads CRDs
# and charts from the Go module cache (github.com/aws/karpenter-provider-aws,
# github.com/kedacore/keda/v2 and github.com/kedacore/charts, pinned in
# tests/verify/go.mod); the tests download them if they are missing.

VERIFY_DIR := tests/verify

# Do not change the including Makefile's default goal.
_verify_saved_default_goal := $(.DEFAULT_GOAL)

.PHONY: verify-deps test-verify

# Download every module of tests/verify/go.mod, including the three whose
# directories (CRDs, charts) the tests read but whose packages are not all built.
verify-deps:
	cd $(VERIFY_DIR) && go mod download
	cd $(VERIFY_DIR) && go mod download github.com/aws/karpenter-provider-aws github.com/kedacore/keda/v2 github.com/kedacore/charts

test-verify: verify-deps
	cd $(VERIFY_DIR) && go test ./...

.PHONY: vet-verify
vet-verify:
	cd $(VERIFY_DIR) && test -z "$$(gofmt -l .)" && go vet ./...

.DEFAULT_GOAL := $(_verify_saved_default_goal)
