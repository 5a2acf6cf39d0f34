// Docker backend: one container per agent, created with every restriction we can express
// (runtime, no network, read-only root, sized tmpfs, non-root, no capabilities,
// no-new-privileges, memory = memory+swap, CPU, pids and open-files limits). The container's
// main process is the helper; we talk to it over the attach stream.
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { ERROR_CODES, SecureSphereError, describeError } from '../../../core/errors.js';
import { withTimeout } from '../../../core/with-timeout.js';
import { AGENT_UID, type AgentExit, type AgentInstance, type AgentSpec, type LabelledAgent, type SandboxBackend } from '../../backend.js';
import type { SandboxLimits } from '../../sandbox.js';
import { dockerExec } from './docker-exec.js';
import { AGENT_EGRESS_DIR } from '../../../security/egress-paths.js';
import { HelperClient } from '../../helper-client.js';
import { RUNSC_MIN_PIDS, agentLimitsLabel, hostTaskLimit, parseAgentLimitsLabel } from '../../limits.js';
import { type AgentLogger, silentLogger } from '../../logger.js';
import { cleanupRunscOrphans, hostPidsOf } from './runsc-orphans.js';

export const LABEL_PROJECT = 'org.securesphere.project';
export const LABEL_AGENT = 'org.securesphere.agent';
export const LABEL_CONVERSATION = 'org.securesphere.conversation';
export const LABEL_LIMITS = 'org.securesphere.limits';

export interface DockerBackendOptions {
  docker: Docker;
  runtime: string;
  image: string;
  /** Label value separating this gateway's containers from any other on the engine. */
  project: string;
  strength: 'strong' | 'weak';
  startTimeoutMs?: number;
  logger?: AgentLogger;
  /** Host directory of the egress proxy's socket, bound read-only at AGENT_EGRESS_DIR (needs runsc --host-uds=open). */
  egressSocketDir?: string;
  /** How long a call outlives this gateway's silence in the agent (HelperClientOptions.leaseMs). */
  callLeaseMs?: number;
}

const isStatus = (err: unknown, ...codes: number[]): boolean =>
  typeof err === 'object' && err !== null && codes.includes((err as { statusCode?: number }).statusCode ?? -1);

export function createDockerBackend(opts: DockerBackendOptions): SandboxBackend {
  const { docker, runtime, image, project } = opts;
  const log = opts.logger ?? silentLogger;
  const isRunsc = runtime.includes('runsc');
  const startTimeoutMs = opts.startTimeoutMs ?? 20_000;

  function classify(exitCode: number | null, oomKilled: boolean, why: string): AgentExit {
    const limitExceeded = oomKilled || exitCode === 137 || (isRunsc && exitCode === 2);
    const what = oomKilled ? 'out of memory' : why;
    return { exitCode, limitExceeded, reason: limitExceeded ? `limit exceeded (${what})` : why };
  }

  async function connect(container: Docker.Container, agentId: string): Promise<{ helper: HelperClient; detach: () => void }> {
    const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as NodeJS.ReadWriteStream &
      import('node:stream').Duplex;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    docker.modem.demuxStream(stream, stdout, stderr);
    stream.on('end', () => stdout.end());
    stream.on('close', () => stdout.end());
    stream.on('error', () => stdout.end());
    stderr.on('data', (c: Buffer) => log.debug({ agentId, stderr: c.toString('utf8').slice(0, 500) }, 'agent helper stderr'));
    return { helper: new HelperClient(stream, stdout, { leaseMs: opts.callLeaseMs }), detach: () => stream.destroy() };
  }

  function instance(container: Docker.Container, agentId: string, helper: HelperClient, detach: () => void, limits?: Partial<SandboxLimits>): AgentInstance {
    const exited: Promise<AgentExit> = container.wait().then(
      async (r: { StatusCode?: number }) => {
        helper.close('agent exited');
        detach();
        const info = await container.inspect().catch(() => null);
        const code = r.StatusCode ?? info?.State?.ExitCode ?? null;
        return classify(code, info?.State?.OOMKilled === true, `exit code ${code}`);
      },
      (err: unknown) => {
        helper.close('agent vanished');
        detach();
        return { exitCode: null, limitExceeded: false, reason: `agent vanished: ${describeError(err)}` };
      },
    );
    return {
      agentId,
      containerId: container.id,
      exited,
      exec: (req) => (helper.alive ? helper.exec(req) : dockerExec(docker, container, req)),
      ping: async (timeoutMs) => {
        await helper.ping(timeoutMs);
      },
      calls: (tag, cancel, timeoutMs) => helper.calls(tag, cancel, timeoutMs),
      async stop(force, graceMs) {
        try {
          if (force) await container.kill({ signal: 'SIGKILL' });
          else await container.stop({ t: Math.max(1, Math.ceil(graceMs / 1000)) });
        } catch (err) {
          if (!isStatus(err, 304, 404, 409)) log.warn({ agentId, err: describeError(err) }, 'agent stop failed; removing by force');
        }
        const result = await withTimeout(exited, 10_000, 'stop').catch((): AgentExit => ({ exitCode: null, limitExceeded: false, reason: 'stop timed out' }));
        await container.remove({ force: true }).catch((err: unknown) => {
          if (!isStatus(err, 404, 409)) log.warn({ agentId, err: describeError(err) }, 'agent remove failed');
        });
        return result;
      },
      hostPids: () => hostPidsOf(docker, container.id),
      ...(limits ? { limits } : {}),
    };
  }

  return {
    kind: 'docker',
    runtime,
    strength: opts.strength,
    async start(spec: AgentSpec): Promise<AgentInstance> {
      const l = spec.limits;
      const memory = l.memoryMb * 1024 * 1024;
      const container: Docker.Container = await docker
        .createContainer({
          name: `securesphere-${spec.agentId}`,
          Image: image,
          Labels: {
            [LABEL_PROJECT]: project,
            [LABEL_AGENT]: spec.agentId,
            [LABEL_CONVERSATION]: spec.conversationKey ?? '',
            [LABEL_LIMITS]: agentLimitsLabel(spec.limits),
          },
          User: `${AGENT_UID}:${AGENT_UID}`,
          WorkingDir: '/workspace',
          AttachStdin: true,
          AttachStdout: true,
          AttachStderr: true,
          OpenStdin: true,
          StdinOnce: false,
          Tty: false,
          NetworkDisabled: true,
          HostConfig: {
            Runtime: runtime,
            NetworkMode: 'none',
            ReadonlyRootfs: true,
            Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${l.tmpfsMb}m,mode=1777` },
            Mounts: [
              { Type: 'bind', Source: spec.workspaceDir, Target: '/workspace', ReadOnly: false },
              ...(opts.egressSocketDir ? [{ Type: 'bind' as const, Source: opts.egressSocketDir, Target: AGENT_EGRESS_DIR, ReadOnly: true }] : []),
            ],
            CapDrop: ['ALL'],
            SecurityOpt: ['no-new-privileges'],
            Memory: memory,
            MemorySwap: memory,
            NanoCpus: Math.round(l.cpus * 1e9),
            PidsLimit: hostTaskLimit(isRunsc, l.pids),
            Ulimits: [{ Name: 'nofile', Soft: l.nofile, Hard: l.nofile }],
            // /dev/shm is another writable tmpfs: no bigger than /tmp.
            ShmSize: l.tmpfsMb * 1024 * 1024,
            // Helper answers carry program output: never persist them in container logs on disk.
            LogConfig: { Type: 'none', Config: {} },
            // Under host memory pressure an agent goes before the gateway does.
            OomScoreAdj: 500,
            RestartPolicy: { Name: 'no' },
            AutoRemove: false,
          },
        })
        .catch((cause: unknown) => {
          throw new SecureSphereError(
            ERROR_CODES.SANDBOX_UNAVAILABLE,
            `Cannot create the agent container: ${describeError(cause)}. If the image ${image} is missing, run \`securesphere sandbox build-image\`.`,
            { cause },
          );
        });
      try {
        const { helper, detach } = await connect(container, spec.agentId);
        await spec.workspaceReady;
        // A runtime can hang in start (runsc --platform=kvm does on these hosts): give up in time.
        await withTimeout(container.start(), startTimeoutMs, 'container start');
        try {
          await helper.ping(startTimeoutMs);
        } catch (err) {
          detach();
          throw err;
        }
        return instance(container, spec.agentId, helper, detach);
      } catch (err) {
        const info = await withTimeout(container.inspect(), 3_000, 'inspect').catch(() => null);
        await withTimeout(container.remove({ force: true }), 10_000, 'remove').catch(() => undefined);
        const removed = isRunsc ? await cleanupRunscOrphans(docker, log).catch(() => []) : [];
        const exit = classify(info?.State?.ExitCode ?? null, info?.State?.OOMKilled === true, info?.State?.Error || describeError(err));
        throw new SecureSphereError(
          exit.limitExceeded ? ERROR_CODES.SANDBOX_LIMIT : ERROR_CODES.SANDBOX_UNAVAILABLE,
          `The agent did not start under ${runtime}: ${exit.reason}. Check the sandbox limits (pids >= ${RUNSC_MIN_PIDS} for runsc) and \`securesphere doctor\`.`,
          { cause: err, details: { runtime, orphansRemoved: removed.length } },
        );
      }
    },
    async list(): Promise<LabelledAgent[]> {
      const found = await docker.listContainers({ all: true, filters: { label: [`${LABEL_PROJECT}=${project}`] } });
      return found.map((c) => ({
        containerId: c.Id,
        agentId: c.Labels[LABEL_AGENT] ?? '',
        conversationKey: c.Labels[LABEL_CONVERSATION] || null,
        limits: parseAgentLimitsLabel(c.Labels[LABEL_LIMITS]),
        running: c.State === 'running',
      }));
    },
    async adopt(found: LabelledAgent): Promise<AgentInstance> {
      const container = docker.getContainer(found.containerId);
      const { helper, detach } = await connect(container, found.agentId);
      try {
        await helper.ping(5_000);
      } catch (err) {
        detach();
        throw new SecureSphereError(ERROR_CODES.SANDBOX_UNAVAILABLE, 'The running agent does not answer; it will be removed.', { cause: err });
      }
      return instance(container, found.agentId, helper, detach, found.limits);
    },
    async remove(containerId: string): Promise<void> {
      await docker
        .getContainer(containerId)
        .remove({ force: true })
        .catch((err: unknown) => {
          if (!isStatus(err, 404, 409)) throw err;
        });
    },
    async cleanupOrphans(): Promise<string[]> {
      return isRunsc ? cleanupRunscOrphans(docker, log) : [];
    },
  };
}
