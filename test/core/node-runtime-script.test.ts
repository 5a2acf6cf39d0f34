// scripts/node-runtime.sh puts the project's own Node first on PATH. npm looks for its global
// npmrc beside the node that runs it, so under the project's node it would miss the machine's
// (a proxy's CA file, a registry mirror) and `npm ci` fails on such a machine with
// SELF_SIGNED_CERT_IN_CHAIN. The script keeps the machine's global npmrc. Run in a scratch copy of
// the project layout with a stand-in "system" node, so the test does not depend on this machine.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../scripts/node-runtime.sh', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'securesphere-node-runtime-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function layout(name: string, systemNpmrc: string | undefined) {
  const project = join(root, name, 'project');
  const system = join(root, name, 'system');
  mkdirSync(join(project, 'scripts'), { recursive: true });
  copyFileSync(SCRIPT, join(project, 'scripts', 'node-runtime.sh'));
  // The project's own runtime (only its presence matters to ss_node_use) and a system node.
  for (const bin of [join(project, '.runtime', 'node', 'bin'), join(system, 'bin')]) {
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'node'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} "$@"\n`);
    chmodSync(join(bin, 'node'), 0o755);
  }
  if (systemNpmrc !== undefined) {
    mkdirSync(join(system, 'etc'), { recursive: true });
    writeFileSync(join(system, 'etc', 'npmrc'), systemNpmrc);
  }
  return { project, system };
}

function globalconfigAfterUse(project: string, system: string, env: Record<string, string> = {}): { config: string; node: string } {
  const run = spawnSync('bash', ['-c', '. scripts/node-runtime.sh; ss_node_use; echo "${npm_config_globalconfig:-}"; command -v node'], {
    cwd: project,
    env: { PATH: `${join(system, 'bin')}:/usr/bin:/bin`, HOME: root, ...env },
    encoding: 'utf8',
  });
  expect(run.status, run.stderr).toBe(0);
  const [config = '', node = ''] = run.stdout.replace(/\n$/, '').split('\n');
  return { config, node };
}

describe('scripts/node-runtime.sh and npm settings', () => {
  it("keeps reading the machine's global npmrc when the project's node goes first on PATH", () => {
    const { project, system } = layout('with-npmrc', 'cafile=/etc/ssl/certs/proxy-ca.pem\n');
    const seen = globalconfigAfterUse(project, system);
    expect(seen.node).toBe(join(project, '.runtime', 'node', 'bin', 'node'));
    expect(seen.config).toBe(join(system, 'etc', 'npmrc'));
  });

  it('leaves an operator-set npm_config_globalconfig alone, and sets nothing when the machine has no global npmrc', () => {
    const a = layout('preset', 'cafile=/x\n');
    expect(globalconfigAfterUse(a.project, a.system, { npm_config_globalconfig: '/opt/npmrc' }).config).toBe('/opt/npmrc');
    const b = layout('none', undefined);
    expect(globalconfigAfterUse(b.project, b.system).config).toBe('');
  });
});
