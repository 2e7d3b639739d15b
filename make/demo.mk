# make/demo.mk: the offline demo tier (tests/demo, its own Go module): the tutorial's scaling
# loop replayed on a local control plane, and its toolchain: every real binary the tier runs
# besides the integration tier's etcd, kube-apiserver and kube-controller-manager. Included by the
# top-level Makefile (`-include make/*.mk`). See docs/demo.md and docs/demo-benchmarks.md.
#
#   make demo-tools        build or find all of them (cached), one after the other
#   make kube-scheduler    k8s.io/kubernetes/cmd/kube-scheduler (make/integration.mk: it is built
#                          from the API server's wrapper, tests/integration/apiserver)
#   make etcd              etcd v3 (make/integration.mk: every tier with an API server runs it)
#   make keda-operator     KEDA's cmd/operator (tests/demo/tools/keda/go.mod)
#   make keda-adapter      KEDA's cmd/adapter, the metrics API server (same wrapper)
#   make kwok              sigs.k8s.io/kwok/cmd/kwok (tests/demo/tools/kwok/go.mod)
#   make karpenter-kwok    Karpenter's kwok provider (tests/demo/tools/karpenter/go.mod)
#   make test-demo-tools   check that each starts and is the version its wrapper pins
#   make demo-netns        check that this user can create the tier's network namespace
#   make test-demo         the whole tier: that check first, the tools' checks, the worker
#                          supervisor, the scenarios
#   make demo-timeline     the scenarios, writing their measured timeline into docs/scaling.md
#                          and their charts into docs/demo-*.svg
#   make lint-demo         gofmt + go vet of tests/demo
#
# Each binary goes into $(EVENTSCALE_CACHE) as <name>-<version>, outside the clone, and is
# rebuilt only when missing. The versions come from the wrapper modules' go.mod files.

GO                   ?= go
DEMO_DIR             := tests/demo
EVENTSCALE_CACHE     ?= $(HOME)/.cache/eventscale
DEMO_TIMEOUT         ?= 20m
DEMO_FLAGS           ?=

# demo-require FILE, MODULE: the version FILE (a go.mod) requires of MODULE.
demo-require = $(shell awk '$$1=="require" && $$2=="$(2)" {print $$3; exit} $$1=="$(2)" && $$2 ~ /^v/ {print $$2; exit}' $(1))

DEMO_KEDA_VERSION    := $(call demo-require,$(DEMO_DIR)/tools/keda/go.mod,github.com/kedacore/keda/v2)
DEMO_KWOK_VERSION    := $(call demo-require,$(DEMO_DIR)/tools/kwok/go.mod,sigs.k8s.io/kwok)
DEMO_KARPENTER_VERSION := $(call demo-require,$(DEMO_DIR)/tools/karpenter/go.mod,sigs.k8s.io/karpenter)

KEDA_OPERATOR_BIN    ?= $(EVENTSCALE_CACHE)/keda-operator-$(DEMO_KEDA_VERSION)
KEDA_ADAPTER_BIN     ?= $(EVENTSCALE_CACHE)/keda-adapter-$(DEMO_KEDA_VERSION)
KWOK_BIN             ?= $(EVENTSCALE_CACHE)/kwok-$(DEMO_KWOK_VERSION)
KARPENTER_KWOK_BIN   ?= $(EVENTSCALE_CACHE)/karpenter-kwok-$(DEMO_KARPENTER_VERSION)

export EVENTSCALE_CACHE

.PHONY: demo-tools keda-operator keda-adapter kwok karpenter-kwok demo-netns test-demo-tools test-demo demo-timeline lint-demo

$(KEDA_OPERATOR_BIN):
	GO="$(GO)" tests/integration/scripts/build-tool.sh keda-operator "$@"

$(KEDA_ADAPTER_BIN):
	GO="$(GO)" tests/integration/scripts/build-tool.sh keda-adapter "$@"

$(KWOK_BIN):
	GO="$(GO)" tests/integration/scripts/build-tool.sh kwok "$@"

$(KARPENTER_KWOK_BIN):
	GO="$(GO)" tests/integration/scripts/build-tool.sh karpenter-kwok "$@"

keda-operator: $(KEDA_OPERATOR_BIN) ## Build KEDA's operator from the Go module proxy into the cache (once)
	@echo "keda-operator $(DEMO_KEDA_VERSION): $(KEDA_OPERATOR_BIN)"

keda-adapter: $(KEDA_ADAPTER_BIN) ## Build KEDA's metrics adapter from the Go module proxy into the cache (once)
	@echo "keda-adapter $(DEMO_KEDA_VERSION): $(KEDA_ADAPTER_BIN)"

kwok: $(KWOK_BIN) ## Build kwok from the Go module proxy into the cache (once)
	@"$(KWOK_BIN)" --version

karpenter-kwok: $(KARPENTER_KWOK_BIN) ## Build Karpenter's kwok provider from the Go module proxy into the cache (once)
	@echo "karpenter-kwok $(DEMO_KARPENTER_VERSION): $(KARPENTER_KWOK_BIN)"

# One after the other, even under -j: each cold Go build wants both cores and up to 2.5 GB of RAM.
# kube-scheduler and etcd are prerequisites, not sub-makes, so that under `make test` this make
# builds them, and the API server and controller manager the scheduler follows, once for every tier.
demo-tools: kube-scheduler etcd ## Build or find every binary of the demo tier (cached), one after the other
	@$(MAKE) --no-print-directory keda-operator
	@$(MAKE) --no-print-directory keda-adapter
	@$(MAKE) --no-print-directory kwok
	@$(MAKE) --no-print-directory karpenter-kwok

# KUBE_SCHEDULER_BIN and ETCD_BIN are make/integration.mk's (read when the recipe runs, so after
# that file).
DEMO_ENV = KUBE_SCHEDULER_BIN="$(abspath $(KUBE_SCHEDULER_BIN))" ETCD_BIN="$(abspath $(ETCD_BIN))" \
	KEDA_OPERATOR_BIN="$(abspath $(KEDA_OPERATOR_BIN))" KEDA_ADAPTER_BIN="$(abspath $(KEDA_ADAPTER_BIN))" \
	KWOK_BIN="$(abspath $(KWOK_BIN))" KARPENTER_KWOK_BIN="$(abspath $(KARPENTER_KWOK_BIN))"

# DEMO_DOWNLOADS fills the module cache with what the tests need inside their network namespace.
DEMO_DOWNLOADS = $(GO) mod download && (cd tests/twin/karpenter && $(GO) mod download) && \
	(cd tests/verify && $(GO) mod download github.com/aws/karpenter-provider-aws)

# The tier's test binary re-executes itself under `unshare $(DEMO_UNSHARE_ARGS)` before any test
# runs (tests/demo/netns_test.go, which builds the same arguments): a user other than root needs a
# user namespace for it (--map-root-user). demo-netns tries that before the tier's builds (beside
# them under make -j), and says why it fails. Ubuntu (from 24.04 by default) restricts unprivileged user
# namespaces through AppArmor while DEMO_USERNS_SYSCTL, the sysctl
# kernel.apparmor_restrict_unprivileged_userns, is 1; then util-linux's unshare fails with
# "unshare failed: Operation not permitted" (the ubuntu-24.04 GitHub runners:
# actions/runner-images issue 10443; the sysctl: https://ubuntu.com/blog/ubuntu-23-10-restricted-unprivileged-user-namespaces;
# both read 2026-12-07). Both variables can be set, so that a test can stand in for a machine.
DEMO_UNSHARE_ARGS    ?= --net$(if $(filter 0,$(shell id -u)),, --map-root-user)
DEMO_USERNS_SYSCTL   ?= /proc/sys/kernel/apparmor_restrict_unprivileged_userns

demo-netns: ## Check that this user can create the demo tier's network namespace (unshare), or say why not
	@command -v unshare >/dev/null 2>&1 || { echo "make: unshare (util-linux) not found on PATH: the demo tier runs its servers in a network namespace of its own" >&2; exit 1; }
	@out=$$(unshare $(DEMO_UNSHARE_ARGS) true 2>&1) && exit 0; \
	echo "make: 'unshare $(DEMO_UNSHARE_ARGS) true' failed ($$out): the demo tier runs its servers in a network namespace of its own" >&2; \
	case " $(DEMO_UNSHARE_ARGS) " in *" --map-root-user "*) ;; *) echo "make: as root that needs CAP_SYS_ADMIN (a container may withhold it)" >&2; exit 1;; esac; \
	restrict=$$(cat "$(DEMO_USERNS_SYSCTL)" 2>/dev/null); \
	if [ "$$restrict" = 1 ]; then \
	  echo "make: for a user other than root that needs an unprivileged user namespace, and AppArmor forbids them here: kernel.apparmor_restrict_unprivileged_userns is 1 ($(DEMO_USERNS_SYSCTL); Ubuntu 24.04's default). Lift it with 'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0' (until the next boot), or run the tier as root" >&2; \
	else \
	  echo "make: for a user other than root that needs an unprivileged user namespace; kernel.apparmor_restrict_unprivileged_userns is $${restrict:-not set} here ($(DEMO_USERNS_SYSCTL)), so AppArmor is not what forbids it: look at user.max_user_namespaces and the kernel's or container's limits, or run the tier as root" >&2; \
	fi; \
	exit 1

test-demo-tools: demo-tools ## Demo tier's binaries (kube-scheduler, KEDA, kwok, Karpenter's kwok provider) start and are the pinned versions
	cd $(DEMO_DIR) && $(DEMO_ENV) $(GO) test -count=1 -timeout $(DEMO_TIMEOUT) $(DEMO_FLAGS) -run '^TestTool' ./...

# The scenarios: the tutorial's loop replayed on a real control plane (docs/demo.md). Every test of
# the module: the tool checks, the worker supervisor's and TestDemo's three scenarios, which need
# the binaries above, kube-apiserver and kube-controller-manager (make/integration.mk), moto_server
# on PATH and unshare(1) (each run is in a network namespace of its own). -parallel 3: the three
# scenarios side by side (go test's default is GOMAXPROCS, 2 here); they mostly wait on
# controller periods, not on the CPU. The tests run in a network namespace with loopback only, so
# what they build or read there (the worker, the twin's kwok-instance-types command, Karpenter's
# CRDs from the karpenter-provider-aws module that tests/verify pins) must find its modules in the
# module cache: hence the downloads first.
test-demo: demo-netns demo-tools ## Demo tier: the scaling loop on a real control plane with KEDA, Karpenter (kwok), moto and real workers; checks the timeline in docs/scaling.md and the charts docs/demo-*.svg
	@command -v moto_server >/dev/null 2>&1 || { echo "moto_server not found on PATH: the demo tier needs moto 5.2.1 (python3 -m pip install 'moto[server]==5.2.1')" >&2; exit 1; }
	$(DEMO_DOWNLOADS)
	cd $(DEMO_DIR) && $(DEMO_ENV) GO="$(GO)" $(GO) test -count=1 -parallel 3 -timeout $(DEMO_TIMEOUT) $(DEMO_FLAGS) ./...

demo-timeline: demo-netns demo-tools ## Run the demo's scenarios and write their measured timeline into docs/scaling.md and docs/demo-timeline.md, their charts into docs/demo-*.svg
	$(DEMO_DOWNLOADS)
	cd $(DEMO_DIR) && $(DEMO_ENV) GO="$(GO)" DEMO_UPDATE=1 $(GO) test -count=1 -parallel 3 -timeout $(DEMO_TIMEOUT) $(DEMO_FLAGS) -run '^TestDemo$$' ./...

lint-demo: ## gofmt check and go vet of tests/demo
	@out=$$(gofmt -l $(DEMO_DIR)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	cd $(DEMO_DIR) && $(GO) vet ./...
