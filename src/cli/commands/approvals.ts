// `securesphere approvals list|approve|deny|grants|revoke`. The commands talk to a backend:
// normally the running gateway's HTTP API (so the conversation continues at once after a
// decision), or the approval service in-process when the gateway is stopped (the decision is
// stored and the gateway runs the approved step once when it next starts).
// Through the API the decider is the identity of the token used (`api:operator`, or `api:NAME`
// for a token from `securesphere tokens create NAME`, given as SECURESPHERE_API_TOKEN); `--as`
// may repeat that identity and is refused when it differs. Offline, `--as IDENTITY` names the
// decider (whoever can open the database is the operator); policy checks it as for a chat button.
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApiClient, type ApiClient } from '../chat/api-client.js';
import { serializeApproval, serializeGrant } from '../../policy/approval-views.js';
import { resolveSecretRef } from '../../config/secret-ref.js';
import { ERROR_CODES, SecureSphereError, type ErrorCode } from '../../core/errors.js';
import type { ApprovalStatus } from '../../core/types.js';
import { createApprovalService, type ApprovalService } from '../../policy/approval-service.js';
import { createAuditChainFromConfig } from '../../security/audit-chain.js';
import { createSecretRedactor } from '../../security/secret-redactor.js';
import { createVault } from '../../security/vault/vault.js';
import { ActionStore } from '../../store/actions.js';
import { openDatabase } from '../../store/database.js';
import { loadConfigFor } from '../global-options.js';
import { visibleText } from '../../core/visible-text.js';
import { describeArgumentsDetail } from '../../policy/approval-detail.js';

export type ApprovalView = ReturnType<typeof serializeApproval>;
export type GrantView = ReturnType<typeof serializeGrant>;

export interface ApprovalsBackend {
  list(status?: ApprovalStatus): Promise<ApprovalView[]>;
  decide(input: { approvalId: string; approver?: string; decision: 'approve' | 'deny'; scope: 'once' | 'conversation' }): Promise<ApprovalView>;
  listGrants(conversationId: string): Promise<GrantView[]>;
  revokeGrant(id: string): Promise<GrantView>;
}

export interface CommandOutput {
  out(text: string): void;
}

const STATUSES = ['pending', 'approved', 'denied', 'expired'] as const;

export function registerApprovalCommands(
  program: Command,
  open: (command: Command) => Promise<{ approvals: ApprovalsBackend; close(): unknown }>,
  output: CommandOutput = { out: (text) => console.log(text) },
): void {
  const group = program
    .command('approvals')
    .description('list and decide approval requests, manage "allow for this conversation" grants')
    .option('--url <url>', 'gateway URL (default from config)')
    .option('--offline', 'use the database directly while the gateway is stopped; an approved step runs when it next starts');
  const withBackend = async (command: Command, run: (backend: ApprovalsBackend) => Promise<void>) => {
    const { approvals, close } = await open(command);
    try {
      await run(approvals);
    } finally {
      await close();
    }
  };

  group
    .command('list')
    .description('list approval requests (pending by default)')
    .option('--status <status>', `one of ${STATUSES.join(', ')}`, 'pending')
    .option('--all', 'every request, whatever its status')
    .option('--json', 'print JSON')
    .action(async (opts: { status: string; all?: boolean; json?: boolean }, command: Command) => {
      if (!opts.all && !(STATUSES as readonly string[]).includes(opts.status)) {
        throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, `Unknown status "${opts.status.slice(0, 20)}": use one of ${STATUSES.join(', ')}, or --all.`);
      }
      await withBackend(command, async (backend) => {
        const list = await backend.list(opts.all ? undefined : (opts.status as ApprovalStatus));
        output.out(opts.json ? JSON.stringify(list, null, 2) : formatApprovalList(list));
      });
    });

  group
    .command('approve')
    .argument('<id>', 'approval id')
    .option('--as <identity>', 'who approves: required with --offline; through the API it must be the token\'s identity')
    .option('--conversation-scope', 'also allow this skill operation for the rest of the conversation (never for critical)')
    .description('approve a pending request')
    .action(async (id: string, opts: { as?: string; conversationScope?: boolean }, command: Command) => {
      await withBackend(command, async (backend) => {
        const decided = await backend.decide({ approvalId: id, ...(opts.as ? { approver: opts.as } : {}), decision: 'approve', scope: opts.conversationScope ? 'conversation' : 'once' });
        output.out(`approved ${visibleText(decided.id)} (${decided.skill}.${decided.operation}) as ${visibleText(decided.decided_by)}${decided.scope === 'conversation' ? ', allowed for the rest of the conversation' : ''}`);
      });
    });

  group
    .command('deny')
    .argument('<id>', 'approval id')
    .option('--as <identity>', 'who denies: required with --offline; through the API it must be the token\'s identity')
    .description('deny a pending request; the step does not run')
    .action(async (id: string, opts: { as?: string }, command: Command) => {
      await withBackend(command, async (backend) => {
        const decided = await backend.decide({ approvalId: id, ...(opts.as ? { approver: opts.as } : {}), decision: 'deny', scope: 'once' });
        output.out(`denied ${visibleText(decided.id)} (${decided.skill}.${decided.operation}) as ${visibleText(decided.decided_by)}`);
      });
    });

  group
    .command('grants')
    .argument('<conversation>', 'conversation id')
    .description('list the "allow for this conversation" grants of a conversation')
    .action(async (conversationId: string, _opts, command: Command) => {
      await withBackend(command, async (backend) => {
        const grants = await backend.listGrants(conversationId);
        output.out(grants.length === 0 ? 'no grants' : grants.map(formatGrant).join('\n'));
      });
    });

  group
    .command('revoke')
    .argument('<grant>', 'grant id')
    .description('revoke a grant: the next such step asks for approval again')
    .action(async (grantId: string, _opts, command: Command) => {
      await withBackend(command, async (backend) => {
        output.out(`revoked ${formatGrant(await backend.revokeGrant(grantId))}`);
      });
    });
}

/**
 * The human form of `approvals list`: every text that came from a model, a user or a platform
 * shown with control and invisible characters made visible, and the arguments as the approval
 * prompt shows them (beginning and end of long values, whitespace runs as markers). `--json`
 * prints them in full.
 */
export function formatApprovalList(list: ApprovalView[]): string {
  if (list.length === 0) return 'no approval requests';
  const v = (text: unknown) => visibleText(text);
  return list
    .map((a) => {
      const decided = a.decided_by ? ` by ${v(a.decided_by)} at ${a.decided_at}` : ` expires ${a.expires_at}`;
      const args = describeArgumentsDetail(a.arguments);
      const argsText = args.text.split('\n').join('\n      ');
      const more = args.shortened ? '\n    (parts marked ⟨…⟩ are not shown; --json prints every argument in full)' : '';
      return `${v(a.id)}  ${a.status}${decided}\n    ${v(a.skill)}.${v(a.operation)} [${a.security_level}] requested by ${v(a.requester)} in ${v(a.conversation_id)}; approvers: ${a.approvers.map(v).join(', ')}\n    arguments: ${argsText}${more}`;
    })
    .join('\n');
}

function formatGrant(g: GrantView): string {
  const v = (text: unknown) => visibleText(text);
  return `${v(g.id)}  ${v(g.skill)}.${v(g.operation)} in ${v(g.conversation_id)} granted by ${v(g.granted_by)} at ${g.created_at}${g.revoked_at ? `, revoked ${g.revoked_at}` : ''}`;
}

/** In-process backend over the approval service (gateway stopped, or tests). */
export function localApprovalsBackend(service: ApprovalService): ApprovalsBackend {
  return {
    list: async (status) => service.list(status ? { status } : {}).map(serializeApproval),
    decide: async (input) => {
      if (!input.approver) throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, 'Say who decides with --as IDENTITY (e.g. --as telegram:123456); offline there is no token to take it from.');
      return serializeApproval(await service.decide({ ...input, approver: input.approver, channel: 'cli' }));
    },
    listGrants: async (conversationId) => service.listGrants(conversationId).map(serializeGrant),
    revokeGrant: async (id) => serializeGrant(service.revokeGrant(id, 'cli')),
  };
}

/** Backend over the running gateway's HTTP API (the approval routes). */
export function httpApprovalsBackend(api: ApiClient): ApprovalsBackend {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await api.request<T & { error?: { code?: string; message?: string } }>(method, path, body);
    if (response.status >= 200 && response.status < 300) return response.body;
    const error = response.body?.error;
    const known = Object.values(ERROR_CODES) as string[];
    const code = (error?.code && known.includes(error.code) ? error.code : ERROR_CODES.BAD_REQUEST) as ErrorCode;
    throw new SecureSphereError(code, error?.message ?? `The gateway answered HTTP ${response.status}.`);
  }
  const enc = encodeURIComponent;
  return {
    list: async (status) => (await call<{ approvals: ApprovalView[] }>('GET', `/api/approvals${status ? `?status=${status}` : ''}`)).approvals,
    decide: async (input) =>
      (await call<{ approval: ApprovalView }>(
        'POST',
        `/api/approvals/${enc(input.approvalId)}/${input.decision}`,
        { ...(input.approver ? { approver: input.approver } : {}), ...(input.decision === 'approve' ? { scope: input.scope } : {}) },
      )).approval,
    listGrants: async (conversationId) => (await call<{ grants: GrantView[] }>('GET', `/api/conversations/${enc(conversationId)}/grants`)).grants,
    revokeGrant: async (id) => (await call<{ grant: GrantView }>('DELETE', `/api/grants/${enc(id)}`)).grant,
  };
}

/**
 * The default opener for main.ts: the running gateway's HTTP API, or with --offline the
 * database itself (the gateway must be stopped; prompts shown in chats are not updated).
 */
export async function openApprovalsBackend(command: Command): Promise<{ approvals: ApprovalsBackend; close(): void }> {
  const { config } = loadConfigFor(command);
  const opts = command.optsWithGlobals<{ url?: string; offline?: boolean }>();
  if (opts.offline) {
    const db = openDatabase(config.data_dir);
    // The vault (when unsealed) loads every secret into the redactor, which audit rows pass through.
    const redactor = createSecretRedactor();
    createVault({ db, masterKey: process.env.SECURESPHERE_MASTER_KEY, keyFile: config.security.vault.key_file, redactor });
    const service = createApprovalService({
      db,
      actions: new ActionStore(db),
      audit: createAuditChainFromConfig(db, config, redactor),
      outbound: { deliver: async () => undefined },
      config: config.policy,
      onDecided: () => undefined,
    });
    return { approvals: localApprovalsBackend(service), close: () => db.close() };
  }
  const host = config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host;
  const url = opts.url ?? `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}`;
  let token: string;
  if (process.env.SECURESPHERE_API_TOKEN) {
    // A named token (`securesphere tokens create NAME`) decides as api:NAME.
    token = process.env.SECURESPHERE_API_TOKEN;
  } else if (config.server.api_token) {
    token = resolveSecretRef(config.server.api_token, 'server.api_token', { env: process.env });
  } else {
    const file = join(config.data_dir, 'api-token');
    if (!existsSync(file)) {
      throw new SecureSphereError(ERROR_CODES.UNAUTHORIZED, `No API token in ${file}: start the gateway once with \`securesphere start\`, set SECURESPHERE_API_TOKEN, or use --offline.`);
    }
    token = readFileSync(file, 'utf8').trim();
  }
  return { approvals: httpApprovalsBackend(createApiClient(url, token)), close: () => undefined };
}
