// A real `securesphere start` child with the Telegram channel polling the Bot API stand-in and
// the fake model, for the tests that kill the gateway with SIGKILL and start it again on the same
// data dir (telegram-kill, telegram-stream-kill). Every child it started is killed at close().
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeOllama, type FakeOllama } from '../../fakes/ollama-server.js';
import { startFakeTelegram, type FakeTelegram } from '../../fakes/telegram-bot-api.js';
import { spawnCli, type CliProcess } from '../../helpers/cli.js';

export interface TelegramProcessHarness {
  model: FakeOllama;
  telegram: FakeTelegram;
  dataDir: string;
  /** Starts `securesphere start` on the harness's data dir; resolves once it listens. */
  start(): Promise<CliProcess>;
  /** How many getUpdates long polls are open at the stand-in right now. */
  polling(): number;
  close(): Promise<void>;
}

export async function openTelegramProcessHarness(options: { token: string; tmpPrefix: string }): Promise<TelegramProcessHarness> {
  const model = await startFakeOllama();
  const telegram = await startFakeTelegram();
  const dataDir = mkdtempSync(join(tmpdir(), options.tmpPrefix));
  writeFileSync(
    join(dataDir, 'config.yaml'),
    ['channels:', '  telegram:', '    token: ${env:TELEGRAM_BOT_TOKEN}', `    api_root: ${telegram.apiRoot}`, '    access: open', 'sandbox:', '  warm_pool: 0', ''].join('\n'),
  );
  const env = {
    SECURESPHERE_API_TOKEN: options.token,
    OLLAMA_HOST: model.url,
    SECURESPHERE_LOG_LEVEL: 'warn',
    SECURESPHERE_CONFIG: join(dataDir, 'config.yaml'),
    TELEGRAM_BOT_TOKEN: telegram.token,
  };
  const children: CliProcess[] = [];
  return {
    model,
    telegram,
    dataDir,
    async start() {
      const p = spawnCli(['start', '--data-dir', dataDir, '--port', '0'], env);
      children.push(p);
      await p.waitFor(/listening on (http:\/\/[^\s]+) /, 60_000);
      return p;
    },
    polling: () => telegram.calls.filter((c) => c.method === 'getUpdates' && c.status === 0).length,
    async close() {
      for (const child of children) {
        if (child.child.exitCode === null) child.child.kill('SIGKILL');
        await child.exited;
      }
      await telegram.close();
      await model.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
