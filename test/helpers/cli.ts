// Runs the real `securesphere` CLI from source in a child process.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../../src/cli/run.ts', import.meta.url));

export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout matches, rejects on exit or after timeoutMs. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

export function spawnCli(args: string[], env: Record<string, string | undefined> = {}, cwd?: string): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
    env: { ...process.env, ...env },
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const tick = () => {
          const m = out.match(pattern);
          if (m) return resolve(m);
          if (child.exitCode !== null) return reject(new Error(`CLI exited (${child.exitCode}) before ${pattern}: ${out}\n${err}`));
          if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${pattern}: ${out}\n${err}`));
          setTimeout(tick, 25);
        };
        tick();
      });
    },
  };
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawnCli(args, env);
  if (stdin !== undefined) p.child.stdin.end(stdin);
  else p.child.stdin.end();
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}
