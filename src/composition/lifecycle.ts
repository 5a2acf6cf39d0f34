// Composition step 11: starting and stopping the built graph in the right order. start() is
// idempotent; close() stops channels first (their open streams would hold the HTTP server),
// then the API, approvals, in-flight turns, agents (only if asked), egress, and the database.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ChannelHost } from '../channel-host/channel-host.js';
import type { Config } from '../config/schema.js';
import { describeError } from '../core/errors.js';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { ApprovalService } from '../policy/approval-service.js';
import type { LazySandbox } from '../sandbox-lazy.js';
import type { SkillEgressService } from '../security/skill-egress.js';
import { checkpointWal, type Db } from '../store/database.js';

/** How often the WAL is emptied into the database (and on close). */
const WAL_CHECKPOINT_EVERY_MS = 60_000;

/** How long requests in flight may take to finish when the gateway closes. */
const SHUTDOWN_GRACE_MS = 2000;

export interface LifecycleDeps {
  config: Readonly<Config>;
  db: Db;
  logger: Logger;
  app: FastifyInstance;
  approvals: ApprovalService;
  orchestrator: Orchestrator;
  channelHost: ChannelHost;
  egress: SkillEgressService;
  /** The lazily built agent subsystem (undefined with an injected sandbox). */
  lazy: LazySandbox | undefined;
  /** Don't probe the sandbox at start; only on first use (tests). */
  lazySandbox: boolean;
}

export interface Lifecycle {
  start(): Promise<void>;
  listen(): Promise<string>;
  close(options?: { stopAgents?: boolean }): Promise<void>;
}

export function createLifecycle(deps: LifecycleDeps): Lifecycle {
  const { config, db, logger, app, approvals, orchestrator, channelHost: host, egress, lazy } = deps;
  let started = false;
  let walTimer: NodeJS.Timeout | undefined;
  const checkpoint = (): void => {
    try {
      checkpointWal(db);
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'WAL checkpoint failed; retried at the next one');
    }
  };

  async function start(): Promise<void> {
    if (started) return;
    started = true;
    // Old WAL frames may hold text that was since replaced or deleted: empty the WAL regularly.
    walTimer = setInterval(checkpoint, WAL_CHECKPOINT_EVERY_MS);
    walTimer.unref();
    await approvals.start();
    await orchestrator.recover();
    // Channels start independently: one that fails is reported in health and retried.
    await host.start();
    if (lazy && !deps.lazySandbox) {
      // Probe runtimes and fill the warm pool in the background: start-up does not wait.
      lazy.ready().then(
        (s) => logger.info({ backend: s.info().backend, runtime: s.info().runtime }, 'sandbox ready'),
        (err: unknown) => logger.error({ err: describeError(err) }, 'sandbox unavailable: run `securesphere doctor`'),
      );
    }
  }

  return {
    start,
    async listen() {
      await start();
      return app.listen({ host: config.server.host, port: config.server.port });
    },
    async close(closeOptions = {}) {
      // Channels first: the web page's open event streams would keep app.close() waiting.
      await host.stop();
      // Requests in flight get a moment to finish; then every socket is cut, including ones a
      // client opened and never used (Node does not count those as idle, and they would hold
      // the shutdown until its headers timeout, a minute or more).
      const closing = app.close();
      const cut = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await closing.finally(() => clearTimeout(cut));
      await approvals.stop();
      await orchestrator.drain();
      if (lazy?.started) {
        const subsystem = await lazy.ready().catch(() => undefined);
        await subsystem?.manager.close({ stopAgents: closeOptions.stopAgents ?? false });
      }
      await egress.close();
      if (walTimer) clearInterval(walTimer);
      checkpoint();
      db.close();
    },
  };
}
