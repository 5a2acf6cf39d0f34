// `securesphere chat`: the CLI channel, a terminal conversation with the running gateway.
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createApiClient } from '../chat/api-client.js';
import { runTerminalChat } from '../chat/terminal-chat.js';
import { loadConfigFor } from '../global-options.js';
import { resolveSecretRef } from '../../config/secret-ref.js';
import { ERROR_CODES, SecureSphereError } from '../../core/errors.js';

export function registerChatCommand(program: Command): void {
  program
    .command('chat')
    .description('talk to the running gateway from this terminal')
    .option('--conversation <id>', 'conversation id to continue')
    .option('--user <name>', 'post as api:<name> (needs a token allowed to act for others); default: the token\'s own identity')
    .option('--url <url>', 'gateway URL (default from config)')
    .action(async (opts: { conversation?: string; user?: string; url?: string }, command: Command) => {
      const { config } = loadConfigFor(command);
      // Deprecated key, still honoured until it is removed (the start-up log says so).
      if (config.channels.cli?.enabled === false) throw new SecureSphereError(ERROR_CODES.CHANNEL_UNAVAILABLE, 'The terminal chat is disabled (channels.cli.enabled: false in the config).');
      const host = config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host;
      const url = opts.url ?? `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}`;
      // A named token (`securesphere tokens create NAME`) in SECURESPHERE_API_TOKEN chats as api:NAME.
      const api = createApiClient(url, process.env.SECURESPHERE_API_TOKEN || readToken(config.server.api_token, config.data_dir));
      await runTerminalChat({
        api,
        input: process.stdin,
        output: process.stdout,
        conversationId: opts.conversation ?? `cli:${randomBytes(6).toString('hex')}`,
        ...(opts.user ? { user: opts.user } : {}),
      });
    });
}

function readToken(ref: string | undefined, dataDir: string): string {
  if (ref) return resolveSecretRef(ref, 'server.api_token', { env: process.env });
  const file = join(dataDir, 'api-token');
  if (!existsSync(file)) throw new SecureSphereError(ERROR_CODES.UNAUTHORIZED, `No API token in ${file}: start the gateway once with \`securesphere start\`, or set SECURESPHERE_API_TOKEN.`);
  return readFileSync(file, 'utf8').trim();
}
