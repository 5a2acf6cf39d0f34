#!/usr/bin/env bash
# Runs a command with the Node.js chosen by scripts/node-runtime.sh first on PATH, so
# `npm test`, `npm run bench` and the other npm scripts run on Node >= 22 (the project's own
# Node 24 where the machine's is older) even when npm itself was started by an old system node.
set -euo pipefail
# shellcheck source=node-runtime.sh
. "$(dirname "${BASH_SOURCE[0]}")/node-runtime.sh"
if ! ss_node_use; then
  echo "securesphere: Node.js >= $SS_NODE_MIN_MAJOR is required (this machine has $(node --version 2>/dev/null || echo none)). Run: bash scripts/setup.sh" >&2
  exit 1
fi
exec "$@"
