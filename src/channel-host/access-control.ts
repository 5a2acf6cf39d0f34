// Who may talk to the bot on a channel, decided before anything is stored for the model:
// `open` (anyone), `allowlist` (the section's `allow` ids), or `pairing` (unknown users get a
// one-time code an admin approves). Policy admins and approvers are always let in. In group
// chats the bot only takes messages that mention or reply to it, unless the chat is listed in
// `group_chats`. Never reads message text to decide who someone is.
import type { ChannelAccessConfig, InboundMessage } from '../../channels/channel.js';
import type { PairingStore } from '../store/pairings.js';

export type AccessVerdict =
  | { allowed: true }
  | { allowed: false; reason: 'not_allowed' | 'pairing_required' | 'not_addressed'; message: string; notice?: string };

export interface AccessControlDeps {
  pairings: PairingStore;
  /** Identities policy always lets in (admins, approvers and their linked accounts). */
  trusted: (identity: string) => boolean;
  now?: () => number;
}

export interface AccessControl {
  check(channel: string, access: ChannelAccessConfig, identity: string, message: InboundMessage): AccessVerdict;
  /** Whether this platform user may use the bot on this channel at all (for `/new`, `/status`); asks for no pairing code. */
  mayUse(channel: string, access: ChannelAccessConfig, identity: string, platformUserId: string): boolean;
}

export function createAccessControl(deps: AccessControlDeps): AccessControl {
  const now = deps.now ?? Date.now;
  return {
    mayUse(channel, access, identity, platformUserId) {
      if (access.mode === 'open' || access.allow.includes(platformUserId) || deps.trusted(identity)) return true;
      return access.mode === 'pairing' && deps.pairings.isPaired(channel, platformUserId);
    },
    check(channel, access, identity, message) {
      if (message.chatType === 'group' && !message.addressedToBot && !access.groupChats.includes(message.conversationId)) {
        return { allowed: false, reason: 'not_addressed', message: 'A group message that neither mentions nor replies to the bot.' };
      }
      if (access.mode === 'open' || access.allow.includes(message.senderId) || deps.trusted(identity)) return { allowed: true };
      if (access.mode === 'allowlist') {
        return { allowed: false, reason: 'not_allowed', message: `${identity} is not on channels.${channel}.allow.` };
      }
      if (deps.pairings.isPaired(channel, message.senderId)) return { allowed: true };
      const { code, created } = deps.pairings.request(channel, message.senderId, message.senderName, now());
      return {
        allowed: false,
        reason: 'pairing_required',
        message: `${identity} is not paired yet.`,
        ...(created ? { notice: `This bot only talks to people an admin has let in. Your pairing code is ${code}: ask an admin to run \`securesphere pairing approve ${code}\`.` } : {}),
      };
    },
  };
}
