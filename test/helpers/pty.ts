// Runs the real `securesphere` CLI inside a real pseudo-terminal (test/helpers/pty-relay.py,
// Python's pty module): the program sees a TTY on stdin/stdout, and the test reads the exact
// bytes the terminal would receive, escape sequences included.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RELAY = fileURLToPath(new URL('./pty-relay.py', import.meta.url));
const ENTRY = fileURLToPath(new URL('../../src/cli/run.ts', import.meta.url));

export interface PtyProcess {
  /** Types text into the terminal. */
  type(text: string): void;
  /** Ends input (Ctrl-D). */
  end(): void;
  /** Every byte the terminal received so far. */
  output(): Buffer;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  /** Ends the relay (the program gets SIGHUP when its terminal goes away); for cleanup after a failure. */
  kill(): void;
}

export function spawnCliInPty(args: string[], env: Record<string, string | undefined> = {}): PtyProcess {
  const child = spawn('python3', [RELAY, process.execPath, '--import', 'tsx', ENTRY, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const output = () => Buffer.concat(chunks);
  return {
    type: (text) => void child.stdin.write(text),
    end: () => void child.stdin.end(),
    output,
    exited,
    kill: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    },
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const tick = () => {
          const m = output().toString('utf8').match(pattern);
          if (m) return resolve(m);
          if (child.exitCode !== null) return reject(new Error(`exited (${child.exitCode}) before ${pattern}: ${output().toString('utf8')}\n${err}`));
          if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${pattern}: ${output().toString('utf8')}\n${err}`));
          setTimeout(tick, 25);
        };
        tick();
      });
    },
  };
}
