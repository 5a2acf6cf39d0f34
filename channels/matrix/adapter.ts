// The Matrix adapter on matrix-js-sdk: the bot syncs with its homeserver (the position kept in
// the data directory, so a restart continues where it stopped), accepts invites from users the
// access policy allows, hands text messages to the channel host (a room is a conversation, a
// thread optionally its own), decides approvals from ✅ / ❌ reactions by the reacting user's
// id, and sends replies, prompts and prompt edits (m.replace) that the host's outbox hands it.
// Encrypted rooms use the SDK's Rust crypto, its store kept in the data directory (crypto.ts).
// SDK types never leave channels/matrix/.
// Must never log the access token, trust text as an identity, or answer its own events.
import { join } from 'node:path';
import type * as Sdk from 'matrix-js-sdk';
import { ERROR_CODES, SecureSphereError, describeError } from '../../src/core/errors.js';
import { ChannelDeliveryError, type AdapterHealth, type ChannelAdapter, type ChannelContext, type ChannelLogger, type OutboundDelivery } from '../channel.js';
import type { MatrixConfig } from './config.js';
import { toDeliveryError } from './delivery-errors.js';
import { readEvent, type RawEvent } from './inbound.js';
import { createReactionHandler } from './reactions.js';
import { MATRIX_TEXT_LIMIT, renderPrompt, renderText } from './render.js';
import type { CryptoStore } from './crypto.js';
import { createSdkLogger } from './sdk-logger.js';
import { matrixStateDir, openSession, type MatrixCredential } from './session.js';
import { createFileSyncStore } from './sync-store.js';
import { sendTransactionId } from './transaction.js';
import { createRoomTyping } from './typing.js';

export interface MatrixAdapterDeps {
  config: MatrixConfig;
  credential: MatrixCredential;
  logger: ChannelLogger;
  dataDir: string;
  /** Encrypts the crypto store's keys at rest (channels.matrix.crypto_store_passphrase, resolved). */
  cryptoStorePassphrase?: string;
}

type SendEvent = (roomId: string, type: string, content: Record<string, unknown>, txnId: string) => Promise<{ event_id: string }>;

const FIRST_SYNC_TIMEOUT_MS = 60_000;

export function createMatrixAdapter(deps: MatrixAdapterDeps): ChannelAdapter {
  const { config, logger } = deps;
  const me = config.user_id;
  let sdk: typeof Sdk | undefined;
  let client: Sdk.MatrixClient | undefined;
  let ctx: ChannelContext | undefined;
  let secrets: string[] = ['password' in deps.credential ? deps.credential.password : deps.credential.accessToken, ...(deps.cryptoStorePassphrase ? [deps.cryptoStorePassphrase] : [])];
  let cryptoStore: CryptoStore | undefined;
  const health: AdapterHealth = { connected: false, details: { homeserver: new URL(config.homeserver_url).host, user: me, encryption: config.encryption } };
  const inflight = new Set<Promise<void>>();
  /** The latest user message per room/thread, which a reply relates to. */
  const lastInbound = new Map<string, string>();
  const handledInvites = new Set<string>();
  let skipUntilPrepared = false;
  let prepared = false;
  let savedEventIds: ReadonlySet<string> = new Set();

  const typing = createRoomTyping({
    send: (roomId, on) => client!.sendTyping(roomId, on, on ? 30_000 : 0),
    onError: (err) => logger.debug({ err: describeError(err) }, 'matrix typing notification failed'),
  });

  const reactions = createReactionHandler({
    me,
    client: () => client!,
    ctx: () => ctx!,
    logger,
    answerRefusals: config.answer_refused_reactions,
    send: (roomId, content, txnId) => send(roomId, content, txnId),
  });

  const addressKey = (roomId: string, threadId?: string) => `${roomId}/${threadId ?? ''}`;

  function track(work: Promise<void>): void {
    const run = work.catch((err: unknown) => logger.error({ err: describeError(err) }, 'matrix event handling failed')).finally(() => inflight.delete(run));
    inflight.add(run);
  }

  async function settled(): Promise<void> {
    while (inflight.size > 0) await Promise.allSettled([...inflight]);
  }

  function send(roomId: string, content: Record<string, unknown>, txnId: string): Promise<{ event_id: string }> {
    const room = client!.getRoom(roomId);
    if (room?.hasEncryptionStateEvent() && !client!.getCrypto()) {
      throw new ChannelDeliveryError('permanent', 'This Matrix room is encrypted but the bot has no end-to-end keys this run (channels.matrix.encryption is false, or its device keys are gone): nothing is sent in clear text.');
    }
    // A retry of an outbox entry in this process: the SDK still holds the failed local echo under
    // this transaction id (and refuses a second one), so that event is re-sent, same txnId.
    const earlier = room?.getEventForTxnId(txnId);
    if (earlier && room) {
      if (earlier.status === sdk!.EventStatus.NOT_SENT) return client!.resendEvent(earlier, room);
      if (earlier.status === null && earlier.getId() && !earlier.getId()!.startsWith('~')) return Promise.resolve({ event_id: earlier.getId()! });
    }
    return (client!.sendEvent as unknown as SendEvent).call(client, roomId, 'm.room.message', content, txnId);
  }

  function inviteAllowed(inviter: string): boolean {
    if (config.access === 'allowlist') return config.allow.includes(inviter);
    // open: anyone; pairing: the room is where an unknown user gets their pairing code.
    return true;
  }

  async function handleInvite(roomId: string, inviter: string): Promise<void> {
    if (inviteAllowed(inviter)) {
      logger.info({ room: roomId, inviter }, 'matrix: accepting an invite');
      await client!.joinRoom(roomId);
      return;
    }
    logger.info({ room: roomId, inviter, action: config.invites.from_others }, 'matrix: invite from a user the access policy does not allow');
    if (config.invites.from_others === 'decline') await client!.leave(roomId);
  }

  async function handleEvent(event: Sdk.MatrixEvent, room: Sdk.Room): Promise<void> {
    if (event.isEncrypted()) {
      await client!.decryptEventIfNeeded(event);
      if (event.isDecryptionFailure()) {
        logger.warn({ room: room.roomId, event: event.getId() }, 'matrix: an encrypted event could not be decrypted (yet); it is handled once its keys arrive');
        event.once(sdk!.MatrixEventEvent.Decrypted, () => {
          if (!event.isDecryptionFailure()) track(handleEvent(event, room));
        });
        return;
      }
    }
    const raw: RawEvent = { eventId: event.getId()!, roomId: room.roomId, sender: event.getSender()!, type: event.getType(), ts: event.getTs(), content: event.getContent() };
    const read = readEvent(raw, me, { memberCount: room.getJoinedMemberCount(), senderOf: (id) => room.findEventById(id)?.getSender() }, { ignoreNotices: config.ignore_notices, threads: config.threads_as_conversations });
    if (read.kind === 'ignore') {
      if (read.reason !== 'own event') logger.debug({ room: room.roomId, reason: read.reason }, 'matrix event ignored');
      return;
    }
    if (read.kind === 'malformed') {
      ctx!.dropMalformed(read.reason, { room: room.roomId });
      return;
    }
    if (read.kind === 'reaction') return reactions.handle(room, { ...read, eventId: raw.eventId });
    const message = read.message;
    lastInbound.set(addressKey(message.conversationId, message.threadId), raw.eventId);
    const result = await ctx!.receive(message);
    if (result.status === 'admitted' && config.typing_indicator) typing.start(room.roomId);
    if (result.status === 'refused' && result.reason !== 'not_addressed') logger.info({ reason: result.reason, room: room.roomId }, 'matrix message refused');
  }

  function onTimeline(event: Sdk.MatrixEvent, room: Sdk.Room | undefined, toStartOfTimeline: boolean | undefined, removed: boolean): void {
    if (!room || toStartOfTimeline || removed) return;
    const id = event.getId();
    if (!id || id.startsWith('~') || event.status !== null) return; // local echoes of our own sends
    if (savedEventIds.has(id)) return; // handled before the last save
    if (skipUntilPrepared && !prepared) return; // the account's history at its first start here
    const mine = room.currentState.getMember(me);
    if (mine?.membership !== 'join') return; // from before the bot joined
    const joinedAt = mine.events.member?.getTs();
    if (joinedAt !== undefined && event.getTs() < joinedAt) return;
    track(handleEvent(event, room));
  }

  function onMembership(event: Sdk.MatrixEvent, member: Sdk.RoomMember): void {
    if (member.userId !== me || member.membership !== 'invite') return;
    const key = `${member.roomId}/${event.getId() ?? ''}`;
    if (handledInvites.has(key)) return;
    handledInvites.add(key);
    // Not held against the sync save (joining waits on the homeserver, not on the host); an invite
    // still pending after a restart comes back from the saved sync and is answered then.
    void handleInvite(member.roomId, event.getSender() ?? '').catch((err: unknown) => logger.warn({ err: describeError(err), room: member.roomId }, 'matrix: answering an invite failed'));
  }

  function relationFor(address: OutboundDelivery['address']): Record<string, unknown> {
    const inReplyTo = lastInbound.get(addressKey(address.conversationId, address.threadId));
    if (address.threadId) {
      return { 'm.relates_to': { rel_type: 'm.thread', event_id: address.threadId, is_falling_back: true, 'm.in_reply_to': { event_id: inReplyTo ?? address.threadId } } };
    }
    return inReplyTo ? { 'm.relates_to': { 'm.in_reply_to': { event_id: inReplyTo } } } : {};
  }

  async function waitForFirstSync(c: Sdk.MatrixClient): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, `The Matrix homeserver did not complete a sync within ${FIRST_SYNC_TIMEOUT_MS / 1000} s.`)), FIRST_SYNC_TIMEOUT_MS);
      const onSync = (state: string) => {
        if (state === 'PREPARED' || state === 'SYNCING') {
          clearTimeout(timer);
          c.off(sdk!.ClientEvent.Sync, onSync);
          resolve();
        } else if (state === 'ERROR') {
          clearTimeout(timer);
          c.off(sdk!.ClientEvent.Sync, onSync);
          reject(new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, `The Matrix sync failed (${health.lastError ?? 'unknown error'}): check channels.matrix.homeserver_url.`));
        }
      };
      c.on(sdk!.ClientEvent.Sync, onSync);
    });
  }

  async function startClient(sdk: typeof Sdk, stateDir: string): Promise<void> {
    // A password login gets a new device when the crypto store has none yet (its old device's
    // keys are not in the store); otherwise the stored session and its device go on.
    const session = await openSession({ homeserver: config.homeserver_url, userId: me, credential: deps.credential, stateDir, deviceName: config.device_name, freshDevice: cryptoStore !== undefined && !cryptoStore.hadDevice });
    secrets = [...secrets, session.accessToken];
    const sdkLogger = createSdkLogger(logger, () => secrets);
    // The SDK's module-level logger (used where no client logger reaches) goes the same way.
    const { logger: sdkGlobalLogger } = await import('matrix-js-sdk/lib/logger.js');
    // Its children too (getChild: e.g. MatrixRTCSession), which otherwise print raw lines on stdout.
    Object.assign(sdkGlobalLogger, { trace: sdkLogger.trace, debug: sdkLogger.debug, info: sdkLogger.info, warn: sdkLogger.warn, error: sdkLogger.error, log: sdkLogger.debug, getChild: sdkLogger.getChild });
    const sync = createFileSyncStore(sdk, { file: join(stateDir, 'sync.json'), beforeSave: settled, onError: (err) => logger.warn({ err: describeError(err) }, 'matrix: the sync position could not be read or saved') });
    skipUntilPrepared = !sync.hadSavedSync;
    savedEventIds = sync.savedEventIds;
    const c = sdk.createClient({
      baseUrl: config.homeserver_url,
      userId: me,
      accessToken: session.accessToken,
      ...(session.deviceId ? { deviceId: session.deviceId } : {}),
      store: sync.store,
      logger: sdkLogger,
      // No retries inside the SDK: the durable outbox retries (and honours 429's retry_after_ms
      // through ChannelDeliveryError), so a send that fails is reported at once.
      scheduler: new sdk.MatrixScheduler(() => -1),
    });
    client = c;
    let crypto: 'persistent' | 'off' | 'unavailable' = 'off';
    if (cryptoStore) {
      if (!session.deviceId) throw new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, 'End-to-end encryption needs a device: the access token has no device id (log in with a password, or set encryption: false).');
      crypto = await cryptoStore.start(c, { ...session, deviceId: session.deviceId, homeserver: config.homeserver_url, userId: me, passwordLogin: 'password' in deps.credential });
    }
    c.on(sdk.RoomEvent.Timeline, onTimeline);
    c.on(sdk.RoomMemberEvent.Membership, onMembership);
    c.on(sdk.ClientEvent.Sync, (state: string, _previous: string | null, data?: { error?: Error }) => {
      if (state === 'PREPARED') prepared = true;
      if (state === 'PREPARED' || state === 'SYNCING') health.connected = true;
      if (state === 'ERROR' || state === 'RECONNECTING') {
        health.connected = false;
        if (data?.error) health.lastError = describeError(data.error);
      }
    });
    const first = waitForFirstSync(c);
    await c.startClient({ initialSyncLimit: 20 });
    try {
      await first;
    } catch (err) {
      c.stopClient();
      throw err;
    }
    health.details = { ...health.details, device: session.deviceId ?? 'none', crypto_store: crypto };
    logger.info({ user: me, encryption: config.encryption }, 'matrix channel started');
  }

  return {
    name: 'matrix',
    limits: { maxTextLength: MATRIX_TEXT_LIMIT, supportsEdit: true },

    async start(context) {
      ctx = context;
      prepared = false;
      const loaded = await import('matrix-js-sdk');
      sdk = loaded;
      const stateDir = matrixStateDir(deps.dataDir);
      // Loaded with the SDK: fake-indexeddb and the store are only for a started encrypted channel.
      if (config.encryption) cryptoStore = await (await import('./crypto.js')).openCryptoStore({ stateDir, logger, ...(deps.cryptoStorePassphrase !== undefined ? { passphrase: deps.cryptoStorePassphrase } : {}) });
      try {
        await startClient(loaded, stateDir);
      } catch (err) {
        client?.stopClient();
        await cryptoStore?.close();
        cryptoStore = undefined;
        throw err;
      }
    },

    async stop() {
      typing.stopAll();
      client?.stopClient();
      await settled();
      await cryptoStore?.close();
      cryptoStore = undefined;
      health.connected = false;
    },

    async deliver(message: OutboundDelivery) {
      const { conversationId, threadId } = message.address;
      typing.stop(conversationId);
      const content = { ...(message.approval ? renderPrompt(message.approval) : renderText(message.text)), ...relationFor({ conversationId, ...(threadId ? { threadId } : {}) }) };
      try {
        const sent = await send(conversationId, content, sendTransactionId(message));
        if (message.approval) reactions.rememberPrompt(sent.event_id, message.approval.approvalId);
        return { platformMessageId: sent.event_id };
      } catch (err) {
        throw toDeliveryError(sdk!, err, message.approval ? 'an approval prompt' : 'a message');
      }
    },

    async edit(platformMessageId: string, message: OutboundDelivery) {
      const fresh = message.approval ? renderPrompt(message.approval) : renderText(message.text);
      const content: Record<string, unknown> = {
        msgtype: fresh.msgtype,
        body: `* ${fresh.body}`,
        ...(fresh.formatted_body ? { format: fresh.format, formatted_body: `* ${fresh.formatted_body}` } : {}),
        'm.new_content': fresh,
        'm.relates_to': { rel_type: 'm.replace', event_id: platformMessageId },
      };
      try {
        await send(message.address.conversationId, content, `ss-edit-${message.deliveryId}-${platformMessageId}`);
      } catch (err) {
        throw toDeliveryError(sdk!, err, 'an edit');
      }
    },

    health() {
      return { ...health, ...(health.details ? { details: { ...health.details } } : {}) };
    },
  };
}
