// `securesphere doctor`: checks config, store, provider and sandbox, and says what to fix.
import type { Command } from 'commander';
import { describeError } from '../../core/errors.js';
import { createGateway } from '../../gateway.js';
import { loadConfigFor } from '../global-options.js';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check config, store, provider and sandbox runtimes, and say what to fix')
    .action(async (_opts, command: Command) => {
      const checks: Check[] = [];
      let loaded;
      try {
        loaded = loadConfigFor(command);
        checks.push({ name: 'config', ok: true, detail: loaded.file ?? 'built-in defaults' });
      } catch (err) {
        checks.push({ name: 'config', ok: false, detail: describeError(err), fix: 'Fix the key named above, then run `securesphere config check`.' });
        return report(checks);
      }
      const gateway = await createGateway({ config: loaded.config, logDestination: { write: () => true } });
      try {
        const health = await gateway.health();
        checks.push({ name: 'store', ok: health.store.ok, detail: `${loaded.config.data_dir}: ${health.store.detail}`, fix: 'Make the data directory writable or pass --data-dir.' });
        checks.push({
          name: 'provider',
          ok: health.provider.ok,
          detail: health.provider.detail,
          fix: `Start Ollama (\`ollama serve\`) at ${loaded.config.provider.host ?? 'http://127.0.0.1:11434'} and \`ollama pull ${loaded.config.provider.model}\`, or set provider.host / OLLAMA_HOST.`,
        });
        checks.push({
          name: 'sandbox',
          ok: health.sandbox.ok,
          detail: `${health.sandbox.backend}${health.sandbox.runtime ? ` (${health.sandbox.runtime})` : ''}: ${health.sandbox.detail}`,
          fix: 'Install docker.io and runsc (bash scripts/setup-test-env.sh does it), then `securesphere sandbox build-image`.',
        });
        for (const e of gateway.skillErrors) checks.push({ name: `skill ${e.dir}`, ok: false, detail: `${e.file}: ${e.reason}`, fix: 'Fix or remove that skill folder.' });
      } finally {
        await gateway.close();
      }
      report(checks);
    });
}

function report(checks: Check[]): void {
  for (const c of checks) {
    console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    if (!c.ok && c.fix) console.log(`     fix: ${c.fix}`);
  }
  if (checks.some((c) => !c.ok)) process.exitCode = 1;
}
