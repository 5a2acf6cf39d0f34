// `securesphere usage [--json]`: tokens used per provider profile, read from the store the
// gateway writes (the same numbers as GET /api/usage).
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { openDatabase } from '../../store/database.js';
import { parseSince } from '../../store/usage-since.js';
import { createUsageStore, type UsageSummary } from '../../store/usage.js';
import { loadConfigFor } from '../global-options.js';

export function registerUsageCommand(program: Command): void {
  program
    .command('usage')
    .description('tokens used per provider profile (input, output, calls)')
    .option('--conversation <id>', 'only this conversation')
    .option('--user <id>', 'only this user')
    .option('--since <time>', 'ISO 8601 time or epoch ms', (v) => {
      const t = parseSince(v);
      if (t === undefined) throw new InvalidArgumentError('expected an ISO 8601 time or epoch milliseconds');
      return t;
    })
    .option('--json', 'print JSON (the shape GET /api/usage returns)')
    .action((opts: { conversation?: string; user?: string; since?: number; json?: boolean }, command: Command) => {
      const { config } = loadConfigFor(command);
      const db = openDatabase(config.data_dir);
      try {
        const summary = createUsageStore(db).summary({
          ...(opts.conversation ? { conversationId: opts.conversation } : {}),
          ...(opts.user ? { userId: opts.user } : {}),
          ...(opts.since !== undefined ? { since: opts.since } : {}),
        });
        console.log(opts.json ? JSON.stringify(summary, null, 2) : renderUsage(summary));
      } finally {
        db.close();
      }
    });
}

export function renderUsage(summary: UsageSummary): string {
  const rows = Object.entries(summary.by_profile).map(([name, t]) => [name, t.input_tokens, t.output_tokens, t.calls] as const);
  rows.push(['total', summary.total.input_tokens, summary.total.output_tokens, summary.total.calls]);
  const width = Math.max(7, ...rows.map((r) => r[0].length));
  const line = (a: string, b: string, c: string, d: string) => `${a.padEnd(width)}  ${b.padStart(12)}  ${c.padStart(12)}  ${d.padStart(7)}`;
  return [line('profile', 'input', 'output', 'calls'), ...rows.map((r) => line(r[0], String(r[1]), String(r[2]), String(r[3])))].join('\n');
}
