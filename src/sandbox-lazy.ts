// The sandbox as the orchestrator sees it, backed by the agent subsystem once it is ready.
// Probing runtimes starts real containers and can take seconds, so it runs in the background
// after the gateway listens (or on the first tool call), never on the start-up path.
import type { Sandbox } from './agents/sandbox.js';
import type { AgentSubsystem } from './agents/create-agent-manager.js';

export interface LazySandbox extends Sandbox {
  /** Starts (once) and resolves the agent subsystem. */
  ready(): Promise<AgentSubsystem>;
  /** Whether ready() has been called. */
  readonly started: boolean;
}

export interface LazySandboxOptions {
  /** Whether the store records a running agent for the conversation (one may have survived a crash). */
  hasRunningAgent?: (conversationId: string) => boolean;
}

export function createLazySandbox(create: () => Promise<AgentSubsystem>, options: LazySandboxOptions = {}): LazySandbox {
  let pending: Promise<AgentSubsystem> | undefined;
  const ready = () => (pending ??= create());
  return {
    ready,
    get started() {
      return pending !== undefined;
    },
    agentFor(conversationId, requirements) {
      return {
        conversationId,
        exec: async (request) => (await ready()).manager.agentFor(conversationId, requirements).exec(request),
      };
    },
    async health() {
      return (await ready()).manager.health();
    },
    async settleInterrupted(conversationId, tag) {
      // No agent recorded as running: nothing of the action can still run; do not start the sandbox.
      if (options.hasRunningAgent && !options.hasRunningAgent(conversationId)) return undefined;
      return (await ready()).manager.settleInterrupted(conversationId, tag);
    },
  };
}
