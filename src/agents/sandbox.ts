// The Sandbox interface: how the rest of the gateway runs anything for a conversation.
// Nothing a skill does touches the host; every program runs inside the conversation's agent
// through this interface. Backends (Docker+gVisor, bubblewrap) implement SandboxBackend.

export interface ExecRequest {
  /** Program and arguments, executed without a shell. */
  argv: string[];
  /** Working directory inside the agent; defaults to /workspace. */
  cwd?: string;
  env?: Record<string, string>;
  stdin?: string;
  /** Kill the program after this long (default from config). */
  timeoutMs?: number;
  /** Cap for stdout and for stderr each, in bytes; the rest is cut with a marker. */
  outputCapBytes?: number;
}

export type LimitKind = 'timeout' | 'memory' | 'pids' | 'output' | 'killed';

export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** True when stdout or stderr was cut at the cap. */
  truncated: boolean;
  /** Which limit stopped the program, if one did. */
  limit: LimitKind | null;
}

export interface SandboxLimits {
  memoryMb: number;
  cpus: number;
  pids: number;
  nofile: number;
  tmpfsMb: number;
  workspaceMb: number;
  timeoutMs: number;
  outputCapBytes: number;
}

/** Per-execution options a skill's manifest may ask for (within operator maxima). */
export interface AgentRequirements {
  limits?: Partial<SandboxLimits>;
  /** Secrets the skill's manifest names, passed as environment to this execution only. */
  env?: Record<string, string>;
  /** The action these executions belong to: after a crash, the agent is asked what became of them. */
  tag?: string;
}

/** What became of the executions of one action after the gateway that ran them died. */
export interface InterruptedCalls {
  /** Finished on their own before anyone could record them. */
  completed: number;
  /** Stopped in the agent because their gateway went away (or at recovery). */
  cut: number;
  /** The last completed execution's outcome. */
  exitCode: number | null;
  signal: string | null;
  limit: string | null;
}

/** The conversation's agent, as a skill sees it. Created lazily on first use. */
export interface AgentHandle {
  readonly conversationId: string;
  exec(request: ExecRequest): Promise<ExecResult>;
}

/** What the orchestrator depends on: an agent for a conversation. */
export interface Sandbox {
  /** Limits in `requirements` come from the skill's manifest and are clamped to operator maxima. */
  agentFor(conversationId: string, requirements?: AgentRequirements): AgentHandle;
  health(): Promise<{ ok: boolean; backend: string; runtime: string | null; detail: string }>;
  /**
   * At recovery: stops whatever still runs for action `tag` in the conversation's agent and
   * says what became of its executions. Undefined when no agent of that conversation survived
   * (nothing of it can still run). Never starts an agent.
   */
  settleInterrupted?(conversationId: string, tag: string): Promise<InterruptedCalls | undefined>;
}
