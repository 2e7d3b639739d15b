# make/worker.mk: targets for the SQS worker (cmd/worker), the load generator
# (cmd/sqs-load) and the worker image. Included from the top-level Makefile:
#
#   include make/worker.mk
#
# (the top-level Makefile has `-include make/*.mk`). Tools (ko, crane) are
# installed from the Go module proxy into $(CACHE_DIR)/bin (git-ignored).
# See docs/worker.md.

GO               ?= go
CACHE_DIR        ?= $(CURDIR)/.cache
WORKER_BIN_DIR   ?= $(CACHE_DIR)/bin
KO_VERSION       ?= v0.19.1
CRANE_VERSION    ?= v0.21.7
KO               ?= $(WORKER_BIN_DIR)/ko
CRANE            ?= $(WORKER_BIN_DIR)/crane
KO_PLATFORMS     ?= linux/amd64,linux/arm64
KO_TAGS          ?=
KO_FLAGS         ?=
WORKER_PKGS      := ./cmd/worker/... ./cmd/sqs-load/... ./internal/worker/... ./internal/sqstest/... ./internal/workerenv/...
WORKER_BENCH_MESSAGES ?= 400
LOAD_COUNT       ?= 1000
LOAD_RATE        ?= 0
LOAD_POISON      ?= 0

.PHONY: worker-build worker-test worker-lint worker-bench moto-check ko-install image image-smoke load

worker-build: ## Build cmd/worker and cmd/sqs-load into .cache/bin
	$(GO) build -o $(WORKER_BIN_DIR)/worker ./cmd/worker
	$(GO) build -o $(WORKER_BIN_DIR)/sqs-load ./cmd/sqs-load

worker-test: ## Worker tests against a real SQS API (each test starts its own moto_server)
	$(GO) test -count=1 -timeout 10m $(WORKER_PKGS)
	cd internal/motoserver && $(GO) test -count=1 -timeout 5m ./...

worker-lint: ## gofmt check and go vet of the worker packages
	@out="$$(gofmt -l cmd/worker cmd/sqs-load internal/worker internal/sqstest internal/motoserver internal/workerenv)"; \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(WORKER_PKGS)
	cd internal/motoserver && $(GO) vet ./...

worker-bench: ## Worker msgs/s at concurrency 1, 4, 16 against moto_server
	@echo "nproc: $$(nproc)"; echo "cpu: $$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"; echo "date: $$(date -u +%Y-%m-%dT%H:%MZ)"
	$(GO) test -run '^$$' -bench BenchmarkWorkerThroughput -benchtime=$(WORKER_BENCH_MESSAGES)x -count=1 -timeout 20m ./internal/worker/

# The worker tests skip without moto_server, or fail when CI=true.
moto-check: ## Fail clearly if moto_server (moto 5.2.1) is not on PATH
	@command -v moto_server >/dev/null 2>&1 || { echo "moto_server not found on PATH: the worker tests need moto 5.2.1 (python3 -m pip install 'moto[server]==5.2.1')" >&2; exit 1; }
	@python3 -c 'import moto; print("moto", moto.__version__)'

$(KO):
	GOBIN=$(WORKER_BIN_DIR) $(GO) install github.com/google/ko@$(KO_VERSION)

$(CRANE):
	GOBIN=$(WORKER_BIN_DIR) $(GO) install github.com/google/go-containerregistry/cmd/crane@$(CRANE_VERSION)

ko-install: $(KO) ## Install ko into .cache/bin and print its version
	$(KO) version

image: ## Build and push the linux/amd64+arm64 worker image with ko (needs KO_DOCKER_REPO and KO_TAGS)
	@if [ -z "$(KO_DOCKER_REPO)" ] || [ -z "$(KO_TAGS)" ]; then \
	  echo "make image: KO_DOCKER_REPO and KO_TAGS (the workload's imageTag) are required, e.g." >&2; \
	  echo "  KO_DOCKER_REPO=123456789012.dkr.ecr.eu-west-1.amazonaws.com/eventscale-worker KO_TAGS=1.0.0 make image" >&2; \
	  exit 2; \
	fi
	@test -x "$(KO)" || { echo "installing ko $(KO_VERSION) into $(WORKER_BIN_DIR)"; GOBIN="$(WORKER_BIN_DIR)" $(GO) install github.com/google/ko@$(KO_VERSION); }
	KO_DOCKER_REPO="$(KO_DOCKER_REPO)" $(KO) build --bare --platform=$(KO_PLATFORMS) --tags=$(KO_TAGS) $(KO_FLAGS) ./cmd/worker

# Offline check of `make image`: ko builds and pushes both platforms to a
# throwaway registry on 127.0.0.1 (crane) over a locally made base image,
# then the amd64 binary is taken out of the image and must exit 2 on an
# empty configuration.
image-smoke: $(KO) $(CRANE) ## Offline ko build of both platforms into a throwaway 127.0.0.1 registry
	@set -eu; \
	tmp="$$(mktemp -d)"; \
	port="$$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"; \
	reg="127.0.0.1:$$port"; \
	$(CRANE) registry serve --address "$$reg" >"$$tmp/registry.log" 2>&1 & regpid=$$!; \
	trap 'kill $$regpid 2>/dev/null || true; rm -rf "$$tmp"' EXIT; \
	for i in 1 2 3 4 5 6 7 8 9 10; do $(CRANE) catalog "$$reg" >/dev/null 2>&1 && break; sleep 0.5; done; \
	mkdir -p "$$tmp/root/etc"; echo 'nonroot:x:65532:65532::/home/nonroot:/sbin/nologin' >"$$tmp/root/etc/passwd"; \
	tar -C "$$tmp/root" -cf "$$tmp/layer.tar" etc; \
	for a in amd64 arm64; do \
	  $(CRANE) append --oci-empty-base -f "$$tmp/layer.tar" -t "$$reg/base:$$a" 2>/dev/null >/dev/null; \
	  $(CRANE) mutate "$$reg/base:$$a" --set-platform "linux/$$a" -t "$$reg/base:$$a" 2>/dev/null >/dev/null; \
	done; \
	$(CRANE) index append -m "$$reg/base:amd64" -m "$$reg/base:arm64" -t "$$reg/base:latest" 2>/dev/null >/dev/null; \
	ref="$$(KO_DOCKER_REPO="$$reg/eventscale-worker" KO_DEFAULTBASEIMAGE="$$reg/base:latest" \
	  $(KO) build --bare --platform=$(KO_PLATFORMS) ./cmd/worker 2>"$$tmp/ko.log")" || { cat "$$tmp/ko.log" >&2; exit 1; }; \
	echo "image-smoke: pushed $$ref"; \
	$(CRANE) manifest "$$ref" | python3 -c 'import json,sys; d=json.load(sys.stdin); p=sorted(m["platform"]["os"]+"/"+m["platform"]["architecture"] for m in d["manifests"]); print("image-smoke: platforms", p); sys.exit(0 if p==["linux/amd64","linux/arm64"] else 1)'; \
	mkdir -p "$$tmp/fs"; $(CRANE) export --platform linux/amd64 "$$ref" - 2>/dev/null | tar -C "$$tmp/fs" -xf - 2>/dev/null; \
	rc=0; env -i "$$tmp/fs/ko-app/worker" 2>"$$tmp/worker.err" || rc=$$?; \
	if [ "$$rc" -ne 2 ] || ! grep -q 'QUEUE_URL is required' "$$tmp/worker.err"; then echo "image-smoke: worker from the image exited $$rc:" >&2; cat "$$tmp/worker.err" >&2; exit 1; fi; \
	echo "image-smoke: OK (worker from the image exits 2 on empty config)"

load: ## Send test messages with sqs-load (needs QUEUE_URL, AWS_REGION; LOAD_COUNT/RATE/POISON)
	@if [ -z "$(QUEUE_URL)" ]; then echo "make load: QUEUE_URL is required (and AWS_REGION), e.g. make load QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/jobs AWS_REGION=eu-west-1 LOAD_COUNT=500" >&2; exit 2; fi
	$(GO) run ./cmd/sqs-load -queue-url "$(QUEUE_URL)" -count $(LOAD_COUNT) -rate $(LOAD_RATE) -poison $(LOAD_POISON) \
	  $(if $(AWS_REGION),-region "$(AWS_REGION)") $(if $(AWS_ENDPOINT_URL),-endpoint-url "$(AWS_ENDPOINT_URL)")
