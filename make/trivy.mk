# make/trivy.mk: the scan tier (tests/scan, its own Go module): trivy's Kubernetes
# misconfiguration checks over every object the program creates and both charts it installs,
# rendered with the program's values, for every stack file. Included by the top-level Makefile
# (`-include make/*.mk`). See docs/testing.md.
#
#   make trivy        build (or find) the cached trivy and print it
#   make test-scan    the tier: every finding is fixed or accepted in .trivyignore.yaml (with a
#                     statement), and every entry there still accepts a finding
#   make lint-scan    gofmt + go vet of tests/scan
#
# trivy is built from the Go module proxy (github.com/aquasecurity/trivy at the version the
# wrapper module tests/scan/tools/trivy requires) by tests/integration/scripts/build-tool.sh into
# $(EVENTSCALE_CACHE), outside the clone, once per version (its cold build: BENCHMARKS.md). The
# tier runs it offline, with a HOME and cache folder of its own under the test's temporary folder
# (tests/scan/scan.go).

GO                   ?= go
SCAN_DIR             := tests/scan
EVENTSCALE_CACHE     ?= $(HOME)/.cache/eventscale
TRIVY_VERSION        := $(shell awk '$$1=="require" && $$2=="github.com/aquasecurity/trivy" {print $$3; exit} $$1=="github.com/aquasecurity/trivy" && $$2 ~ /^v/ {print $$2; exit}' $(SCAN_DIR)/tools/trivy/go.mod)
TRIVY_BIN            ?= $(EVENTSCALE_CACHE)/trivy-$(TRIVY_VERSION)
SCAN_TIMEOUT         ?= 20m
SCAN_FLAGS           ?=

export EVENTSCALE_CACHE

.PHONY: trivy test-scan lint-scan

$(TRIVY_BIN):
	GO="$(GO)" tests/integration/scripts/build-tool.sh trivy "$@"

trivy: $(TRIVY_BIN) ## Build trivy from the Go module proxy into the cache (once)
	@echo "trivy $(TRIVY_VERSION): $(TRIVY_BIN)"

test-scan: $(TRIVY_BIN) ## Scan tier: trivy's Kubernetes checks over every object of every stack and both charts with the program's values; fails on a finding not in .trivyignore.yaml and on a stale entry there
	@echo "trivy: $(TRIVY_BIN)"
	cd $(SCAN_DIR) && TRIVY_BIN="$(abspath $(TRIVY_BIN))" GO="$(GO)" $(GO) test -count=1 -timeout $(SCAN_TIMEOUT) $(SCAN_FLAGS) ./...

lint-scan: ## gofmt check and go vet of tests/scan
	@out=$$(gofmt -l $(SCAN_DIR)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	cd $(SCAN_DIR) && $(GO) vet ./...
