// Bubblewrap backend for hosts without Docker. WEAKER than gVisor: the agent shares the host
// kernel. Memory, CPU and tasks are limited by a cgroup per agent when we may create one
// (root; bubblewrap-cgroup.ts), processes, open files and file size by prlimit; the workspace
// quota still comes from the loop-mounted workspace. Reported as weak by health(). The helper
// runs as uid 1000 in fresh namespaces (no network), with read-only system directories, a
// private /tmp and only the conversation's workspace writable, under a seccomp filter
// (seccomp-filter.ts) on x86_64.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, SecureSphereError } from '../../../core/errors.js';
import { AGENT_UID, type AgentExit, type AgentInstance, type AgentSpec, type SandboxBackend } from '../../backend.js';
import { AGENT_EGRESS_DIR } from '../../../security/egress-paths.js';
import { HelperClient } from '../../helper-client.js';
import { helperBinary } from '../../image/helper-binary.js';
import { type AgentLogger, silentLogger } from '../../logger.js';
import { createCgroupLimiter } from './bubblewrap-cgroup.js';
import { bubblewrapSeccomp } from './seccomp-filter.js';

/** The bwrap argument list; `seccompFd` is the descriptor bwrap reads the BPF filter from. */
export function bubblewrapArgs(spec: AgentSpec, helperPath: string, asRootUid: number | null, egressSocketDir?: string, seccompFd?: number): string[] {
  const l = spec.limits;
  // As root, a user namespace would map only uid 0, so the helper could not become uid 1000:
  // unshare everything else, keep only SETUID/SETGID for setpriv, which drops them with root.
  const args =
    asRootUid === null
      ? ['--unshare-all', '--die-with-parent', '--new-session', '--cap-drop', 'ALL', '--clearenv']
      : ['--unshare-ipc', '--unshare-pid', '--unshare-net', '--unshare-uts', '--unshare-cgroup-try', '--die-with-parent', '--new-session',
          '--cap-drop', 'ALL', '--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', '--clearenv'];
  args.push('--perms', '0755', '--dir', '/etc', '--perms', '0755', '--dir', '/opt', '--perms', '0755', '--dir', '/opt/securesphere');
  for (const dir of ['/usr', '/etc/alternatives', '/etc/ssl']) if (existsSync(dir)) args.push('--ro-bind', dir, dir);
  for (const [link, target] of [['/bin', 'usr/bin'], ['/sbin', 'usr/sbin'], ['/lib', 'usr/lib'], ['/lib64', 'usr/lib64']] as const) {
    if (existsSync(join('/usr', target.slice(4)))) args.push('--symlink', target, link);
  }
  args.push('--proc', '/proc', '--dev', '/dev');
  args.push('--size', String(l.tmpfsMb * 1024 * 1024), '--tmpfs', '/tmp');
  args.push('--bind', spec.workspaceDir, '/workspace', '--chdir', '/workspace');
  args.push('--ro-bind', helperPath, '/opt/securesphere/agent-helper');
  // Parents made by bwrap as root are 0700: the agent's uid must reach the egress socket.
  if (egressSocketDir) args.push('--perms', '0755', '--dir', '/run', '--perms', '0755', '--dir', '/run/securesphere', '--ro-bind', egressSocketDir, AGENT_EGRESS_DIR);
  args.push('--setenv', 'PATH', '/usr/local/bin:/usr/bin:/bin', '--setenv', 'HOME', '/workspace', '--setenv', 'LANG', 'C.UTF-8');
  if (seccompFd !== undefined) args.push('--seccomp', String(seccompFd));
  args.push('--');
  if (asRootUid !== null) args.push('setpriv', `--reuid=${asRootUid}`, `--regid=${asRootUid}`, '--clear-groups', '--inh-caps=-all', '--');
  args.push('prlimit', `--nproc=${l.pids}`, `--nofile=${l.nofile}`, `--fsize=${l.workspaceMb * 1024 * 1024}`, '--', '/opt/securesphere/agent-helper');
  return args;
}

export function createBubblewrapBackend(
  opts: { logger?: AgentLogger; egressSocketDir?: string; /** See HelperClientOptions.leaseMs. */ callLeaseMs?: number } = {},
): SandboxBackend {
  const log = opts.logger ?? silentLogger;
  const seccomp = bubblewrapSeccomp();
  const cgroups = createCgroupLimiter();
  return {
    kind: 'bubblewrap',
    runtime: null,
    strength: 'weak',
    notes: [
      seccomp ? 'seccomp filter on' : `no seccomp filter on ${process.arch} (x86_64 only)`,
      cgroups ? `memory/CPU/tasks limited by cgroup v${cgroups.version}` : 'memory and CPU NOT limited (cgroups need root and a writable /sys/fs/cgroup)',
    ].join('; '),
    async start(spec: AgentSpec): Promise<AgentInstance> {
      const [helperPath] = await Promise.all([helperBinary(), spec.workspaceReady]);
      const asRoot = process.getuid?.() === 0;
      // fd 3 carries the seccomp program; bwrap reads it to the end before it starts the helper.
      const cgroup = cgroups?.create(spec.agentId, spec.limits);
      const bwrap = ['bwrap', ...bubblewrapArgs(spec, helperPath, asRoot ? AGENT_UID : null, opts.egressSocketDir, seccomp ? 3 : undefined)];
      const command = cgroup ? cgroup.wrap(bwrap) : bwrap;
      const child = spawn(command[0]!, command.slice(1), {
        stdio: ['pipe', 'pipe', 'pipe', seccomp ? 'pipe' : 'ignore'],
      }) as ChildProcessWithoutNullStreams;
      if (seccomp) (child.stdio[3] as unknown as Writable).end(seccomp);
      child.stderr.on('data', (c: Buffer) => log.debug({ agentId: spec.agentId, stderr: c.toString('utf8').slice(0, 500) }, 'bubblewrap stderr'));
      const helper = new HelperClient(child.stdin, child.stdout, { leaseMs: opts.callLeaseMs });
      const exited = new Promise<AgentExit>((resolve) => {
        child.on('error', (err) => {
          void cgroup?.remove();
          resolve({ exitCode: null, limitExceeded: false, reason: `bwrap failed: ${err.message}` });
        });
        child.on('exit', (code, signal) => {
          helper.close('agent exited');
          void cgroup?.remove();
          resolve({ exitCode: code, limitExceeded: signal === 'SIGKILL' && code === null, reason: `exit code ${code ?? signal}` });
        });
      });
      try {
        await Promise.race([helper.ping(10_000), exited.then((e) => Promise.reject(new SecureSphereError(ERROR_CODES.SANDBOX_UNAVAILABLE, `${e.reason}; the agent under bubblewrap exited before it answered (\`securesphere doctor\` checks the host)`)))]);
      } catch (err) {
        child.kill('SIGKILL');
        throw err;
      }
      return {
        agentId: spec.agentId,
        containerId: null,
        exited,
        exec: (req) => helper.exec(req),
        ping: async (timeoutMs) => {
          await helper.ping(timeoutMs);
        },
        async stop(force, graceMs) {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill(force ? 'SIGKILL' : 'SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), force ? 0 : graceMs);
            const exit = await exited;
            clearTimeout(timer);
            return exit;
          }
          return exited;
        },
        hostPids: async () => (child.pid ? [child.pid] : []),
      };
    },
    list: async () => [],
    adopt: async () => {
      throw new SecureSphereError(ERROR_CODES.SANDBOX_UNAVAILABLE, 'bubblewrap agents die with the gateway and cannot be adopted; a new agent is started instead.');
    },
    remove: async () => undefined,
    cleanupOrphans: async () => [],
  };
}
