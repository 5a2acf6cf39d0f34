#!/usr/bin/env bash
# Installs Synapse (the Matrix reference homeserver) from PyPI into a virtualenv the machine
# keeps between runs, for the Matrix channel's tests (test/helpers/synapse.ts starts one per
# test file on loopback and stops it). Called by scripts/setup.sh --test only: the gateway never
# needs Synapse. Idempotent: a venv whose Synapse imports is left alone (about a minute otherwise).
# Must never start a homeserver or touch anything outside the venv.
set -euo pipefail

venv="${SECURESPHERE_SYNAPSE_VENV:-/var/cache/securesphere/synapse-venv}"
python="${PYTHON:-python3}"

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import synapse.app.homeserver' >/dev/null 2>&1; then
  echo "Synapse $("$venv/bin/python" -c 'import synapse; print(synapse.__version__)') is ready in $venv"
  exit 0
fi

if ! command -v "$python" >/dev/null || ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "Installing python3 and python3-venv (apt) for the Synapse virtualenv"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv
fi

echo "Creating the Synapse virtualenv in $venv"
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
echo "Installing matrix-synapse from PyPI (about a minute)"
"$venv/bin/pip" install --disable-pip-version-check --progress-bar off --upgrade pip
"$venv/bin/pip" install --disable-pip-version-check --progress-bar off matrix-synapse
"$venv/bin/python" -c 'import synapse; print("Synapse", synapse.__version__, "installed")'
