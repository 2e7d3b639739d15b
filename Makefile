# eventscale: event-driven autoscaling on EKS (KEDA + Karpenter), one Pulumi Go stack per environment.
# `make help` lists the targets. STACK selects the environment (Pulumi.$(STACK).yaml).

STACK ?= dev
GO ?= go
# Where tools this project installs (ko, crane, actionlint) go; git-ignored.
CACHE_DIR ?= $(CURDIR)/.cache
export GOTOOLCHAIN ?= local

.DEFAULT_GOAL := help
.PHONY: help build test test-fast test-unit test-verify lint plan permissions preview up destroy refresh require-deploy-tools

# What a user deploying the stack runs, in the order of README's quick start; `make help` lists
# them first and every other documented target under "Develop".
DEPLOY_TARGETS := plan preview up image load destroy refresh

help: ## List the targets: deploying first, then developing
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -v deploy="$(DEPLOY_TARGETS)" -v stack="$(STACK)" ' \
	  BEGIN { FS = ":.*## "; n = split(deploy, order, " "); for (i = 1; i <= n; i++) isdeploy[order[i]] = 1 } \
	  { if ($$1 in isdeploy) doc[$$1] = $$2; else dev[++m] = sprintf("  %-24s %s", $$1, $$2) } \
	  END { printf "Deploy (STACK=%s: dev | prod | any Pulumi.<stack>.yaml):\n", stack; \
	        for (i = 1; i <= n; i++) printf "  %-24s %s\n", order[i], doc[order[i]]; \
	        print ""; print "Develop:"; for (i = 1; i <= m; i++) print dev[i] }'

build: ## Compile the program and every command
	$(GO) build ./...

plan: ## MAIN JOB, offline: render everything STACK would create (no AWS account needed) into out/STACK/
	$(GO) run ./cmd/plan -stack $(STACK)

permissions: ## Regenerate docs/permissions.md (what the deploying identity needs) from internal/permissions and every stack's plan
	PERMISSIONS_UPDATE=1 $(GO) test -count=1 -run 'TestDocIsGenerated' ./internal/permissions

# The tiers, longest first. `make test` runs them TEST_JOBS at a time, each tier's output printed
# whole when it ends (--output-sync): they share nothing but the build caches, and every server a
# tier starts takes a free port of its own on 127.0.0.1. Each waits on its servers and tools part
# of the time, so two at a time keep both cores of a small CI machine busy; TEST_JOBS=1 runs them
# one after the other.
# TEST_FAST_TIERS are the tiers that take a few minutes once their caches are warm, and that
# build nothing big of their own beyond the integration tier's servers (BENCHMARKS.md); the
# shipped workflow (.github/workflows/pulumi.yml) runs them, with lint, in the job a pull
# request's `pulumi preview` waits for, and the engine and demo tiers as jobs of their own beside
# it. The scan tier builds trivy's Kubernetes scanner (≈ 200 CPU-s cold, BENCHMARKS.md) and runs
# in a job of its own too, which the preview also waits for: a finding stops the preview.
TEST_FAST_TIERS := test-twin test-integration test-unit test-verify
# The demo and engine tiers, the longest, first and side by side (the demo tier mostly waits on
# its controllers' intervals). The demo tier last instead was tried: no faster (708 s against 739
# s for the whole .ci/run, within the runs' spread: the run is CPU-bound), and moto still handed a
# held message to a second worker (BENCHMARKS.md).
TEST_TIERS := test-demo test-engine test-scan $(TEST_FAST_TIERS)
TEST_JOBS ?= 2

# run-tiers TIERS: make them TEST_JOBS at a time, each tier's output printed whole when it ends.
run-tiers = $(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=target $(1)

test: ## All tests (what CI runs), TEST_JOBS tiers at a time: unit + whole stack, worker vs moto, CRDs + charts, real API server, scaling twin, real Pulumi engine, demo tier's binaries
	@$(call run-tiers,$(TEST_TIERS))

test-fast: ## The tiers the workflow's test-fast job runs (all but test-engine, test-demo and test-scan), TEST_JOBS at a time
	@$(call run-tiers,$(TEST_FAST_TIERS))

test-unit: ## Root module: config, builders, whole stack on Pulumi mocks, worker against moto_server; and internal/motoserver
	$(GO) test -count=1 ./...
	cd internal/motoserver && $(GO) test -count=1 ./...

test-verify: ## Nested module tests/verify: real CRDs (OpenAPI + CEL), strict k8s decoding, real Helm charts
	cd tests/verify && $(GO) test -count=1 ./...

lint: ## gofmt check of every tracked Go file, go vet of every module, actionlint of the workflow
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd tests/verify && $(GO) vet ./...
	cd internal/motoserver && $(GO) vet ./...
	$(MAKE) --no-print-directory lint-integration twin-vet lint-engine lint-demo lint-scan lint-workflow

# The oldest Go that builds the program: go.mod's go line. With GOTOOLCHAIN=local (above) an older
# go stops with a toolchain error instead of downloading a newer one.
GO_MIN_VERSION := $(shell awk '$$1 == "go" {print $$2; exit}' go.mod)

# What preview, up, destroy and refresh need on PATH (README, "Quick start"): the Pulumi
# CLI, Go (the Pulumi Go language host compiles the program), the AWS CLI (pulumi-eks checks its
# version, and the kubeconfig the Kubernetes provider uses runs `aws eks get-token`) and kubectl
# (pulumi-eks 2.8.1 checks its version before it creates a cluster, previews included). Every
# missing tool is named before anything runs.
require-deploy-tools:
	@missing=0; \
	command -v pulumi >/dev/null || { echo "make: the Pulumi CLI (v3.274.1 or newer) is required for preview, up, destroy and refresh: https://www.pulumi.com/docs/install/" >&2; missing=1; }; \
	command -v $(GO) >/dev/null || { echo "make: Go $(GO_MIN_VERSION) or newer ($(GO)) is required: Pulumi's Go language host compiles the program" >&2; missing=1; }; \
	if command -v $(GO) >/dev/null; then \
	  have=$$($(GO) version 2>/dev/null | awk '{sub(/^go/, "", $$3); print $$3}'); \
	  echo "$$have $(GO_MIN_VERSION)" | awk '{n = split($$1, a, "."); split($$2, b, "."); for (i = 1; i <= 3; i++) { if (a[i] + 0 != b[i] + 0) exit (a[i] + 0 < b[i] + 0); } exit 0}' || \
	  { echo "make: Go $(GO_MIN_VERSION) or newer is required (go.mod's go line; GOTOOLCHAIN=local, so no newer toolchain is downloaded), and $(GO) is Go $${have:-of an unknown version}: install Go $(GO_MIN_VERSION) or newer from https://go.dev/dl/" >&2; missing=1; }; \
	fi; \
	command -v aws >/dev/null || { echo "make: the AWS CLI v2 (aws) is required: the cluster's kubeconfig runs 'aws eks get-token', during preview too: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html" >&2; missing=1; }; \
	command -v kubectl >/dev/null || { echo "make: kubectl (1.24 or newer) is required: pulumi-eks runs 'kubectl version' before it creates the cluster, during preview too: https://kubernetes.io/docs/tasks/tools/" >&2; missing=1; }; \
	exit $$missing

preview: require-deploy-tools ## Real preview against AWS (needs the Pulumi CLI, Go, the AWS CLI, kubectl and AWS credentials)
	pulumi preview --stack $(STACK) --diff

up: require-deploy-tools ## Deploy STACK (needs the Pulumi CLI, Go, the AWS CLI, kubectl and AWS credentials)
	pulumi up --stack $(STACK)

destroy: require-deploy-tools ## Destroy STACK (NodePool goes first so Karpenter can terminate its nodes)
	pulumi destroy --stack $(STACK)

refresh: require-deploy-tools ## Refresh STACK's state from AWS
	pulumi refresh --stack $(STACK)

-include make/*.mk
