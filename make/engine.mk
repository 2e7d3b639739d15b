# make/engine.mk: the toolchain of the "real Pulumi engine" tier (tests/engine, its own Go
# module). Included by the top-level Makefile (`-include make/*.mk`). See docs/engine-benchmarks.md.
#
#   make engine-tools          build or find all three (cached) and print their paths
#   make pulumi-cli            only the Pulumi CLI
#   make kubernetes-provider   only the Kubernetes provider
#   make eks-provider          only the pulumi-eks provider (Node)
#   make test-engine           the tier: the program's entry point under the real engine (all tests)
#   make test-engine-tools     check that the three run and report their versions
#   make lint-engine           gofmt + go vet of tests/engine
#
# Everything goes into $(EVENTSCALE_CACHE), outside the clone and keyed by version, and is
# rebuilt only when missing. The versions come from committed files: the Pulumi CLI's from
# tests/engine/tools/pulumi/go.mod, the Kubernetes provider's module from
# tests/engine/tools/kubernetes/go.mod, pulumi-eks's from tests/engine/tools/eks/package.json.

GO                   ?= go
ENGINE_DIR           := tests/engine
EVENTSCALE_CACHE     ?= $(HOME)/.cache/eventscale
ENGINE_PULUMI_VERSION := $(shell awk '$$1=="require" && $$2=="github.com/pulumi/pulumi/pkg/v3" {print $$3; exit} $$1=="github.com/pulumi/pulumi/pkg/v3" && $$2 ~ /^v/ {print $$2; exit}' $(ENGINE_DIR)/tools/pulumi/go.mod)
# What the Kubernetes provider reports. Its module is the untagged commit f47bc2d6f199 of
# 2026-01-15T03:34:56Z (tests/engine/tools/kubernetes/go.mod says how that was placed between
# the releases v4.24.1 and v4.25.0), so it gets the pre-release version Pulumi's builds give
# such a commit: the next release, -alpha.<commit time in Unix seconds>, +<commit> (the format
# of pulumi/provider-version-action, whose README's example is 1.3.0-alpha.1577836800+699a10d;
# here with the pseudo-version's 12-character commit). The build script checks the time and the
# commit against the pseudo-version.
ENGINE_KUBERNETES_VERSION ?= 4.25.0-alpha.1768448096+f47bc2d6f199
ENGINE_EKS_VERSION   := $(shell sed -n 's/^ *"@pulumi\/eks": *"\([^"]*\)".*/\1/p' $(ENGINE_DIR)/tools/eks/package.json)
PULUMI_BIN           ?= $(EVENTSCALE_CACHE)/pulumi-$(ENGINE_PULUMI_VERSION)/bin/pulumi
PULUMI_KUBERNETES_BIN ?= $(EVENTSCALE_CACHE)/pulumi-kubernetes-$(ENGINE_KUBERNETES_VERSION)/bin/pulumi-resource-kubernetes
PULUMI_EKS_BIN       ?= $(EVENTSCALE_CACHE)/pulumi-eks-$(ENGINE_EKS_VERSION)/bin/pulumi-resource-eks
ENGINE_TIMEOUT       ?= 20m
ENGINE_FLAGS         ?=

export EVENTSCALE_CACHE

.PHONY: engine-tools pulumi-cli kubernetes-provider eks-provider test-engine test-engine-tools lint-engine

$(PULUMI_BIN):
	GO="$(GO)" $(ENGINE_DIR)/scripts/build-pulumi.sh "$(patsubst %/bin/pulumi,%,$@)"

$(PULUMI_KUBERNETES_BIN):
	GO="$(GO)" VERSION="$(ENGINE_KUBERNETES_VERSION)" $(ENGINE_DIR)/scripts/build-kubernetes-provider.sh "$(patsubst %/bin/pulumi-resource-kubernetes,%,$@)"

$(PULUMI_EKS_BIN):
	$(ENGINE_DIR)/scripts/install-eks-provider.sh "$(patsubst %/bin/pulumi-resource-eks,%,$@)"

pulumi-cli: $(PULUMI_BIN) ## Build the real Pulumi CLI from the Go module proxy into the cache (once)
	@echo "pulumi $$(PULUMI_SKIP_UPDATE_CHECK=true "$(PULUMI_BIN)" version): $(PULUMI_BIN)"

kubernetes-provider: $(PULUMI_KUBERNETES_BIN) ## Build the real Kubernetes provider from the Go module proxy into the cache (once)
	@echo "pulumi-kubernetes $(ENGINE_KUBERNETES_VERSION): $(PULUMI_KUBERNETES_BIN)"

eks-provider: $(PULUMI_EKS_BIN) ## Install the real pulumi-eks provider (npm) into the cache (once)
	@echo "pulumi-eks $(ENGINE_EKS_VERSION): $(PULUMI_EKS_BIN)"

# One after the other, even under -j: the two Go builds each want both cores and gigabytes of RAM.
engine-tools: ## Build or find the Pulumi CLI, the Kubernetes provider and pulumi-eks (cached); print their paths
	@$(MAKE) --no-print-directory pulumi-cli
	@$(MAKE) --no-print-directory kubernetes-provider
	@$(MAKE) --no-print-directory eks-provider

# The environment every test of the tier reads its tools from (tests/engine/engine.go, EnvPulumi...).
ENGINE_ENV = PULUMI_BIN="$(abspath $(PULUMI_BIN))" PULUMI_KUBERNETES_BIN="$(abspath $(PULUMI_KUBERNETES_BIN))" \
	PULUMI_EKS_BIN="$(abspath $(PULUMI_EKS_BIN))" PULUMI_KUBERNETES_VERSION="$(ENGINE_KUBERNETES_VERSION)"

# -parallel 3: the two lifecycles and the schema test side by side (each mostly waits on the CLI
# and its plugins; the default, one per core, would queue the longest, prod's, behind the others).
# The cluster `up` deploys to is the integration tier's (make/integration.mk): its kube-apiserver,
# its kube-controller-manager and etcd. The prerequisites are integration.mk's target names, not
# its binary paths: make reads this file first, when those variables are still empty.
test-engine: engine-tools kube-apiserver kube-controller-manager etcd ## Real Pulumi engine: the program's entry point (inline, Automation API) with the real Kubernetes and pulumi-eks providers against the real API server, stand-in aws
	@cd $(ENGINE_DIR) && $(ENGINE_ENV) \
	  KUBE_APISERVER_BIN="$(abspath $(KUBE_APISERVER_BIN))" KUBE_CONTROLLER_MANAGER_BIN="$(abspath $(KUBE_CONTROLLER_MANAGER_BIN))" ETCD_BIN="$(abspath $(ETCD_BIN))" \
	  $(GO) test -count=1 -parallel 3 -timeout $(ENGINE_TIMEOUT) $(ENGINE_FLAGS) ./...

test-engine-tools: engine-tools ## The three tools start and report their versions (pulumi version, GetPluginInfo)
	cd $(ENGINE_DIR) && $(ENGINE_ENV) $(GO) test -count=1 -timeout $(ENGINE_TIMEOUT) $(ENGINE_FLAGS) -run '^TestTool' ./...

lint-engine: ## gofmt check and go vet of tests/engine
	@out=$$(gofmt -l $(ENGINE_DIR)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	cd $(ENGINE_DIR) && $(GO) vet ./...
