// The Telegram channel runs the shared channel contract against the Bot API stand-in: users
// write in group chats (one group per contract conversation, the bot @mentioned, since a
// private chat's id is the user's own), press inline buttons, and the driver reads what the
// bot sent and edited. "Platform down" is Telegram answering 502 to everything the bot sends
// (updates still arrive), so replies pile up in the outbox as they would during a real outage.
import { expect, it } from 'vitest';
import { describeChannelContract, roundTrip, type ChannelDriver, type ShownMessage } from '../contract/channel-contract.js';
import { startFakeTelegram, type FakeTelegram, type WireMessage, type WireUser } from '../../fakes/telegram-bot-api.js';

const OUTCOME = /^(Approved|Denied|Expired)\b.* UTC$/m;
const SENDING_METHODS = ['sendMessage', 'editMessageText', 'editMessageReplyMarkup', 'answerCallbackQuery', 'sendChatAction'];

function createTelegramDriver(fake: FakeTelegram): ChannelDriver {
  const chats = new Map<string, number>();
  const sentByMessageId = new Map<string, WireMessage>();
  const promptOf = new Map<string, string>();
  let down = false;

  // Remember which bot messages were prompts while their buttons are still on them.
  fake.onBotMessage((message) => {
    const data = message.reply_markup?.inline_keyboard.flat()[0]?.callback_data;
    if (data) promptOf.set(`${message.chat.id}/${message.message_id}`, data.slice(2));
  });

  const user = (id: string): WireUser => fake.user(Number(id), `User${id}`);
  const chatOf = (conversation: string) => {
    let id = chats.get(conversation);
    if (id === undefined) {
      id = 900_000 + chats.size;
      chats.set(conversation, id);
    }
    return fake.group(id, conversation);
  };

  async function until(check: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 2000; i++) {
      if (check()) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  function breakSending(): void {
    for (const method of SENDING_METHODS) fake.failNext(method, { status: 502, description: 'Bad Gateway' }, 100_000);
  }

  return {
    users: ['1001', '2002'],
    maxTextLength: 4096,
    malformedLog: /telegram message without a chat id/,
    async attach() {
      await until(() => fake.calls.some((c) => c.method === 'getUpdates' && c.status === 0), 'the bot to poll');
    },
    async send({ user: id, conversation, text, messageId }) {
      const chat = chatOf(conversation);
      const again = messageId ? sentByMessageId.get(messageId) : undefined;
      if (again) fake.injectUpdate('message', again);
      else {
        const sent = fake.userSends({ chat, from: user(id), text: `@${fake.bot.username} ${text}` });
        if (messageId) sentByMessageId.set(messageId, sent);
      }
      const update = fake.lastUpdateId();
      // Telegram's acknowledgement: the bot's next getUpdates confirms the update by offset.
      await until(() => !fake.isPending(update), `update ${update} to be confirmed`);
    },
    async press({ user: id, conversation, approvalId, decision }) {
      const chat = chatOf(conversation);
      const message = fake.botMessages(chat.id).find((m) => promptOf.get(`${chat.id}/${m.message_id}`) === approvalId);
      if (!message) throw new Error(`no prompt for ${approvalId} in ${conversation}`);
      const code = decision === 'approve' ? 'a' : decision === 'deny' ? 'd' : 'c';
      const query = fake.press(user(id), message, `${code}:${approvalId}`);
      await until(() => fake.callbackAnswer(query) !== undefined, 'the press to be answered');
      return fake.callbackAnswer(query)!.text ?? '';
    },
    shown(conversation): ShownMessage[] {
      const id = chats.get(conversation);
      if (id === undefined) return [];
      return fake.botMessages(-id).map((m) => {
        const approvalId = promptOf.get(`${m.chat.id}/${m.message_id}`);
        const outcome = approvalId ? OUTCOME.exec(m.text ?? '')?.[1]?.toLowerCase() : undefined;
        return { id: String(m.message_id), text: m.text ?? '', ...(approvalId ? { approvalId } : {}), ...(outcome ? { outcome } : {}) };
      });
    },
    async malformed() {
      fake.injectUpdate('message', { message_id: 1, date: 1, text: 'no chat' });
    },
    platform: {
      down() {
        down = true;
        breakSending();
      },
      up() {
        down = false;
        fake.clearFailures();
      },
    },
    async close() {
      if (down) fake.clearFailures();
      await fake.close();
    },
  };
}

let fake: FakeTelegram;

describeChannelContract('telegram', async () => {
  fake = await startFakeTelegram();
  return {
    name: 'telegram',
    section: (allow) => ({ token: '${env:TELEGRAM_BOT_TOKEN}', api_root: fake.apiRoot, access: 'allowlist', allow: [...allow] }),
    accessControl: true,
    env: { TELEGRAM_BOT_TOKEN: fake.token },
    driver: createTelegramDriver(fake),
  };
}, (run) => {
  it('driver self-check: what it reads is the one sendMessage the Bot API stand-in answered; the outbox is empty', async () => {
    const text = 'telegram driver self-check';
    expect((await roundTrip(run(), text)).shown.map((m) => m.text)).toEqual([text]);
    expect(fake.calls.filter((c) => c.method === 'sendMessage' && c.status === 200 && c.params.text === text)).toHaveLength(1);
    expect(await run().channelHealth()).toMatchObject({ state: 'running', connected: true, outboxBacklog: 0 });
  });
});
