// Shared test helper for anything that needs a real sandbox (Docker + gVisor + agent image).
//   const sandbox = await sandboxOrSkip();            // { available, reason }
//   await describeSandbox('my suite', () => { it(...) });
//   const t = await createTestAgents({ warm_pool: 0 }); ... await t.close();
// Without Docker the suite is skipped; with REQUIRE_SANDBOX=1 (CI) a missing sandbox FAILS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { describe, it } from 'vitest';
import { type AgentSubsystem, createAgentManager } from '../../src/agents/create-agent-manager.js';
import { buildSandboxImage } from '../../src/agents/image/build-image.js';
import { detectRuntime } from '../../src/agents/runtime-detect.js';
import { type Config, configSchema } from '../../src/config/schema.js';
import { describeError } from '../../src/core/errors.js';
import { type Db, openDatabase } from '../../src/store/database.js';

export const TEST_IMAGE = process.env.SECURESPHERE_TEST_IMAGE ?? 'securesphere-agent:latest';
export const sandboxRequired = (): boolean => process.env.REQUIRE_SANDBOX === '1';

export interface SandboxAvailability {
  available: boolean;
  reason: string;
}

let cached: Promise<SandboxAvailability> | null = null;

async function check(): Promise<SandboxAvailability> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (err) {
    return { available: false, reason: `Docker engine unreachable: ${describeError(err)}` };
  }
  try {
    await docker.getImage(TEST_IMAGE).inspect();
  } catch {
    try {
      await buildSandboxImage({ image: TEST_IMAGE, docker, onProgress: (l) => process.stderr.write(`[build-image] ${l}\n`) });
    } catch (err) {
      return { available: false, reason: `agent image ${TEST_IMAGE} missing and could not be built: ${describeError(err)}` };
    }
  }
  const found = await detectRuntime({ docker, image: TEST_IMAGE, timeoutMs: 30_000, requireStrong: true, backend: 'docker' });
  if (found.chosen?.runtime !== 'runsc') {
    return { available: false, reason: `gVisor (runsc) is not usable: ${found.candidates.map((c) => `${c.name}: ${c.reason}`).join('; ')}` };
  }
  return { available: true, reason: 'Docker with runsc and the agent image are ready' };
}

/** Checks Docker + runsc + image once per test file (building the image if missing). */
export function sandboxOrSkip(): Promise<SandboxAvailability> {
  cached ??= check();
  return cached;
}

/** describe() that skips without a sandbox, but fails when REQUIRE_SANDBOX=1. */
export async function describeSandbox(name: string, fn: () => void): Promise<void> {
  const status = await sandboxOrSkip();
  if (status.available) describe(name, fn);
  else if (sandboxRequired()) {
    describe(name, () => {
      it('needs the sandbox (REQUIRE_SANDBOX=1)', () => {
        throw new Error(`REQUIRE_SANDBOX=1 but the sandbox is unavailable: ${status.reason}`);
      });
    });
  } else describe.skip(`${name} (skipped: ${status.reason})`, fn);
}

export interface TestAgents extends AgentSubsystem {
  db: Db;
  dataDir: string;
  config: Config['sandbox'];
  /** Stops every agent, closes the database, deletes the data dir. */
  close(): Promise<void>;
}

/** A real AgentManager on a throw-away data dir (its own project label, so tests never touch each other's containers). */
export async function createTestAgents(
  sandbox: Record<string, unknown> = {},
  opts: { dataDir?: string; forceRuntime?: string; workspaceQuota?: 'loop' | 'plain'; rcuExpeditedPath?: string } = {},
): Promise<TestAgents> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'securesphere-test-agents-'));
  const config = configSchema.parse({ sandbox: { image: TEST_IMAGE, warm_pool: 0, require_strong_isolation: true, ...sandbox } }).sandbox;
  const db = openDatabase(dataDir);
  const sub = await createAgentManager({ db, config, dataDir, forceRuntime: opts.forceRuntime, workspaceQuota: opts.workspaceQuota, rcuExpeditedPath: opts.rcuExpeditedPath });
  return {
    ...sub,
    db,
    dataDir,
    config,
    async close() {
      await sub.manager.close({ stopAgents: true });
      db.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
