// One call for the composition root: starts the egress proxy on a Unix socket in a private
// directory under the data dir, with the allowlist built from the loaded skills and
// config skills.settings, and hands out per-skill egress handles for SkillContext.egress.
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Skill, SkillEgress } from '../skills/skill.js';
import { createEgressClient } from './egress-client.js';
import { egressAllowlistFromConfig } from './egress-allowlist.js';
import { startEgressProxy, type EgressProxy, type EgressProxyOptions } from './egress-proxy.js';

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
  socketPath: string;
  /** The handle to put into SkillContext.egress for this skill (its allowlist applies). */
  egressFor(skillName: string): SkillEgress;
  close(): Promise<void>;
}

export async function startSkillEgress(options: SkillEgressOptions): Promise<SkillEgressService> {
  const dir = path.join(path.resolve(options.dataDir), 'run');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700); // only the gateway's user may connect to the socket
  const socketPath = path.join(dir, 'egress.sock');
  const proxy = await startEgressProxy({
    socketPath,
    allow: egressAllowlistFromConfig(options.skills, options.settings),
    maxResponseBytes: options.maxResponseBytes ?? 1_048_576,
    timeoutMs: options.timeoutMs,
    allowPrivateAddresses: options.allowPrivateAddresses,
    lookup: options.lookup,
    logger: options.logger,
  });
  const client = createEgressClient({ socketPath });
  return {
    proxy,
    socketPath,
    egressFor: (skillName) => ({ request: (request) => client.request(skillName, request) }),
    close: () => proxy.close(),
  };
}
