// Inline scripts are scripts: shell.run handing inline code to a shell or interpreter (directly
// or through a wrapper) is rated critical like shell.script, the prompt says why, an operator
// can add programs, and operator overrides still win. Through the real gateway: policy decides
// before any sandbox is touched, so no agent is started here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import shellSkill from '../../skills/shell/index.js';
import { classifyRun } from '../../skills/shell/manifest.js';
import { operationLevel } from '../../src/skills/operation-level.js';
import { ApiTokenStore } from '../../src/store/api-tokens.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createHostAgentForUnitTests } from './host-agent-for-unit-tests.js';

const run = shellSkill.manifest.operations.run!;
const levelOf = (argv: string[], stdin?: string, settings: Record<string, unknown> = {}) =>
  operationLevel(run, { argv, ...(stdin !== undefined ? { stdin } : {}) }, settings).level;

const INLINE: Array<[string[], string?]> = [
  [['sh', '-c', 'rm -rf /workspace/*']],
  [['bash', '-c', 'id']],
  [['/bin/bash', '-lc', 'id']],
  [['dash', '-c', 'id']],
  [['zsh', '-c', 'id']],
  [['/bin/sh', '-ec', 'id']],
  [['busybox', 'sh', '-c', 'id']],
  [['python', '-c', 'import os']],
  [['python3', '-c', 'import os']],
  [['python3.12', '-Bc', 'import os']],
  [['/usr/bin/python3', '-c', 'import os']],
  [['node', '-e', 'require("fs")']],
  [['node', '-p', '1+1']],
  [['node', '--eval', 'x']],
  [['node', '--eval=x']],
  [['perl', '-e', 'system("id")']],
  [['perl', '-ne', 'print']],
  [['ruby', '-e', 'puts 1']],
  [['php', '-r', 'echo 1;']],
  [['env', 'sh', '-c', 'id']],
  [['env', '-i', 'FOO=1', 'bash', '-c', 'id']],
  [['/usr/bin/env', 'python3', '-c', 'x']],
  [['xargs', '-0', 'sh', '-c', 'id']],
  [['find', '.', '-name', '*.txt', '-exec', 'sh', '-c', 'rm "$1"', '_', '{}', ';']],
  [['nice', '-n', '5', 'sh', '-c', 'id']],
  [['timeout', '5', 'bash', '-c', 'id']],
  [['nohup', 'node', '-e', 'x']],
  [['setsid', '-f', 'perl', '-e', 'x']],
  [['env', 'nice', 'timeout', '3', 'python3', '-c', 'x']],
  [['env', '-S', 'sh -c id']],
  [['xargs', 'sh'], '-c\nid'],
  [['sh'], 'rm -rf /workspace/*'],
  [['bash', '-s'], 'id'],
  [['python3', '-'], 'import os'],
  [['node'], 'process.exit(1)'],
];

const NOT_INLINE: Array<[string[], string?]> = [
  [['ls', '-la']],
  [['git', 'status']],
  [['grep', '-c', 'sh', 'file.txt']],
  [['echo', 'sh', '-c', 'id']],
  [['python3', 'script.py']],
  [['sh', 'build.sh']],
  [['cat'], 'some data on stdin'],
  [['timeout', '5', 'make', 'test']],
  [['env', 'FOO=1', 'ls', '-la']],
  [['python3', '-m', 'pytest', '-q']],
  [['sh', '-x', 'build.sh']],
];

describe('shell.run inline-code classification', () => {
  it.each(INLINE)('%j (stdin %j) is critical', (argv, stdin) => {
    expect(levelOf(argv, stdin)).toBe('critical');
  });

  it.each(NOT_INLINE)('%j (stdin %j) stays high', (argv, stdin) => {
    expect(levelOf(argv, stdin)).toBe('high');
  });

  it('says why, naming the program and how the code is given', () => {
    expect(classifyRun({ argv: ['env', 'sh', '-c', 'id'] }, {})?.reason).toBe(
      'inline script: argv[1] runs sh with inline code (-c), which can do anything shell.script can, so it is rated critical like shell.script',
    );
    expect(classifyRun({ argv: ['sh'], stdin: 'id' }, {})?.reason).toContain('with its program on stdin');
  });

  it('takes extra programs from the operator (skills.settings.shell.inline_code_programs)', () => {
    const settings = { inline_code_programs: { awk: ['*'], jq: ['--run'], bogus: 'not a list' } };
    expect(levelOf(['awk', '{ system("id") }'])).toBe('high');
    expect(levelOf(['awk', '{ system("id") }'], undefined, settings)).toBe('critical');
    expect(levelOf(['env', 'jq', '--run', 'x'], undefined, settings)).toBe('critical');
    expect(levelOf(['bogus', '-c', 'x'], undefined, settings)).toBe('high');
  });

  it('can only raise a level, and treats a failing classifier as critical', () => {
    const op = { ...run, level: 'high' as const };
    expect(operationLevel({ ...op, classify: () => ({ level: 'low', reason: 'x' }) }, {}, {}).level).toBe('high');
    expect(operationLevel({ ...op, classify: () => { throw new Error('boom'); } }, {}, {}).level).toBe('critical');
  });

  it('rates code.run and shell.script alike (arbitrary code in the agent)', async () => {
    const { default: codeSkill } = await import('../../skills/code/index.js');
    expect(codeSkill.manifest.operations.run!.level).toBe(shellSkill.manifest.operations.script!.level);
    expect(codeSkill.manifest.operations.run!.level).toBe('critical');
  });
});

describe('inline scripts through the gateway', () => {
  let g: TestGateway;
  /** alice's own token: the decider of an approval is the token's identity. */
  let alice: string;
  // Approved plain programs run on the host stand-in (a temp dir), never in a real agent here.
  const host = createHostAgentForUnitTests('inline');
  beforeAll(async () => {
    g = await startTestGateway({
      gatewayOptions: { sandbox: { agentFor: () => host, health: async () => ({ ok: true, backend: 'host-stand-in', runtime: null, detail: 'tests only' }) } },
      config: {
        logging: { level: 'warn' },
        skills: { extra_dirs: [], enabled: ['shell'], settings: { shell: { inline_code_programs: { awk: ['*'] } } } },
        policy: {
          admins: ['api:root-admin'],
          // An operator override still wins over the classification, for this one conversation.
          overrides: [{ skill: 'shell', operation: 'run', conversation: 'trusted', level: 'high' }],
        },
      },
    });
    alice = new ApiTokenStore(g.gateway.db).create({ name: 'alice' }).token;
  });
  afterAll(async () => {
    await g?.close();
    host.dispose();
  });

  const request = (argv: string[], conversation = 'inline') =>
    g.api('POST', '/api/actions', { action_type: 'skill_execution', conversation_id: conversation, skill: 'shell', operation: 'run', arguments: { argv }, requester: 'alice' });

  it('opens a critical approval for sh -c that only an admin may decide, and the prompt says why', async () => {
    const res = await request(['env', 'sh', '-c', 'rm -rf /workspace/*']);
    expect(res.status).toBe(202);
    const approval = await g.api('GET', `/api/approvals/${res.body.approval_id}`);
    expect(approval.body.approval).toMatchObject({ security_level: 'critical', approvers: ['api:root-admin'] });
    expect(approval.body.prompt.options).toEqual(['approve', 'deny']);
    expect(approval.body.prompt.detail).toMatch(/^Rated critical: inline script: argv\[1\] runs sh with inline code \(-c\)/);
    const action = await g.api('GET', `/api/actions/${res.body.id}`);
    expect(action.body.transitions.at(-1).note).toContain('inline script');
  });

  it('keeps a plain ls at high, requester may approve', async () => {
    const res = await request(['ls', '-la']);
    expect(res.status).toBe(202);
    const approval = await g.api('GET', `/api/approvals/${res.body.approval_id}`);
    expect(approval.body.approval.security_level).toBe('high');
    expect(approval.body.approval.approvers).toContain('api:alice');
    expect(approval.body.prompt.detail).not.toContain('Rated');
  });

  it('an "allow for this conversation" grant for shell.run does not cover an inline script', async () => {
    const ls = await request(['ls'], 'granted');
    const decided = await g.api('POST', `/api/approvals/${ls.body.approval_id}/approve`, { scope: 'conversation' }, alice);
    expect(decided.status).toBe(200);
    // The grant lets the next plain program run without a prompt...
    const next = await request(['pwd'], 'granted');
    expect(next.status).toBe(200);
    expect(next.body).toMatchObject({ status: 'succeeded' });
    // ...but an inline script in the same conversation still waits for an admin.
    const inline = await request(['python3', '-c', 'import shutil; shutil.rmtree("/workspace")'], 'granted');
    expect(inline.status).toBe(202);
    const approval = await g.api('GET', `/api/approvals/${inline.body.approval_id}`);
    expect(approval.body.approval).toMatchObject({ security_level: 'critical', approvers: ['api:root-admin'] });
  });

  it('applies the operator extension from config, and an operator override still wins', async () => {
    const awk = await request(['awk', 'BEGIN { system("id") }']);
    expect((await g.api('GET', `/api/approvals/${awk.body.approval_id}`)).body.approval.security_level).toBe('critical');
    const trusted = await request(['sh', '-c', 'id'], 'trusted');
    const approval = await g.api('GET', `/api/approvals/${trusted.body.approval_id}`);
    expect(approval.body.approval.security_level).toBe('high');
    expect(approval.body.prompt.detail).not.toContain('Rated');
  });
});
