// `securesphere model pull|list|rm`: the embedded models under <data dir>/models that the
// llama-cpp provider runs in-process. Long downloads show progress on stderr (a bar on a
// terminal, a line per 10% elsewhere); the result goes to stdout.
import type { Command } from 'commander';
import { ERROR_CODES, SecureSphereError } from '../../core/errors.js';
import { DEFAULT_MODEL_NAME, KNOWN_MODELS, listModels, pullModel, removeModel, type PullProgress } from '../../models/model-store.js';
import { loadConfigFor } from '../global-options.js';

const MIB = 2 ** 20;

/** Progress on stderr: a redrawn bar on a terminal, a line at every 10% (and each new phase) otherwise. */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): PullProgress & { end(): void } {
  const tty = stream.isTTY === true;
  let lastPhase = '';
  let lastDecile = -1;
  let drawn = false;
  const printer = ((event) => {
    const pct = event.totalBytes ? Math.min(100, Math.floor((event.doneBytes / event.totalBytes) * 100)) : undefined;
    const amount = event.totalBytes ? `${(event.doneBytes / MIB).toFixed(1)}/${(event.totalBytes / MIB).toFixed(1)} MiB` : event.doneBytes ? `${(event.doneBytes / MIB).toFixed(1)} MiB` : '';
    if (tty) {
      const bar = pct === undefined ? '' : `[${'#'.repeat(Math.floor(pct / 5)).padEnd(20, '.')}] ${String(pct).padStart(3)}% `;
      const note = event.note ? ` ${event.note.slice(0, 60)}` : '';
      stream.write(`\r\u001b[2K${event.phase.padEnd(8)} ${bar}${amount}${note}`);
      drawn = true;
      return;
    }
    const decile = pct === undefined ? -1 : Math.floor(pct / 10);
    if (event.phase !== lastPhase || (decile !== lastDecile && decile >= 0)) {
      stream.write(`${event.phase}${pct === undefined ? '' : ` ${pct}%`}${amount ? ` ${amount}` : ''}${event.note ? ` ${event.note}` : ''}\n`);
    }
    lastPhase = event.phase;
    lastDecile = decile;
  }) as PullProgress & { end(): void };
  printer.end = () => {
    if (drawn) stream.write('\n');
  };
  return printer;
}

export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('embedded models run in-process by the llama-cpp provider (<data dir>/models)');

  model
    .command('pull [source]')
    .description(`install a model: a known name (default ${DEFAULT_MODEL_NAME}), an https URL of a GGUF file, or a local path`)
    .option('--name <name>', 'store it under this name')
    .action(async (source: string | undefined, opts: { name?: string }, command: Command) => {
      const { config } = loadConfigFor(command);
      const progress = progressPrinter();
      try {
        const record = await pullModel(config.data_dir, source, { ...(opts.name ? { name: opts.name } : {}), onProgress: progress });
        progress.end();
        console.log(`${record.name}: ${record.file} (${(record.bytes / MIB).toFixed(1)} MiB, sha256 ${record.sha256}, from ${record.source})`);
      } catch (err) {
        progress.end();
        throw err;
      }
    });

  model
    .command('list')
    .description('installed models, and the known names `pull` takes')
    .option('--json', 'machine-readable')
    .action((opts: { json?: boolean }, command: Command) => {
      const { config } = loadConfigFor(command);
      const models = listModels(config.data_dir);
      if (opts.json) {
        console.log(JSON.stringify({ installed: models, known: KNOWN_MODELS.map((m) => ({ name: m.name, description: m.description })) }, null, 2));
        return;
      }
      if (models.length === 0) console.log(`No models installed. \`securesphere model pull\` installs ${DEFAULT_MODEL_NAME}.`);
      for (const m of models) console.log(`${m.name}\t${(m.bytes / MIB).toFixed(1)} MiB\t${m.sha256.slice(0, 12)}\t${m.file}`);
    });

  model
    .command('rm <name>')
    .description('remove an installed model')
    .action((name: string, _opts: unknown, command: Command) => {
      const { config } = loadConfigFor(command);
      if (!removeModel(config.data_dir, name)) throw new SecureSphereError(ERROR_CODES.NOT_FOUND, `No installed model "${name}" (see \`securesphere model list\`).`);
      console.log(`removed ${name}`);
    });
}
