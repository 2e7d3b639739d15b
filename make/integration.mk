# make/integration.mk: the "real API server" tier (tests/integration, its own Go module).
# Included by the top-level Makefile (`-include make/*.mk`). See docs/integration.md.
#
#   make test-integration   build kube-apiserver, kube-controller-manager and etcd once
#                           (cached), run the tier
#   make kube-apiserver     only build (or find) the cached kube-apiserver
#   make kube-controller-manager  only build (or find) the cached kube-controller-manager
#                           (Start runs it only when asked: TestControllerManager does)
#   make kube-scheduler     only build (or find) the cached kube-scheduler, after the other two
#                           (the demo tier runs it: make/demo.mk)
#   make etcd               only build (or find) the cached etcd (every tier with an API
#                           server runs it: this one, the engine and demo tiers)
#   make lint-integration   gofmt + go vet of tests/integration
#
# kube-apiserver, kube-controller-manager and kube-scheduler are built from the Go module proxy
# (k8s.io/kubernetes at the version that tests/integration/apiserver/go.mod requires) by
# scripts/build-kube-binary.sh into $(EVENTSCALE_CACHE), outside the clone, so CI runs on one
# machine share them; each is rebuilt only when missing. etcd is built the same way, from the
# wrapper module tests/integration/etcd (go.etcd.io/etcd/server/v3), by scripts/build-tool.sh (the demo tier's
# binaries are built by it too).
# It was Debian's etcd-server 3.4.23 before: in the demo tier's prototype that release delivered
# watch events 20–50 s late (it logged "RequestWatchProgress is disabled"), which controllers feel.

GO                   ?= go
INTEGRATION_DIR      := tests/integration
EVENTSCALE_CACHE     ?= $(HOME)/.cache/eventscale
INTEGRATION_KUBE_VERSION := $(shell awk '$$1=="require" && $$2=="k8s.io/kubernetes" {print $$3; exit} $$1=="k8s.io/kubernetes" && $$2 ~ /^v/ {print $$2; exit}' $(INTEGRATION_DIR)/apiserver/go.mod)
KUBE_APISERVER_BIN   ?= $(EVENTSCALE_CACHE)/kube-apiserver-$(INTEGRATION_KUBE_VERSION)
KUBE_CONTROLLER_MANAGER_BIN ?= $(EVENTSCALE_CACHE)/kube-controller-manager-$(INTEGRATION_KUBE_VERSION)
KUBE_SCHEDULER_BIN   ?= $(EVENTSCALE_CACHE)/kube-scheduler-$(INTEGRATION_KUBE_VERSION)
INTEGRATION_ETCD_VERSION := $(shell awk '$$1=="require" && $$2=="go.etcd.io/etcd/server/v3" {print $$3; exit} $$1=="go.etcd.io/etcd/server/v3" && $$2 ~ /^v/ {print $$2; exit}' $(INTEGRATION_DIR)/etcd/go.mod)
ETCD_BIN             ?= $(EVENTSCALE_CACHE)/etcd-$(INTEGRATION_ETCD_VERSION)
INTEGRATION_TIMEOUT  ?= 30m
INTEGRATION_FLAGS    ?=

export EVENTSCALE_CACHE

.PHONY: test-integration kube-apiserver kube-controller-manager kube-scheduler etcd lint-integration

$(KUBE_APISERVER_BIN):
	GO="$(GO)" $(INTEGRATION_DIR)/scripts/build-kube-binary.sh kube-apiserver "$@"

# The controller manager and the scheduler are built after the API server, even under -j (an
# order-only prerequisite: it orders the builds, it never triggers one), so that they reuse most
# of its compiled packages. Built side by side, each compiles them itself: in a cold `make test`
# before this ordering, the API server and the controller manager were built at once and took
# 381 s and 402 s; the controller manager after the API server takes 98 s CPU
# (docs/integration-benchmarks.md).
$(KUBE_CONTROLLER_MANAGER_BIN): | $(KUBE_APISERVER_BIN)
	GO="$(GO)" $(INTEGRATION_DIR)/scripts/build-kube-binary.sh kube-controller-manager "$@"

$(KUBE_SCHEDULER_BIN): | $(KUBE_APISERVER_BIN) $(KUBE_CONTROLLER_MANAGER_BIN)
	GO="$(GO)" $(INTEGRATION_DIR)/scripts/build-kube-binary.sh kube-scheduler "$@"

$(ETCD_BIN):
	GO="$(GO)" $(INTEGRATION_DIR)/scripts/build-tool.sh etcd "$@"

kube-apiserver: $(KUBE_APISERVER_BIN) ## Build the real kube-apiserver from the Go module proxy into the cache (once)
	@"$(KUBE_APISERVER_BIN)" --version

kube-controller-manager: $(KUBE_CONTROLLER_MANAGER_BIN) ## Build the real kube-controller-manager from the Go module proxy into the cache (once)
	@"$(KUBE_CONTROLLER_MANAGER_BIN)" --version

# Built after the API server and the controller manager (see the order-only prerequisites above).
kube-scheduler: $(KUBE_APISERVER_BIN) $(KUBE_CONTROLLER_MANAGER_BIN) $(KUBE_SCHEDULER_BIN) ## Build the real kube-scheduler from the Go module proxy into the cache (once), after the other two
	@"$(KUBE_SCHEDULER_BIN)" --version

etcd: $(ETCD_BIN) ## Build etcd from the Go module proxy into the cache (once); every tier with an API server runs it
	@"$(ETCD_BIN)" --version | head -1

# The controller manager is built after the API server (the order-only prerequisite above), so
# it reuses most of the API server's compiled packages.
test-integration: $(KUBE_APISERVER_BIN) $(KUBE_CONTROLLER_MANAGER_BIN) $(ETCD_BIN) ## Real kube-apiserver + etcd on 127.0.0.1: every object of dev and prod applied server-side
	@echo "kube-apiserver: $(KUBE_APISERVER_BIN)" && echo "kube-controller-manager: $(KUBE_CONTROLLER_MANAGER_BIN)" && \
	  echo "etcd: $(ETCD_BIN)" && \
	  cd $(INTEGRATION_DIR) && \
	  KUBE_APISERVER_BIN="$(abspath $(KUBE_APISERVER_BIN))" \
	  KUBE_CONTROLLER_MANAGER_BIN="$(abspath $(KUBE_CONTROLLER_MANAGER_BIN))" ETCD_BIN="$(abspath $(ETCD_BIN))" \
	  $(GO) test -count=1 -timeout $(INTEGRATION_TIMEOUT) $(INTEGRATION_FLAGS) ./...

lint-integration: ## gofmt check and go vet of tests/integration
	@out=$$(gofmt -l $(INTEGRATION_DIR)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	cd $(INTEGRATION_DIR) && $(GO) vet ./...
