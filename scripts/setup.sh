#!/usr/bin/env bash
# Sets up SecureSphere on a fresh Debian 12 machine with Node.js 20, as root:
# npm dependencies, the compiled gateway, and the sandbox (Docker engine, gVisor, the agent
# image built locally). Idempotent: re-running skips what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "Installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

step "Compiling TypeScript (npm run build)"
npm run build --silent

step "Setting up the sandbox (Docker engine, gVisor runsc, agent image)"
bash scripts/setup-test-env.sh

step "Setup complete"
