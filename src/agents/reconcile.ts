// Start-up reconciliation between the store and the engine after a gateway restart or crash:
// running containers the store knows are adopted (re-attached); containers carrying our
// project label that the store does not know (or that are not running) are removed; stored
// agents whose container vanished are marked stopped. Then orphan gVisor sandboxes go. Runs once,
// inside createAgentManager, before the manager serves any call: no agent is live yet.
import { describeError } from '../core/errors.js';
import type { AgentStore } from '../store/agents.js';
import type { AgentManager } from './agent-manager.js';
import type { SandboxBackend } from './backend.js';
import { type AgentLogger, silentLogger } from './logger.js';

export interface ReconcileReport {
  adopted: string[];
  removed: string[];
  markedVanished: string[];
  orphans: string[];
}

export async function reconcile(manager: AgentManager, store: AgentStore, backend: SandboxBackend, logger?: AgentLogger): Promise<ReconcileReport> {
  const log = logger ?? silentLogger;
  const report: ReconcileReport = { adopted: [], removed: [], markedVanished: [], orphans: [] };
  const records = store.active();
  const byContainer = new Map(records.filter((r) => r.containerId).map((r) => [r.containerId!, r]));
  const seen = new Set<string>();
  for (const found of await backend.list()) {
    const record = byContainer.get(found.containerId);
    if (record) seen.add(record.id);
    if (record && found.running && record.conversationId !== null) {
      try {
        manager.adopt(record, await backend.adopt(found));
        store.update(record.id, { state: 'running' });
        report.adopted.push(record.id);
        continue;
      } catch (err) {
        log.warn({ agentId: record.id, err: describeError(err) }, 'could not adopt agent; removing it');
      }
    }
    await backend.remove(found.containerId).catch(() => undefined);
    report.removed.push(found.containerId);
    if (record) store.update(record.id, { state: 'stopped', stoppedAt: Date.now(), error: 'removed at start-up (not adoptable)' });
  }
  for (const r of records) {
    if (seen.has(r.id)) continue;
    store.update(r.id, { state: r.state === 'creating' || r.state === 'pending' ? 'error' : 'stopped', stoppedAt: Date.now(), error: 'container vanished while the gateway was down' });
    report.markedVanished.push(r.id);
  }
  report.orphans = await backend.cleanupOrphans().catch(() => []);
  if (report.adopted.length + report.removed.length + report.markedVanished.length + report.orphans.length > 0) log.info({ ...report }, 'reconciled agents');
  return report;
}
