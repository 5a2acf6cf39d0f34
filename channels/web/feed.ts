// In-memory per-conversation event feed for the web page: a bounded ring of recent events
// (so a reload or a reconnect can catch up with `after=<seq>`) plus live subscribers. The
// durable history lives in the store; this only bridges the gap between page and gateway.
import type { ApprovalPrompt } from '../../src/core/types.js';

/** An approval prompt as the page receives it (dates as ISO strings). */
export interface WireApproval {
  approval_id: string;
  summary: string;
  /** Made safe to show (src/policy/approval-detail.ts); long values keep beginning and end. */
  detail: string;
  /** Every argument in full, when `detail` had to leave something out (the page can expand it). */
  full_detail?: string;
  security_level: string;
  expires_at: string;
  options: ApprovalPrompt['options'];
  outcome?: { status: string; by?: string; at: string };
}

export interface FeedEvent {
  /** Monotonic across the process; the page resumes with after=<seq>. */
  seq: number;
  /** Platform message id (what an approval update names in `replaces`). */
  id: string;
  from: 'user' | 'bot';
  text: string;
  time: string;
  sender_name?: string;
  replaces?: string;
  approval?: WireApproval;
  /** A reply still being written: later events replace it (same id) until the final one. */
  streaming?: boolean;
}

export type FeedListener = (event: FeedEvent) => void;

export interface ConversationFeeds {
  append(conversationId: string, event: Omit<FeedEvent, 'seq'>): FeedEvent;
  since(conversationId: string, after: number): FeedEvent[];
  subscribe(conversationId: string, listener: FeedListener): () => void;
  subscriberCount(conversationId?: string): number;
}

export interface FeedLimits {
  eventsPerConversation?: number;
  conversations?: number;
}

interface Feed {
  events: FeedEvent[];
  listeners: Set<FeedListener>;
}

export function toWireApproval(prompt: ApprovalPrompt): WireApproval {
  return {
    approval_id: prompt.approvalId,
    summary: prompt.summary,
    detail: prompt.detail,
    ...(prompt.fullDetail !== undefined ? { full_detail: prompt.fullDetail } : {}),
    security_level: prompt.securityLevel,
    expires_at: prompt.expiresAt.toISOString(),
    options: [...prompt.options],
    ...(prompt.outcome
      ? {
          outcome: {
            status: prompt.outcome.status,
            ...(prompt.outcome.by !== undefined ? { by: prompt.outcome.by } : {}),
            at: prompt.outcome.at.toISOString(),
          },
        }
      : {}),
  };
}

export function createConversationFeeds(limits: FeedLimits = {}): ConversationFeeds {
  const perConversation = limits.eventsPerConversation ?? 200;
  const maxConversations = limits.conversations ?? 1000;
  // A Map keeps insertion order: re-inserting on use makes the first key the least recent.
  const feeds = new Map<string, Feed>();
  // Starts at the clock (in µs) rather than 0 so numbers keep growing across a gateway restart:
  // a page that resumes with after=<old seq> must not miss the new process's events.
  let seq = Date.now() * 1000;

  function feedOf(conversationId: string): Feed {
    let feed = feeds.get(conversationId);
    if (feed) {
      feeds.delete(conversationId);
    } else {
      feed = { events: [], listeners: new Set() };
      evictIdle();
    }
    feeds.set(conversationId, feed);
    return feed;
  }

  function evictIdle(): void {
    if (feeds.size < maxConversations) return;
    for (const [id, feed] of feeds) {
      if (feed.listeners.size === 0) {
        feeds.delete(id);
        if (feeds.size < maxConversations) return;
      }
    }
  }

  return {
    append(conversationId, partial) {
      const feed = feedOf(conversationId);
      const event: FeedEvent = { ...partial, seq: ++seq };
      // A replacement carries the whole message: the one it replaces need not be replayed.
      if (partial.replaces !== undefined) {
        const target = partial.replaces;
        feed.events = feed.events.filter((e) => e.id !== target && e.replaces !== target);
      }
      feed.events.push(event);
      if (feed.events.length > perConversation) feed.events.splice(0, feed.events.length - perConversation);
      for (const listener of feed.listeners) listener(event);
      return event;
    },
    since(conversationId, after) {
      const feed = feeds.get(conversationId);
      return feed ? feed.events.filter((e) => e.seq > after) : [];
    },
    subscribe(conversationId, listener) {
      const feed = feedOf(conversationId);
      feed.listeners.add(listener);
      return () => {
        feed.listeners.delete(listener);
      };
    },
    subscriberCount(conversationId) {
      if (conversationId !== undefined) return feeds.get(conversationId)?.listeners.size ?? 0;
      let total = 0;
      for (const feed of feeds.values()) total += feed.listeners.size;
      return total;
    },
  };
}
