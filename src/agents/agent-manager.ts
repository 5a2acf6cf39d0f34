// The AgentManager: gives each conversation one sandboxed agent, created lazily on the first
// exec (from the warm pool when the conversation is new), tracks its lifecycle in SQLite,
// stops idle agents, evicts the least recently used one at the cap, and recreates an agent
// that a limit killed. It only speaks SandboxBackend, never Docker directly.
import { createHash } from 'node:crypto';
import { ERROR_CODES, SecureSphereError, describeError } from '../core/errors.js';
import { withTimeout } from '../core/with-timeout.js';
import { newId } from '../core/ids.js';
import type { AuditLog } from '../security/audit-log.js';
import type { AgentRecord, AgentStore } from '../store/agents.js';
import type { AgentExit, AgentInstance, SandboxBackend } from './backend.js';
import type { HelperExecRequest } from './helper-client.js';
import { agentFits, grownLimits, resolveLimits } from './limits.js';
import { type AgentLogger, silentLogger } from './logger.js';
import type { AgentHandle, AgentRequirements, ExecRequest, ExecResult, InterruptedCalls, Sandbox, SandboxLimits } from './sandbox.js';
import type { Workspaces } from './workspace.js';

export interface AgentManagerDeps {
  store: AgentStore;
  backend: SandboxBackend | null;
  /** Why there is no backend (shown by health() and thrown by exec). */
  unavailableReason?: string;
  /** One line on the runtimes that were rejected and why (for health()). */
  rejectedSummary?: string;
  /** A host setting that slows agents down and how to fix it (for health()). */
  hostAdvice?: string;
  workspaces: Workspaces;
  defaults: SandboxLimits;
  maxima: SandboxLimits;
  idleStopMs: number;
  maxAgents: number;
  warmPool: number;
  stopGraceMs?: number;
  logger?: AgentLogger;
  audit?: AuditLog;
}

export interface LiveAgent {
  id: string;
  conversationId: string | null;
  instance: AgentInstance;
  lastUsed: number;
  busy: number;
  /** What the container was started with (adopted agents: from its label, else the defaults). */
  limits: SandboxLimits;
}

export const conversationKey = (conversationId: string): string => createHash('sha256').update(conversationId, 'utf8').digest('hex');

export class AgentManager implements Sandbox {
  readonly live = new Map<string, LiveAgent>();
  private readonly byConversation = new Map<string, LiveAgent>();
  private readonly starting = new Map<string, Promise<LiveAgent>>();
  private readonly pool: LiveAgent[] = [];
  private poolFilling = 0;
  private readonly poolStarts = new Set<Promise<unknown>>();
  /** Clean-ups of agents that exited on their own, still writing to the store. */
  private readonly exiting = new Set<Promise<unknown>>();
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly log: AgentLogger;

  constructor(readonly deps: AgentManagerDeps) {
    this.log = deps.logger ?? silentLogger;
  }

  agentFor(conversationId: string, requirements?: AgentRequirements): AgentHandle {
    return { conversationId, exec: (request) => this.exec(conversationId, request, requirements) };
  }

  async health(): Promise<{ ok: boolean; backend: string; runtime: string | null; detail: string }> {
    const b = this.deps.backend;
    if (!b) return { ok: false, backend: 'none', runtime: null, detail: this.deps.unavailableReason ?? 'no sandbox backend' };
    const weak = b.strength === 'weak' ? ' (weaker isolation: shares the host kernel)' : '';
    const rejected = this.deps.rejectedSummary ? `; not used: ${this.deps.rejectedSummary}` : '';
    const advice = `${b.notes ? `; ${b.notes}` : ''}${this.deps.hostAdvice ? `; ${this.deps.hostAdvice}` : ''}`;
    return { ok: true, backend: b.kind, runtime: b.runtime, detail: `${this.live.size} agents, ${this.pool.length} warm${weak}; workspace quota: ${this.deps.workspaces.mode}${rejected}${advice}` };
  }

  /** Start the idle reaper and the warm pool. */
  start(): void {
    const every = Math.max(250, Math.min(30_000, Math.floor(this.deps.idleStopMs / 4)));
    this.idleTimer = setInterval(() => void this.stopIdle(), every);
    this.idleTimer.unref();
    this.fillPool();
  }

  async close(opts: { stopAgents?: boolean } = {}): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearInterval(this.idleTimer);
    await Promise.allSettled([...this.starting.values(), ...this.poolStarts]);
    const agents = opts.stopAgents === false ? [...this.pool] : [...this.live.values()];
    await Promise.allSettled(agents.map((a) => this.stop(a.id, true)));
    await Promise.allSettled([...this.exiting]);
  }

  list(limit = 200): AgentRecord[] {
    return this.deps.store.list({ limit });
  }

  get(id: string): AgentRecord | undefined {
    return this.deps.store.get(id);
  }

  poolSize(): number {
    return this.pool.length;
  }

  async exec(conversationId: string, request: ExecRequest, requirements?: AgentRequirements): Promise<ExecResult> {
    if (typeof conversationId !== 'string' || conversationId.length === 0) {
      throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, 'A conversation id is required to run anything in a sandbox.');
    }
    if (!Array.isArray(request.argv) || request.argv.length === 0 || !request.argv.every((a) => typeof a === 'string')) {
      throw new SecureSphereError(ERROR_CODES.SANDBOX_EXEC, 'argv must be a non-empty list of strings.');
    }
    const limits = resolveLimits(this.deps.defaults, this.deps.maxima, {
      ...requirements?.limits,
      ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
      ...(request.outputCapBytes !== undefined ? { outputCapBytes: request.outputCapBytes } : {}),
    });
    const helperRequest: HelperExecRequest = {
      argv: request.argv,
      cwd: request.cwd ?? '/workspace',
      env: { ...requirements?.env, ...request.env },
      stdin: request.stdin,
      timeoutMs: limits.timeoutMs,
      outputCapBytes: limits.outputCapBytes,
      rlimits: { nproc: limits.pids, nofile: limits.nofile },
      ...(requirements?.tag ? { tag: requirements.tag } : {}),
    };
    const agent = await this.ensure(conversationId, limits);
    agent.busy += 1;
    try {
      return await agent.instance.exec(helperRequest);
    } catch (err) {
      // The helper vanished mid-request: if the agent died on a limit, say so; it is recreated next time.
      const exit = await withTimeout(agent.instance.exited, 3_000, 'agent exit').catch(() => null);
      if (exit?.limitExceeded) {
        return { exitCode: exit.exitCode, signal: 'SIGKILL', stdout: '', stderr: `securesphere: the agent was killed: ${exit.reason}; it will be recreated.`, durationMs: 0, truncated: false, limit: /memory/i.test(exit.reason) ? 'memory' : 'killed' };
      }
      throw err instanceof SecureSphereError ? err : new SecureSphereError(ERROR_CODES.SANDBOX_EXEC, `Running in the agent failed: ${describeError(err)}`, { cause: err });
    } finally {
      agent.busy -= 1;
      agent.lastUsed = Date.now();
      if (this.live.has(agent.id)) this.deps.store.update(agent.id, { lastUsedAt: agent.lastUsed });
    }
  }

  /**
   * The conversation's running agent, started (or claimed from the pool) if needed. With `need`,
   * an agent whose container limits are too small for it is replaced by one with enough, unless
   * a call is running in it (that call keeps its agent; this one then runs with what it has).
   */
  ensure(conversationId: string, need?: SandboxLimits): Promise<LiveAgent> {
    // A start (or a recreate) in flight comes first: the agent it is about to replace must not
    // be handed out meanwhile.
    const pending = this.starting.get(conversationId);
    if (pending) return pending;
    const existing = this.byConversation.get(conversationId);
    if (existing && (!need || agentFits(existing.limits, need) || existing.busy > 0)) return Promise.resolve(existing);
    const limits = existing ? grownLimits(existing.limits, need!) : need ? grownLimits(this.deps.defaults, need) : this.deps.defaults;
    // Registered as starting before acquire() runs, so eviction counts this agent too.
    const p = Promise.resolve()
      .then(async () => {
        // (If `existing` died meanwhile, it is no longer tracked: just start a new one.)
        if (existing && this.byConversation.get(conversationId) === existing) {
          // Callers that got `existing` just before us count as busy by now (they resume first).
          if (existing.busy > 0) return existing;
          this.log.info({ agentId: existing.id, memoryMb: limits.memoryMb, cpus: limits.cpus }, 'recreating the agent with larger limits for a skill');
          await this.stop(existing.id);
        }
        return this.acquire(conversationId, limits);
      })
      .finally(() => this.starting.delete(conversationId));
    this.starting.set(conversationId, p);
    return p;
  }

  async stop(agentId: string, force = false): Promise<AgentRecord | undefined> {
    const agent = this.live.get(agentId);
    if (!agent) return this.stopUnowned(agentId, force);
    this.forget(agent);
    this.deps.store.update(agentId, { state: 'stopping' });
    const exit = await agent.instance.stop(force, this.deps.stopGraceMs ?? 5_000);
    await this.finish(agent, exit, 'stopped', force ? 'stopped (forced)' : null);
    return this.deps.store.get(agentId);
  }

  /** Stops an agent this process does not hold (e.g. from the CLI while the gateway runs). */
  private async stopUnowned(agentId: string, force: boolean): Promise<AgentRecord | undefined> {
    const record = this.deps.store.get(agentId);
    const backend = this.deps.backend;
    if (!record || !record.containerId || !backend || record.state === 'stopped' || record.state === 'error') return record;
    let exit: AgentExit | null = null;
    try {
      const instance = await backend.adopt({ containerId: record.containerId, agentId, conversationKey: null, running: true });
      exit = await instance.stop(force, this.deps.stopGraceMs ?? 5_000);
    } catch {
      await backend.remove(record.containerId).catch(() => undefined);
    }
    this.deps.store.update(agentId, { state: 'stopped', stoppedAt: Date.now(), exitCode: exit?.exitCode ?? null, error: force ? 'stopped (forced)' : null });
    return this.deps.store.get(agentId);
  }

  async stopIdle(now = Date.now()): Promise<string[]> {
    const idle = [...this.byConversation.values()].filter((a) => a.busy === 0 && now - a.lastUsed >= this.deps.idleStopMs);
    await Promise.allSettled(idle.map((a) => this.stop(a.id)));
    return idle.map((a) => a.id);
  }

  async settleInterrupted(conversationId: string, tag: string): Promise<InterruptedCalls | undefined> {
    const agent = this.byConversation.get(conversationId);
    if (!agent?.instance.calls) return undefined;
    let calls = await agent.instance.calls(tag, true, 5_000);
    // A cancelled call is killed at once; it is recorded as cut once its pipes have drained.
    for (let i = 0; i < 40 && calls.running > 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      calls = await agent.instance.calls(tag, true, 5_000);
    }
    if (calls.running > 0) {
      throw new SecureSphereError(ERROR_CODES.SANDBOX_EXEC, `A call of ${tag} still runs in agent ${agent.id} after it was cancelled.`);
    }
    return { completed: calls.completed, cut: calls.cut, exitCode: calls.exitCode, signal: calls.signal, limit: calls.limit };
  }

  /** Register an agent that survived a gateway restart (see reconcile.ts). */
  adopt(record: AgentRecord, instance: AgentInstance): void {
    // What the container really has (config may have changed since it started); else the defaults.
    const limits = { ...this.deps.defaults, ...instance.limits };
    const agent: LiveAgent = { id: record.id, conversationId: record.conversationId, instance, lastUsed: record.lastUsedAt ?? Date.now(), busy: 0, limits };
    this.track(agent);
  }

  private async acquire(conversationId: string, limits: SandboxLimits): Promise<LiveAgent> {
    const backend = this.deps.backend;
    if (!backend || this.closed) {
      throw new SecureSphereError(ERROR_CODES.SANDBOX_UNAVAILABLE, `No sandbox is available: ${this.deps.unavailableReason ?? 'the agent manager is closed'}. Run \`securesphere doctor\`.`);
    }
    await this.evictForRoom();
    const key = conversationKey(conversationId);
    // Pool agents have the default limits: no use to a call that needs more.
    const pooled = agentFits(this.deps.defaults, limits) ? this.pool.shift() : undefined;
    if (pooled) {
      let claimed = false;
      try {
        claimed = this.deps.workspaces.claim(pooled.id, key);
      } catch (err) {
        this.log.warn({ agentId: pooled.id, err: describeError(err) }, 'warm pool claim failed');
      }
      if (claimed) {
        pooled.conversationId = conversationId;
        pooled.lastUsed = Date.now();
        this.byConversation.set(conversationId, pooled);
        this.deps.store.update(pooled.id, { conversationId, lastUsedAt: pooled.lastUsed });
        this.deps.audit?.append({ type: 'agent-claimed', actor: 'agent-manager', conversationId, details: { agentId: pooled.id } });
        this.fillPool();
        return pooled;
      }
      this.pool.unshift(pooled);
    }
    const agent = await this.startAgent(conversationId, key, limits);
    this.fillPool();
    return agent;
  }

  private async startAgent(conversationId: string | null, key: string | null, limits: SandboxLimits = this.deps.defaults): Promise<LiveAgent> {
    const backend = this.deps.backend!;
    const id = newId('agt');
    this.deps.store.insert({ id, conversationId, backend: backend.kind, runtime: backend.runtime, state: 'creating' });
    const started = performance.now();
    try {
      // A conversation's workspace is mounted while the container is being created. Its size is
      // the first call's (a skill may ask for more); an existing workspace keeps its size.
      const early = key ? this.deps.workspaces.prepareEarly(key, limits.workspaceMb) : null;
      const workspaceDir = early ? early.dir : await this.deps.workspaces.preparePoolSlot(id, this.deps.defaults.workspaceMb);
      early?.ready.catch(() => undefined); // observed by backend.start; avoid an unhandled rejection meanwhile
      // Open files are limited per call by the helper; the container only holds the ceiling.
      const containerLimits = { ...limits, nofile: this.deps.maxima.nofile };
      const instance = await backend.start({ agentId: id, conversationKey: key, workspaceDir, limits: containerLimits, workspaceReady: early?.ready });
      const agent: LiveAgent = { id, conversationId, instance, lastUsed: Date.now(), busy: 0, limits };
      this.deps.store.update(id, { state: 'running', containerId: instance.containerId, startedAt: Date.now(), lastUsedAt: agent.lastUsed });
      this.track(agent);
      const ms = Math.round(performance.now() - started);
      this.log.info({ agentId: id, runtime: backend.runtime, ms, pool: conversationId === null }, 'agent started');
      this.deps.audit?.append({ type: 'agent-started', actor: 'agent-manager', conversationId, details: { agentId: id, runtime: backend.runtime, startMs: ms } });
      return agent;
    } catch (err) {
      this.deps.store.update(id, { state: 'error', stoppedAt: Date.now(), error: describeError(err).slice(0, 1000) });
      if (key === null) await this.deps.workspaces.discardPoolSlot(id).catch(() => undefined);
      else if (conversationId !== null) {
        // No agent uses it now (one start per conversation at a time): do not leave it mounted.
        await this.deps.workspaces.release(key, () => this.byConversation.has(conversationId)).catch(() => undefined);
      }
      throw err;
    }
  }

  private track(agent: LiveAgent): void {
    this.live.set(agent.id, agent);
    if (agent.conversationId !== null) this.byConversation.set(agent.conversationId, agent);
    else this.pool.push(agent);
    void agent.instance.exited.then((exit) => {
      if (this.live.get(agent.id) !== agent) return; // stopped on purpose
      this.forget(agent);
      const cleanup = (async () => {
        await agent.instance.stop(true, 0).catch(() => undefined); // removes the container
        await this.finish(agent, exit, exit.limitExceeded ? 'error' : 'stopped', exit.reason);
        this.log.warn({ agentId: agent.id, exitCode: exit.exitCode, reason: exit.reason }, 'agent exited on its own');
        this.fillPool();
      })().catch((err: unknown) => this.log.error({ agentId: agent.id, err: describeError(err) }, 'agent clean-up failed'));
      this.exiting.add(cleanup);
      void cleanup.finally(() => this.exiting.delete(cleanup));
    });
  }

  private forget(agent: LiveAgent): void {
    this.live.delete(agent.id);
    if (agent.conversationId !== null && this.byConversation.get(agent.conversationId) === agent) this.byConversation.delete(agent.conversationId);
    const i = this.pool.indexOf(agent);
    if (i >= 0) this.pool.splice(i, 1);
  }

  private async finish(agent: LiveAgent, exit: AgentExit, state: 'stopped' | 'error', error: string | null): Promise<void> {
    this.deps.store.update(agent.id, { state, stoppedAt: Date.now(), exitCode: exit.exitCode, error });
    const cid = agent.conversationId;
    if (cid !== null) await this.deps.workspaces.release(conversationKey(cid), () => this.byConversation.has(cid) || this.starting.has(cid)).catch(() => undefined);
    else await this.deps.workspaces.discardPoolSlot(agent.id).catch(() => undefined);
    this.deps.audit?.append({ type: 'agent-stopped', actor: 'agent-manager', conversationId: agent.conversationId, details: { agentId: agent.id, exitCode: exit.exitCode, state, reason: error ?? exit.reason } });
  }

  private async evictForRoom(): Promise<void> {
    const users = [...this.byConversation.values()];
    if (users.length + this.starting.size <= this.deps.maxAgents) return;
    const victims = users.filter((a) => a.busy === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    const excess = users.length + this.starting.size - this.deps.maxAgents;
    await Promise.allSettled(victims.slice(0, excess).map((a) => this.stop(a.id)));
  }

  private fillPool(): void {
    // Deferred: the refill's first store write must not sit on the claiming caller's path.
    setImmediate(() => this.fillPoolNow());
  }

  private fillPoolNow(): void {
    if (this.closed || !this.deps.backend) return;
    while (this.pool.length + this.poolFilling < this.deps.warmPool) {
      this.poolFilling += 1;
      const p = this.startAgent(null, null)
        .then(async (agent) => {
          if (this.closed) await this.stop(agent.id, true);
        })
        .catch((err: unknown) => this.log.warn({ err: describeError(err) }, 'warm pool agent failed to start'))
        .finally(() => {
          this.poolFilling -= 1;
          this.poolStarts.delete(p);
        });
      this.poolStarts.add(p);
    }
  }
}
