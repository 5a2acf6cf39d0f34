// `securesphere approvals …` through commander, against the in-process service and against
// the real HTTP routes on a real socket.
import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { ApiTokenStore } from '../../src/store/api-tokens.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/cli/chat/api-client.js';
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
    config: policyConfig({ approvers: ['api:bob'], admins: ['api:root'] }), onDecided: () => {}, onError: () => {},
  });
});
afterEach(async () => {
  await service.stop();
  temp.cleanup();
});

async function pending(level: 'high' | 'critical' = 'high') {
  const action = awaitingAction(temp, { level, arguments: { command: 'make deploy' }, requester: 'api:alice' });
  const approvers = level === 'critical' ? ['api:root'] : ['api:alice', 'api:bob', 'api:root'];
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
    const tokens = new ApiTokenStore(temp.db);
    app = createApiApp({ token: 'tok-123456', tokens, bodyLimitBytes: 65_536, logger: pino({ level: 'silent' }), routes: [approvalRoutes(service)] });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    // Each person runs the CLI with their own token (SECURESPHERE_API_TOKEN); --as repeats it.
    const perPerson = new Map<string, ApprovalsBackend>();
    const operator = httpApprovalsBackend(createApiClient(url, 'tok-123456'));
    const as = (identity: string | undefined) => {
      if (!identity) return operator;
      if (!perPerson.has(identity)) perPerson.set(identity, httpApprovalsBackend(createApiClient(url, tokens.create({ name: identity.replace(/^api:/, '') }).token)));
      return perPerson.get(identity)!;
    };
    backend = { ...operator, decide: (input) => as(input.approver).decide(input) };
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
    await c.run('approve', approval.id, '--as', 'api:bob');
    expect(c.lines[1]).toContain(`approved ${approval.id}`);
    expect(service.get(approval.id)!.status).toBe('approved');
    await c.run('list');
    expect(c.lines[2]).toBe('no approval requests');
    await c.run('list', '--all', '--json');
    expect(JSON.parse(c.lines[3]!)[0]).toMatchObject({ id: approval.id, status: 'approved', decided_by: 'api:bob' });
    expect(c.closed()).toBe(4);
  });

  it('refuses a non-approver with APPROVAL_NOT_ALLOWED and an already decided request with APPROVAL_ALREADY_DECIDED', async () => {
    const approval = await pending();
    const c = cli(backend);
    const refused = await rejection(c.run('approve', approval.id, '--as', 'api:eve'));
    expect(isSecureSphereError(refused) && refused.code).toBe('SS_ERR_APPROVAL_NOT_ALLOWED');
    await c.run('deny', approval.id, '--as', 'api:alice');
    expect(service.get(approval.id)!.status).toBe('denied');
    const again = await rejection(c.run('approve', approval.id, '--as', 'api:bob'));
    expect(isSecureSphereError(again) && again.code).toBe('SS_ERR_APPROVAL_ALREADY_DECIDED');
  });

  it('--conversation-scope stores a grant; grants lists it; revoke revokes it', async () => {
    const approval = await pending();
    const c = cli(backend);
    await c.run('approve', approval.id, '--as', 'api:bob', '--conversation-scope');
    expect(c.lines[0]).toContain('allowed for the rest of the conversation');
    await c.run('grants', 'conv-1');
    const grantId = /^(grt_\S+)/.exec(c.lines[1]!)![1]!;
    await c.run('revoke', grantId);
    expect(c.lines[2]).toContain('revoked');
    expect(service.listGrants('conv-1')[0]!.revokedAt).toBeInstanceOf(Date);
  });

  it('offline needs --as; through the API the token decides (the operator is no approver here)', async () => {
    const approval = await pending();
    const error = await rejection(cli(backend).run('approve', approval.id));
    expect(String(error)).toMatch(kind === 'local' ? /--as/ : /api:operator may not decide/);
    expect(service.get(approval.id)!.status).toBe('pending');
  });
});
