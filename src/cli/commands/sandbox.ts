// `securesphere sandbox info|build-image|exec`. info probes every runtime and says why each
// was chosen or rejected; build-image builds the agent image locally (no registry needed);
// exec runs one command in a conversation's agent and prints the result as JSON.
import type { Command } from 'commander';
import { buildSandboxImage } from '../../agents/image/build-image.js';
import { dockerClientFor } from '../../agents/backends/docker/client.js';
import { detectRuntime } from '../../agents/runtime-detect.js';
import { serializeSandboxInfo } from '../../agents/agent-views.js';
import type { Config } from '../../config/schema.js';
import { ERROR_CODES, SecureSphereError } from '../../core/errors.js';
import { loadConfigFor } from '../global-options.js';
import { type CommandOutput, type OpenAgents, openAgentsInProcess, withAgents } from './agents.js';

const stdout: CommandOutput = { out: (text) => console.log(text) };

export function registerSandboxCommands(
  program: Command,
  open: OpenAgents = openAgentsInProcess,
  loadConfig: (command: Command) => Config = (command) => loadConfigFor(command).config,
  output: CommandOutput = stdout,
): void {
  const group = program.command('sandbox').description('the sandbox runtime and the agent image');

  group
    .command('info')
    .description('probe every runtime (runsc, kata, runc, bubblewrap) and show the choice, image, limits and pool')
    .action(async (_opts: unknown, command: Command) => {
      await withAgents(open, command, async ({ agents, config }) => {
        const sb = config.sandbox;
        const docker = dockerClientFor(sb);
        const full = await detectRuntime({ docker, image: sb.image, timeoutMs: sb.probe_timeout_ms, requireStrong: sb.require_strong_isolation, backend: sb.backend, probeAll: true });
        const info = serializeSandboxInfo(agents.info());
        output.out(JSON.stringify({ ...info, candidates: full.candidates }, null, 2));
      });
    });

  group
    .command('build-image')
    .description('build the agent image locally: mmdebstrap (host apt sources) + docker import + the helper')
    .option('--force', 'rebuild even if the image exists')
    .option('--image <tag>', 'image tag (default: sandbox.image from config)')
    .action(async (opts: { force?: boolean; image?: string }, command: Command) => {
      const image = opts.image ?? loadConfig(command).sandbox.image;
      const result = await buildSandboxImage({ image, force: opts.force === true, onProgress: (line) => output.out(line) });
      output.out(result.built ? `built ${result.image}` : `${result.image} is up to date`);
    });

  group
    .command('exec')
    .description("run a command in a conversation's agent and print {exit_code, stdout, stderr, duration_ms, limit} as JSON")
    .requiredOption('--conversation <id>', 'conversation id')
    .option('--timeout <ms>', 'kill after this many milliseconds')
    .option('--cwd <dir>', 'working directory inside the agent', '/workspace')
    .argument('<command...>', 'program and arguments (after --)')
    .action(async (argv: string[], opts: { conversation: string; timeout?: string; cwd: string }, command: Command) => {
      const timeoutMs = opts.timeout === undefined ? undefined : Number.parseInt(opts.timeout, 10);
      if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, '--timeout must be a positive number of milliseconds.');
      await withAgents(open, command, async ({ agents }) => {
        const r = await agents.manager.agentFor(opts.conversation).exec({ argv, cwd: opts.cwd, timeoutMs });
        output.out(
          JSON.stringify({ exit_code: r.exitCode, signal: r.signal, stdout: r.stdout, stderr: r.stderr, duration_ms: Math.round(r.durationMs * 10) / 10, limit: r.limit, truncated: r.truncated }),
        );
      });
    });
}
