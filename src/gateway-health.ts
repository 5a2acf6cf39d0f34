// What GET /api/health and `securesphere doctor` report: whether the provider answers, which
// sandbox backend runs, the store, whether the vault is sealed, which skills loaded, and which
// Node.js runs the gateway (an end-of-life one is reported, not fatal).
import type { Sandbox } from './agents/sandbox.js';
import type { HealthReport } from './api/routes/health.js';
import { describeError } from './core/errors.js';
import { describeNodeRuntime } from './core/node-runtime.js';
import type { ProviderManager } from './providers/provider-manager.js';
import type { Vault } from './security/vault/vault.js';
import type { LoadedSkills } from './skills/loader.js';
import type { Db } from './store/database.js';

export function createHealthCheck(deps: { providers: ProviderManager; sandbox: Sandbox; db: Db; vault: Vault; skills: LoadedSkills }) {
  return async (): Promise<HealthReport> => {
    const [provider, sandbox] = await Promise.all([
      deps.providers.health().catch((err: unknown) => ({ ok: false, detail: describeError(err) })),
      deps.sandbox.health().catch((err: unknown) => ({ ok: false, backend: 'none', runtime: null, detail: describeError(err) })),
    ]);
    let store = { ok: true, detail: 'sqlite ok' };
    try {
      deps.db.prepare('SELECT 1').get();
    } catch (err) {
      store = { ok: false, detail: describeError(err) };
    }
    const vault = deps.vault.status();
    return {
      ok: provider.ok && sandbox.ok && store.ok,
      provider: { ok: provider.ok, detail: provider.detail, ...('profiles' in provider ? { profiles: provider.profiles } : {}) },
      sandbox,
      store,
      vault: { sealed: vault.sealed, detail: vault.message },
      runtime: { node: describeNodeRuntime() },
      skills: { loaded: Object.keys(deps.skills.skills).sort(), refused: deps.skills.errors.map((e) => ({ dir: e.dir, reason: e.reason })) },
    };
  };
}
