// TEST ONLY. An AgentHandle that runs argv on the HOST, in a temporary directory standing in
// for /workspace. It gives unit tests the same exec contract as a real agent (argv without a
// shell, cwd, env, stdin, timeout, output caps) without Docker. It isolates nothing: never use
// it outside tests, and never for tests whose point is isolation (those use real agents).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentHandle, ExecRequest, ExecResult } from '../../src/agents/sandbox.js';

export interface HostAgentForUnitTests extends AgentHandle {
  /** The host directory playing /workspace. */
  readonly workspace: string;
  readonly calls: ExecRequest[];
  dispose(): void;
}

function mapPath(p: string, workspace: string): string {
  if (p === '/workspace') return workspace;
  if (p.startsWith('/workspace/')) return path.join(workspace, p.slice('/workspace/'.length));
  return p;
}

/** `workspace`: an existing host directory to play /workspace (default: a fresh temp dir). */
export function createHostAgentForUnitTests(conversationId = 'unit-test', options: { workspace?: string } = {}): HostAgentForUnitTests {
  const workspace = options.workspace ?? mkdtempSync(path.join(tmpdir(), 'ss-skill-ws-'));
  const calls: ExecRequest[] = [];
  return {
    conversationId,
    workspace,
    calls,
    dispose: () => {
      if (!options.workspace) rmSync(workspace, { recursive: true, force: true });
    },
    exec(request: ExecRequest): Promise<ExecResult> {
      calls.push(request);
      const cap = request.outputCapBytes ?? 65_536;
      const started = Date.now();
      return new Promise((resolve) => {
        const child = spawn(request.argv[0] ?? '', request.argv.slice(1), {
          cwd: mapPath(request.cwd ?? '/workspace', workspace),
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: workspace, LANG: 'C.UTF-8', ...request.env, SECURESPHERE_WORKSPACE: workspace },
          stdio: ['pipe', 'pipe', 'pipe'],
          detached: true,
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let outLen = 0;
        let errLen = 0;
        let truncated = false;
        let limit: ExecResult['limit'] = null;
        const timer = setTimeout(() => {
          limit = 'timeout';
          try { process.kill(-(child.pid ?? 0), 'SIGKILL'); } catch { /* gone */ }
        }, request.timeoutMs ?? 30_000);
        child.stdout.on('data', (c: Buffer) => {
          if (outLen < cap) out.push(c.subarray(0, cap - outLen));
          outLen += c.length;
          if (outLen > cap) truncated = true;
        });
        child.stderr.on('data', (c: Buffer) => {
          if (errLen < cap) err.push(c.subarray(0, cap - errLen));
          errLen += c.length;
          if (errLen > cap) truncated = true;
        });
        child.stdin.on('error', () => undefined);
        child.on('error', (e) => {
          clearTimeout(timer);
          resolve({ exitCode: 127, signal: null, stdout: '', stderr: String(e.message), durationMs: Date.now() - started, truncated: false, limit: null });
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          if (limit === null && signal === 'SIGKILL') limit = 'killed';
          resolve({
            exitCode: code,
            signal,
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(err).toString('utf8'),
            durationMs: Date.now() - started,
            truncated,
            limit,
          });
        });
        child.stdin.end(request.stdin ?? '');
      });
    },
  };
}
