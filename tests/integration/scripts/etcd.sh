#!/usr/bin/env bash
# Prints the path of an etcd binary for the integration tests, installing one if
# needed: $ETCD_BIN if set; else the newest etcd extracted into the cache
# (${EVENTSCALE_CACHE:-$HOME/.cache/eventscale}/etcd-server-<version>/usr/bin/etcd);
# else etcd on PATH; else Debian's etcd-server package is downloaded with
# `apt-get download` (no root needed; as root, `apt-get update` runs first if the
# package lists are missing) and unpacked into the cache with `dpkg-deb -x`.
# Progress goes to stderr; only the path goes to stdout.
set -euo pipefail
if [ -n "${ETCD_BIN:-}" ]; then
  [ -x "$ETCD_BIN" ] || { echo "ETCD_BIN=$ETCD_BIN is not executable" >&2; exit 1; }
  echo "$ETCD_BIN"; exit 0
fi
cache="${EVENTSCALE_CACHE:-$HOME/.cache/eventscale}"
cached="$(ls -d "$cache"/etcd-server-*/usr/bin/etcd 2>/dev/null | sort | tail -n 1 || true)"
if [ -n "$cached" ] && [ -x "$cached" ]; then echo "$cached"; exit 0; fi
if command -v etcd >/dev/null 2>&1; then command -v etcd; exit 0; fi

command -v apt-get >/dev/null 2>&1 || { echo "etcd not found and apt-get is unavailable: install etcd 3.4+ and set ETCD_BIN" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
chmod 0777 "$tmp" # lets apt's sandbox user write the .deb
download() { (cd "$tmp" && apt-get download -q etcd-server) >&2; }
if ! download; then
  if [ "$(id -u)" = 0 ]; then
    echo "apt-get download failed; running apt-get update" >&2
    apt-get update -q >&2
    download
  else
    echo "apt-get download etcd-server failed; as root run 'apt-get update' (or 'apt-get install -y etcd-server'), or set ETCD_BIN" >&2
    exit 1
  fi
fi
deb="$(ls "$tmp"/etcd-server_*.deb)"
version="$(dpkg-deb -f "$deb" Version)"
dest="$cache/etcd-server-$version"
mkdir -p "$cache"
rm -rf "$dest.tmp" && dpkg-deb -x "$deb" "$dest.tmp" && mv "$dest.tmp" "$dest"
"$dest/usr/bin/etcd" --version | head -n 1 >&2
echo "$dest/usr/bin/etcd"
