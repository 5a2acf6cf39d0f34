// `securesphere doctor`: checks config, store, provider and sandbox, and says what to fix.
import type { Command } from 'commander';
import { dockerClientFor } from '../../agents/backends/docker/client.js';
import { readHostTuning } from '../../agents/host-tuning.js';
import { detectRuntime } from '../../agents/runtime-detect.js';
import { ERROR_CODES, SecureSphereError, describeError } from '../../core/errors.js';
import type { ChannelHealth } from '../../../channels/channel.js';
import { MIN_NODE_MAJOR, describeNodeRuntime } from '../../core/node-runtime.js';
import { createGateway, type Gateway } from '../../gateway.js';
import { setupHintFor } from '../../providers/from-config.js';
import { loadConfigFor } from '../global-options.js';

interface Check {
  name: string;
  ok: boolean;
  /** A failed optional check is information (e.g. Kata not installed), not a problem. */
  optional?: boolean;
  /** A failed warning check is printed as WARN and does not fail the doctor (an end-of-life Node). */
  warn?: boolean;
  detail: string;
  fix?: string;
}

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check config, store, provider and sandbox runtimes, and say what to fix')
    .action(async (_opts, command: Command) => {
      const node = describeNodeRuntime();
      const checks: Check[] = [
        { name: 'node', ok: node.ok, warn: true, detail: node.detail, fix: `Use Node.js ${MIN_NODE_MAJOR} or later: \`bash scripts/setup.sh\` installs Node 24 LTS into .runtime/node and ./bin/securesphere.js uses it.` },
      ];
      let loaded;
      try {
        loaded = loadConfigFor(command);
        checks.push({ name: 'config', ok: true, detail: loaded.file ?? 'built-in defaults' });
      } catch (err) {
        checks.push({ name: 'config', ok: false, detail: describeError(err), fix: 'Fix the key named above, then run `securesphere config check`.' });
        return report(checks);
      }
      // Probe every runtime directly; the gateway built here gets no agent manager, so the doctor
      // never adopts, reconciles or starts agents that belong to a running gateway.
      const sb = loaded.config.sandbox;
      const detection = await detectRuntime({
        docker: dockerClientFor(sb),
        image: sb.image,
        timeoutMs: sb.probe_timeout_ms,
        requireStrong: sb.require_strong_isolation,
        backend: sb.backend,
        probeAll: true,
      });
      for (const c of detection.candidates) {
        const chosen = detection.chosen && (detection.chosen.runtime ?? detection.chosen.backend) === (c.runtime ?? c.name);
        checks.push({
          name: `runtime ${c.name}`,
          ok: c.status === 'found',
          optional: true,
          detail: `${c.status}${chosen ? ' (chosen)' : ''}, ${c.strength} isolation: ${c.reason}`,
        });
      }
      if (detection.chosen?.runtime?.includes('runsc')) {
        const tuning = readHostTuning();
        if (tuning.rcuExpedited !== null) {
          checks.push({
            name: 'host tuning',
            ok: tuning.rcuExpedited,
            optional: true,
            detail: tuning.advice ?? 'expedited RCU grace periods on (fast gVisor starts)',
            fix: 'bash scripts/setup-sandbox.sh (or SECURESPHERE_RCU_EXPEDITED=0 to keep it off on purpose)',
          });
        }
      }
      const sandboxReport = {
        ok: detection.chosen !== null,
        backend: detection.chosen?.backend ?? 'none',
        runtime: detection.chosen?.runtime ?? null,
        detail: detection.chosen
          ? `${detection.chosen.strength} isolation${detection.imagePresent ? '' : '; agent image missing'}`
          : detection.candidates.map((c) => `${c.name}: ${c.reason}`).join('; '),
      };
      const gateway = await createGateway({
        config: loaded.config,
        logDestination: { write: () => true },
        sandbox: { agentFor: () => { throw new SecureSphereError(ERROR_CODES.SANDBOX_UNAVAILABLE, 'doctor runs no agents; start the gateway (`securesphere start`) to run one.'); }, health: async () => sandboxReport },
      });
      try {
        const health = await gateway.health();
        checks.push({ name: 'store', ok: health.store.ok, detail: `${loaded.config.data_dir}: ${health.store.detail}`, fix: 'Make the data directory writable or pass --data-dir.' });
        // One line per profile: one answering profile keeps the gateway answering (failover).
        const profiles = health.provider.profiles ?? [];
        const anyOk = profiles.some((p) => p.ok);
        for (const p of profiles) {
          const state = [p.last_error ? `last error ${p.last_error.at}: ${p.last_error.message}` : '', p.skipped_until ? `skipped until ${p.skipped_until}` : ''].filter(Boolean).join('; ');
          checks.push({
            name: `provider ${p.profile} (${p.provider} ${p.model})`,
            ok: p.ok,
            optional: anyOk,
            detail: `${p.detail}${state ? ` [${state}]` : ''}`,
            fix: setupHintFor(loaded.config, p.profile) ?? 'Check this profile in providers.profiles.',
          });
        }
        if (profiles.length === 0) checks.push({ name: 'provider', ok: health.provider.ok, detail: health.provider.detail });
        checks.push({
          name: 'sandbox',
          ok: health.sandbox.ok,
          detail: `${health.sandbox.backend}${health.sandbox.runtime ? ` (${health.sandbox.runtime})` : ''}: ${health.sandbox.detail}`,
          fix: 'Install docker.io and runsc (bash scripts/setup-sandbox.sh does it), then `securesphere sandbox build-image`.',
        });
        checks.push(...(await channelChecks(gateway, loaded.config)));
        for (const e of gateway.skillErrors) checks.push({ name: `skill ${e.dir}`, ok: false, detail: `${e.file}: ${e.reason}`, fix: 'Fix or remove that skill folder.' });
      } finally {
        await gateway.close();
      }
      report(checks);
    });
}

/**
 * Channels as the running gateway sees them (asked over its own API), or, when none is running,
 * whether each configured channel can at least be built (its secrets resolve). The doctor never
 * starts a channel itself: a second poller would fight the running gateway for updates.
 */
async function channelChecks(gateway: Gateway, config: Gateway['config']): Promise<Check[]> {
  const fix = 'Check the channel section in the config and its token (`securesphere vault list`); the gateway retries it with back-off.';
  let live: ChannelHealth[] | undefined;
  try {
    const res = await fetch(`http://${config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host}:${config.server.port}/api/health`, {
      headers: { authorization: `Bearer ${gateway.apiToken}` },
      signal: AbortSignal.timeout(3000),
    });
    live = ((await res.json()) as { channels?: ChannelHealth[] }).channels;
  } catch {
    live = undefined;
  }
  if (live) {
    return live.map((c) => ({
      name: `channel ${c.name}`,
      ok: c.state === 'running' && c.connected,
      detail: `${c.state}${c.connected ? ', connected' : ''}, outbox backlog ${c.outboxBacklog}${c.lastError ? `; last error: ${c.lastError}` : ''}${c.nextRetryAt ? `; next attempt ${c.nextRetryAt}` : ''}`,
      fix,
    }));
  }
  return gateway.channels.health().map((c) => ({
    name: `channel ${c.name}`,
    ok: c.state !== 'failed',
    detail: c.state === 'failed' ? `cannot be built: ${c.lastError ?? 'unknown error'}` : 'configured (gateway not running, so not connected)',
    fix,
  }));
}

function report(checks: Check[]): void {
  for (const c of checks) {
    console.log(`${c.ok ? 'ok  ' : c.warn ? 'WARN' : c.optional ? 'info' : 'FAIL'} ${c.name}: ${c.detail}`);
    if (!c.ok && c.fix) console.log(`     fix: ${c.fix}`);
  }
  if (checks.some((c) => !c.ok && !c.optional && !c.warn)) process.exitCode = 1;
}
