# make/twin.mk: the scaling twin (tests/twin, docs/scaling.md). Included by the top-level
# Makefile (`-include make/*.mk`).
#
# Three nested Go modules, so KEDA's and Karpenter's dependency graphs (which need different
# k8s.io and controller-runtime versions) stay apart and out of the Pulumi program's build:
#   tests/twin/spec       the program's scaling objects (via internal/offline), moto_server starter, table helpers
#   tests/twin/keda       KEDA v2.20.2's aws-sqs-queue scaler against moto_server → messages → pods
#   tests/twin/karpenter  karpenter-provider-aws v1.14.1 instance types + Karpenter v1.14.1 scheduler → pods → nodes
# The KEDA half writes its decisions to out/twin/ (git-ignored); the Karpenter half joins them
# into docs/scaling-table.md, so the KEDA half runs first.

GO           ?= go
TWIN_DIR     := tests/twin
TWIN_MODULES := spec keda karpenter
TWIN_TIMEOUT ?= 30m
TWIN_FLAGS   ?=

.PHONY: test-twin scaling-table twin-deps twin-vet

twin-deps: ## Download the scaling twin's modules (KEDA, Karpenter; large)
	@for m in $(TWIN_MODULES); do (cd $(TWIN_DIR)/$$m && $(GO) mod download) || exit 1; done

test-twin: ## Scaling twin: KEDA's scaler on moto + Karpenter's scheduler on the program's objects; checks docs/scaling-table.md
	@command -v moto_server >/dev/null 2>&1 || { echo "moto_server not found on PATH: the scaling twin needs moto 5.2.1 (python3 -m pip install 'moto[server]==5.2.1')" >&2; exit 1; }
	cd $(TWIN_DIR)/spec && $(GO) test -count=1 -timeout $(TWIN_TIMEOUT) $(TWIN_FLAGS) ./...
	cd $(TWIN_DIR)/keda && $(GO) test -count=1 -timeout $(TWIN_TIMEOUT) $(TWIN_FLAGS) ./...
	cd $(TWIN_DIR)/karpenter && $(GO) test -count=1 -timeout $(TWIN_TIMEOUT) $(TWIN_FLAGS) ./...

scaling-table: ## Regenerate docs/scaling-table.md (messages → pods → nodes, latency budget) from the twin
	cd $(TWIN_DIR)/keda && $(GO) test -count=1 -timeout $(TWIN_TIMEOUT) -run 'TestTableDecisions' ./...
	cd $(TWIN_DIR)/karpenter && TWIN_UPDATE=1 $(GO) test -count=1 -timeout $(TWIN_TIMEOUT) -run 'TestScalingTable' ./...
	@echo "docs/scaling-table.md regenerated; paste it into docs/scaling.md between <!-- scaling-table:begin --> and <!-- scaling-table:end -->"

twin-vet: ## gofmt check and go vet of the scaling twin's modules
	@out="$$(gofmt -l $(TWIN_DIR))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@for m in $(TWIN_MODULES); do (cd $(TWIN_DIR)/$$m && $(GO) vet ./...) || exit 1; done
