// The Skill interface. A skill is a folder under skills/ (or a configured extra directory)
// whose index module default-exports a Skill. The manifest is what the model sees (tool
// definitions are generated from it) and what policy reads. Anything that touches files,
// runs programs or reaches the network goes through ctx.agent: it runs inside the
// conversation's sandboxed agent, never in the gateway process.
import type { z } from 'zod';
import type { SecurityLevel } from '../core/types.js';
import type { AgentHandle, SandboxLimits } from '../agents/sandbox.js';

export interface OperationManifest {
  description: string;
  /** zod schema of the operation's arguments; its JSON Schema is what the model sees. */
  input: z.ZodType;
  /** Default security level; operator policy may override it. */
  level: SecurityLevel;
  /**
   * Optional: a higher level for particular (already validated) arguments, with the reason the
   * approval prompt shows, e.g. shell.run given inline code is critical like shell.script. It
   * can only raise the level (a lower answer is ignored), and operator overrides still win.
   * `settings` is the operator's skills.settings.<skill>.
   */
  classify?: (args: unknown, settings: Readonly<Record<string, unknown>>) => LevelClassification | undefined;
}

export interface LevelClassification {
  level: SecurityLevel;
  /** One sentence for the prompt and the audit, e.g. "argv runs inline code (sh -c)". */
  reason: string;
}

export interface SkillManifest {
  /** Lowercase letters, digits and hyphens; unique. */
  name: string;
  description: string;
  version: string;
  operations: Record<string, OperationManifest>;
  sandbox?: {
    /** Domains this skill may reach through the egress proxy. */
    network?: string[];
    /** Names of vault secrets this skill receives at execution time. */
    secrets?: string[];
    /** Limits it asks for; clamped to the operator's maxima. */
    limits?: Partial<SandboxLimits>;
  };
}

export interface SkillContext {
  conversationId: string;
  actionId: string;
  /** The conversation's sandboxed agent. */
  agent: AgentHandle;
  /** Only the secrets the manifest names, resolved from the vault. */
  secrets: Readonly<Record<string, string>>;
  /** Operator config for this skill (skills.<name> in the config file). */
  config: Readonly<Record<string, unknown>>;
  signal: AbortSignal;
  /**
   * The egress proxy, already bound to this skill's name (its allowlist applies). Optional:
   * without it the http skill refuses.
   */
  egress?: SkillEgress;
}

/**
 * A skill's only way to the network: a one-time capability for one request made from inside
 * the agent to the host's egress proxy (mounted into the agent as a Unix socket).
 */
export interface SkillEgress {
  /** Mints a token bound to this skill, valid for one request within ttlMs; revoke it when the execution ends. */
  grant(ttlMs: number): EgressGrant;
}

export interface EgressGrant {
  readonly token: string;
  /** The proxy's socket as the agent sees it. */
  readonly socketPath: string;
  revoke(): void;
}

export interface Skill {
  manifest: SkillManifest;
  /** Runs one operation with arguments already validated against its schema. */
  execute(ctx: SkillContext, operation: string, args: unknown): Promise<unknown>;
}
