// Replays shell_cmd_injection_payloads.jsonl through the shell skill's argv form. Every command
// name an injection could start is shimmed by a script that appends to a canary log; the
// payloads are passed as arguments of ONE program, which must print them back verbatim while
// the canary stays absent. A positive control runs a few payloads through `script` (sh -c)
// to prove the shims would catch an injection.
import { expect } from 'vitest';
import shellSkill from '../../skills/shell/index.js';
import type { AgentFsFixture } from './agent-fs-fixture.js';
import { readJsonl } from './shared-data.js';

const NEVER_SHIM = new Set(['node', 'env', 'sh', 'printf', 'test']);

/** Command names that appear where a shell would start a command in the payloads. */
export function injectedCommandNames(payloads: string[]): string[] {
  const names = new Set(['whoami', 'id', 'ls', 'cat', 'sleep', 'uname', 'ping', 'nc', 'wget', 'curl', 'perl', 'touch']);
  for (const p of payloads) {
    for (const m of p.matchAll(/(?:^|[;|&`\n(]|\$\(|%0a|\\n)\s*([a-z][a-z0-9_.-]{0,30})/gi)) {
      const name = m[1]!.toLowerCase();
      if (!NEVER_SHIM.has(name)) names.add(name);
    }
  }
  return [...names].sort();
}

export async function replayShellPayloads(f: AgentFsFixture): Promise<{ payloads: number; shims: number }> {
  const payloads = readJsonl<{ payload: string }>('shell_cmd_injection_payloads.jsonl').map((r) => r.payload.split('{cmd}').join('whoami'));
  const shimDir = `${f.ws}/.shims`;
  const canary = `${f.outside}/shell-canary.log`;
  const names = injectedCommandNames(payloads);
  await f.setup([
    { kind: 'mkdir', path: shimDir },
    { kind: 'mkdir', path: f.outside },
    ...names.map((name) => ({ kind: 'write' as const, path: `${shimDir}/${name}`, content: `#!/bin/sh\necho "${name} $*" >> ${canary}\n`, mode: 0o755 })),
  ]);
  const ctx = { conversationId: 'c1', actionId: 'a1', agent: f.agent, secrets: {}, config: {}, signal: new AbortController().signal };
  const path = `PATH=${shimDir}:/usr/local/bin:/usr/bin:/bin`;

  // Positive control: through a shell, an injection does reach a shim.
  const control = (await shellSkill.execute(ctx, 'script', { script: `export ${path}; echo a;whoami; echo b | id; echo \`uname\`` })) as { exit_code: number };
  expect(control.exit_code).toBe(0);
  const afterControl = (await f.probe([canary]))[canary]!;
  expect(afterControl.content).toContain('whoami');
  expect(afterControl.content).toContain('id');
  await f.agent.exec({ argv: ['node', '-e', 'require("fs").rmSync(process.argv[1])', canary] });
  expect((await f.probe([canary]))[canary]!.exists).toBe(false);

  // The argv form: every payload as an argument, no shell anywhere.
  const echo = 'process.stdout.write(JSON.stringify(process.argv.slice(1)))';
  const answer = (await shellSkill.execute(ctx, 'run', { argv: ['env', path, 'node', '-e', echo, ...payloads] })) as { exit_code: number; stdout: string; stderr: string };
  expect(answer.exit_code, answer.stderr).toBe(0);
  expect(JSON.parse(answer.stdout)).toEqual(payloads);
  expect((await f.probe([canary]))[canary]!.exists).toBe(false);
  return { payloads: payloads.length, shims: names.length };
}
