// Test users on the real Synapse: each is a real matrix-js-sdk client in the test process (with
// the Rust crypto when asked), recording every event of the rooms it is in, so a test can read
// what the bot sent (edits applied), react, and send. Must never talk to anything but the
// loopback Synapse the test started.
import * as sdk from 'matrix-js-sdk';
import { logger as sdkModuleLogger } from 'matrix-js-sdk/lib/logger.js';
import type { MatrixUser, Synapse } from '../../helpers/synapse.js';

export interface SeenEvent {
  id: string;
  type: string;
  sender: string;
  content: Record<string, unknown>;
  encrypted: boolean;
}

export interface TestUser {
  userId: string;
  client: sdk.MatrixClient;
  /** Every event seen in the room, decrypted where possible, in arrival order. */
  events(roomId: string): SeenEvent[];
  send(roomId: string, content: Record<string, unknown>): Promise<string>;
  react(roomId: string, eventId: string, key: string): Promise<string>;
  createRoom(options: { invite: string[]; encrypted?: boolean; name?: string }): Promise<string>;
  join(roomId: string): Promise<void>;
  membership(roomId: string, userId: string): string | undefined;
  stop(): Promise<void>;
}

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, getChild: () => silent };
// The SDK's module-level logger (pending-event chatter) would flood test and bench output.
(sdkModuleLogger as unknown as { setLevel(level: string): void }).setLevel('warn');

export async function startTestUser(synapse: Synapse, account: MatrixUser, options: { crypto?: boolean } = {}): Promise<TestUser> {
  const client = sdk.createClient({ baseUrl: synapse.url, userId: account.userId, accessToken: account.accessToken, deviceId: account.deviceId, logger: silent });
  if (options.crypto) await client.initRustCrypto({ useIndexedDB: false });
  const seen = new Map<string, SeenEvent[]>();
  const record = async (event: sdk.MatrixEvent, room: sdk.Room | undefined) => {
    if (!room || !event.getId() || event.getId()!.startsWith('~')) return;
    const encrypted = event.isEncrypted();
    if (encrypted) await client.decryptEventIfNeeded(event);
    const list = seen.get(room.roomId) ?? [];
    if (list.some((e) => e.id === event.getId())) return;
    list.push({ id: event.getId()!, type: event.getType(), sender: event.getSender()!, content: event.getContent(), encrypted });
    seen.set(room.roomId, list);
  };
  client.on(sdk.RoomEvent.Timeline, (event, room, toStart) => {
    if (!toStart) void record(event, room);
  });
  const ready = new Promise<void>((resolve) => client.once(sdk.ClientEvent.Sync, () => resolve()));
  await client.startClient({ initialSyncLimit: 0 });
  await ready;
  type Send = (roomId: string, type: string, content: Record<string, unknown>) => Promise<{ event_id: string }>;
  const sendEvent = (roomId: string, type: string, content: Record<string, unknown>) => (client.sendEvent as unknown as Send).call(client, roomId, type, content);
  return {
    userId: account.userId,
    client,
    events: (roomId) => [...(seen.get(roomId) ?? [])],
    async send(roomId, content) {
      return (await sendEvent(roomId, 'm.room.message', content)).event_id;
    },
    async react(roomId, eventId, key) {
      return (await sendEvent(roomId, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: eventId, key } })).event_id;
    },
    async createRoom({ invite, encrypted, name }) {
      const { room_id } = await client.createRoom({
        invite,
        ...(name ? { name } : {}),
        preset: sdk.Preset.PrivateChat,
        ...(encrypted ? { initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }] } : {}),
      });
      return room_id;
    },
    async join(roomId) {
      await client.joinRoom(roomId);
    },
    membership(roomId, userId) {
      return client.getRoom(roomId)?.getMember(userId)?.membership;
    },
    async stop() {
      client.stopClient();
    },
  };
}

/** The bot's messages in a room as a user sees them now: edits applied, press answers apart. */
export function botMessages(user: TestUser, roomId: string, botId: string): Array<{ id: string; content: Record<string, unknown> }> {
  const events = user.events(roomId).filter((e) => e.sender === botId && e.type === 'm.room.message');
  const shown = new Map<string, Record<string, unknown>>();
  for (const e of events) {
    const rel = e.content['m.relates_to'] as { rel_type?: string; event_id?: string } | undefined;
    if (rel?.rel_type === 'm.replace' && rel.event_id) {
      if (shown.has(rel.event_id)) shown.set(rel.event_id, e.content['m.new_content'] as Record<string, unknown>);
    } else shown.set(e.id, e.content);
  }
  return [...shown.entries()].map(([id, content]) => ({ id, content }));
}
