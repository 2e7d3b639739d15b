# make/integration.mk: the "real API server" tier (tests/integration, its own Go module).
# Included by the top-level Makefile (`-include make/*.mk`). See docs/integration.md.
#
#   make test-integration   build kube-apiserver once (cached), get etcd, run the tier
#   make kube-apiserver     only build (or find) the cached kube-apiserver
#   make etcd               only install (or find) etcd and print its path
#   make lint-integration   gofmt + go vet of tests/integration
#
# The kube-apiserver is built from the Go module proxy (k8s.io/kubernetes at the version
# that tests/integration/apiserver/go.mod requires) into $(EVENTSCALE_CACHE), outside the
# clone, so CI runs on one machine share it; it is rebuilt only when missing. etcd is
# Debian's etcd-server package unpacked into the same cache (no root needed when the apt
# package lists exist; as root the script runs apt-get update first if they do not).

GO                   ?= go
INTEGRATION_DIR      := tests/integration
EVENTSCALE_CACHE     ?= $(HOME)/.cache/eventscale
INTEGRATION_KUBE_VERSION := $(shell awk '$$1=="require" && $$2=="k8s.io/kubernetes" {print $$3; exit} $$1=="k8s.io/kubernetes" && $$2 ~ /^v/ {print $$2; exit}' $(INTEGRATION_DIR)/apiserver/go.mod)
KUBE_APISERVER_BIN   ?= $(EVENTSCALE_CACHE)/kube-apiserver-$(INTEGRATION_KUBE_VERSION)
INTEGRATION_TIMEOUT  ?= 30m
INTEGRATION_FLAGS    ?=

export EVENTSCALE_CACHE

.PHONY: test-integration kube-apiserver etcd lint-integration

$(KUBE_APISERVER_BIN):
	GO="$(GO)" $(INTEGRATION_DIR)/scripts/build-kube-apiserver.sh "$@"

kube-apiserver: $(KUBE_APISERVER_BIN) ## Build the real kube-apiserver from the Go module proxy into the cache (once)
	@"$(KUBE_APISERVER_BIN)" --version

etcd: ## Install etcd (Debian etcd-server, unpacked into the cache) and print its path
	@$(INTEGRATION_DIR)/scripts/etcd.sh

test-integration: $(KUBE_APISERVER_BIN) ## Real kube-apiserver + etcd on 127.0.0.1: every object of dev and prod applied server-side
	@etcd_bin="$$($(INTEGRATION_DIR)/scripts/etcd.sh)" && \
	  echo "kube-apiserver: $(KUBE_APISERVER_BIN)" && echo "etcd: $$etcd_bin" && \
	  cd $(INTEGRATION_DIR) && \
	  KUBE_APISERVER_BIN="$(abspath $(KUBE_APISERVER_BIN))" ETCD_BIN="$$etcd_bin" \
	  $(GO) test -count=1 -timeout $(INTEGRATION_TIMEOUT) $(INTEGRATION_FLAGS) ./...

lint-integration: ## gofmt check and go vet of tests/integration
	@out=$$(gofmt -l $(INTEGRATION_DIR)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	cd $(INTEGRATION_DIR) && $(GO) vet ./...
