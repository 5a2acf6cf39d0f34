// Secrets reach an agent only for the exec of the skill that declares them.
import { afterAll, describe, expect, it } from 'vitest';
import { secretEnv } from '../../src/skills/secret-env.js';
import type { SkillManifest } from '../../src/skills/skill.js';
import { z } from 'zod';
import { createHostAgentForUnitTests } from './host-agent-for-unit-tests.js';

const manifest: SkillManifest = {
  name: 'deployer',
  version: '1.0.0',
  description: 'x',
  operations: { go: { description: 'x', input: z.object({}), level: 'high' } },
  sandbox: { secrets: ['DEPLOY_TOKEN', 'api.key'] },
};
const agent = createHostAgentForUnitTests();
afterAll(() => agent.dispose());

describe('secretEnv', () => {
  it('passes only the secrets the manifest names', () => {
    const env = secretEnv(manifest, { DEPLOY_TOKEN: 's3cr3t', 'api.key': 'k', OTHER_SKILLS_TOKEN: 'nope' });
    expect(env).toEqual({ DEPLOY_TOKEN: 's3cr3t', api_key: 'k' });
    expect(secretEnv({ ...manifest, sandbox: {} }, { DEPLOY_TOKEN: 's3cr3t' })).toEqual({});
    const hostile = Object.create({ DEPLOY_TOKEN: 'inherited' }) as Record<string, string>;
    expect(secretEnv(manifest, hostile)).toEqual({});
  });

  it('the secret is visible to that exec only', async () => {
    const print = ['node', '-e', 'process.stdout.write(process.env.DEPLOY_TOKEN ?? "absent")'];
    const withSecret = await agent.exec({ argv: print, env: secretEnv(manifest, { DEPLOY_TOKEN: 's3cr3t' }) });
    expect(withSecret.stdout).toBe('s3cr3t');
    const next = await agent.exec({ argv: print });
    expect(next.stdout).toBe('absent');
  });
});
