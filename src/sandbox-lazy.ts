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

export function createLazySandbox(create: () => Promise<AgentSubsystem>): LazySandbox {
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
  };
}
