// `securesphere agents list|stop`. Works on the store and the engine directly from this
// process, next to a running gateway: the manager opened here neither reconciles nor keeps a
// warm pool, so it never touches the gateway's agents except the one you ask it to stop.
import type { Command } from 'commander';
import { type AgentSubsystem, createAgentManager } from '../../agents/create-agent-manager.js';
import { serializeAgent } from '../../agents/agent-views.js';
import type { Config } from '../../config/schema.js';
import { ERROR_CODES, SecureSphereError } from '../../core/errors.js';
import { openDatabase } from '../../store/database.js';
import { loadConfigFor } from '../global-options.js';

export interface OpenedAgents {
  agents: AgentSubsystem;
  config: Config;
  close(): Promise<void>;
}
export type OpenAgents = (command: Command) => Promise<OpenedAgents>;

export interface CommandOutput {
  out(text: string): void;
}
const stdout: CommandOutput = { out: (text) => console.log(text) };

/** The default opener: config from the global options, an in-process manager that leaves the gateway's agents alone. */
export const openAgentsInProcess: OpenAgents = async (command) => {
  const { config } = loadConfigFor(command);
  const db = openDatabase(config.data_dir);
  const agents = await createAgentManager({
    db,
    config: { ...config.sandbox, warm_pool: 0 },
    dataDir: config.data_dir,
    reconcile: false,
    autoStart: false,
  });
  return {
    agents,
    config,
    async close() {
      await agents.manager.close({ stopAgents: true });
      db.close();
    },
  };
};

export async function withAgents<T>(open: OpenAgents, command: Command, run: (o: OpenedAgents) => Promise<T>): Promise<T> {
  const opened = await open(command);
  try {
    return await run(opened);
  } finally {
    await opened.close();
  }
}

function formatTable(rows: ReturnType<typeof serializeAgent>[]): string {
  if (rows.length === 0) return 'no agents';
  return rows
    .map((a) => [a.id, a.state.padEnd(8), (a.runtime ?? a.backend).padEnd(6), a.conversation_id === null ? '(pool)' : JSON.stringify(a.conversation_id).slice(0, 40), a.last_used_at ?? '-', a.error ?? ''].join('  '))
    .join('\n');
}

export function registerAgentCommands(program: Command, open: OpenAgents = openAgentsInProcess, output: CommandOutput = stdout): void {
  const group = program.command('agents').description('list and stop the per-conversation sandboxed agents');
  group
    .command('list')
    .description('list agents with their state (newest first)')
    .option('--active', 'only agents that are not stopped')
    .option('--json', 'print JSON')
    .action(async (opts: { active?: boolean; json?: boolean }, command: Command) => {
      await withAgents(open, command, async ({ agents }) => {
        const rows = agents.manager.list().filter((a) => !opts.active || (a.state !== 'stopped' && a.state !== 'error')).map(serializeAgent);
        output.out(opts.json ? JSON.stringify(rows, null, 2) : formatTable(rows));
      });
    });
  group
    .command('stop')
    .argument('<id>', 'agent id (from `agents list`)')
    .option('--force', 'KILL at once instead of TERM, wait, KILL')
    .description('stop an agent and remove its container (the workspace stays)')
    .action(async (id: string, opts: { force?: boolean }, command: Command) => {
      await withAgents(open, command, async ({ agents }) => {
        if (!agents.manager.get(id)) throw new SecureSphereError(ERROR_CODES.NOT_FOUND, `No agent with id ${id.slice(0, 80)}: see \`securesphere agents list\`.`);
        const stopped = await agents.manager.stop(id, opts.force === true);
        output.out(`${id}: ${stopped?.state ?? 'unknown'}${stopped?.exitCode !== null && stopped?.exitCode !== undefined ? ` (exit code ${stopped.exitCode})` : ''}`);
      });
    });
}
