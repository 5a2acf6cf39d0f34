// The backend extension point: how an agent is started, reached and stopped. Docker (with
// gVisor, Kata or runc) and bubblewrap implement it, each in its folder under backends/ and
// registered in backends/index.ts; the AgentManager only speaks this.
import type { HelperExecRequest, TaggedCalls } from './helper-client.js';
import type { ExecResult, SandboxLimits } from './sandbox.js';

export interface AgentSpec {
  /** Our id (safe: generated, never from a user); names the container. */
  agentId: string;
  /** SHA-256 hex of the conversation id, or null for a warm-pool agent. Never the raw id. */
  conversationKey: string | null;
  /** Host directory bound at /workspace. */
  workspaceDir: string;
  limits: SandboxLimits;
  /**
   * Settles when the workspace is mounted. The backend may create the container meanwhile
   * (binds resolve at start) but must await this before starting it.
   */
  workspaceReady?: Promise<unknown>;
}

export interface AgentExit {
  exitCode: number | null;
  /** True when the exit looks like a limit (runsc exits 2 or 137 when a limit is hit). */
  limitExceeded: boolean;
  reason: string;
}

/** The user every agent's programs run as (the image's `agent` user; workspaces are owned by it). */
export const AGENT_UID = 1000;

export interface AgentInstance {
  readonly agentId: string;
  /** Container id (docker) or null (bubblewrap). */
  readonly containerId: string | null;
  exec(req: HelperExecRequest): Promise<ExecResult>;
  /** What became of the executions tagged `tag`; `cancel` stops running ones first. */
  calls?(tag: string, cancel: boolean, timeoutMs: number): Promise<TaggedCalls>;
  /** One helper round trip (liveness; the benchmark's "helper round trip"). */
  ping(timeoutMs: number): Promise<void>;
  /** Settles once, when the agent's main process is gone. */
  readonly exited: Promise<AgentExit>;
  /** TERM, wait up to graceMs, KILL, then remove. force skips the wait. */
  stop(force: boolean, graceMs: number): Promise<AgentExit>;
  /** Host process ids belonging to the agent (for memory accounting). */
  hostPids(): Promise<number[]>;
  /** The agent-level limits it really runs with, when the backend can tell (adopted agents). */
  readonly limits?: Partial<SandboxLimits>;
}

/** A container found on the engine carrying our project label. */
export interface LabelledAgent {
  containerId: string;
  agentId: string;
  conversationKey: string | null;
  running: boolean;
  /** The agent-level limits it was started with, from its label (absent on older containers). */
  limits?: Partial<SandboxLimits>;
}

export interface SandboxBackend {
  /** The registered backend's name (backends/index.ts), e.g. 'docker'. */
  readonly kind: string;
  readonly runtime: string | null;
  /** gVisor and Kata are strong; runc and bubblewrap share the host kernel directly. */
  readonly strength: 'strong' | 'weak';
  /** One line on backend-specific protections for health() (e.g. whether seccomp is on). */
  readonly notes?: string;
  start(spec: AgentSpec): Promise<AgentInstance>;
  /** Agents of this project known to the engine (empty for bubblewrap: they die with us). */
  list(): Promise<LabelledAgent[]>;
  /** Re-attach to an agent that outlived a previous gateway process. */
  adopt(found: LabelledAgent): Promise<AgentInstance>;
  remove(containerId: string): Promise<void>;
  /** Remove leftovers of failed starts (stopped containers, orphan gVisor sandboxes). */
  cleanupOrphans(): Promise<string[]>;
}
