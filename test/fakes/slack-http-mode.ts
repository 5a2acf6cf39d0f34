// Slack's side of HTTP mode for tests: signs a request exactly as Slack does
// (`X-Slack-Signature: v0=` + HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing
// secret, `X-Slack-Request-Timestamp` in seconds, `X-Slack-Retry-Num`/`-Reason` on retries) and
// POSTs events (JSON), interactivity (form-encoded `payload=<json>`) and slash commands (form
// fields) to a receiver over a real socket. Must never sign with anything but the secret it is
// given: tests forge bad signatures and stale timestamps through the options, explicitly.
import { createHmac } from 'node:crypto';

export type HttpEnvelopeKind = 'events_api' | 'interactive' | 'slash_commands';

export interface SignedPostOptions {
  signingSecret: string;
  /** Seconds since the epoch written in X-Slack-Request-Timestamp. Default: now. */
  timestamp?: number;
  /** Replace the signature (a forged or garbled one). */
  signature?: string;
  retryNum?: number;
  retryReason?: string;
}

export interface SignedPostResult {
  status: number;
  body: string;
  /** performance.now() when the response arrived: Slack's view of the ack. */
  at: number;
}

export function slackSignature(signingSecret: string, timestamp: number, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

/** The raw body and content type Slack sends for each kind of request. */
export function encodeForHttp(kind: HttpEnvelopeKind, payload: Record<string, unknown>): { body: string; contentType: string } {
  if (kind === 'events_api') return { body: JSON.stringify(payload), contentType: 'application/json' };
  if (kind === 'interactive') return { body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), contentType: 'application/x-www-form-urlencoded' };
  const fields = Object.entries(payload).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as [string, string]);
  return { body: new URLSearchParams(fields).toString(), contentType: 'application/x-www-form-urlencoded' };
}

export async function postSigned(targetUrl: string, kind: HttpEnvelopeKind, payload: Record<string, unknown>, options: SignedPostOptions): Promise<SignedPostResult> {
  const { body, contentType } = encodeForHttp(kind, payload);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': contentType,
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': options.signature ?? slackSignature(options.signingSecret, timestamp, body),
  };
  if (options.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(options.retryNum);
    headers['x-slack-retry-reason'] = options.retryReason ?? 'http_timeout';
  }
  const res = await fetch(targetUrl, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, body: text, at: performance.now() };
}
