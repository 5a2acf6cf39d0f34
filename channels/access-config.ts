// The access-control, group-chat and reply-streaming keys every chat-platform section shares.
// A channel's own config schema (in its folder) extends channelAccessSchema so `access`, `allow`,
// `group_chats` and `stream_replies` mean the same on every platform. Must never hold
// platform-specific keys.
import { z } from 'zod';
import { isSecretRef } from '../src/config/secret-ref.js';
import type { ChannelAccessConfig, ChannelStreamingConfig } from './channel.js';

/** Platforms rate-limit edits (Telegram, Slack, Discord: about one a second per chat is safe). */
export const MIN_STREAM_EDIT_INTERVAL_MS = 500;

/** A secret in a channel section (bot token, signing secret): a reference, never a literal. */
export const secretReference = z.string().refine(isSecretRef, 'secret values must be references like ${env:NAME} or vault:NAME, not literals');

export const channelAccessSchema = z.strictObject({
  /** open: anyone; allowlist: only `allow`; pairing: unknown users get a one-time code. */
  access: z.enum(['open', 'allowlist', 'pairing']).default('pairing'),
  /** Platform user ids (raw, e.g. "123456") allowed in allowlist mode, pre-paired in pairing mode. */
  allow: z.array(z.string().min(1).max(200)).default([]),
  /** Group chats (platform conversation ids) where the bot answers every message, not only when addressed. */
  group_chats: z.array(z.string().min(1).max(200)).default([]),
  /** edits: a draft message edited as the model writes; final: one message with the finished text. Default: edits where the platform can edit. */
  stream_replies: z.enum(['edits', 'final']).optional(),
  /** Least time between two edits of a streamed draft. */
  stream_edit_interval_ms: z
    .number()
    .int('a whole number of milliseconds')
    .min(MIN_STREAM_EDIT_INTERVAL_MS, `at least ${MIN_STREAM_EDIT_INTERVAL_MS}: chat platforms rate-limit edits (about one a second is safe)`)
    .max(60_000, 'at most 60000 (one minute)')
    .default(1000),
});

export type ChannelAccessSection = z.infer<typeof channelAccessSchema>;

/** Reads the shared keys of a parsed section into the host's shape. */
export function accessFromSection(section: ChannelAccessSection): ChannelAccessConfig {
  return { mode: section.access, allow: section.allow, groupChats: section.group_chats };
}

/** Reads the shared reply-streaming keys of a parsed section. */
export function streamingFromSection(section: ChannelAccessSection): ChannelStreamingConfig {
  return { ...(section.stream_replies ? { replies: section.stream_replies } : {}), editIntervalMs: section.stream_edit_interval_ms };
}
