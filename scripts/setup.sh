#!/usr/bin/env bash
# Sets up SecureSphere on a fresh Debian 12 machine with Node.js 20, as root:
# npm dependencies, the compiled gateway, and the sandbox (Docker engine, gVisor runsc, the
# agent image built locally). With --test, also what only the tests need (Chromium for the
# web channel's browser test). Idempotent: re-running skips what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
for_tests=0
[ "${1:-}" = "--test" ] && for_tests=1

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "Installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

step "Compiling TypeScript (npm run build)"
npm run build --silent

step "Setting up the sandbox (Docker engine, gVisor runsc, agent image)"
bash scripts/setup-sandbox.sh

if [ "$for_tests" = 1 ] && ! command -v chromium >/dev/null; then
  step "Installing Chromium for the browser test (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi

step "Setup complete"
