// `securesphere conversations clear-flag ID --as USER`: an approver who has checked a
// conversation's flagged text clears its injection flag, so later steps run at their normal
// levels again. Through the running gateway's API, or with --offline on the database while
// the gateway is stopped. The decider is checked against policy exactly as for approvals.
import type { Command } from 'commander';
import type { ApiClient } from '../chat/api-client.js';
import { ERROR_CODES, SecureSphereError, type ErrorCode } from '../../core/errors.js';
import { createFlagClearing, type ClearedFlags, type FlagClearing } from '../../policy/flag-clearing.js';
import { createAuditChainFromConfig } from '../../security/audit-chain.js';
import { createSecretRedactor } from '../../security/secret-redactor.js';
import { createVault } from '../../security/vault/vault.js';
import { ConversationStore } from '../../store/conversations.js';
import { openDatabase } from '../../store/database.js';
import { gatewayApiClient } from '../gateway-api.js';
import { loadConfigFor } from '../global-options.js';
import type { CommandOutput } from './approvals.js';

export interface ConversationsBackend {
  /** `by` is required offline; through the API the token decides and `by` must repeat its identity. */
  clearFlag(input: { conversationId: string; by?: string }): Promise<ClearedFlags>;
}

export function registerConversationCommands(
  program: Command,
  open: (command: Command) => Promise<{ conversations: ConversationsBackend; close(): unknown }>,
  output: CommandOutput = { out: (text) => console.log(text) },
): void {
  const group = program
    .command('conversations')
    .description('conversation-level controls')
    .option('--url <url>', 'gateway URL (default from config)')
    .option('--offline', 'use the database directly while the gateway is stopped');
  group
    .command('clear-flag')
    .argument('<id>', 'conversation id')
    .option('--as <identity>', 'who clears it: required with --offline; through the API it must be the token\'s identity')
    .description('clear the prompt-injection flag of a conversation after checking the flagged text: later steps run at their normal levels')
    .action(async (id: string, opts: { as?: string }, command: Command) => {
      const { conversations, close } = await open(command);
      try {
        const done = await conversations.clearFlag({ conversationId: id, ...(opts.as ? { by: opts.as } : {}) });
        output.out(`cleared ${done.cleared} flagged message${done.cleared === 1 ? '' : 's'} in ${done.conversationId} as ${done.clearedBy}`);
      } finally {
        await close();
      }
    });
}

export function localConversationsBackend(flags: FlagClearing): ConversationsBackend {
  return {
    clearFlag: async (input) => {
      if (!input.by) throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, 'Say who clears the flag with --as IDENTITY; offline there is no token to take it from.');
      return flags.clear({ conversationId: input.conversationId, by: input.by, channel: 'cli' });
    },
  };
}

export function httpConversationsBackend(api: ApiClient): ConversationsBackend {
  return {
    async clearFlag({ conversationId, by }) {
      type Answer = { conversation_id: string; cleared: number; cleared_by: string; error?: { code?: string; message?: string } };
      const response = await api.request<Answer>('POST', `/api/conversations/${encodeURIComponent(conversationId)}/clear-flag`, by ? { approver: by } : {});
      if (response.status >= 200 && response.status < 300) {
        return { conversationId: response.body.conversation_id, cleared: response.body.cleared, clearedBy: response.body.cleared_by };
      }
      const error = response.body?.error;
      const known = Object.values(ERROR_CODES) as string[];
      const code = (error?.code && known.includes(error.code) ? error.code : ERROR_CODES.BAD_REQUEST) as ErrorCode;
      throw new SecureSphereError(code, error?.message ?? `The gateway answered HTTP ${response.status}.`);
    },
  };
}

/** The default opener for main.ts: the running gateway's API, or with --offline the database. */
export async function openConversationsBackend(command: Command): Promise<{ conversations: ConversationsBackend; close(): void }> {
  const { config } = loadConfigFor(command);
  if (command.optsWithGlobals<{ offline?: boolean }>().offline) {
    const db = openDatabase(config.data_dir);
    const redactor = createSecretRedactor();
    createVault({ db, masterKey: process.env.SECURESPHERE_MASTER_KEY, keyFile: config.security.vault.key_file, redactor });
    const flags = createFlagClearing({ db, conversations: new ConversationStore(db), audit: createAuditChainFromConfig(db, config, redactor), config: config.policy });
    return { conversations: localConversationsBackend(flags), close: () => db.close() };
  }
  return { conversations: httpConversationsBackend(gatewayApiClient(config, command)), close: () => undefined };
}
