# make/trivy.mk: the scan tier (tests/scan, its own Go module): trivy's Kubernetes
# misconfiguration checks over every object the program creates and both charts it installs,
# rendered with the program's values, for every stack file. Included by the top-level Makefile
# (`-include make/*.mk`). See docs/testing.md.
#
#   make trivy-k8s     build (or find) the cached scanner and print it
#   make test-scan     the tier: every finding is fixed or accepted in .trivyignore.yaml (with a
#                      statement), every entry there still accepts a finding, and every scan ran
#                      trivy's checks (a floor per Deployment)
#   make scan-compare TRIVY_CLI=<trivy binary>
#                      not part of CI: compares the scanner with trivy's CLI (`trivy config`) over
#                      every stack's folder; the (file, check ID) sets must be equal
#   make lint-scan     gofmt of tests/scan and its scanner, go vet of tests/scan (the scanner is
#                      vetted by no lint: that compiles its 741 packages, ≈ 200 CPU-s, in the
#                      lint job; its build in the scan job type-checks it)
#
# The scanner, trivy-k8s, is the main package of the wrapper module tests/scan/tools/trivy:
# trivy's own Kubernetes IaC scanner and embedded checks (github.com/aquasecurity/trivy at the
# version that module requires), configured as `trivy config` configures them, driven by that
# one-file main instead of trivy's CLI, whose cold build does not fit the CI run's budget
# (BENCHMARKS.md). tests/integration/scripts/build-tool.sh builds it into $(EVENTSCALE_CACHE),
# outside the clone, once per version. It reads no network, cache or configuration.

GO                   ?= go
SCAN_DIR             := tests/scan
EVENTSCALE_CACHE     ?= $(HOME)/.cache/eventscale
TRIVY_VERSION        := $(shell awk '$$1=="require" && $$2=="github.com/aquasecurity/trivy" {print $$3; exit} $$1=="github.com/aquasecurity/trivy" && $$2 ~ /^v/ {print $$2; exit}' $(SCAN_DIR)/tools/trivy/go.mod)
# The binary's name carries trivy's version and a hash of the main and the module's requirements:
# an edit of either is a new binary (build-tool.sh keeps an existing one).
TRIVY_K8S_HASH       := $(shell cat $(SCAN_DIR)/tools/trivy/main.go $(SCAN_DIR)/tools/trivy/go.mod | sha256sum | cut -c1-12)
TRIVY_K8S_BIN        ?= $(EVENTSCALE_CACHE)/trivy-k8s-$(TRIVY_VERSION)-$(TRIVY_K8S_HASH)
SCAN_TIMEOUT         ?= 20m
SCAN_FLAGS           ?=
TRIVY_CLI            ?=

export EVENTSCALE_CACHE

.PHONY: trivy-k8s test-scan scan-compare lint-scan

$(TRIVY_K8S_BIN):
	GO="$(GO)" tests/integration/scripts/build-tool.sh trivy-k8s "$@"

trivy-k8s: $(TRIVY_K8S_BIN) ## Build the scan tier's scanner (trivy's Kubernetes scanner and checks) into the cache (once)
	@echo "trivy-k8s (trivy $(TRIVY_VERSION)): $(TRIVY_K8S_BIN)"

test-scan: $(TRIVY_K8S_BIN) ## Scan tier: trivy's Kubernetes checks over every object of every stack and both charts with the program's values; fails on a finding not in .trivyignore.yaml, on a stale entry there and on a scan that checks nothing
	@echo "trivy-k8s: $(TRIVY_K8S_BIN)"
	cd $(SCAN_DIR) && TRIVY_K8S_BIN="$(abspath $(TRIVY_K8S_BIN))" GO="$(GO)" $(GO) test -count=1 -timeout $(SCAN_TIMEOUT) $(SCAN_FLAGS) ./...

scan-compare: $(TRIVY_K8S_BIN) ## Compare the scanner with trivy's CLI (TRIVY_CLI=<trivy binary>) over every stack; not part of CI
	@if [ -z "$(TRIVY_CLI)" ]; then echo "set TRIVY_CLI to a trivy $(TRIVY_VERSION) binary" >&2; exit 2; fi
	cd $(SCAN_DIR) && TRIVY_K8S_BIN="$(abspath $(TRIVY_K8S_BIN))" TRIVY_CLI="$(abspath $(TRIVY_CLI))" GO="$(GO)" $(GO) test -count=1 -timeout $(SCAN_TIMEOUT) -run 'TestCompareWithCLI' -v ./...

lint-scan: ## gofmt check of tests/scan and its scanner, go vet of tests/scan
	@out=$$(gofmt -l $(SCAN_DIR)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	cd $(SCAN_DIR) && $(GO) vet ./...
