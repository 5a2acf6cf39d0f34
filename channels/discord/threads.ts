// One thread per conversation in guild channels (config `threads: true`): a mention in a text
// channel becomes a public thread started from that message (Discord gives the thread the
// message's id, so a redelivered message maps to the same thread), and everything said in a
// thread the bot started is for the bot. Must never start a thread for a message the host did
// not take (a stranger's mention gets no thread).
import { DiscordAPIError, Routes, type REST } from 'discord.js';
import type { ChannelLogger } from '../channel.js';
import { describeDiscordError } from './delivery-errors.js';

const THREAD_ALREADY_EXISTS = 160004;
const THREAD_NAME_LIMIT = 100;

export function threadNameFor(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return (line.length > THREAD_NAME_LIMIT - 1 ? `${line.slice(0, THREAD_NAME_LIMIT - 2)}…` : line) || 'SecureSphere';
}

/** Starts the thread on a message; true when it exists afterwards (also when it already did). */
export async function startThread(rest: REST, input: { channelId: string; messageId: string; text: string }, logger: ChannelLogger): Promise<boolean> {
  try {
    await rest.post(Routes.threads(input.channelId, input.messageId), { body: { name: threadNameFor(input.text), auto_archive_duration: 1440 } });
    return true;
  } catch (err) {
    if (err instanceof DiscordAPIError && err.code === THREAD_ALREADY_EXISTS) return true;
    logger.warn({ err: describeDiscordError(err) }, 'discord: could not start a thread; check the Create Public Threads permission');
    return false;
  }
}
