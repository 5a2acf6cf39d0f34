// The contract every channel adapter keeps, as one suite each adapter runs against its own
// platform stand-in (the web page over HTTP + SSE; Telegram against its fake Bot API; later
// Slack, Discord, Matrix). A channel is done when this suite passes. The gateway is a real
// child process (so "killed" is SIGKILL); the adapter's test only writes a small driver that
// acts as platform users and reads what the platform received.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOllama, turns, type FakeOllama } from '../../fakes/ollama-server.js';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.js';

/** A message as the platform shows it now (edits applied). */
export interface ShownMessage {
  id: string;
  text: string;
  /** Set when it is an approval prompt. */
  approvalId?: string;
  /** Set once the prompt was updated with its outcome. */
  outcome?: string;
}

export interface ChannelDriver {
  /** Platform user ids: users[0] asks for things; users[1], when present, is a stranger. */
  readonly users: readonly string[];
  /** The platform's text limit (long replies must arrive split below it). */
  readonly maxTextLength: number;
  /** True when re-sending a message id is a client retry that gets the stored reply again (the web page). */
  readonly repeatsReplyOnRetry?: boolean;
  /** Log line that proves a malformed platform event was dropped. */
  readonly malformedLog: RegExp;
  /** Called with the running gateway (and again after every restart). */
  attach(gateway: { url: string; token: string }): Promise<void>;
  /** A user sends a message (a fresh platform message id unless given); resolves once the platform got its acknowledgement. */
  send(input: { user: string; conversation: string; text: string; messageId?: string }): Promise<void>;
  /** The user presses a button of the prompt; resolves with the answer the platform showed the presser. */
  press(input: { user: string; conversation: string; approvalId: string; decision: 'approve' | 'deny' | 'allow_conversation' }): Promise<string>;
  /** The bot's messages in a conversation, in order. */
  shown(conversation: string): ShownMessage[];
  /** Sends an event the adapter cannot use (wrong shape). */
  malformed(): Promise<void>;
  /** When the platform can be unreachable: every send fails until up(). */
  platform?: { down(): Promise<void> | void; up(): Promise<void> | void };
  close(): Promise<void>;
}

export interface ChannelContractSetup {
  /** The channel's name (identities are `<name>:<user>`). */
  name: string;
  /** channels.<name> for the gateway config, restricting access to `allow` when the channel supports it. */
  section(allow: readonly string[]): Record<string, unknown>;
  /** Whether section() really restricts access (the web page has one user: the token holder). */
  accessControl: boolean;
  env?: Record<string, string>;
  driver: ChannelDriver;
}

let counter = 0;
const uniqueConversation = (tag: string) => `${tag}-${process.pid}-${++counter}`;

/** What a channel's own contract file gets to write its driver self-check (inside the suite, after it). */
export interface ContractRun {
  driver: ChannelDriver;
  gateway: GatewayProcess;
  /** users[0]: the one the channel lets in. */
  requester: string;
  /** A conversation tag no other case uses. */
  newConversation(tag: string): string;
  /** The channel as /api/health reports it now. */
  channelHealth(): Promise<{ name: string; state: string; connected: boolean; outboxBacklog: number } | undefined>;
}

/** The requester says `text` in a fresh conversation (the fake model echoes it); resolves with the conversation and what the driver then shows there. */
export async function roundTrip(run: ContractRun, text: string): Promise<{ conversation: string; shown: ShownMessage[] }> {
  const conversation = run.newConversation('self-check');
  await run.driver.send({ user: run.requester, conversation, text });
  await expect.poll(() => run.driver.shown(conversation).length, { timeout: 20_000 }).toBeGreaterThan(0);
  return { conversation, shown: run.driver.shown(conversation) };
}

/**
 * Runs the contract against one channel. `selfCheck` registers the channel file's own tests
 * (a driver self-check: a driver that reads nothing, or reads the wrong platform state, must
 * fail on its own, not only through the shared cases).
 */
export function describeChannelContract(label: string, setup: () => Promise<ChannelContractSetup>, selfCheck?: (run: () => ContractRun) => void): void {
  describe(`Channel contract: ${label}`, () => {
    let s: ChannelContractSetup;
    let fake: FakeOllama;
    let gateway: GatewayProcess;
    let dataDir: string;
    let requester: string;

    beforeAll(async () => {
      s = await setup();
      requester = s.driver.users[0]!;
      fake = await startFakeOllama();
      dataDir = mkdtempSync(join(tmpdir(), `securesphere-contract-${s.name}-`));
      gateway = await startGatewayProcess({
        dataDir,
        fake,
        env: s.env ?? {},
        config: {
          policy: { approvers: [], admins: [`${s.name}:contract-admin`] },
          channels: { [s.name]: s.section([requester]) },
        },
      });
      await s.driver.attach(gateway);
    }, 90_000);

    afterAll(async () => {
      await s?.driver.close();
      await gateway?.close();
      await fake?.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const bot = (conversation: string) => s.driver.shown(conversation);
    const replies = (conversation: string) => bot(conversation).filter((m) => !m.approvalId);

    async function promptIn(conversation: string, count = 1): Promise<ShownMessage> {
      await expect.poll(() => bot(conversation).filter((m) => m.approvalId).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(count);
      return bot(conversation).filter((m) => m.approvalId)[count - 1]!;
    }

    function scriptWipe(): void {
      fake.enqueue(turns.toolCall('calc_wipe', { target: 'tmp' }), (req) => {
        const tool = [...req.messages].reverse().find((m) => m.role === 'tool');
        return turns.text(`wipe finished: ${tool?.content.includes('"done"') ? 'ran' : 'did not run'}`);
      });
    }

    it('answers a message', async () => {
      const conversation = uniqueConversation('reply');
      await s.driver.send({ user: requester, conversation, text: 'hello contract' });
      await expect.poll(() => replies(conversation).map((m) => m.text), { timeout: 20_000 }).toContain('hello contract');
    });

    it('acknowledges the platform while the model is still answering, then delivers the reply', async () => {
      const conversation = uniqueConversation('ack');
      let answer!: () => void;
      const answered = new Promise<void>((resolve) => (answer = resolve));
      let asked!: () => void;
      const modelAsked = new Promise<void>((resolve) => (asked = resolve));
      fake.enqueue(async () => {
        asked();
        await answered;
        return turns.text('answered after the ack');
      });
      // The model does not answer until the platform's acknowledgement came back: an adapter that
      // acknowledged only after the turn would never get here (the model waits for ever).
      await s.driver.send({ user: requester, conversation, text: 'slow question' });
      await modelAsked;
      expect(replies(conversation).map((m) => m.text)).not.toContain('answered after the ack');
      answer();
      await expect.poll(() => replies(conversation).map((m) => m.text), { timeout: 20_000 }).toContain('answered after the ack');
    });

    it('shows an approval prompt the requester approves; the press is answered, the prompt updated, the turn finished', async () => {
      const conversation = uniqueConversation('approve');
      scriptWipe();
      await s.driver.send({ user: requester, conversation, text: 'wipe tmp' });
      const prompt = await promptIn(conversation);
      const answer = await s.driver.press({ user: requester, conversation, approvalId: prompt.approvalId!, decision: 'approve' });
      expect(answer).toMatch(/approved/i);
      await expect.poll(() => replies(conversation).map((m) => m.text), { timeout: 20_000 }).toContain('wipe finished: ran');
      await expect.poll(() => bot(conversation).find((m) => m.approvalId === prompt.approvalId)?.outcome, { timeout: 20_000 }).toBe('approved');
    });

    it('refuses a press by someone who may not decide, and a second press; the step runs once', async () => {
      const conversation = uniqueConversation('refuse');
      // A critical step: only an admin may approve it, not even the requester.
      fake.enqueue(turns.toolCall('calc_nuke', { target: 'workspace' }), turns.text('nuke answered'));
      await s.driver.send({ user: requester, conversation, text: 'nuke it' });
      const critical = await promptIn(conversation);
      const refused = await s.driver.press({ user: requester, conversation, approvalId: critical.approvalId!, decision: 'approve' });
      expect(refused).toMatch(/may not|only an admin/i);
      const stranger = s.driver.users[1];
      if (stranger) {
        const byStranger = await s.driver.press({ user: stranger, conversation, approvalId: critical.approvalId!, decision: 'deny' });
        expect(byStranger).toMatch(/may not/i);
      }
      expect(bot(conversation).find((m) => m.approvalId === critical.approvalId)?.outcome).toBeUndefined();
      // The requester may always cancel; pressing again after that is "already decided".
      expect(await s.driver.press({ user: requester, conversation, approvalId: critical.approvalId!, decision: 'deny' })).toMatch(/denied/i);
      expect(await s.driver.press({ user: requester, conversation, approvalId: critical.approvalId!, decision: 'deny' })).toMatch(/already/i);
      await expect.poll(() => replies(conversation).map((m) => m.text), { timeout: 20_000 }).toContain('nuke answered');
      const actions = (await gateway.api('GET', `/api/approvals/${critical.approvalId}`)).body;
      expect(actions.approval.status).toBe('denied');
    });

    it('processes a redelivered platform message once', async () => {
      const conversation = uniqueConversation('dup');
      const before = fake.chatRequests.length;
      await s.driver.send({ user: requester, conversation, text: 'only once', messageId: 'contract-dup-1' });
      await s.driver.send({ user: requester, conversation, text: 'only once', messageId: 'contract-dup-1' });
      const once = s.driver.repeatsReplyOnRetry ? 2 : 1;
      await expect.poll(() => replies(conversation).length, { timeout: 20_000 }).toBe(once);
      // Both deliveries were acknowledged before this point, so a second turn would have started.
      await s.driver.send({ user: requester, conversation, text: 'after the duplicate' });
      await expect.poll(() => replies(conversation).length, { timeout: 20_000 }).toBe(once + 1);
      expect(fake.chatRequests.length - before).toBe(2);
      // One turn: the same answer (a client retry may be shown it again), never a second model call.
      expect(replies(conversation).map((m) => m.text)).toEqual([...Array<string>(once).fill('only once'), 'after the duplicate']);
    });

    it('splits a long reply below the platform limit without breaking words', async () => {
      const conversation = uniqueConversation('split');
      const words = Array.from({ length: Math.ceil((s.driver.maxTextLength * 2.5) / 9) }, (_, i) => `w${String(i).padStart(6, '0')}`);
      fake.enqueue(turns.text(words.join(' ')));
      await s.driver.send({ user: requester, conversation, text: 'say a lot' });
      await expect.poll(() => replies(conversation).flatMap((m) => m.text.split(/\s+/)).filter(Boolean).length, { timeout: 20_000 }).toBe(words.length);
      const parts = replies(conversation);
      expect(parts.length).toBeGreaterThanOrEqual(3);
      for (const part of parts) expect(part.text.length).toBeLessThanOrEqual(s.driver.maxTextLength);
      expect(parts.flatMap((m) => m.text.split(/\s+/)).filter(Boolean)).toEqual(words);
    });

    it('drops a malformed platform event with a log line and keeps working', async () => {
      await s.driver.malformed();
      await expect.poll(() => s.driver.malformedLog.test(gateway.logs()), { timeout: 20_000 }).toBe(true);
      const conversation = uniqueConversation('after-malformed');
      await s.driver.send({ user: requester, conversation, text: 'still here' });
      await expect.poll(() => replies(conversation).map((m) => m.text), { timeout: 20_000 }).toContain('still here');
    });

    it('lets only allowed users in, before anything reaches the model', async ({ skip }) => {
      const stranger = s.driver.users[1];
      if (!s.accessControl || !stranger) skip();
      const conversation = uniqueConversation('access');
      const before = fake.chatRequests.length;
      await s.driver.send({ user: stranger!, conversation, text: 'let me in' });
      await s.driver.send({ user: requester, conversation, text: 'I am allowed' });
      await expect.poll(() => replies(conversation).map((m) => m.text), { timeout: 20_000 }).toContain('I am allowed');
      expect(fake.chatRequests.length - before).toBe(1);
      expect(fake.chatRequests.at(-1)!.messages.some((m) => m.content === 'let me in')).toBe(false);
    });

    it('delivers a reply produced while the platform was down once it is back', async ({ skip }) => {
      if (!s.driver.platform) skip();
      const conversation = uniqueConversation('outage');
      await s.driver.platform!.down();
      await s.driver.send({ user: requester, conversation, text: 'during the outage' }).catch(() => undefined);
      await expect.poll(async () => backlog(), { timeout: 20_000 }).toBeGreaterThan(0);
      await s.driver.platform!.up();
      await expect.poll(() => replies(conversation).map((m) => m.text), { timeout: 30_000 }).toEqual(['during the outage']);
    });

    it('delivers, once, a reply still owed when the gateway was killed with SIGKILL', async () => {
      const conversation = uniqueConversation('kill');
      if (s.driver.platform) {
        // The reply is produced while the platform is down, so it waits in the outbox ...
        await s.driver.platform.down();
        await s.driver.send({ user: requester, conversation, text: 'survive the kill' }).catch(() => undefined);
        await expect.poll(async () => backlog(), { timeout: 20_000 }).toBeGreaterThan(0);
        await gateway.kill();
        await s.driver.platform.up();
      } else {
        // ... or the model is still thinking when the process dies.
        fake.enqueue(turns.delay(1500, turns.text('survive the kill')));
        const asked = fake.chatRequests.length;
        await s.driver.send({ user: requester, conversation, text: 'answer slowly' });
        await expect.poll(() => fake.chatRequests.length, { timeout: 20_000 }).toBeGreaterThan(asked);
        await gateway.kill();
        fake.enqueue(turns.text('survive the kill'));
      }
      await gateway.restart();
      await s.driver.attach(gateway);
      await expect.poll(() => replies(conversation).map((m) => m.text), { timeout: 30_000 }).toContain('survive the kill');
      // Nothing more arrives for it: one more message in the same conversation is the next reply.
      await s.driver.send({ user: requester, conversation, text: 'next one' });
      await expect.poll(() => replies(conversation).map((m) => m.text).at(-1), { timeout: 20_000 }).toBe('next one');
      expect(replies(conversation).filter((m) => m.text === 'survive the kill')).toHaveLength(1);
    }, 120_000);

    async function channelHealth() {
      const health = await gateway.api('GET', '/api/health');
      return (health.body.channels as Array<{ name: string; state: string; connected: boolean; outboxBacklog: number }> | undefined)?.find((c) => c.name === s.name);
    }

    async function backlog(): Promise<number> {
      return (await channelHealth())?.outboxBacklog ?? 0;
    }

    selfCheck?.(() => ({ driver: s.driver, gateway, requester, newConversation: uniqueConversation, channelHealth }));
  });
}
