// The access-control and group-chat keys every channel section shares. A channel's own config
// schema (in its folder) extends channelAccessSchema so `access`, `allow` and `group_chats` mean
// the same on every platform. Must never hold platform-specific keys.
import { z } from 'zod';
import { isSecretRef } from '../src/config/secret-ref.js';
import type { ChannelAccessConfig } from './channel.js';

/** A secret in a channel section (bot token, signing secret): a reference, never a literal. */
export const secretReference = z.string().refine(isSecretRef, 'secret values must be references like ${env:NAME} or vault:NAME, not literals');

export const channelAccessSchema = z.strictObject({
  /** open: anyone; allowlist: only `allow`; pairing: unknown users get a one-time code. */
  access: z.enum(['open', 'allowlist', 'pairing']).default('pairing'),
  /** Platform user ids (raw, e.g. "123456") allowed in allowlist mode, pre-paired in pairing mode. */
  allow: z.array(z.string().min(1).max(200)).default([]),
  /** Group chats (platform conversation ids) where the bot answers every message, not only when addressed. */
  group_chats: z.array(z.string().min(1).max(200)).default([]),
});

export type ChannelAccessSection = z.infer<typeof channelAccessSchema>;

/** Reads the shared keys of a parsed section into the host's shape. */
export function accessFromSection(section: ChannelAccessSection): ChannelAccessConfig {
  return { mode: section.access, allow: section.allow, groupChats: section.group_chats };
}
