// The Telegram channel in a real `securesphere start` child (test/helpers/killable-gateway.ts)
// polling the Bot API stand-in, for the tests that kill the gateway with SIGKILL and start it
// again on the same data dir (telegram-kill, telegram-stream-kill).
import type { FakeOllama } from '../../fakes/ollama-server.js';
import { startFakeTelegram, type FakeTelegram } from '../../fakes/telegram-bot-api.js';
import type { CliProcess } from '../../helpers/cli.js';
import { openKillableGateway } from '../../helpers/killable-gateway.js';

export interface TelegramProcessHarness {
  model: FakeOllama;
  telegram: FakeTelegram;
  /** The data dir every start shares (its securesphere.db can be read while the gateway runs). */
  dataDir: string;
  /** Starts `securesphere start` on the harness's data dir; resolves once it listens. */
  start(): Promise<CliProcess>;
  /** How many getUpdates long polls are open at the stand-in right now. */
  polling(): number;
  close(): Promise<void>;
}

export async function openTelegramProcessHarness(options: { token: string; tmpPrefix: string }): Promise<TelegramProcessHarness> {
  const telegram = await startFakeTelegram();
  const gateway = await openKillableGateway({
    ...options,
    config: ['channels:', '  telegram:', '    token: ${env:TELEGRAM_BOT_TOKEN}', `    api_root: ${telegram.apiRoot}`, '    access: open'],
    env: { TELEGRAM_BOT_TOKEN: telegram.token },
  });
  return {
    model: gateway.fake,
    telegram,
    dataDir: gateway.dataDir,
    start: async () => (await gateway.start()).p,
    polling: () => telegram.calls.filter((c) => c.method === 'getUpdates' && c.status === 0).length,
    async close() {
      await gateway.close();
      await telegram.close();
    },
  };
}
