// Reply streams: a model reply as it is being written, published as events any adapter can
// subscribe to (the web page, the terminal chat through the API, a chat platform later). The
// text in each event is the whole reply so far, already redacted and cleaned of leaked markup,
// with a short tail held back that could still turn into a secret or markup. Tool calls are
// never streamed: they run only once the model's answer is complete.

export interface ReplyProgress {
  channel: string;
  conversationId: string;
  /** One id per model call; every event of that call carries it. */
  streamId: string;
  /** The reply so far (replace, do not append). */
  text: string;
  /** Last event of the call. `final`: this text becomes the turn's reply and is delivered next. */
  done: boolean;
  final?: boolean;
}

export interface ReplyStreamSubscription {
  /** Only this conversation (default: all). */
  conversationId?: string;
  /** Only this channel (default: all). */
  channel?: string;
  /** Whether this subscriber wants a given conversation streamed right now (e.g. a page is open). */
  wants?(channel: string, conversationId: string): boolean;
}

export interface ReplyStreamHub {
  subscribe(listener: (event: ReplyProgress) => void, filter?: ReplyStreamSubscription): () => void;
  /** Whether anyone would show this conversation's reply as it comes (else the model call does not stream). */
  wants(channel: string, conversationId: string): boolean;
  publish(event: ReplyProgress): void;
}

export function createReplyStreamHub(options: { onListenerError?: (err: unknown) => void } = {}): ReplyStreamHub {
  const subscribers = new Set<{ listener: (event: ReplyProgress) => void; filter: ReplyStreamSubscription }>();
  const matches = (filter: ReplyStreamSubscription, channel: string, conversationId: string): boolean =>
    (filter.channel === undefined || filter.channel === channel) && (filter.conversationId === undefined || filter.conversationId === conversationId);
  return {
    subscribe(listener, filter = {}) {
      const entry = { listener, filter };
      subscribers.add(entry);
      return () => {
        subscribers.delete(entry);
      };
    },
    wants(channel, conversationId) {
      for (const { filter } of subscribers) {
        if (matches(filter, channel, conversationId) && (filter.wants?.(channel, conversationId) ?? true)) return true;
      }
      return false;
    },
    publish(event) {
      for (const { listener, filter } of subscribers) {
        if (!matches(filter, event.channel, event.conversationId)) continue;
        try {
          listener(event);
        } catch (err) {
          // A broken display must never break the turn.
          options.onListenerError?.(err);
        }
      }
    },
  };
}
