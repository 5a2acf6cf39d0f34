// The web channel runs the shared channel contract: its "platform" is the page's HTTP API and
// server-sent event stream, driven here over real sockets like the page does.
import { expect, it } from 'vitest';
import { describeChannelContract, roundTrip, type ChannelDriver, type ShownMessage } from './contract/channel-contract.js';

interface WebEvent {
  id: string;
  from: 'user' | 'bot';
  text: string;
  replaces?: string;
  approval?: { approval_id: string; outcome?: { status: string } };
}

function createWebDriver(): ChannelDriver {
  let gateway = { url: '', token: '' };
  const shown = new Map<string, ShownMessage[]>();
  const streams = new Map<string, AbortController>();
  let seq = 0;

  const auth = () => ({ authorization: `Bearer ${gateway.token}` });

  /** Follows a conversation's event stream, keeping the bot's messages with edits applied. */
  async function follow(conversation: string): Promise<void> {
    streams.get(conversation)?.abort();
    const abort = new AbortController();
    streams.set(conversation, abort);
    const res = await fetch(`${gateway.url}/api/web/events?conversation_id=${conversation}`, { headers: auth(), signal: abort.signal });
    if (res.status !== 200) throw new Error(`event stream answered ${res.status}`);
    const list = shown.get(conversation) ?? [];
    shown.set(conversation, list);
    void (async () => {
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for (;;) {
          const chunk = await reader.read();
          if (chunk.done) return;
          buffer += decoder.decode(chunk.value, { stream: true });
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
            if (!data) continue;
            const event = JSON.parse(data) as WebEvent;
            if (event.from !== 'bot') continue;
            if (event.replaces) {
              const original = list.find((m) => m.id === event.replaces);
              if (original) {
                original.text = event.text;
                if (event.approval?.outcome) original.outcome = event.approval.outcome.status;
              }
              continue;
            }
            list.push({ id: event.id, text: event.text, ...(event.approval ? { approvalId: event.approval.approval_id } : {}) });
          }
        }
      } catch {
        // aborted, or the gateway was killed: attach() reconnects.
      }
    })();
  }

  return {
    users: ['operator'],
    maxTextLength: 16_000,
    repeatsReplyOnRetry: true,
    malformedLog: /web channel rejected a request/,
    async attach(next) {
      gateway = next;
      for (const conversation of [...streams.keys()]) await follow(conversation);
    },
    async send({ conversation, text, messageId }) {
      if (!streams.has(conversation)) await follow(conversation);
      const res = await fetch(`${gateway.url}/api/web/messages`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/json' },
        body: JSON.stringify({ conversation_id: conversation, text, client_message_id: messageId ?? `wc-${++seq}` }),
      });
      if (res.status !== 202) throw new Error(`send answered ${res.status}: ${await res.text()}`);
    },
    async press({ approvalId, decision }) {
      const res = await fetch(`${gateway.url}/api/web/approvals`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/json' },
        body: JSON.stringify({ approval_id: approvalId, decision }),
      });
      const body = (await res.json()) as { outcome?: { message: string }; error?: { message: string } };
      return body.outcome?.message ?? body.error?.message ?? '';
    },
    shown: (conversation) => shown.get(conversation) ?? [],
    async malformed() {
      await fetch(`${gateway.url}/api/web/messages`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ conversation_id: '../etc', text: 7 }) });
    },
    async close() {
      for (const abort of streams.values()) abort.abort();
    },
  };
}

describeChannelContract(
  'web',
  async () => ({
    name: 'web',
    section: () => ({ enabled: true }),
    accessControl: false,
    driver: createWebDriver(),
  }),
  (run) => {
    it("driver self-check: the reply it reads from the page's event stream is the assistant message the gateway stored; the outbox is empty", async () => {
      const text = 'web driver self-check';
      const { conversation, shown } = await roundTrip(run(), text);
      expect(shown.map((m) => m.text)).toEqual([text]);
      const stored = await run().gateway.api('GET', `/api/conversations/${encodeURIComponent(`web:${conversation}`)}/messages`);
      expect((stored.body.messages as Array<{ role: string; content: string }>).filter((m) => m.role === 'assistant').map((m) => m.content)).toEqual([text]);
      expect(await run().channelHealth()).toMatchObject({ state: 'running', connected: true, outboxBacklog: 0 });
    });
  },
);
