// Probing for bubblewrap by doing: `bwrap` must run `true` in fresh namespaces within the
// timeout. Weak isolation (it shares the host kernel), so require_strong_isolation refuses it.
// Never leaves a process behind: a probe that does not answer in time is killed.
import { spawn } from 'node:child_process';
import { ERROR_CODES, SecureSphereError, describeError } from '../../../core/errors.js';
import type { BackendProbeContext, BackendProbeResult, RuntimeCandidate } from '../definition.js';

export function probeBubblewrap(timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bwrap', ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', 'true'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new SecureSphereError(ERROR_CODES.TIMEOUT, `no answer within ${timeoutMs} ms; check that \`bwrap --unshare-all true\` runs on this host`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new SecureSphereError(ERROR_CODES.SANDBOX_UNAVAILABLE, `bwrap exited with code ${code}: ${err.trim().slice(0, 300)}`));
    });
  });
}

export async function probeBubblewrapBackend(ctx: BackendProbeContext): Promise<BackendProbeResult> {
  const candidate = (c: Omit<RuntimeCandidate, 'name' | 'runtime' | 'strength'>): BackendProbeResult['candidates'] => [
    { name: 'bubblewrap', runtime: null, strength: 'weak', ...c },
  ];
  const refused = ctx.refusal('weak');
  if (ctx.backend !== 'auto' && ctx.backend !== 'bubblewrap') return { candidates: candidate({ status: 'not-probed', reason: `sandbox.backend is ${ctx.backend}` }), chosen: null };
  if (refused) return { candidates: candidate({ status: 'rejected', reason: refused }), chosen: null };
  if (ctx.chosen && !ctx.probeAll) return { candidates: candidate({ status: 'not-probed', reason: `${ctx.chosen.runtime} already chosen` }), chosen: null };
  try {
    await probeBubblewrap(ctx.timeoutMs);
    return {
      candidates: candidate({ status: 'found', reason: 'bwrap ran (weaker: shares the host kernel)' }),
      chosen: ctx.chosen ? null : { backend: 'bubblewrap', runtime: null, strength: 'weak' },
    };
  } catch (err) {
    return { candidates: candidate({ status: 'rejected', reason: `bwrap failed: ${describeError(err)}` }), chosen: null };
  }
}
