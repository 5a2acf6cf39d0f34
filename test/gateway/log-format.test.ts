// Log lines: readable on a terminal (`securesphere start` in a real pseudo-terminal), JSON in a
// pipe or with --log-format json, the redactor applied in both forms, and control characters
// from outside text never reaching the terminal raw.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatLogLine } from '../../src/core/log-pretty.js';
import { createLogger } from '../../src/core/logger.js';
import { spawnCli } from '../helpers/cli.js';

const ENTRY = fileURLToPath(new URL('../../src/cli/run.ts', import.meta.url));
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'securesphere-logfmt-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const env = { SECURESPHERE_API_TOKEN: '', SECURESPHERE_CONFIG: '', OLLAMA_HOST: 'http://127.0.0.1:9', SECURESPHERE_LOG_FORMAT: '' };
const redactor = { redact: (line: string) => line.replaceAll('hunter2-secret', '[REDACTED]') };

function capture(isTTY: boolean) {
  const lines: string[] = [];
  return { lines, destination: { isTTY, hasColors: () => false, write: (l: string) => lines.push(l) } };
}

describe('pretty log lines', () => {
  it('show time, level, message and key fields, with control characters made visible', () => {
    const json = JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 2, 3, 4, 5, 67), pid: 1, hostname: 'h', service: 'securesphere', msg: 'reply from \u001b]0;owned\u0007model', conversation: 'c 1', n: 3 });
    const out = formatLogLine(json, { colours: false });
    expect(out).toMatch(/^\d\d:\d\d:05\.067 WARN {2}reply from \\u\{1b\}\]0;owned\\u\{7\}model conversation="c 1" n=3\n$/);
    const raw = [...out].filter((c) => c !== '\n' && (c.codePointAt(0)! < 0x20 || (c.codePointAt(0)! >= 0x7f && c.codePointAt(0)! <= 0x9f)));
    expect(raw).toEqual([]);
    expect(out).not.toContain('pid=');
    // Colour only when asked (a colour terminal).
    expect(formatLogLine(json, { colours: true })).toContain('\u001b[33mWARN ');
    expect(formatLogLine('not json \u001b[2J\n', { colours: false })).toBe('not json \\u{1b}[2J\n');
  });

  it('auto is pretty on a terminal and JSON elsewhere; json and pretty force a form; both are redacted', () => {
    const tty = capture(true);
    createLogger({ level: 'info', redactor, destination: tty.destination }).info({ key: 'hunter2-secret' }, 'hello');
    expect(tty.lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}hello key=\[REDACTED\]\n$/);

    const pipe = capture(false);
    createLogger({ level: 'info', redactor, destination: pipe.destination }).info({ key: 'hunter2-secret' }, 'hello');
    expect(JSON.parse(pipe.lines[0]!)).toMatchObject({ msg: 'hello', key: '[REDACTED]' });

    const forcedJson = capture(true);
    createLogger({ level: 'info', format: 'json', redactor, destination: forcedJson.destination }).info('x');
    expect(JSON.parse(forcedJson.lines[0]!)).toMatchObject({ msg: 'x' });

    const forcedPretty = capture(false);
    createLogger({ level: 'info', format: 'pretty', redactor, destination: forcedPretty.destination }).info('y');
    expect(forcedPretty.lines[0]).toMatch(/ INFO {2}y\n$/);
  });
});

describe('securesphere start log format', () => {
  it('prints readable lines in a real terminal', async () => {
    const dataDir = tempDir();
    const command = [process.execPath, '--import', 'tsx', ENTRY, 'start', '--data-dir', dataDir, '--port', '0'].map((a) => `'${a}'`).join(' ');
    // util-linux `script` gives the gateway a real pseudo-terminal as stdout and stderr.
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, ...env, TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await expect.poll(() => out, { timeout: 30_000, interval: 50 }).toMatch(/gateway listening/);
      expect(out).toMatch(/\d\d:\d\d:\d\d\.\d{3}.{0,12}INFO.{0,12} gateway listening .*address=.*http:\/\/127\.0\.0\.1:\d+/);
      expect(out).not.toMatch(/"msg":"gateway listening"/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 60_000);

  it('prints JSON into a pipe, and --log-format pretty overrides it', async () => {
    for (const [args, json] of [[[], true], [['--log-format', 'pretty'], false]] as const) {
      const p = spawnCli(['start', '--data-dir', tempDir(), '--port', '0', ...args], env);
      await p.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/);
      p.child.kill('SIGTERM');
      await p.exited;
      const line = p.stderr().split('\n').find((l) => l.includes('gateway listening'))!;
      if (json) expect(JSON.parse(line)).toMatchObject({ msg: 'gateway listening' });
      else expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}gateway listening address=/);
    }
  }, 60_000);
});
