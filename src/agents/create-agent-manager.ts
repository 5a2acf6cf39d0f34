// Composition of the agent subsystem: detect a runtime (by probing), build the backend,
// reconcile with what survived a previous run, start the idle reaper and the warm pool.
// A host with no usable runtime still gets a manager: health() says why, exec() refuses.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type Docker from 'dockerode';
import type { Config } from '../config/schema.js';
import { ERROR_CODES, SecureSphereError, describeError } from '../core/errors.js';
import type { AuditLog } from '../security/audit-log.js';
import type { Db } from '../store/database.js';
import { AgentStore } from '../store/agents.js';
import { AgentManager } from './agent-manager.js';
import type { SandboxBackend } from './backend.js';
import type { BackendBuildDeps, BackendChoice } from './backends/definition.js';
import { dockerClientFor } from './backends/docker/client.js';
import { findSandboxBackend } from './backends/index.js';
import { type HostTuning, readHostTuning } from './host-tuning.js';
import { AGENT_UID } from './backend.js';
import { fromConfig } from './limits.js';
import { type AgentLogger, silentLogger } from './logger.js';
import { type ReconcileReport, reconcile } from './reconcile.js';
import { type RuntimeDetection, detectRuntime } from './runtime-detect.js';
import { type QuotaMode, createWorkspaces } from './workspace.js';

export interface CreateAgentManagerOptions {
  db: Db;
  config: Config['sandbox'];
  dataDir: string;
  logger?: AgentLogger;
  audit?: AuditLog;
  docker?: Docker;
  /** Label separating this gateway's containers; defaults to a hash of the data dir. */
  project?: string;
  /** Skip probing and use this Docker runtime (benchmarks compare runsc with runc). */
  forceRuntime?: string;
  workspaceQuota?: QuotaMode | 'auto';
  /** Start the idle reaper and the warm pool (default true). */
  autoStart?: boolean;
  /**
   * Adopt/remove labelled containers at start (default true). A CLI process working next to a
   * running gateway passes false (and autoStart false) so it never touches the gateway's agents.
   */
  reconcile?: boolean;
  /** Host directory of the egress proxy's socket, bound read-only into every agent (the http skill's way out). */
  egressSocketDir?: string;
  /** Where to read the expedited-RCU setting (tests point it at a file). */
  rcuExpeditedPath?: string;
}

export interface AgentSubsystem {
  manager: AgentManager;
  detection: RuntimeDetection | null;
  reconciled: ReconcileReport | null;
  info(): SandboxInfo;
}

export interface SandboxInfo {
  backend: string;
  runtime: string | null;
  strength: 'strong' | 'weak' | null;
  image: string;
  workspaceQuota: QuotaMode;
  limits: Config['sandbox']['limits'];
  maxLimits: Config['sandbox']['max_limits'];
  pool: { target: number; ready: number };
  agents: number;
  maxAgents: number;
  detection: RuntimeDetection | null;
  unavailable: string | null;
  /** Host kernel settings that affect agent start times (gVisor backends only). */
  hostTuning: HostTuning | null;
}

export function projectLabelFor(dataDir: string): string {
  return `securesphere-${createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12)}`;
}

export async function createAgentManager(opts: CreateAgentManagerOptions): Promise<AgentSubsystem> {
  const log = opts.logger ?? silentLogger;
  const cfg = opts.config;
  const dataDir = resolve(opts.dataDir);
  const project = opts.project ?? projectLabelFor(dataDir);
  const docker = dockerClientFor(cfg, opts.docker);
  const buildDeps: BackendBuildDeps = { sandbox: cfg, docker, project, logger: log, egressSocketDir: opts.egressSocketDir };

  let detection: RuntimeDetection | null = null;
  let backend: SandboxBackend | null = null;
  let unavailable: string | null = null;
  try {
    // Forced (tests, bench: a Docker runtime) or detected: which backend and runtime, or none.
    let choice: BackendChoice | null = null;
    if (opts.forceRuntime && docker) {
      choice = { backend: 'docker', runtime: opts.forceRuntime, strength: /runsc|kata/.test(opts.forceRuntime) ? 'strong' : 'weak' };
    } else {
      detection = await detectRuntime({ docker, image: cfg.image, timeoutMs: cfg.probe_timeout_ms, requireStrong: cfg.require_strong_isolation, backend: cfg.backend });
      choice = detection.chosen;
      if (!choice) unavailable = detection.candidates.map((c) => `${c.name}: ${c.reason}`).join('; ');
    }
    if (choice) {
      const definition = findSandboxBackend(choice.backend);
      if (!definition) throw new SecureSphereError(ERROR_CODES.INTERNAL, `No registered sandbox backend is named ${choice.backend}; see src/agents/backends/index.ts.`);
      backend = await definition.create(choice, buildDeps);
    }
    if (!opts.forceRuntime && backend?.strength === 'weak') log.warn({ runtime: backend.runtime ?? backend.kind }, 'sandbox isolation is weaker than gVisor: agents share the host kernel');
  } catch (err) {
    unavailable = describeError(err);
  }

  const hostTuning = backend?.runtime?.includes('runsc') ? readHostTuning(opts.rcuExpeditedPath) : null;
  if (hostTuning?.advice) log.warn({ rcuExpedited: false }, hostTuning.advice);

  const workspaces = await createWorkspaces({ dataDir, uid: AGENT_UID, mode: opts.workspaceQuota ?? 'auto' });
  if (workspaces.mode === 'plain') log.warn({}, 'workspace size limit not enforced: loop-mounted workspaces need root and /dev/loop-control');
  const store = new AgentStore(opts.db);
  const manager = new AgentManager({
    store,
    hostAdvice: hostTuning?.advice ?? undefined,
    backend,
    unavailableReason: unavailable ?? undefined,
    rejectedSummary: detection?.candidates
      .filter((c) => c.status === 'rejected' || c.status === 'absent')
      .map((c) => `${c.name} (${c.reason})`)
      .join('; '),
    workspaces,
    defaults: fromConfig(cfg.limits),
    maxima: fromConfig(cfg.max_limits),
    idleStopMs: cfg.idle_stop_ms,
    maxAgents: cfg.max_agents,
    warmPool: cfg.warm_pool,
    logger: log,
    audit: opts.audit,
  });
  const reconciled = backend && opts.reconcile !== false ? await reconcile(manager, store, backend, log) : null;
  // Pool slots belong to pool agents, which reconcile just removed: drop their leftovers.
  if (opts.reconcile !== false) await workspaces.discardAllPoolSlots().catch((err: unknown) => log.warn({ err: describeError(err) }, 'could not clean old pool slots'));
  if (opts.autoStart !== false) manager.start();

  return {
    manager,
    detection,
    reconciled,
    info: () => ({
      backend: backend?.kind ?? 'none',
      runtime: backend?.runtime ?? null,
      strength: backend?.strength ?? null,
      image: cfg.image,
      workspaceQuota: workspaces.mode,
      limits: cfg.limits,
      maxLimits: cfg.max_limits,
      pool: { target: cfg.warm_pool, ready: manager.poolSize() },
      agents: manager.live.size,
      maxAgents: cfg.max_agents,
      detection,
      unavailable,
      hostTuning,
    }),
  };
}
