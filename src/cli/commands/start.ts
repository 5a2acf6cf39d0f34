// `securesphere start`: the gateway with every configured channel, until SIGINT/SIGTERM.
import type { Command } from 'commander';
import { performance } from 'node:perf_hooks';
import { isLoopbackBind } from '../../api/request-guards.js';
import { ERROR_CODES, SecureSphereError, describeError } from '../../core/errors.js';
import { createGateway } from '../../gateway.js';
import { loadConfigFor } from '../global-options.js';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('start the gateway (HTTP API, web UI and configured channels)')
    .option('--host <address>', 'address to bind (default 127.0.0.1)')
    .option('--port <port>', 'port to bind (default 8787 or $SECURESPHERE_PORT)')
    .option('--log-format <format>', 'json | pretty | auto (default auto: pretty on a terminal, JSON otherwise)')
    .action(async (opts: { host?: string; port?: string; logFormat?: string }, command: Command) => {
      const t0 = performance.now();
      const { config, file, deprecations } = loadConfigFor(command, opts);
      // Decided from the config alone, before anything is created, migrated or written.
      if (!isLoopbackBind(config.server.host) && !config.server.api_token) {
        throw new SecureSphereError(ERROR_CODES.CONFIG_INVALID, `Refusing to bind ${config.server.host} without an API token: set SECURESPHERE_API_TOKEN (or server.api_token) first.`);
      }
      const gateway = await createGateway({ config });
      // A library's background task that fails without a handler (e.g. the Matrix SDK's key
      // check racing a stop) must not take every channel down with it: the durable state is in
      // SQLite, and the failure is logged for the operator. Errors thrown synchronously still end
      // the process (Node's default), as their state is unknown.
      process.on('unhandledRejection', (reason) => {
        gateway.logger.error({ err: describeError(reason) }, 'a background task failed without a handler (unhandled promise rejection); the gateway keeps running');
      });
      for (const d of deprecations) gateway.logger.warn({ config: d.file ?? 'defaults', key: d.key }, d.message);
      const address = await gateway.listen();
      if (gateway.apiTokenCreated) {
        console.log(`API token (shown once, saved in ${config.data_dir}/api-token with mode 0600):\n  ${gateway.apiToken}`);
      }
      gateway.logger.info({ address, config: file ?? 'defaults', ms: Math.round(performance.now() - t0) }, 'gateway listening');
      console.log(`securesphere listening on ${address} (web UI at ${address}/)`);
      // With no provider configured (type auto), say which model answers: Ollama, the embedded
      // model, or neither and what to do.
      if (!config.providers && config.provider.type === 'auto' && config.provider.host === undefined) void gateway.providers
        .health()
        .then((health) => console.log(`model: ${health.ok ? '' : 'NOT READY: '}${health.detail}`))
        .catch(() => undefined);
      const stop = async (signal: string) => {
        gateway.logger.info({ signal, keepAgents: config.sandbox.keep_agents_on_stop }, 'shutting down');
        // Agents are stopped (workspaces kept) unless the operator asked to keep them running.
        await gateway.close({ stopAgents: !config.sandbox.keep_agents_on_stop });
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
}
