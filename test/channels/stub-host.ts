// A channel host for tests that run one adapter on its own against a platform stand-in: it admits
// every message, refuses every decision, answers /status with a fixed text, and keeps each log
// line and dropped event in `lines`. A test passes what it scripts (a slow decide, a notify).
import type { ChannelContext } from '../../channels/channel.js';

export function stubHost(channel: string, overrides: Partial<ChannelContext> = {}): ChannelContext & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (obj: Record<string, unknown>, msg: string) => void lines.push(`${level} ${msg} ${JSON.stringify(obj)}`);
  return {
    lines,
    channel,
    receive: async (m) => ({ status: 'admitted', conversationKey: `${channel}:${m.conversationId}` }),
    decide: async (input) => ({ status: 'refused', approvalId: input.approvalId, reason: 'not_an_approver', message: `You may not decide ${input.approvalId}.` }),
    resetConversation: async () => undefined,
    statusText: async () => 'status',
    notify: (_address, text) => void lines.push(`notify ${text}`),
    identity: (id) => `${channel}:${id}`,
    dropMalformed: (reason) => void lines.push(`warn ${reason}`),
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    ...overrides,
  };
}
