// Runs one Slack envelope through Bolt (App.processEvent) and decides when Slack is acknowledged.
// Bolt acknowledges an Events API callback before its listeners run; this acknowledges it only
// once the listener has handed the message to the channel host, i.e. once it is durably stored
// and queued (fast, never after the model), so a crash in between makes Slack retry instead of
// losing the message. Button presses and slash commands are acknowledged when their listener
// calls ack() (at once, with the ack's body). A deadline acknowledges anyway before Slack's 3 s.
// Used by both the Socket Mode and the HTTP receiver. Must never wait for the model.
import type { App } from '@slack/bolt';
import type { ChannelLogger } from '../channel.js';

export interface SlackEnvelope {
  body: Record<string, unknown>;
  retryNum?: number;
  retryReason?: string;
}

/** What to tell Slack: acknowledge (with an optional response body), or fail so that Slack retries. */
export type AckDecision = { ok: true; response?: unknown } | { ok: false };

export interface DispatchDeps {
  /** The App once started; undefined while the channel is not running. */
  app(): App | undefined;
  logger: ChannelLogger;
  /** Acknowledge anyway after this long (Slack gives up at 3 s). Default 2500. */
  ackDeadlineMs?: number;
}

export type Dispatch = (envelope: SlackEnvelope) => Promise<AckDecision>;

/** Resolves when Slack should be answered; the listener's remaining work continues in the background. */
export function createDispatch(deps: DispatchDeps): Dispatch {
  const deadlineMs = deps.ackDeadlineMs ?? 2_500;
  return (envelope) => {
    const app = deps.app();
    if (!app) return Promise.resolve({ ok: false });
    const isEventCallback = envelope.body.type === 'event_callback';
    return new Promise<AckDecision>((resolve) => {
      let settled = false;
      const settle = (decision: AckDecision) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(decision);
      };
      const timer = setTimeout(() => {
        deps.logger.warn({ type: envelope.body.type }, 'slack: acknowledging before the event was stored (ack deadline reached)');
        settle({ ok: true });
      }, deadlineMs);
      // Bolt's own ack for events is ignored: we ack once processEvent (our listener) has finished.
      const ack = async (response?: unknown) => {
        if (!isEventCallback) settle(response === undefined ? { ok: true } : { ok: true, response });
      };
      app
        .processEvent({ body: envelope.body, ack, ...(envelope.retryNum !== undefined ? { retryNum: envelope.retryNum } : {}), ...(envelope.retryReason ? { retryReason: envelope.retryReason } : {}) })
        .then(
          () => settle({ ok: true }),
          (err: unknown) => {
            const what = isEventCallback ? 'slack: processing failed; Slack will retry' : 'slack: handling a press or command failed after it was acknowledged';
            deps.logger.warn({ err: err instanceof Error ? err.message : 'unknown', type: envelope.body.type }, what);
            settle(isEventCallback ? { ok: false } : { ok: true });
          },
        );
    });
  };
}
