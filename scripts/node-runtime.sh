# Sourced (not run) by the set-up and by scripts/with-node.sh: chooses the Node.js that runs
# SecureSphere and puts it first on PATH. Node 20 is end of life, so the gateway needs >= 22
# (24 LTS is what CI tests). A machine whose own node is >= 22 uses it as is; otherwise the
# project's own Node 24 under .runtime/node is used, installed (by `ss_node_install`, which only
# the set-up calls) from the npm registry package node-linux-<arch>@24: the official binary
# and its headers, so native modules (better-sqlite3) build offline against them. It never
# touches the system's /usr/bin/node and downloads nothing from anywhere but the npm registry.
# shellcheck shell=bash

SS_NODE_MIN_MAJOR=22
SS_NODE_MAJOR=24
SS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SS_NODE_PREFIX="$SS_ROOT/.runtime/node"

ss_node_major() { # the major version of the node at $1 (or on PATH), 0 when there is none
  local bin="${1:-node}" v
  v="$("$bin" -p 'process.versions.node' 2>/dev/null)" || { echo 0; return; }
  echo "${v%%.*}"
}

# Puts the chosen node first on PATH; returns 1 when there is no usable one (>= 22).
ss_node_use() {
  if [ -x "$SS_NODE_PREFIX/bin/node" ]; then
    # npm finds its global npmrc beside the node that runs it; under our node that would be
    # .runtime/node/etc/npmrc, and the machine's npm settings (a registry mirror, a proxy's CA
    # file: without it every fetch fails with SELF_SIGNED_CERT_IN_CHAIN) would be lost. Keep
    # reading the one the machine's own node uses.
    if [ -z "${npm_config_globalconfig:-}" ] && [ "$(command -v node 2>/dev/null)" != "$SS_NODE_PREFIX/bin/node" ]; then
      local sysnode sysrc
      sysnode="$(command -v node 2>/dev/null || true)"
      if [ -n "$sysnode" ]; then
        sysrc="$(dirname "$(dirname "$(readlink -f "$sysnode")")")/etc/npmrc"
        if [ -f "$sysrc" ]; then export npm_config_globalconfig="$sysrc"; fi
      fi
    fi
    export PATH="$SS_NODE_PREFIX/bin:$PATH"
    # Native modules build against the shipped headers; node-gyp downloads nothing.
    export npm_config_nodedir="$SS_NODE_PREFIX"
    return 0
  fi
  [ "$(ss_node_major)" -ge "$SS_NODE_MIN_MAJOR" ]
}

# Installs Node $SS_NODE_MAJOR into .runtime/node from the npm registry when the machine's
# node is older than $SS_NODE_MIN_MAJOR (or missing); then selects it.
ss_node_install() {
  if ss_node_use; then return 0; fi
  local arch pkg tmp
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "node-runtime: no Node.js package for $(uname -m); install Node.js >= $SS_NODE_MIN_MAJOR yourself" >&2; return 1 ;;
  esac
  if ! command -v npm >/dev/null; then
    echo "node-runtime: npm is needed once to fetch Node.js $SS_NODE_MAJOR from the npm registry; installing Debian's npm (apt)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends npm >&2
  fi
  pkg="node-linux-$arch@$SS_NODE_MAJOR"
  echo "node-runtime: this machine's node is $(node --version 2>/dev/null || echo missing) (< $SS_NODE_MIN_MAJOR, end of life); installing $pkg from the npm registry into .runtime/node" >&2
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$pkg" >/dev/null) || { rm -rf "$tmp"; echo "node-runtime: could not fetch $pkg from the npm registry (check the registry is reachable: npm ping)" >&2; return 1; }
  rm -rf "$SS_NODE_PREFIX.partial"
  mkdir -p "$SS_NODE_PREFIX.partial"
  tar -xzf "$tmp"/node-linux-*.tgz -C "$SS_NODE_PREFIX.partial" --strip-components=1
  rm -rf "$tmp"
  # Only a complete unpack becomes the runtime (an interrupted one is redone next time).
  "$SS_NODE_PREFIX.partial/bin/node" --version >/dev/null || { echo "node-runtime: the unpacked node does not run" >&2; return 1; }
  rm -rf "$SS_NODE_PREFIX"
  mv "$SS_NODE_PREFIX.partial" "$SS_NODE_PREFIX"
  ss_node_use
}
