// One call for the composition root: starts the egress proxy on a Unix socket in its own
// directory, <data_dir>/run/egress/, which the agent backends bind read-only into every agent
// (egress-paths.ts). <data_dir>/run stays 0700, so no other host user reaches the socket; the
// egress directory and socket are open to the agent's uid (1000), which connects from inside
// the sandbox. A connection alone buys nothing: the proxy needs a one-time token, minted here
// per execution and bound to one skill (its allowlist applies).
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Skill, SkillEgress } from '../skills/skill.js';
import { egressAllowlistFromConfig } from './egress-allowlist.js';
import { AGENT_EGRESS_SOCKET, EGRESS_SOCKET_NAME } from './egress-paths.js';
import { startEgressProxy, type EgressProxy, type EgressProxyOptions } from './egress-proxy.js';
import { createEgressTokens, type EgressTokens } from './egress-tokens.js';

export interface SkillEgressOptions {
  dataDir: string;
  skills: Readonly<Record<string, Skill>>;
  /** config.skills.settings */
  settings: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  maxResponseBytes?: number;
  timeoutMs?: number;
  allowPrivateAddresses?: boolean;
  lookup?: EgressProxyOptions['lookup'];
  logger?: EgressProxyOptions['logger'];
}

export interface SkillEgressService {
  proxy: EgressProxy;
  /** Host path of the socket. */
  socketPath: string;
  /** Host directory holding the socket: the agent backends bind it at AGENT_EGRESS_DIR. */
  socketDir: string;
  tokens: EgressTokens;
  /** The handle to put into SkillContext.egress for this skill (its allowlist applies). */
  egressFor(skillName: string): SkillEgress;
  close(): Promise<void>;
}

export async function startSkillEgress(options: SkillEgressOptions): Promise<SkillEgressService> {
  const runDir = path.join(path.resolve(options.dataDir), 'run');
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  chmodSync(runDir, 0o700); // host users other than the gateway's stop here
  const socketDir = path.join(runDir, 'egress');
  mkdirSync(socketDir, { recursive: true });
  // Searchable but not listable: the agent's uid must reach the socket through the bind mount.
  chmodSync(socketDir, 0o711);
  const socketPath = path.join(socketDir, EGRESS_SOCKET_NAME);
  const tokens = createEgressTokens();
  const proxy = await startEgressProxy({
    socketPath,
    identify: (token) => tokens.take(token),
    allow: egressAllowlistFromConfig(options.skills, options.settings),
    maxResponseBytes: options.maxResponseBytes ?? 1_048_576,
    timeoutMs: options.timeoutMs,
    allowPrivateAddresses: options.allowPrivateAddresses,
    lookup: options.lookup,
    logger: options.logger,
  });
  chmodSync(socketPath, 0o666);
  return {
    proxy,
    socketPath,
    socketDir,
    tokens,
    egressFor: (skillName) => ({
      grant: (ttlMs) => ({ ...tokens.mint(skillName, ttlMs), socketPath: AGENT_EGRESS_SOCKET }),
    }),
    close: () => proxy.close(),
  };
}
