#!/usr/bin/env bash
# Prepares the sandbox on a Debian 12 machine, as root: Docker engine, gVisor (runsc)
# registered with --network=none and --host-uds=open (agents connect to the egress proxy's
# Unix socket, bind-mounted from the host; they still cannot create host sockets), mmdebstrap,
# gcc (the in-agent helper is a static C binary compiled here),
# bubblewrap, loop-mount tools, node_modules, and the agent image built locally (no
# registry). Idempotent: safe to re-run; works on a fresh CI machine (starts dockerd in the
# background) and on a host where dockerd already runs.
# Env: SECURESPHERE_IMAGE (default securesphere-agent:latest), FORCE_IMAGE=1 to rebuild.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${SECURESPHERE_IMAGE:-securesphere-agent:latest}"
DAEMON_JSON=/etc/docker/daemon.json
step() { printf '\n==> %s\n' "$*"; }
die() { printf 'setup-sandbox: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (it installs packages and configures dockerd)"
# shellcheck source=node-runtime.sh
. scripts/node-runtime.sh
ss_node_use || die "Node.js >= $SS_NODE_MIN_MAJOR is required (this machine has $(node --version 2>/dev/null || echo none)): run scripts/setup.sh, which installs it"

PACKAGES=(docker.io runsc mmdebstrap bubblewrap e2fsprogs util-linux mount python3 gcc libc6-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  step "Installing ${missing[*]} (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
else
  step "Packages present: ${PACKAGES[*]}"
fi

step "Registering runsc in $DAEMON_JSON (runtimeArgs include --network=none --host-uds=open; other keys and args kept)"
mkdir -p /etc/docker
changed=$(node - "$DAEMON_JSON" <<'JS'
const fs = require('node:fs');
const file = process.argv[2];
let cfg = {};
try { cfg = JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) { if (e.code !== 'ENOENT') throw e; }
const before = JSON.stringify(cfg);
cfg.runtimes ??= {};
const runsc = (cfg.runtimes.runsc ??= { path: '/usr/bin/runsc' });
runsc.path ??= '/usr/bin/runsc';
const args = Array.isArray(runsc.runtimeArgs) ? runsc.runtimeArgs : [];
// runsc needs its own network stack off, or containers fail in the root network namespace;
// the kvm platform hangs on these hosts, so never keep it.
// --host-uds=open lets a sandboxed process connect to a host Unix socket in a bind mount (the
// egress proxy; access still needs the socket's file permissions), never create one.
const kept = args.filter((a) => !/^--platform[= ]kvm$/.test(a) && !/^--?(host-uds|fsgofer-host-uds)([= ]|$)/.test(a));
runsc.runtimeArgs = [...kept, ...(kept.includes('--network=none') ? [] : ['--network=none']), '--host-uds=open'];
if (JSON.stringify(cfg) !== before) {
  fs.writeFileSync(file, JSON.stringify(cfg, null, 2) + '\n');
  console.log('yes');
} else console.log('no');
JS
)

if docker info >/dev/null 2>&1; then
  if [ "$changed" = yes ]; then
    step "dockerd is running: reloading its configuration (SIGHUP)"
    kill -HUP "$(pidof dockerd)"
    sleep 1
  else
    step "dockerd is running with runsc registered"
  fi
else
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    step "Starting docker (systemctl)"
    systemctl restart docker || systemctl start docker
  else
    step "Starting dockerd in the background (log: /var/log/dockerd.log)"
    nohup dockerd >/var/log/dockerd.log 2>&1 &
  fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { tail -n 30 /var/log/dockerd.log 2>/dev/null || true; die "dockerd did not come up within 60 s"; }
fi
docker info --format '{{json .Runtimes}}' | grep -q '"runsc"' || die "dockerd does not list the runsc runtime; check $DAEMON_JSON"

# Every runsc process (create, gofer, sandbox, start: six execs per agent) registers for
# membarrier at start-up, and runsc moves itself between cgroups (v1): both wait for an RCU
# grace period, ~10-15 ms each on this kind of VM, ~70 ms of a ~200 ms cold agent start.
# Expedited grace periods end that wait at the price of a few more inter-processor interrupts
# (the kernel's own trade-off; the boot uses them by default). Opt out: SECURESPHERE_RCU_EXPEDITED=0.
RCU=/sys/kernel/rcu_expedited
if [ "${SECURESPHERE_RCU_EXPEDITED:-1}" = 1 ] && [ -e "$RCU" ]; then
  if [ "$(cat "$RCU")" = 1 ]; then
    step "Expedited RCU grace periods already on ($RCU = 1)"
  elif echo 1 > "$RCU" 2>/dev/null; then
    step "Turned on expedited RCU grace periods ($RCU = 1): cold agent starts ~70 ms faster"
  else
    step "Could not write $RCU (read-only sysfs?): cold agent starts stay ~70 ms slower"
  fi
  if [ -d /etc/tmpfiles.d ] && [ "$(cat "$RCU")" = 1 ]; then
    echo "w $RCU - - - - 1" > /etc/tmpfiles.d/securesphere-rcu-expedited.conf # kept across reboots (systemd-tmpfiles)
  fi
elif [ -f /etc/tmpfiles.d/securesphere-rcu-expedited.conf ]; then
  # Opted out after an earlier run set it: stop setting it at boot (the running value stays until then).
  rm -f /etc/tmpfiles.d/securesphere-rcu-expedited.conf
  step "SECURESPHERE_RCU_EXPEDITED=0: removed the boot-time setting; $RCU stays $(cat "$RCU" 2>/dev/null) until reboot"
fi

if [ ! -d node_modules ]; then
  step "Installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
  node -p 'process.versions.modules' >node_modules/.securesphere-node-abi
fi

step "Building the agent image $IMAGE (cached; FORCE_IMAGE=1 rebuilds)"
args=(--image "$IMAGE")
[ "${FORCE_IMAGE:-0}" = 1 ] && args+=(--force)
node --import tsx src/agents/image/build-image.ts "${args[@]}"

step "Probing runsc with the agent image"
docker run --rm --runtime=runsc --network=none --pids-limit=256 --entrypoint /bin/true "$IMAGE"
echo "sandbox ready: runsc + $IMAGE"
