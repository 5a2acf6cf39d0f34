// Runs a small dependency-free script inside the conversation's agent: the source travels as
// `node -e <source>` or `python3 -S -I -c <source>`, its JSON arguments on stdin, and it answers
// one JSON object on stdout ({ ok: true, result } or { ok: false, error: { code, message } }).
// This is how skills touch files without the gateway ever doing so itself. Python is there for
// latency: under gVisor `node -e 0` costs ~130 ms of start-up, `python3 -S -I` ~25 ms.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentHandle, ExecResult } from '../agents/sandbox.js';
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';

/** A refusal the in-agent script reported (bad path, too large, not found...). */
export class AgentScriptRefusal extends SecureSphereError {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(ERROR_CODES.SKILL_FAILED, message, { details: { reason } });
    this.reason = reason;
  }
}

/** A script to run in the agent; the runtime follows the file's extension (.py: python). */
export interface AgentScript {
  readonly runtime: 'node' | 'python';
  readonly source: string;
}

// -S skips site-packages, -I ignores PYTHON* env vars and the cwd on sys.path: only the stdlib.
const RUNNERS: Record<AgentScript['runtime'], readonly string[]> = {
  node: ['node', '-e'],
  python: ['python3', '-S', '-I', '-c'],
};

/**
 * Reads a script file shipped next to a skill module. `tsc` does not copy `.cjs`/`.py` files
 * into dist/, so from dist/skills/<name>/ we fall back to the source tree's skills/<name>/.
 */
export function loadAgentScript(moduleUrl: string, fileName: string): AgentScript {
  const dir = path.dirname(fileURLToPath(moduleUrl));
  const candidates = [path.join(dir, fileName)];
  const marker = `${path.sep}dist${path.sep}skills${path.sep}`;
  const at = dir.lastIndexOf(marker);
  if (at >= 0) candidates.push(path.join(dir.slice(0, at), 'skills', dir.slice(at + marker.length), fileName));
  for (const candidate of candidates) {
    if (existsSync(candidate)) return { runtime: fileName.endsWith('.py') ? 'python' : 'node', source: readFileSync(candidate, 'utf8') };
  }
  throw new SecureSphereError(ERROR_CODES.SKILL_MANIFEST, `Skill script ${fileName} is missing next to ${dir}; reinstall the skill folder.`);
}

export interface AgentScriptOptions {
  timeoutMs?: number;
  /** Cap for the script's stdout; must exceed the largest answer the script may give. */
  outputCapBytes?: number;
  env?: Record<string, string>;
  signal?: AbortSignal;
}

/** Runs `script` in the agent with `input` as JSON on stdin; returns its result or throws its refusal. */
export async function runAgentScript(agent: AgentHandle, script: AgentScript, input: unknown, options: AgentScriptOptions = {}): Promise<unknown> {
  const { runtime, source } = script;
  if (options.signal?.aborted) {
    throw new SecureSphereError(ERROR_CODES.SKILL_FAILED, 'The action was cancelled before it ran.');
  }
  let result: ExecResult;
  try {
    result = await agent.exec({
      argv: [...RUNNERS[runtime], source],
      cwd: '/workspace',
      stdin: JSON.stringify(input),
      timeoutMs: options.timeoutMs,
      outputCapBytes: options.outputCapBytes,
      env: options.env,
    });
  } catch (cause) {
    if (cause instanceof SecureSphereError) throw cause;
    throw new SecureSphereError(ERROR_CODES.SANDBOX_EXEC, 'The agent could not run the skill script; check the sandbox health.', { cause });
  }
  if (result.limit !== null) {
    throw new SecureSphereError(ERROR_CODES.SANDBOX_LIMIT, `The skill script hit the agent's ${result.limit} limit; ask for less at once.`, {
      details: { limit: result.limit },
    });
  }
  if (result.truncated) {
    throw new SecureSphereError(ERROR_CODES.SANDBOX_LIMIT, 'The skill script answered more than the output cap allows; ask for less at once.', {
      details: { limit: 'output' },
    });
  }
  let answer: unknown;
  try {
    answer = JSON.parse(result.stdout);
  } catch (cause) {
    throw new SecureSphereError(ERROR_CODES.SKILL_FAILED, `The skill script gave no answer (exit ${result.exitCode}); the agent image may lack ${RUNNERS[runtime][0]}.`, {
      cause,
      details: { exitCode: result.exitCode, stderr: result.stderr.slice(0, 500) },
    });
  }
  if (typeof answer === 'object' && answer !== null && 'ok' in answer) {
    const a = answer as { ok: boolean; result?: unknown; error?: { code?: unknown; message?: unknown } };
    if (a.ok) return a.result;
    const code = typeof a.error?.code === 'string' ? a.error.code : 'failed';
    const message = typeof a.error?.message === 'string' ? a.error.message : 'the operation failed';
    throw new AgentScriptRefusal(code, message);
  }
  throw new SecureSphereError(ERROR_CODES.SKILL_FAILED, 'The skill script answered in an unexpected shape.');
}
