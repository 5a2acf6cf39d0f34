// Composition step 7: the sandbox the orchestrator runs tools in. Normally the agent subsystem,
// built on first use (or in the background after start()); tests of other parts inject their
// own Sandbox, and then there is no agent manager to hand out.
import type { Logger } from 'pino';
import { createAgentManager, type AgentSubsystem } from '../agents/create-agent-manager.js';
import type { Sandbox } from '../agents/sandbox.js';
import type { Config } from '../config/schema.js';
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import { createLazySandbox, type LazySandbox } from '../sandbox-lazy.js';
import type { AuditChain } from '../security/audit-chain.js';
import type { AgentStore } from '../store/agents.js';
import type { Db } from '../store/database.js';

export interface SandboxDeps {
  config: Readonly<Config>;
  db: Db;
  agentRecords: AgentStore;
  audit: AuditChain;
  logger: Logger;
  /** The egress proxy's socket directory, bound read-only into every agent. */
  egressSocketDir: string;
  /** Replaces the agent manager (tests of other parts that must not start containers). */
  injected?: Sandbox;
}

export interface SandboxServices {
  sandbox: Sandbox;
  /** The lazily built agent subsystem; undefined when a sandbox was injected. */
  lazy: LazySandbox | undefined;
  /** The agent subsystem (probes runtimes on first call). */
  agents(): Promise<AgentSubsystem>;
}

export function buildSandbox({ config, db, agentRecords, audit, logger, egressSocketDir, injected }: SandboxDeps): SandboxServices {
  const lazy: LazySandbox | undefined = injected
    ? undefined
    : createLazySandbox(
        () => createAgentManager({ db, config: config.sandbox, dataDir: config.data_dir, egressSocketDir, audit, logger: logger.child({ module: 'agents' }) }),
        { hasRunningAgent: (conversationId) => agentRecords.forConversation(conversationId).some((r) => r.state === 'running') },
      );
  const sandbox: Sandbox = injected ?? lazy!;
  const agents = (): Promise<AgentSubsystem> => {
    if (!lazy) return Promise.reject(new SecureSphereError(ERROR_CODES.SANDBOX_UNAVAILABLE, 'This gateway runs with an injected sandbox; there is no agent manager.'));
    return lazy.ready();
  };
  return { sandbox, lazy, agents };
}
