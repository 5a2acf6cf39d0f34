// The http skill. The request goes to the host's egress proxy, which checks the allowlist,
// resolves and pins the address, refuses private networks and caps the response. The agent
// never gets a network: see README.md for why the request is relayed by the gateway rather
// than originated inside the agent. The body is returned marked untrusted: the orchestrator
// runs it through the injection detector before the model sees it.
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';
import { getOwn } from '../../src/core/own.js';
import { createEgressClient } from '../../src/security/egress-client.js';
import type { Skill, SkillContext, SkillEgress } from '../../src/skills/skill.js';
import { httpManifest } from './manifest.js';

interface RequestArgs { url: string; method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string }

// An operator-configured proxy socket (skills.settings.http.egress_socket) wins over the
// gateway's own proxy: it is how an operator routes egress through a proxy they run.
function egressFor(ctx: SkillContext): SkillEgress {
  const socketPath = getOwn(ctx.config, 'egress_socket');
  if (typeof socketPath === 'string' && socketPath !== '') {
    const client = createEgressClient({ socketPath });
    return { request: (r) => client.request(httpManifest.name, r) };
  }
  if (ctx.egress !== undefined) return ctx.egress;
  throw new SecureSphereError(ERROR_CODES.SKILL_FAILED, 'The http skill has no egress proxy configured; the operator must start it (see skills/http/README.md).');
}

function looksBinary(body: Buffer, contentType: string): boolean {
  if (/^(image|audio|video|font)\/|application\/(octet-stream|zip|pdf|gzip)/i.test(contentType)) return true;
  return body.subarray(0, 8192).includes(0);
}

const httpSkill: Skill = {
  manifest: httpManifest,
  async execute(ctx: SkillContext, operation: string, args: unknown) {
    if (operation !== 'request') throw new SecureSphereError(ERROR_CODES.TOOL_UNKNOWN, 'http has one operation: request.');
    const a = args as RequestArgs;
    const method = a.method ?? 'GET';
    if (method === 'GET' && a.body !== undefined) throw new SecureSphereError(ERROR_CODES.TOOL_ARGUMENTS, 'A GET request has no body; use method POST.');
    const host = new URL(a.url).hostname;
    let response;
    try {
      response = await egressFor(ctx).request({ url: a.url, method, headers: a.headers, body: a.body, signal: ctx.signal });
    } catch (cause) {
      if (cause instanceof SecureSphereError) throw cause;
      throw new SecureSphereError(ERROR_CODES.SKILL_FAILED, `Could not reach the egress proxy for ${host}; check that the gateway started it.`, { cause });
    }
    if (response.refused === 'domain_not_allowed') {
      throw new SecureSphereError(ERROR_CODES.POLICY_DENIED, `${host} is not on the http skill's allowlist; the operator can add it to skills.settings.http.allow_domains.`, { details: { host } });
    }
    if (response.refused !== null) {
      throw new SecureSphereError(ERROR_CODES.SKILL_FAILED, `The egress proxy refused the request (${response.refused}): ${response.body.toString('utf8').slice(0, 300)}`, { details: { reason: response.refused } });
    }
    const contentType = response.headers['content-type'] ?? '';
    const binary = looksBinary(response.body, contentType);
    return {
      url: a.url,
      status: response.status,
      content_type: contentType,
      location: response.headers.location,
      bytes: response.body.length,
      truncated: response.truncated,
      binary,
      body: binary ? null : response.body.toString('utf8'),
      // Fetched from the internet: the orchestrator scans and frames this before the model sees it.
      untrusted: true,
    };
  },
};

export default httpSkill;
