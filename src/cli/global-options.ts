// Reads the options every command shares and loads the frozen config from them.
import type { Command } from 'commander';
import { loadConfig, type LoadedConfig } from '../config/load.js';

export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  host?: string;
  port?: string;
}

export function loadConfigFor(command: Command, extra: { host?: string; port?: string; logFormat?: string } = {}): LoadedConfig {
  const opts = command.optsWithGlobals<GlobalOptions>();
  const port = extra.port ?? opts.port;
  return loadConfig({
    configPath: opts.config,
    flags: {
      dataDir: opts.dataDir,
      host: extra.host ?? opts.host,
      port: port === undefined ? undefined : Number.parseInt(port, 10),
      logFormat: extra.logFormat,
    },
  });
}
