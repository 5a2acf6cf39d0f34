// The Socket Mode half of the Slack stand-in: a WebSocket server (the `ws` package) that speaks
// Slack's wire protocol to @slack/socket-mode. A client connects to the URL apps.connections.open
// handed out (one-time ticket), gets `hello`, then envelopes (`events_api`, `interactive`,
// `slash_commands`) that it acknowledges with `{envelope_id, payload}`. Every ack is recorded with
// its arrival time. Like Slack, an events_api envelope that was not acknowledged is delivered
// again (same event_id, new envelope_id, retry_attempt + 1) when a connection is (re)established;
// events sent while nobody is connected wait. It can ask the client to refresh
// (`disconnect`/`refresh_requested`) or drop every socket without a close frame.
// Must never accept a connection without a ticket from apps.connections.open.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export type EnvelopeType = 'events_api' | 'interactive' | 'slash_commands';

export interface Envelope {
  envelope_id: string;
  type: EnvelopeType;
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

export interface RecordedAck {
  envelopeId: string;
  type: EnvelopeType;
  /** The event_id of an events_api envelope. */
  eventId?: string;
  payload: unknown;
  /** performance.now() when the ack arrived. */
  at: number;
}

interface Pending {
  envelope: Envelope;
  sentAt?: number;
  resolve(ack: RecordedAck): void;
}

export interface SocketModeServerOptions {
  /** How often the server pings each socket (the client reconnects after 30 s without one). Default 5000. */
  pingIntervalMs?: number;
}

export function createSocketModeServer(options: SocketModeServerOptions = {}) {
  const wss = new WebSocketServer({ noServer: true });
  const tickets = new Set<string>();
  const sockets = new Set<WebSocket>();
  const pending: Pending[] = [];
  const acks: RecordedAck[] = [];
  const connectionLog: Array<{ event: 'open' | 'close'; at: number }> = [];
  let ready: WebSocket | undefined;
  let dropAfterNextSend = false;
  const pingTimer = setInterval(() => {
    for (const socket of sockets) socket.ping();
  }, options.pingIntervalMs ?? 5_000);
  pingTimer.unref();

  function send(socket: WebSocket, item: Pending): void {
    item.sentAt = performance.now();
    if (!dropAfterNextSend) {
      socket.send(JSON.stringify(item.envelope));
      return;
    }
    // The envelope reaches the client, then the link dies before its ack can come back.
    dropAfterNextSend = false;
    socket.send(JSON.stringify(item.envelope), () => {
      socket.terminate();
      onLost(socket);
    });
  }

  function flush(): void {
    if (!ready) return;
    for (const item of pending) if (item.sentAt === undefined) send(ready, item);
  }

  function onAck(raw: string): void {
    let message: { envelope_id?: unknown; payload?: unknown };
    try {
      message = JSON.parse(raw) as typeof message;
    } catch {
      return;
    }
    const index = pending.findIndex((p) => p.envelope.envelope_id === message.envelope_id);
    if (index < 0) return;
    const [item] = pending.splice(index, 1);
    const eventId = item!.envelope.payload.event_id;
    const ack: RecordedAck = { envelopeId: item!.envelope.envelope_id, type: item!.envelope.type, payload: message.payload, at: performance.now(), ...(typeof eventId === 'string' ? { eventId } : {}) };
    acks.push(ack);
    item!.resolve(ack);
  }

  /** A connection went away: events_api envelopes it did not ack are retried on the next one. */
  function onLost(socket: WebSocket): void {
    if (!sockets.delete(socket)) return;
    connectionLog.push({ event: 'close', at: performance.now() });
    if (ready === socket) ready = undefined;
    for (let i = pending.length - 1; i >= 0; i -= 1) {
      const item = pending[i]!;
      if (item.sentAt === undefined) continue;
      if (item.envelope.type !== 'events_api') {
        pending.splice(i, 1); // Slack does not retry interactions or commands: the user sees an error.
        continue;
      }
      item.envelope = { ...item.envelope, envelope_id: randomUUID(), retry_attempt: (item.envelope.retry_attempt ?? 0) + 1, retry_reason: 'timeout' };
      delete item.sentAt;
    }
  }

  return {
    acks,
    connectionLog,
    /** Called by apps.connections.open: a one-time ws:// URL on the given base. */
    issueUrl(wsBase: string): string {
      const ticket = randomUUID();
      tickets.add(ticket);
      return `${wsBase}/link/?ticket=${ticket}&app_id=fake`;
    },
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      const ticket = new URL(req.url ?? '/', 'http://x').searchParams.get('ticket') ?? '';
      if (!tickets.delete(ticket)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.add(ws);
        connectionLog.push({ event: 'open', at: performance.now() });
        ws.on('message', (data) => onAck(data.toString()));
        ws.on('close', () => onLost(ws));
        ws.on('error', () => onLost(ws));
        ws.send(JSON.stringify({ type: 'hello', num_connections: sockets.size, debug_info: { host: 'fake-slack', approximate_connection_time: 3600 }, connection_info: { app_id: 'fake' } }));
        ready = ws;
        flush();
      });
    },
    /** Queues one envelope; resolves with its ack (whenever, and through however many reconnects, it comes). */
    dispatch(type: EnvelopeType, payload: Record<string, unknown>, retryAttempt?: number): Promise<RecordedAck> {
      const retry = retryAttempt ? { retry_attempt: retryAttempt, retry_reason: 'timeout' } : {};
      return new Promise((resolve) => {
        pending.push({ envelope: { envelope_id: randomUUID(), type, payload, accepts_response_payload: type !== 'events_api', ...retry }, resolve });
        flush();
      });
    },
    /** Envelopes sent or waiting that nobody acknowledged yet. */
    unacked(): number {
      return pending.length;
    },
    connected(): boolean {
      return ready !== undefined;
    },
    /** Slack recycling the connection: asks the client to reconnect with a fresh URL. */
    requestRefresh(): void {
      for (const socket of sockets) socket.send(JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'fake-slack' } }));
    },
    /** The next envelope is written to the socket, which is then destroyed before the ack can arrive. */
    dropAfterNextSend(): void {
      dropAfterNextSend = true;
    },
    /** The network dropping: every socket destroyed without a close frame. */
    dropAll(): void {
      for (const socket of [...sockets]) {
        socket.terminate();
        onLost(socket);
      }
    },
    close(): void {
      clearInterval(pingTimer);
      for (const socket of [...sockets]) socket.terminate();
      wss.close();
    },
  };
}

export type SocketModeServer = ReturnType<typeof createSocketModeServer>;
