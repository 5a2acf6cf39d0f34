// Everything the orchestrator needs, passed in by the composition root (src/gateway.ts).
import type { Logger } from 'pino';
import type { OutboundSink } from '../core/outbound.js';
import type { Sandbox } from '../agents/sandbox.js';
import type { ApprovalGate, PolicyEngine } from '../policy/policy-types.js';
import type { ChatRequest, ChatResponse } from '../providers/provider.js';
import type { ReplyStreamHub } from '../core/reply-stream.js';
import type { AuditLog } from '../security/audit-log.js';
import type { ActionStore } from '../store/actions.js';
import type { ConversationStore } from '../store/conversations.js';
import type { Db } from '../store/database.js';
import type { SkillEgress } from '../skills/skill.js';
import type { ToolCatalog } from './tool-catalog.js';

export interface ScanResult {
  score: number;
  flagged: boolean;
  reasons: string[];
}

/** The injection detector as the orchestrator sees it (security/injection/detector.ts). */
export interface TextScanner {
  /** A promise only when the detector's encoder has to run; otherwise the answer itself. */
  assess(text: string): ScanResult | Promise<ScanResult>;
}

/** Who a model call is for: picks the profile (routes), and is stored with its usage. */
export interface ModelCallContext {
  channel: string;
  conversationId: string;
  userId: string;
}

export interface ModelRequest extends Omit<ChatRequest, 'model'> {
  context: ModelCallContext;
}

/** A model answer, with the provider profile that gave it (when a manager picked one). */
export interface ModelAnswer extends ChatResponse {
  profile?: string;
  provider?: string;
  model?: string;
  /** The profile the conversation would have used, when another one answered. */
  failedOverFrom?: string;
}

export interface OrchestratorSettings {
  systemPrompt: string;
  maxToolRounds: number;
  turnTimeoutMs: number;
  historyMessages: number;
  /** Caps on waiting approval requests (policy.max_pending_approvals_per_*); unset = no cap. */
  maxPendingApprovalsPerConversation?: number;
  maxPendingApprovalsPerIdentity?: number;
}

export interface OrchestratorDeps {
  settings: OrchestratorSettings;
  db: Db;
  conversations: ConversationStore;
  actions: ActionStore;
  /**
   * The model call. With `onProgress` it streams: called with the reply so far (redacted,
   * cleaned, a short tail held back), for channels that show replies as they come.
   */
  chat: (request: ModelRequest, onProgress?: (textSoFar: string) => void) => Promise<ModelAnswer>;
  /** Where streamed replies are published; omitted means no model call streams. */
  replyStreams?: ReplyStreamHub;
  /** Turns a provider error into one short sentence for the user. */
  describeProviderError: (err: unknown) => string;
  tools: ToolCatalog;
  policy: PolicyEngine;
  approvals: ApprovalGate;
  sandbox: Sandbox;
  audit: AuditLog;
  outbound: OutboundSink;
  /** Injection detector; every inbound text and tool output goes through it. */
  scanner: TextScanner;
  /** Replaces known secret values in any JSON-like value (results and texts stored at rest). */
  redact?: <T>(value: T) => T;
  /** Whether a JSON-like value holds a known secret value (in any spelling the redactor knows). */
  containsSecret?: (value: unknown) => boolean;
  /** Frames tool output as untrusted data before the model reads it. */
  frameUntrusted: (input: { source: string; text: string }) => string;
  /** The secrets a skill's manifest names, resolved from the vault at execution time. */
  secretsFor: (skillName: string, names: readonly string[]) => Record<string, string>;
  /** The egress proxy bound to one skill's allowlist (the http skill's only way out). */
  egressFor?: (skillName: string) => SkillEgress;
  /** Operator settings for a skill (skills.settings.<name>). */
  skillSettings: (skillName: string) => Readonly<Record<string, unknown>>;
  /** Rate limits for inbound messages; omitted means unlimited (tests of other parts). */
  admit?: (message: { channel: string; conversationId: string; userId: string }) =>
    | { allowed: true }
    | { allowed: false; retryAfterMs: number; notify: boolean; scope: string; message?: string };
  logger: Logger;
  now?: () => number;
}
