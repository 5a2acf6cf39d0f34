// `securesphere config check`: validates the config exactly as start-up does, without starting.
import type { Command } from 'commander';
import { loadConfigFor } from '../global-options.js';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('inspect the configuration');
  config
    .command('check')
    .description('validate the config file and environment, then exit')
    .action((_opts, command: Command) => {
      const { file, config: cfg, deprecations } = loadConfigFor(command);
      for (const d of deprecations) console.error(`warning: ${d.message}`);
      console.log(`config ok: ${file ?? '(built-in defaults and environment)'}; data dir ${cfg.data_dir}; listening on ${cfg.server.host}:${cfg.server.port}`);
    });
}
