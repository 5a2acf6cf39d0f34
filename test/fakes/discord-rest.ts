// The Discord stand-in's REST API (v10) on node:http: gateway discovery, the bot user, DM
// channels, channel messages (send, edit, history with after/before/limit; a send with
// `enforce_nonce` and a nonce this author used in the past few minutes returns that message and
// creates nothing), typing, bulk command registration, threads started from a message,
// interaction callbacks (types 4, 5, 6, 7; 204 without a content-type unless with_response) and
// webhook follow-ups / edits of @original (the path arrives URL-encoded), with the 3-second
// acknowledgement window and the token's 15-minute life enforced. Injected 429s (JSON body and
// X-RateLimit-* / Retry-After headers as Discord sends them), 5xx and a whole-API outage. Every
// bot message is also dispatched on the gateway, as Discord does.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { INTERACTION_ACK_MS, INTERACTION_TOKEN_MS, snowflakeCompare, type DiscordState, type FakeInteraction, type FakeMessage } from './discord-state.js';

export interface RestRequestRecord {
  method: string;
  path: string;
  status: number;
  at: number;
  body?: unknown;
}

export interface RestFaults {
  rateLimits: Array<{ remaining: number; retryAfterS: number; match?: RegExp; global?: boolean }>;
  failures: Array<{ remaining: number; status: number; match?: RegExp }>;
  down: boolean;
}

export interface RestDeps {
  state: DiscordState;
  token: string;
  gatewayUrl: () => string;
  dispatch: (t: string, d: unknown) => void;
  faults: RestFaults;
  requests: RestRequestRecord[];
  onBotMessage: (message: FakeMessage, kind: 'created' | 'edited') => void;
}

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body?: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

const apiError = (status: number, code: number, message: string) => new HttpAnswer(status, { code, message });

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (!text) return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve({ __unparsable: text });
      }
    });
  });
}

export function createRestHandler(deps: RestDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { state, faults } = deps;

  function send(res: ServerResponse, answer: HttpAnswer, bucket: string): void {
    const headers: Record<string, string> = {
      'x-ratelimit-limit': '50',
      'x-ratelimit-remaining': '49',
      'x-ratelimit-reset': String(Date.now() / 1000 + 1),
      'x-ratelimit-reset-after': '1.000',
      'x-ratelimit-bucket': bucket,
      ...answer.headers,
    };
    if (answer.status === 204 || answer.body === undefined) {
      res.writeHead(answer.status, headers);
      res.end();
      return;
    }
    res.writeHead(answer.status, { ...headers, 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  }

  function takeFault<T extends { remaining: number; match?: RegExp }>(list: T[], path: string): T | undefined {
    const index = list.findIndex((f) => f.remaining > 0 && (!f.match || f.match.test(path)));
    if (index < 0) return undefined;
    const fault = list[index]!;
    fault.remaining -= 1;
    if (fault.remaining === 0) list.splice(index, 1);
    return fault;
  }

  function interactionByToken(id: string | undefined, token: string): FakeInteraction | undefined {
    for (const interaction of state.interactions.values()) if (interaction.token === token && (!id || interaction.id === id)) return interaction;
    return undefined;
  }

  function botMessage(input: Parameters<DiscordState['createMessage']>[0]): FakeMessage {
    const message = state.createMessage(input);
    deps.onBotMessage(message, 'created');
    if (!(message.flags & 64)) deps.dispatch('MESSAGE_CREATE', state.messagePayload(message));
    return message;
  }

  function editBotMessage(message: FakeMessage, body: Record<string, unknown>): FakeMessage {
    state.editMessage(message, {
      ...(typeof body.content === 'string' ? { content: body.content } : {}),
      ...(Array.isArray(body.components) ? { components: body.components } : {}),
      flags: message.flags & ~128,
    });
    deps.onBotMessage(message, 'edited');
    if (!(message.flags & 64)) deps.dispatch('MESSAGE_UPDATE', state.messagePayload(message));
    return message;
  }

  function messageBody(body: unknown): Record<string, unknown> | HttpAnswer {
    if (!body || typeof body !== 'object' || '__unparsable' in body) return apiError(400, 50109, 'The request body contains invalid JSON.');
    const b = body as Record<string, unknown>;
    if (typeof b.content === 'string' && b.content.length > 2000) {
      return new HttpAnswer(400, { code: 50035, message: 'Invalid Form Body', errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } } });
    }
    // A nonce is an integer or a string of at most 25 characters.
    if (b.nonce !== undefined && !(Number.isInteger(b.nonce) || (typeof b.nonce === 'string' && b.nonce.length <= 25))) {
      return new HttpAnswer(400, { code: 50035, message: 'Invalid Form Body', errors: { nonce: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 25 or fewer in length.' }] } } });
    }
    return b;
  }

  function tokenAlive(interaction: FakeInteraction): boolean {
    return state.now() - interaction.createdAt <= INTERACTION_TOKEN_MS;
  }

  async function route(method: string, path: string, query: URLSearchParams, req: IncomingMessage): Promise<HttpAnswer> {
    const body = method === 'GET' ? undefined : await readBody(req);
    const seg = path.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
    const authorized = req.headers.authorization === `Bot ${deps.token}`;
    const needsAuth = !(seg[0] === 'interactions' || seg[0] === 'webhooks');
    if (needsAuth && !authorized) return apiError(401, 0, '401: Unauthorized');

    // GET /gateway/bot
    if (method === 'GET' && seg.join('/') === 'gateway/bot') {
      return new HttpAnswer(200, { url: deps.gatewayUrl(), shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 } });
    }
    if (method === 'GET' && seg.join('/') === 'users/@me') return new HttpAnswer(200, state.userPayload(state.bot.id));
    if (method === 'GET' && seg.join('/') === 'applications/@me') {
      return new HttpAnswer(200, { id: state.applicationId, name: state.bot.username, description: '', flags: 0, bot_public: true, bot_require_code_grant: false, owner: state.userPayload(state.bot.id) });
    }
    if (method === 'POST' && seg.join('/') === 'users/@me/channels') {
      const recipient = (body as { recipient_id?: unknown } | undefined)?.recipient_id;
      if (typeof recipient !== 'string') return apiError(400, 50035, 'Invalid Form Body');
      return new HttpAnswer(200, state.channelPayload(state.dmWith(recipient)));
    }
    // PUT /applications/:id/commands, PUT /applications/:id/guilds/:gid/commands
    if (method === 'PUT' && seg[0] === 'applications' && seg[1] === state.applicationId && (seg.at(-1) === 'commands')) {
      const guildId = seg[2] === 'guilds' ? seg[3] : undefined;
      if (!Array.isArray(body)) return apiError(400, 50035, 'Invalid Form Body');
      for (let i = state.commands.length - 1; i >= 0; i--) if (state.commands[i]!.guildId === guildId) state.commands.splice(i, 1);
      const made = (body as Array<{ name: string; description?: string; options?: unknown[] }>).map((c) => {
        const command = { id: state.nextId(), name: c.name, description: c.description ?? '', options: c.options ?? [], ...(guildId ? { guildId } : {}) };
        state.commands.push(command);
        return { id: command.id, application_id: state.applicationId, ...(guildId ? { guild_id: guildId } : {}), name: c.name, description: command.description, options: command.options, type: 1, version: state.nextId(), default_member_permissions: null };
      });
      return new HttpAnswer(200, made);
    }
    if (seg[0] === 'channels' && seg[1]) {
      const channel = state.channels.get(seg[1]);
      if (!channel) return apiError(404, 10003, 'Unknown Channel');
      if (method === 'GET' && seg.length === 2) return new HttpAnswer(200, state.channelPayload(channel));
      if (method === 'POST' && seg[2] === 'typing') {
        state.typing.push({ channelId: channel.id, at: Date.now() });
        return new HttpAnswer(204);
      }
      if (seg[2] === 'messages' && seg.length === 3 && method === 'GET') {
        const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 50)));
        const after = query.get('after');
        const before = query.get('before');
        let list = state.messagesIn(channel.id).filter((m) => !(m.flags & 64));
        if (after) list = list.filter((m) => snowflakeCompare(m.id, after) > 0).slice(0, limit);
        else {
          if (before) list = list.filter((m) => snowflakeCompare(m.id, before) < 0);
          list = list.slice(-limit);
        }
        // Discord answers newest first, also with `after`.
        return new HttpAnswer(200, list.reverse().map((m) => state.messagePayload(m)));
      }
      if (seg[2] === 'messages' && seg.length === 3 && method === 'POST') {
        const b = messageBody(body);
        if (b instanceof HttpAnswer) return b;
        const reference = (b.message_reference as { message_id?: string } | undefined)?.message_id;
        const nonce = b.nonce as string | number | undefined;
        // enforce_nonce: a nonce this author used in the past few minutes returns that message
        // and creates (and dispatches) nothing.
        const earlier = b.enforce_nonce === true && nonce !== undefined ? state.messageByNonce(state.bot.id, nonce) : undefined;
        if (earlier) return new HttpAnswer(200, state.messagePayload(earlier));
        return new HttpAnswer(200, state.messagePayload(botMessage({ channelId: channel.id, authorId: state.bot.id, content: String(b.content ?? ''), components: (b.components as unknown[]) ?? [], ...(reference ? { referencedMessageId: reference } : {}), ...(nonce !== undefined ? { nonce } : {}) })));
      }
      if (seg[2] === 'messages' && seg[3] && seg[4] === 'threads' && method === 'POST') {
        const message = state.messages.get(seg[3]);
        if (!message || message.channelId !== channel.id) return apiError(404, 10008, 'Unknown Message');
        if (channel.type !== 0) return apiError(400, 50024, 'Cannot execute action on this channel type');
        const name = String((body as { name?: unknown } | undefined)?.name ?? '').slice(0, 100) || 'thread';
        const thread = state.startThread(message, state.bot.id, name);
        if (!thread) return apiError(400, 160004, 'A thread has already been created for this message');
        deps.dispatch('THREAD_CREATE', { ...state.channelPayload(thread), newly_created: true });
        return new HttpAnswer(201, state.channelPayload(thread));
      }
      if (seg[2] === 'messages' && seg[3]) {
        const message = state.messages.get(seg[3]);
        if (!message || message.channelId !== channel.id) return apiError(404, 10008, 'Unknown Message');
        if (method === 'GET') return new HttpAnswer(200, state.messagePayload(message));
        if (method === 'PATCH') {
          if (message.authorId !== state.bot.id) return apiError(403, 50005, 'Cannot edit a message authored by another user');
          const b = messageBody(body);
          if (b instanceof HttpAnswer) return b;
          return new HttpAnswer(200, state.messagePayload(editBotMessage(message, b)));
        }
      }
    }
    // POST /interactions/:id/:token/callback
    if (method === 'POST' && seg[0] === 'interactions' && seg[3] === 'callback') {
      const interaction = interactionByToken(seg[1], seg[2] ?? '');
      if (!interaction || state.now() - interaction.createdAt > INTERACTION_ACK_MS) return apiError(404, 10062, 'Unknown interaction');
      if (interaction.callbacks.length > 0) return apiError(400, 40060, 'Interaction has already been acknowledged.');
      const b = (body ?? {}) as { type?: number; data?: Record<string, unknown> };
      const data = b.data ?? {};
      const flags = typeof data.flags === 'number' ? data.flags : 0;
      let message: FakeMessage | undefined;
      switch (b.type) {
        case 4: {
          const checked = messageBody(data);
          if (checked instanceof HttpAnswer) return checked;
          message = botMessage({ channelId: interaction.channelId, authorId: state.bot.id, content: String(data.content ?? ''), components: (data.components as unknown[]) ?? [], flags, interactionId: interaction.id });
          interaction.originalId = message.id;
          if (flags & 64) interaction.ephemeral.push(message.content);
          break;
        }
        case 5:
          message = state.createMessage({ channelId: interaction.channelId, authorId: state.bot.id, content: '', flags: flags | 128, interactionId: interaction.id });
          interaction.originalId = message.id;
          break;
        case 6:
          if (interaction.type !== 3) return apiError(400, 40043, 'Interaction callback type 6 is only valid for component interactions');
          break;
        case 7: {
          if (interaction.type !== 3) return apiError(400, 40043, 'Interaction callback type 7 is only valid for component interactions');
          const target = state.messages.get(interaction.messageId!)!;
          message = editBotMessage(target, data);
          break;
        }
        default:
          return apiError(400, 50035, 'Invalid Form Body: unknown interaction callback type');
      }
      interaction.callbacks.push({ type: b.type, at: Date.now(), data });
      if (query.get('with_response') === 'true') {
        return new HttpAnswer(200, { interaction: { id: interaction.id, type: interaction.type, response_message_id: message?.id, response_message_loading: b.type === 5, response_message_ephemeral: Boolean(flags & 64) }, resource: { type: b.type, ...(message ? { message: state.messagePayload(message) } : {}) } });
      }
      return new HttpAnswer(204);
    }
    // /webhooks/:app/:token[/messages/:id]
    if (seg[0] === 'webhooks' && seg[1] === state.applicationId && seg[2]) {
      const interaction = interactionByToken(undefined, seg[2]);
      if (!interaction) return apiError(404, 10015, 'Unknown Webhook');
      if (!tokenAlive(interaction)) return apiError(401, 50027, 'Invalid Webhook Token');
      if (seg.length === 3 && method === 'POST') {
        if (interaction.callbacks.length === 0) return apiError(404, 10015, 'Unknown Webhook');
        const b = messageBody(body);
        if (b instanceof HttpAnswer) return b;
        const flags = typeof b.flags === 'number' ? b.flags : 0;
        const message = botMessage({ channelId: interaction.channelId, authorId: state.bot.id, content: String(b.content ?? ''), components: (b.components as unknown[]) ?? [], flags, interactionId: interaction.id });
        interaction.followUpIds.push(message.id);
        if (flags & 64) interaction.ephemeral.push(message.content);
        return new HttpAnswer(200, state.messagePayload(message));
      }
      if (seg[3] === 'messages' && seg[4]) {
        const id = seg[4] === '@original' ? interaction.originalId : seg[4];
        const message = id ? state.messages.get(id) : undefined;
        if (!message || message.interactionId !== interaction.id) return apiError(404, 10008, 'Unknown Message');
        if (method === 'GET') return new HttpAnswer(200, state.messagePayload(message));
        if (method === 'PATCH') {
          const b = messageBody(body);
          if (b instanceof HttpAnswer) return b;
          const wasLoading = Boolean(message.flags & 128);
          editBotMessage(message, b);
          if (wasLoading && !(message.flags & 64)) deps.dispatch('MESSAGE_CREATE', state.messagePayload(message));
          return new HttpAnswer(200, state.messagePayload(message));
        }
      }
    }
    return apiError(404, 0, '404: Not Found');
  }

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const match = /^\/api\/v\d+(\/.*)$/.exec(url.pathname);
    const method = req.method ?? 'GET';
    const record = (status: number, body?: unknown) => deps.requests.push({ method, path: match?.[1] ?? url.pathname, status, at: Date.now(), ...(body !== undefined ? { body } : {}) });
    const bucket = `bucket-${method}-${(match?.[1] ?? '').split('/').slice(1, 3).join('-')}`;
    if (!match) {
      record(404);
      return send(res, apiError(404, 0, '404: Not Found'), bucket);
    }
    const path = match[1]!;
    if (faults.down) {
      record(503);
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('upstream connect error');
      return;
    }
    const failure = takeFault(faults.failures, path);
    if (failure) {
      record(failure.status);
      req.resume();
      return send(res, new HttpAnswer(failure.status, { message: 'Internal Server Error', code: 0 }), bucket);
    }
    const limited = takeFault(faults.rateLimits, path);
    if (limited) {
      record(429);
      req.resume();
      const seconds = limited.retryAfterS.toFixed(3);
      return send(
        res,
        new HttpAnswer(429, { message: 'You are being rate limited.', retry_after: limited.retryAfterS, global: Boolean(limited.global) }, {
          'retry-after': String(Math.ceil(limited.retryAfterS)),
          'x-ratelimit-limit': '5',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(Date.now() / 1000 + limited.retryAfterS),
          'x-ratelimit-reset-after': seconds,
          'x-ratelimit-scope': limited.global ? 'global' : 'user',
          ...(limited.global ? { 'x-ratelimit-global': 'true' } : {}),
        }),
        bucket,
      );
    }
    route(method, path, url.searchParams, req).then(
      (answer) => {
        record(answer.status);
        send(res, answer, bucket);
      },
      (err: unknown) => {
        record(500);
        send(res, new HttpAnswer(500, { message: String(err), code: 0 }), bucket);
      },
    );
  };
}
