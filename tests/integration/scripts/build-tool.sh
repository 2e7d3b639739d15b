#!/usr/bin/env bash
# Usage: build-tool.sh NAME [OUT]
#
# Builds one real server binary of the test tiers (not the Kubernetes ones:
# build-kube-binary.sh) from the Go module proxy into OUT (default
# ${EVENTSCALE_CACHE:-$HOME/.cache/eventscale}/NAME-<version>), through the wrapper module whose
# `tool` directive names it (a folder of the repository, below). The version is the one that
# wrapper's go.mod requires. The binary is built under a temporary name, checked, and moved into
# place (cached-build.sh), so an interrupted build leaves nothing that looks finished; an
# existing OUT is kept.
#
#   NAME            wrapper                   module                      main package
#   etcd            tests/integration/etcd    go.etcd.io/etcd/server/v3   go.etcd.io/etcd/server/v3
#   keda-operator   tests/demo/tools/keda     github.com/kedacore/keda/v2 github.com/kedacore/keda/v2/cmd/operator
#   keda-adapter    tests/demo/tools/keda     github.com/kedacore/keda/v2 github.com/kedacore/keda/v2/cmd/adapter
#   kwok            tests/demo/tools/kwok     sigs.k8s.io/kwok            sigs.k8s.io/kwok/cmd/kwok
#   karpenter-kwok  tests/demo/tools/karpenter sigs.k8s.io/karpenter      sigs.k8s.io/karpenter/kwok
#   trivy-k8s       tests/scan/tools/trivy    github.com/aquasecurity/trivy (the wrapper's own main: trivy's
#                                             Kubernetes scanner and checks, not trivy's CLI)
#
# etcd is every API-server tier's (make/integration.mk); trivy-k8s is the scan tier's
# (make/trivy.mk); the others are the demo tier's (make/demo.mk).
#
# The -X flags stamp the version the way each project's release build does (KEDA's Makefile:
# GO_LDFLAGS sets version.Version and version.GitCommit; karpenter-provider-aws's Makefile sets
# sigs.k8s.io/karpenter/pkg/operator.Version, which the kwok provider shares).
# etcd and kwok carry their version as a constant in the source (go.etcd.io/etcd/api/v3/version.Version,
# sigs.k8s.io/kwok/pkg/consts.Version), and trivy-k8s reads trivy's from its build information,
# so they need none.
# Cold build times and memory: docs/demo-benchmarks.md.
set -euo pipefail
name="${1:-}"
case "$name" in
  etcd) dir=tests/integration/etcd; module=go.etcd.io/etcd/server/v3; pkg=$module ;;
  keda-operator) dir=tests/demo/tools/keda; module=github.com/kedacore/keda/v2; pkg=$module/cmd/operator ;;
  keda-adapter) dir=tests/demo/tools/keda; module=github.com/kedacore/keda/v2; pkg=$module/cmd/adapter ;;
  kwok) dir=tests/demo/tools/kwok; module=sigs.k8s.io/kwok; pkg=$module/cmd/kwok ;;
  karpenter-kwok) dir=tests/demo/tools/karpenter; module=sigs.k8s.io/karpenter; pkg=$module/kwok ;;
  trivy-k8s) dir=tests/scan/tools/trivy; module=github.com/aquasecurity/trivy; pkg=. ;;
  *) echo "usage: $0 etcd|keda-operator|keda-adapter|kwok|karpenter-kwok|trivy-k8s [OUT]" >&2; exit 2 ;;
esac
root="$(cd "$(dirname "$0")/../../.." && pwd)"
# shellcheck source=SCRIPTDIR/cached-build.sh
. "$root/tests/integration/scripts/cached-build.sh"
mod="$root/$dir"
version="$(cached_build_version "$mod/go.mod" "$module")"
out="${2:-$cached_build_cache/$name-$version}"
cached_build_begin "$name $version" "$out"
# The release builds stamp the tag without its "v": KEDA's release workflow passes
# VERSION=${GITHUB_REF#refs/tags/v} to its Makefile (.github/workflows/release-build.yml of the
# module), karpenter-provider-aws's Makefile `git describe --tags | cut -d"v" -f2`.
# -trimpath only for the unstamped three: with -trimpath
# the go command leaves -ldflags out of the binary's build information, and that record is how
# KEDA's and Karpenter's stamps are checked below and in the test.
ldflags="-s -w"
trimpath=-trimpath
stamp=""
case "$name" in
  # The commit is left empty: the module zip carries no git history, and the proxy names none.
  keda-*) stamp="$module/version.Version=${version#v}"; ldflags="$ldflags -X $stamp -X $module/version.GitCommit="; trimpath= ;;
  karpenter-kwok) stamp="$module/pkg/operator.Version=${version#v}"; ldflags="$ldflags -X $stamp"; trimpath= ;;
  # trivy's Kubernetes parser imports encoding/json/v2 and jsontext, which Go 1.26 builds only
  # under GOEXPERIMENT=jsonv2 (src/encoding/json/v2's `//go:build goexperiment.jsonv2`); trivy's
  # release builds set that and CGO_ENABLED=0 (goreleaser.yml of
  # github.com/aquasecurity/trivy@v0.74.0, read 2026-12-07).
  trivy-k8s) export GOEXPERIMENT=jsonv2 CGO_ENABLED=0 ;;
esac
echo "building $name $version ($pkg) into $out"
# shellcheck disable=SC2086 # $trimpath is one flag or none
cached_build_go "$mod" build $trimpath -ldflags "$ldflags" -o "$tmp" "$pkg"
# The check: etcd, kwok and trivy-k8s report their version when asked; KEDA and Karpenter print theirs
# only once connected to an API server, so their build information (module version and the -X
# stamp) is checked instead.
case "$name" in
  etcd) "$tmp" --version | grep -qx "etcd Version: ${version#v}" || { echo "built etcd reports '$("$tmp" --version)', want etcd Version: ${version#v}" >&2; exit 1; } ;;
  kwok) "$tmp" --version | grep -q "${version#v}" || { echo "built kwok reports '$("$tmp" --version)', want ${version#v}" >&2; exit 1; } ;;
  trivy-k8s) "$tmp" -version | grep -qx "Version: ${version#v}" || { echo "built trivy-k8s reports '$("$tmp" -version)', want Version: ${version#v}" >&2; exit 1; } ;;
  *) info="$("${GO:-go}" version -m "$tmp")"
     grep -qE "^[[:space:]]+(dep|mod)[[:space:]]+${module}[[:space:]]+${version}" <<<"$info" || { echo "built $name is not $module $version:"; echo "$info" | head -5; exit 1; } >&2
     grep -- '-ldflags' <<<"$info" | sed 's/"$/ /' | grep -qF -- "-X $stamp " || { echo "built $name carries no version stamp $stamp" >&2; exit 1; } ;;
esac
cached_build_finish "$name $version" "$out"
