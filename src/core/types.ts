// The normalized types every part of SecureSphere speaks. Channel adapters, skills and
// providers only ever see these, never a platform's or vendor's own shapes.

export const SECURITY_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type SecurityLevel = (typeof SECURITY_LEVELS)[number];

/** A chat message as it arrives from any channel. */
export interface InboundMessage {
  /** Channel name, e.g. "telegram", "web", "cli". */
  channel: string;
  /** Conversation id, unique within the channel (a chat, a DM, a room). */
  conversationId: string;
  senderId: string;
  senderName: string;
  text: string;
  /** When the platform says it was sent. */
  time: Date;
  /** The platform's own message id, used to drop duplicates. */
  platformMessageId?: string;
}

/** What the gateway sends back to a channel. */
export interface OutboundMessage {
  channel: string;
  conversationId: string;
  text: string;
  /**
   * Set when this message is (or updates) an approval prompt. `text` is then its plain-text form
   * without a length limit; an adapter for a platform with a message size limit renders
   * `approval` with renderApprovalMessage(prompt, { maxLength, canAttach }) from
   * src/policy/approval-text.ts (full request as an attachment, or "decide it elsewhere").
   */
  approval?: ApprovalPrompt;
  /** The platform message this one replaces in place (approval prompt updates). */
  replacesPlatformMessageId?: string;
}

export const ACTION_STATUSES = [
  'pending',
  'awaiting_approval',
  'approved',
  'denied',
  'expired',
  'running',
  'succeeded',
  'failed',
] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** One request to run a skill operation, from the model or from the API. */
export interface ActionRequest {
  id: string;
  conversationId: string;
  kind: 'skill_execution';
  skill: string;
  operation: string;
  /** Arguments after validation against the operation's schema. */
  arguments: unknown;
  securityLevel: SecurityLevel;
  status: ActionStatus;
  /** Who asked: the user id of the turn that produced the tool call. */
  requester: string;
  /** The model's tool-call id, when the action came from a tool call. */
  toolCallId?: string;
  result?: unknown;
  error?: string;
  createdAt: Date;
  updatedAt: Date;
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';
export type ApprovalScope = 'once' | 'conversation';

/** A persisted request for a human decision on one action. */
export interface ApprovalRequest {
  id: string;
  actionId: string;
  conversationId: string;
  skill: string;
  operation: string;
  /** Canonical JSON of the arguments that are being approved. */
  canonicalArguments: string;
  /** SHA-256 (hex) of canonicalArguments: approval binds to exactly this. */
  argumentsHash: string;
  securityLevel: SecurityLevel;
  requester: string;
  /** User ids allowed to decide. */
  approvers: string[];
  status: ApprovalStatus;
  decidedBy?: string;
  decidedAt?: Date;
  scope?: ApprovalScope;
  createdAt: Date;
  expiresAt: Date;
  /** The channel and platform message that shows the prompt, once shown. */
  channel?: string;
  platformMessageId?: string;
}

/** What a channel renders for an approval: natively (buttons) or as text. */
export interface ApprovalPrompt {
  approvalId: string;
  summary: string;
  /**
   * The exact command or change, as it will run, made safe to show: long values keep their
   * beginning and end (the hidden length stated), whitespace runs are markers, control and
   * invisible characters are visible escapes (src/policy/approval-detail.ts).
   */
  detail: string;
  /** Every argument in full, set only when `detail` had to leave something out (for an attachment). */
  fullDetail?: string;
  securityLevel: SecurityLevel;
  approvers: string[];
  expiresAt: Date;
  options: Array<'approve' | 'deny' | 'allow_conversation'>;
  /** Set once decided, for in-place updates. */
  outcome?: { status: Exclude<ApprovalStatus, 'pending'>; by?: string; at: Date };
}

/** A chat message in a conversation's stored history, in provider-neutral form. */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string; senderId?: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; content: string; toolCallId: string; toolName: string };

export interface ToolCall {
  id: string;
  name: string;
  /** As the model produced it: untrusted, not yet validated. */
  arguments: unknown;
  /**
   * Set by the gateway (never by a provider) when the arguments held a known secret value: they
   * were redacted on arrival and the call is refused, never run with "[REDACTED]" in them.
   */
  heldSecret?: true;
}
