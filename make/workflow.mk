# make/workflow.mk: checks of the GitHub Actions workflow (.github/workflows). Included by the
# top-level Makefile (`-include make/*.mk`); `make lint` runs lint-workflow.
#
# actionlint is built from the Go module proxy at a pinned version into $(CACHE_DIR)
# (git-ignored), once per version. It checks the workflow's syntax, expressions, action
# inputs and outputs, and, when shellcheck is on PATH, the shell of every `run:` step
# (without shellcheck those scripts are not checked; `.ci/run` installs Debian's shellcheck
# when it can, and GitHub's ubuntu runners ship it).

GO                 ?= go
CACHE_DIR          ?= $(CURDIR)/.cache
ACTIONLINT_VERSION ?= v1.7.12
ACTIONLINT         ?= $(CACHE_DIR)/actionlint-$(ACTIONLINT_VERSION)/actionlint

.PHONY: lint-workflow

$(ACTIONLINT):
	GOBIN="$(dir $@)" $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

lint-workflow: $(ACTIONLINT) ## actionlint (pinned, built from the Go module proxy) on .github/workflows
	@if command -v shellcheck >/dev/null 2>&1; then echo "actionlint $(ACTIONLINT_VERSION), run: scripts checked with $$(shellcheck --version | sed -n 's/^version: /shellcheck /p')"; \
	else echo "actionlint $(ACTIONLINT_VERSION); shellcheck not on PATH, so run: scripts are not checked (Debian/Ubuntu: apt-get install shellcheck)"; fi
	$(ACTIONLINT) .github/workflows/*.yml
