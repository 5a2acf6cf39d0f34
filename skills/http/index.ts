// The http skill. The request is made from INSIDE the conversation's agent by http-agent.cjs,
// to the host's egress proxy over the Unix socket bind-mounted into the agent; the agent
// itself has no network. The proxy checks the allowlist, resolves and pins the address,
// refuses private networks and caps the response. Which skill is asking is proved by a
// one-time token the gateway mints for this execution only (SkillContext.egress.grant) and
// revokes when it ends: code run by the shell or code skills in the same agent gets no token
// and so reaches nothing. The body is returned marked untrusted: the orchestrator runs it
// through the injection detector before the model sees it.
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';
import { AgentScriptRefusal, loadAgentScript, runAgentScript } from '../../src/skills/agent-script.js';
import { settingNumber } from '../../src/skills/skill-settings.js';
import type { Skill, SkillContext } from '../../src/skills/skill.js';
import { httpManifest } from './manifest.js';

const script = loadAgentScript(import.meta.url, 'http-agent.cjs');

interface RequestArgs { url: string; method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string }

interface AgentAnswer {
  status: number;
  headers: Record<string, string>;
  body_base64: string;
  truncated: boolean;
  refused: string | null;
}

function looksBinary(body: Buffer, contentType: string): boolean {
  if (/^(image|audio|video|font)\/|application\/(octet-stream|zip|pdf|gzip)/i.test(contentType)) return true;
  return body.subarray(0, 8192).includes(0);
}

async function requestFromAgent(ctx: SkillContext, a: RequestArgs, method: string): Promise<AgentAnswer> {
  if (ctx.egress === undefined) {
    throw new SecureSphereError(ERROR_CODES.SKILL_FAILED, 'The http skill has no egress proxy; the gateway starts it (see skills/http/README.md).');
  }
  const maxBytes = settingNumber(ctx.config, 'max_response_bytes', 1_048_576, 16_777_216);
  const timeoutMs = settingNumber(ctx.config, 'timeout_ms', 30_000, 120_000);
  const grant = ctx.egress.grant(timeoutMs + 10_000);
  try {
    const input = { socket: grant.socketPath, token: grant.token, url: a.url, method, headers: a.headers ?? {}, body: a.body, max_bytes: maxBytes, timeout_ms: timeoutMs };
    return (await runAgentScript(ctx.agent, script, input, {
      timeoutMs: timeoutMs + 5_000,
      outputCapBytes: Math.ceil(maxBytes / 3) * 4 + 65_536,
      signal: ctx.signal,
    })) as AgentAnswer;
  } catch (err) {
    if (err instanceof AgentScriptRefusal && err.reason === 'proxy_unreachable') {
      throw new SecureSphereError(
        ERROR_CODES.SKILL_FAILED,
        `The agent cannot reach the egress proxy socket (${err.message}). Under gVisor, runsc needs --host-uds=open in its runtimeArgs (scripts/setup-sandbox.sh sets it); an agent started without the socket mount must be restarted.`,
        { cause: err },
      );
    }
    throw err;
  } finally {
    grant.revoke();
  }
}

const httpSkill: Skill = {
  manifest: httpManifest,
  async execute(ctx: SkillContext, operation: string, args: unknown) {
    if (operation !== 'request') throw new SecureSphereError(ERROR_CODES.TOOL_UNKNOWN, 'http has one operation: request.');
    const a = args as RequestArgs;
    const method = a.method ?? 'GET';
    if (method === 'GET' && a.body !== undefined) throw new SecureSphereError(ERROR_CODES.TOOL_ARGUMENTS, 'A GET request has no body; use method POST.');
    const host = new URL(a.url).hostname;
    const response = await requestFromAgent(ctx, a, method);
    const body = Buffer.from(typeof response.body_base64 === 'string' ? response.body_base64 : '', 'base64');
    if (response.refused === 'domain_not_allowed') {
      throw new SecureSphereError(ERROR_CODES.POLICY_DENIED, `${host} is not on the http skill's allowlist; the operator can add it to skills.settings.http.allow_domains.`, { details: { host } });
    }
    if (response.refused !== null) {
      throw new SecureSphereError(ERROR_CODES.SKILL_FAILED, `The egress proxy refused the request (${response.refused}): ${body.toString('utf8').slice(0, 300)}`, { details: { reason: response.refused } });
    }
    const contentType = response.headers['content-type'] ?? '';
    const binary = looksBinary(body, contentType);
    return {
      url: a.url,
      status: response.status,
      content_type: contentType,
      location: response.headers.location,
      bytes: body.length,
      truncated: response.truncated,
      binary,
      body: binary ? null : body.toString('utf8'),
      // Fetched from the internet: the orchestrator scans and frames this before the model sees it.
      untrusted: true,
    };
  },
};

export default httpSkill;
