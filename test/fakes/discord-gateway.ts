// The Discord stand-in's gateway: a `ws` server speaking gateway v10 with JSON encoding.
// HELLO -> IDENTIFY -> READY (session_id, resume_gateway_url) -> GUILD_CREATE per guild;
// heartbeats answered with HEARTBEAT_ACK; every dispatch numbered (s) and kept in its session's
// log, also while no socket is connected, so a RESUME replays exactly what the client missed
// since its seq; a new IDENTIFY starts a new session (what the old one buffered is gone, as on
// Discord). Tests can drop the connection hard, ask for RECONNECT, invalidate the session, and
// make the next resume replay events the client already had (at-least-once delivery).
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DiscordState } from './discord-state.js';

interface Session {
  id: string;
  seq: number;
  log: Array<{ s: number; t: string; d: unknown }>;
  socket?: WebSocket;
  intents: number;
}

export interface GatewayOptions {
  state: DiscordState;
  token: string;
  /** ws:// base the stand-in's GET /gateway/bot and resume_gateway_url point at. */
  url: () => string;
  heartbeatIntervalMs: number;
}

export interface FakeGateway {
  wss: WebSocketServer;
  dispatch(t: string, d: unknown): void;
  /** Kills the socket without a close frame (the client sees 1006 and resumes). */
  drop(): void;
  /** op 7: the client should reconnect and resume. */
  reconnect(): void;
  /** op 9: the session is gone (d=false) or may be resumed (d=true). */
  invalidate(resumable: boolean): void;
  /** Stops answering heartbeats (a zombie connection: the client should reconnect and resume). */
  stopAcking(): void;
  /** The next RESUME is answered with INVALID_SESSION (d=false): the client must identify anew. */
  refuseNextResume(): void;
  /** The next RESUME also replays this many events the client already acknowledged. */
  replayOverlapOnce(count: number): void;
  connected(): boolean;
  /** Counts, for tests: identifies, resumes, heartbeats acked. */
  stats: { identifies: number; resumes: number; heartbeats: number; replayed: number; replayedTypes: string[] };
  /** Resolves when a client is connected and its session READY or RESUMED. */
  waitReady(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function createFakeGateway(options: GatewayOptions): FakeGateway {
  const { state } = options;
  const wss = new WebSocketServer({ noServer: true });
  const sessions = new Map<string, Session>();
  let current: Session | undefined;
  let overlap = 0;
  let refuseResume = false;
  let acking = true;
  const stats = { identifies: 0, resumes: 0, heartbeats: 0, replayed: 0, replayedTypes: [] as string[] };
  const readyWaiters: Array<() => void> = [];
  let ready = false;

  function send(socket: WebSocket | undefined, payload: unknown): void {
    if (socket && socket.readyState === socket.OPEN) socket.send(JSON.stringify(payload));
  }

  function markReady(): void {
    ready = true;
    for (const resolve of readyWaiters.splice(0)) resolve();
  }

  function push(session: Session, t: string, d: unknown): void {
    session.seq += 1;
    const event = { s: session.seq, t, d };
    session.log.push(event);
    if (session.log.length > 10_000) session.log.shift();
    send(session.socket, { op: 0, ...event });
  }

  function onIdentify(socket: WebSocket, d: { token?: string; intents?: number }): void {
    if (d.token !== options.token && d.token !== `Bot ${options.token}`) {
      socket.close(4004, 'Authentication failed.');
      return;
    }
    stats.identifies += 1;
    if (current?.socket && current.socket !== socket) current.socket.terminate();
    const session: Session = { id: state.nextId(), seq: 0, log: [], socket, intents: d.intents ?? 0 };
    sessions.set(session.id, session);
    current = session;
    const guilds = [...state.guilds.keys()];
    push(session, 'READY', {
      v: 10,
      user: state.userPayload(state.bot.id),
      guilds: guilds.map((id) => ({ id, unavailable: true })),
      session_id: session.id,
      resume_gateway_url: options.url(),
      shard: [0, 1],
      application: { id: state.applicationId, flags: 0 },
      private_channels: [],
      relationships: [],
      user_settings: {},
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: [],
    });
    for (const id of guilds) push(session, 'GUILD_CREATE', state.guildCreatePayload(id));
    markReady();
  }

  function onResume(socket: WebSocket, d: { token?: string; session_id?: string; seq?: number }): void {
    const session = d.session_id ? sessions.get(d.session_id) : undefined;
    if (d.token !== options.token && d.token !== `Bot ${options.token}`) {
      socket.close(4004, 'Authentication failed.');
      return;
    }
    if (refuseResume || !session || session !== current || typeof d.seq !== 'number' || d.seq > session.seq) {
      refuseResume = false;
      send(socket, { op: 9, d: false });
      return;
    }
    stats.resumes += 1;
    acking = true;
    if (session.socket && session.socket !== socket) session.socket.terminate();
    session.socket = socket;
    const from = Math.max(0, d.seq - overlap);
    overlap = 0;
    for (const event of session.log) {
      // Discord never replays READY; the overlap is of ordinary dispatches.
      if (event.s > from && event.t !== 'READY') {
        stats.replayed += 1;
        stats.replayedTypes.push(event.t);
        send(socket, { op: 0, ...event });
      }
    }
    push(session, 'RESUMED', null);
    markReady();
  }

  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const query = new URL(request.url ?? '/', 'ws://x').searchParams;
    if (query.get('v') !== '10' || (query.get('encoding') ?? 'json') !== 'json') {
      socket.close(4012, 'Invalid API version');
      return;
    }
    send(socket, { op: 10, d: { heartbeat_interval: options.heartbeatIntervalMs }, s: null, t: null });
    socket.on('message', (raw) => {
      let payload: { op?: number; d?: unknown };
      try {
        payload = JSON.parse(String(raw)) as { op?: number; d?: unknown };
      } catch {
        socket.close(4002, 'Error while decoding payload.');
        return;
      }
      switch (payload.op) {
        case 1:
          stats.heartbeats += 1;
          if (acking) send(socket, { op: 11 });
          break;
        case 2:
          onIdentify(socket, (payload.d ?? {}) as { token?: string; intents?: number });
          break;
        case 6:
          onResume(socket, (payload.d ?? {}) as { token?: string; session_id?: string; seq?: number });
          break;
        case 3:
        case 4:
        case 8:
          break;
        default:
          socket.close(4001, 'Unknown opcode.');
      }
    });
    socket.on('close', () => {
      for (const session of sessions.values()) if (session.socket === socket) session.socket = undefined;
      if (current && !current.socket) ready = false;
    });
  });

  return {
    wss,
    stats,
    dispatch(t, d) {
      if (current) push(current, t, d);
    },
    drop() {
      ready = false;
      current?.socket?.terminate();
    },
    reconnect() {
      ready = false;
      send(current?.socket, { op: 7, d: null });
    },
    invalidate(resumable) {
      ready = false;
      send(current?.socket, { op: 9, d: resumable });
    },
    stopAcking() {
      acking = false;
    },
    refuseNextResume() {
      refuseResume = true;
    },
    replayOverlapOnce(count) {
      overlap = count;
    },
    connected: () => ready && current?.socket !== undefined,
    waitReady(timeoutMs = 20_000) {
      if (ready && current?.socket) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the discord client did not become ready on the stand-in')), timeoutMs);
        readyWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
