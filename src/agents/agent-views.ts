// The JSON shapes of agents and of the sandbox description, shared by the HTTP API and the CLI
// (which prints what the API returns, or the same shape when it works offline). Pure functions
// of stored records and the sandbox's own report; never include anything they do not hold.
import type { SandboxInfo } from './create-agent-manager.js';
import type { AgentRecord } from '../store/agents.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function serializeAgent(a: AgentRecord) {
  return {
    id: a.id,
    conversation_id: a.conversationId,
    backend: a.backend,
    runtime: a.runtime,
    container_id: a.containerId,
    state: a.state,
    created_at: iso(a.createdAt),
    started_at: iso(a.startedAt),
    stopped_at: iso(a.stoppedAt),
    last_used_at: iso(a.lastUsedAt),
    exit_code: a.exitCode,
    error: a.error,
  };
}

export function serializeSandboxInfo(info: SandboxInfo) {
  return {
    backend: info.backend,
    runtime: info.runtime,
    strength: info.strength,
    image: info.image,
    workspace_quota: info.workspaceQuota,
    limits: info.limits,
    max_limits: info.maxLimits,
    pool: info.pool,
    agents: info.agents,
    max_agents: info.maxAgents,
    unavailable: info.unavailable,
    host_tuning: info.hostTuning ? { rcu_expedited: info.hostTuning.rcuExpedited, advice: info.hostTuning.advice } : null,
    candidates: info.detection?.candidates.map((c) => ({ name: c.name, runtime: c.runtime, strength: c.strength, status: c.status, reason: c.reason })) ?? null,
  };
}
