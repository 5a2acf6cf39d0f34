// A stand-in for the Telegram Bot API on a real socket, for grammy and the Telegram adapter.
// It speaks the real wire format at `/bot<token>/<method>` (JSON, urlencoded, multipart and
// query parameters; `{ok, result}` / `{ok:false, error_code, description, parameters}`),
// with real long polling (getUpdates honours offset, timeout, limit, allowed_updates and
// answers 409 to a second poller), webhooks (updates POSTed with the secret-token header,
// retried until acknowledged) and injectable failures (429 retry_after, 5xx, the whole server
// down and back). It never answers an unknown token with anything but 401, like the real one.
// The npm `telegram-test-api` ignores offsets and timeouts, which is why this exists.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { detectEntities, type WireEntity } from './telegram-html.js';
import { readParams, send, sendError, updateKind } from './telegram-wire.js';
import { ApiError, createTelegramState, type CallbackQueryRecord, type WireChat, type WireMessage, type WireUpdate, type WireUser } from './telegram-state.js';

export type { WireChat, WireMessage, WireUpdate, WireUser } from './telegram-state.js';

export type InjectedFailure = { status: 429; retryAfter: number } | { status: 500 | 502 | 503 | 504; description?: string } | { status: 400 | 403; description: string };

export interface RecordedCall {
  method: string;
  params: Record<string, unknown>;
  /** HTTP status answered (0 while a long poll is still held). */
  status: number;
}

export interface FakeTelegramOptions {
  token?: string;
  bot?: Partial<WireUser>;
  /** Delay before a failed webhook delivery is retried. Default 100 ms. */
  webhookRetryMs?: number;
  /** Keep every call in `calls` (turn off for long benchmarks). Default true. */
  recordCalls?: boolean;
}

export interface UserMessageInput {
  chat: WireChat;
  from: WireUser;
  text: string;
  /** Message id (in the same chat) this one answers. */
  replyTo?: number;
  /** Default: the entities a Telegram client would attach (/commands, @mentions). */
  entities?: WireEntity[];
  /** A topic of a forum supergroup. */
  topic?: number;
}

const DEFAULT_EXCLUDED = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

export async function startFakeTelegram(options: FakeTelegramOptions = {}) {
  const token = options.token ?? '123456789:AAFakeTokenForTestsOnly_abcdefghijk';
  const botId = Number(token.split(':')[0]) || 123456789;
  const state = createTelegramState({ id: botId, is_bot: true, first_name: 'SecureSphere', username: 'securesphere_test_bot', ...options.bot });
  const calls: RecordedCall[] = [];
  const failures: Array<{ method: string; failure: InjectedFailure }> = [];
  const webhookDeliveries: Array<{ updateId: number; status?: number; error?: string }> = [];
  let poller: { res: ServerResponse; call: RecordedCall; params: { limit: number }; timer: NodeJS.Timeout } | undefined;
  let webhookBusy = false;
  let webhookTimer: NodeJS.Timeout | undefined;
  let closed = false;
  const botMessageListeners = new Set<(message: WireMessage) => void>();
  let unauthorized = 0;

  function allowed(update: WireUpdate): boolean {
    const list = state.allowedUpdates();
    const kind = updateKind(update);
    return list && list.length > 0 ? list.includes(kind) : !DEFAULT_EXCLUDED.has(kind);
  }

  function available(limit: number): WireUpdate[] {
    // The real server never produces updates of a kind the bot did not ask for.
    for (let i = state.updates.length - 1; i >= 0; i--) if (!allowed(state.updates[i]!)) state.updates.splice(i, 1);
    return state.updates.slice(0, limit);
  }

  function answerPoll(): void {
    if (!poller) return;
    const batch = available(poller.params.limit);
    if (batch.length === 0) return;
    const { res, call, timer } = poller;
    poller = undefined;
    clearTimeout(timer);
    call.status = 200;
    send(res, 200, { ok: true, result: batch });
  }

  function getUpdates(params: Record<string, unknown>, res: ServerResponse, call: RecordedCall): void {
    if (state.webhook()) throw new ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    const offset = Number(params.offset ?? 0);
    if (offset > 0) while (state.updates.length > 0 && state.updates[0]!.update_id < offset) state.updates.shift();
    else if (offset < 0) state.updates.splice(0, Math.max(0, state.updates.length + offset));
    if (Array.isArray(params.allowed_updates)) state.setAllowedUpdates(params.allowed_updates as string[]);
    const limit = Math.min(100, Math.max(1, Number(params.limit ?? 100) || 100));
    const timeout = Math.max(0, Number(params.timeout ?? 0) || 0);
    if (poller) {
      const previous = poller;
      poller = undefined;
      clearTimeout(previous.timer);
      previous.call.status = 409;
      sendError(previous.res, new ApiError(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running'));
    }
    const batch = available(limit);
    if (batch.length > 0 || timeout === 0) {
      call.status = 200;
      send(res, 200, { ok: true, result: batch });
      return;
    }
    const timer = setTimeout(() => {
      if (poller?.res !== res) return;
      poller = undefined;
      call.status = 200;
      send(res, 200, { ok: true, result: [] });
    }, timeout * 1000);
    poller = { res, call, params: { limit }, timer };
    res.once('close', () => {
      if (poller?.res === res) {
        clearTimeout(poller.timer);
        poller = undefined;
      }
    });
  }

  async function deliverWebhook(): Promise<void> {
    const hook = state.webhook();
    if (!hook || webhookBusy || closed) return;
    const update = available(1)[0];
    if (!update) return;
    webhookBusy = true;
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(hook.secretToken ? { 'x-telegram-bot-api-secret-token': hook.secretToken } : {}) },
        body: JSON.stringify(update),
      });
      const text = await res.text();
      webhookDeliveries.push({ updateId: update.update_id, status: res.status });
      if (res.ok) {
        if (state.updates[0] === update) state.updates.shift();
        // A webhook may answer with one method call in its body (a "webhook reply").
        try {
          const reply = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
          if (reply && typeof reply.method === 'string') state.methods[reply.method]?.(reply, new Map());
        } catch {
          // not a method call
        }
      }
    } catch (err) {
      webhookDeliveries.push({ updateId: update.update_id, error: (err as Error).message });
    } finally {
      webhookBusy = false;
    }
    const retry = webhookDeliveries.at(-1)?.status === undefined || webhookDeliveries.at(-1)!.status! >= 300;
    if (!closed) webhookTimer = setTimeout(() => void deliverWebhook(), retry ? (options.webhookRetryMs ?? 100) : 0);
  }

  function updatesChanged(): void {
    answerPoll();
    void deliverWebhook();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!match) {
      sendError(res, new ApiError(404, 'Not Found'));
      return;
    }
    const [, givenToken, method] = match as unknown as [string, string, string];
    const methodKey = Object.keys(state.methods).find((m) => m.toLowerCase() === method.toLowerCase()) ?? (method.toLowerCase() === 'getupdates' ? 'getUpdates' : undefined);
    let params: Record<string, unknown> = {};
    let files: Map<string, { name: string; content: string }>;
    const call: RecordedCall = { method: methodKey ?? method, params, status: 0 };
    try {
      ({ params, files } = await readParams(req, url));
      call.params = params;
      if (givenToken !== token) {
        unauthorized += 1;
        throw new ApiError(401, 'Unauthorized');
      }
      if (!methodKey) throw new ApiError(404, 'Not Found');
      if (options.recordCalls !== false) calls.push(call);
      const injected = failures.findIndex((f) => f.method === methodKey || f.method === '*');
      if (injected >= 0) {
        const { failure } = failures.splice(injected, 1)[0]!;
        if (failure.status === 429) throw new ApiError(429, `Too Many Requests: retry after ${failure.retryAfter}`, { retry_after: failure.retryAfter });
        throw new ApiError(failure.status, failure.description ?? 'Internal Server Error');
      }
      if (methodKey === 'getUpdates') {
        getUpdates(params, res, call);
        return;
      }
      const result = state.methods[methodKey]!(params, files);
      call.status = 200;
      send(res, 200, { ok: true, result });
      if (methodKey === 'sendMessage' || methodKey === 'sendDocument') for (const listener of botMessageListeners) listener(result as WireMessage);
      if (methodKey === 'setWebhook' || methodKey === 'deleteWebhook') updatesChanged();
    } catch (err) {
      const error = err instanceof ApiError ? err : new ApiError(400, `Bad Request: ${(err as Error).message}`);
      call.status = error.code;
      sendError(res, error);
    }
  }

  let server: Server = createServer();
  let port = 0;
  async function listen(): Promise<void> {
    server = createServer((req, res) => void handle(req, res));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server.address() as AddressInfo).port;
  }
  async function shut(): Promise<void> {
    if (poller) {
      clearTimeout(poller.timer);
      poller = undefined;
    }
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
  await listen();

  let lastUpdateId = 0;
  const pushUpdate = (kind: string, payload: unknown): WireUpdate => {
    const update = state.pushUpdate(kind, payload);
    lastUpdateId = update.update_id;
    updatesChanged();
    return update;
  };

  return {
    token,
    /** What `api_root` / grammy's `client.apiRoot` should be. */
    apiRoot: `http://127.0.0.1:${port}`,
    port,
    bot: state.bot,
    calls,
    webhookDeliveries,
    chatActions: state.chatActions,
    documents: state.documents,
    edits: state.edits,
    commands: () => state.commands(),
    webhook: () => state.webhook(),
    /** Calls refused with 401 because of a wrong token. */
    unauthorizedCalls: () => unauthorized,
    /** Updates not yet confirmed by an offset (or a webhook acknowledgement). */
    pendingUpdates: () => state.updates.length,
    /** Whether this update is still waiting to be confirmed (the bot has not acknowledged it). */
    isPending: (updateId: number) => state.updates.some((u) => u.update_id === updateId),
    /** The id of the update queued last (by userSends, press or injectUpdate). */
    lastUpdateId: () => lastUpdateId,
    user(id: number, firstName = `User${id}`, username?: string): WireUser {
      return { id, is_bot: false, first_name: firstName, ...(username ? { username } : {}) };
    },
    privateChat(user: WireUser): WireChat {
      return { id: user.id, type: 'private', first_name: user.first_name, ...(user.username ? { username: user.username } : {}) };
    },
    group(id: number, title = `Group ${id}`): WireChat {
      return { id: id < 0 ? id : -id, type: 'group', title };
    },
    /** A forum supergroup (topics are threads); ids look like -100…. */
    forum(id: number, title = `Forum ${id}`): WireChat {
      return { id: -(1_000_000_000_000 + Math.abs(id)), type: 'supergroup', title, is_forum: true };
    },
    /** A user writes in a chat: stores the message and queues a `message` update. */
    userSends(input: UserMessageInput): WireMessage {
      state.rememberChat(input.chat);
      const replied = input.replyTo === undefined ? undefined : state.findMessage(input.chat.id, input.replyTo);
      const entities = input.entities ?? detectEntities(input.text);
      const message = state.store(input.chat.id, {
        from: input.from,
        chat: input.chat,
        date: Math.floor(Date.now() / 1000),
        ...(input.topic !== undefined ? { message_thread_id: input.topic, is_topic_message: true } : {}),
        text: input.text,
        ...(entities.length > 0 ? { entities } : {}),
        ...(replied ? { reply_to_message: replied } : {}),
      });
      pushUpdate('message', message);
      return message;
    },
    /** A user presses an inline button: queues a `callback_query` update; returns its id. */
    press(from: WireUser, message: WireMessage, data: string): string {
      const query: CallbackQueryRecord = state.newCallbackQuery(from, message, data);
      pushUpdate('callback_query', { id: query.id, from, message, chat_instance: String(message.chat.id), data });
      return query.id;
    },
    /** Any update body, e.g. a malformed one. */
    injectUpdate(kind: string, payload: unknown): WireUpdate {
      return pushUpdate(kind, payload);
    },
    callbackAnswer(queryId: string): CallbackQueryRecord['answered'] {
      return state.callbackQueries.get(queryId)?.answered;
    },
    /** The bot's messages in a chat, as they look now (edits applied). */
    botMessages(chatId: number): WireMessage[] {
      return (state.messages.get(chatId) ?? []).filter((m) => m.from?.id === state.bot.id);
    },
    /** Called with every message the bot sends (not edits); returns an unsubscribe function. */
    onBotMessage(listener: (message: WireMessage) => void): () => void {
      botMessageListeners.add(listener);
      return () => botMessageListeners.delete(listener);
    },
    message(chatId: number, messageId: number): WireMessage | undefined {
      return state.findMessage(chatId, messageId);
    },
    /** The next calls to `method` ('*' for any) fail, one failure per call. */
    failNext(method: string, failure: InjectedFailure, times = 1): void {
      for (let i = 0; i < times; i++) failures.push({ method, failure });
    },
    /** Forgets every injected failure not yet used. */
    clearFailures(): void {
      failures.length = 0;
    },
    /** Stop listening and drop every connection: clients get connection refused. */
    async down(): Promise<void> {
      await shut();
    },
    /** Listen again on the same port. */
    async up(): Promise<void> {
      await listen();
      updatesChanged();
    },
    async close(): Promise<void> {
      closed = true;
      clearTimeout(webhookTimer);
      if (server.listening) await shut();
    },
  };
}

export type FakeTelegram = Awaited<ReturnType<typeof startFakeTelegram>>;
