// The answer shape of every skill that runs a program (shell, code): what the model sees.
import type { ExecResult, LimitKind } from '../agents/sandbox.js';

export interface ExecAnswer {
  exit_code: number | null;
  stdout: string;
  stderr: string;
  duration_ms: number;
  /** True when stdout or stderr was cut at the output cap. */
  truncated: boolean;
  /** Which limit stopped the program (timeout, memory, pids, output, killed), if one did. */
  limit: LimitKind | null;
}

export function toExecAnswer(result: ExecResult): ExecAnswer {
  return {
    exit_code: result.exitCode,
    stdout: result.stdout,
    stderr: result.stderr,
    duration_ms: Math.round(result.durationMs),
    truncated: result.truncated,
    limit: result.limit,
  };
}
