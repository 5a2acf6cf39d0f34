// One server-sent-events response for the web page. The page reads it with fetch (not
// EventSource) because the stream sits behind the bearer token and EventSource cannot send
// headers. A client that stops reading is cut off rather than buffered without bound.
import type { ServerResponse } from 'node:http';
import type { FeedEvent } from './feed.js';

const MAX_BUFFERED_BYTES = 1_048_576;

export interface EventStream {
  send(event: FeedEvent): void;
  close(): void;
  readonly closed: boolean;
}

export function openEventStream(raw: ServerResponse, heartbeatMs: number, onClose: () => void): EventStream {
  let closed = false;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
    'x-content-type-options': 'nosniff',
    // A stream's connection is never reused: closing it with the stream lets shutdown finish at once.
    connection: 'close',
  });
  raw.write('retry: 3000\n: open\n\n');
  const heartbeat = setInterval(() => write(': ping\n\n'), heartbeatMs);
  heartbeat.unref();

  function finish(): void {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    onClose();
  }

  function write(chunk: string): void {
    if (closed) return;
    if (raw.writableLength > MAX_BUFFERED_BYTES) {
      raw.destroy();
      finish();
      return;
    }
    raw.write(chunk);
  }

  raw.on('close', finish);
  raw.on('error', finish);

  return {
    // JSON.stringify escapes every CR and LF, so one data line always holds one event.
    send: (event) => write(`id: ${event.seq}\nevent: message\ndata: ${JSON.stringify(event)}\n\n`),
    close() {
      if (!closed) raw.end();
      finish();
    },
    get closed() {
      return closed;
    },
  };
}
