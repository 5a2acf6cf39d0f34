// `securesphere approvals …` through commander, against the in-process service and against
// the real HTTP routes on a real socket.
import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../channels/cli/api-client.js';
import { createApiApp } from '../../src/api/app.js';
import { approvalRoutes } from '../../src/api/routes/approvals.js';
import { httpApprovalsBackend, localApprovalsBackend, registerApprovalCommands, type ApprovalsBackend } from '../../src/cli/commands/approvals.js';
import { isSecureSphereError } from '../../src/core/errors.js';
import { createApprovalService, type ApprovalService } from '../../src/policy/approval-service.js';
import { awaitingAction, openTempStore, policyConfig, RecordingOutbound, type TempStore } from './fakes.js';

let temp: TempStore;
let service: ApprovalService;

beforeEach(() => {
  temp = openTempStore();
  service = createApprovalService({
    db: temp.db, actions: temp.actions, audit: temp.audit, outbound: new RecordingOutbound(),
    config: policyConfig({ approvers: ['bob'], admins: ['root'] }), onDecided: () => {}, onError: () => {},
  });
});
afterEach(async () => {
  await service.stop();
  temp.cleanup();
});

async function pending(level: 'high' | 'critical' = 'high') {
  const action = awaitingAction(temp, { level, arguments: { command: 'make deploy' } });
  const approvers = level === 'critical' ? ['root'] : ['alice', 'bob', 'root'];
  return (await service.open(action, { decision: 'require_approval', level, reason: 'test', approvers }, { channel: 'cli' })).approval;
}

function cli(backend: ApprovalsBackend) {
  const lines: string[] = [];
  let closed = 0;
  const program = new Command('securesphere').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerApprovalCommands(program, async () => ({ approvals: backend, close: () => void closed++ }), { out: (t) => lines.push(t) });
  return {
    lines,
    closed: () => closed,
    run: (...args: string[]) => program.parseAsync(['node', 'securesphere', 'approvals', ...args]),
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => undefined, (e: unknown) => e);
}

describe.each(['local', 'http'] as const)('approvals CLI (%s backend)', (kind) => {
  let app: FastifyInstance | undefined;
  let backend: ApprovalsBackend;

  beforeEach(async () => {
    if (kind === 'local') {
      backend = localApprovalsBackend(service);
      return;
    }
    app = createApiApp({ token: 'tok-123456', bodyLimitBytes: 65_536, logger: pino({ level: 'silent' }), routes: [approvalRoutes(service)] });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    backend = httpApprovalsBackend(createApiClient(url, 'tok-123456'));
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('list shows pending requests with their arguments; approve --as decides', async () => {
    const approval = await pending();
    const c = cli(backend);
    await c.run('list');
    expect(c.lines[0]).toContain(approval.id);
    expect(c.lines[0]).toContain('shell.run [high]');
    expect(c.lines[0]).toContain('"command": "make deploy"');
    await c.run('approve', approval.id, '--as', 'bob');
    expect(c.lines[1]).toContain(`approved ${approval.id}`);
    expect(service.get(approval.id)!.status).toBe('approved');
    await c.run('list');
    expect(c.lines[2]).toBe('no approval requests');
    await c.run('list', '--all', '--json');
    expect(JSON.parse(c.lines[3]!)[0]).toMatchObject({ id: approval.id, status: 'approved', decided_by: 'bob' });
    expect(c.closed()).toBe(4);
  });

  it('refuses a non-approver with APPROVAL_NOT_ALLOWED and an already decided request with APPROVAL_ALREADY_DECIDED', async () => {
    const approval = await pending();
    const c = cli(backend);
    const refused = await rejection(c.run('approve', approval.id, '--as', 'eve'));
    expect(isSecureSphereError(refused) && refused.code).toBe('SS_ERR_APPROVAL_NOT_ALLOWED');
    await c.run('deny', approval.id, '--as', 'alice');
    expect(service.get(approval.id)!.status).toBe('denied');
    const again = await rejection(c.run('approve', approval.id, '--as', 'bob'));
    expect(isSecureSphereError(again) && again.code).toBe('SS_ERR_APPROVAL_ALREADY_DECIDED');
  });

  it('--conversation-scope stores a grant; grants lists it; revoke revokes it', async () => {
    const approval = await pending();
    const c = cli(backend);
    await c.run('approve', approval.id, '--as', 'bob', '--conversation-scope');
    expect(c.lines[0]).toContain('allowed for the rest of the conversation');
    await c.run('grants', 'conv-1');
    const grantId = /^(grt_\S+)/.exec(c.lines[1]!)![1]!;
    await c.run('revoke', grantId);
    expect(c.lines[2]).toContain('revoked');
    expect(service.listGrants('conv-1')[0]!.revokedAt).toBeInstanceOf(Date);
  });

  it('needs --as', async () => {
    const approval = await pending();
    const error = await rejection(cli(backend).run('approve', approval.id));
    expect(String(error)).toMatch(/--as/);
    expect(service.get(approval.id)!.status).toBe('pending');
  });
});
