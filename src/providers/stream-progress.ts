// Turns a model's text deltas into "reply so far" snapshots safe to show while it writes:
// redacted and cleaned of leaked markup like the final reply, minus a tail as long as the
// longest known secret (it could be a secret's beginning) or a partial markup token. Snapshots
// go out at most every `intervalMs` (the latest one is flushed when the interval ends), so a
// long reply costs a few snapshots, not one full copy per token. Only growth is reported.
import type { SecretRedactor } from '../security/secret-redactor.js';
import { cleanLeakedMarkup } from './leaked-markup.js';
import type { StreamHandlers } from './provider.js';

/** Never less than this is held back: the longest template token a model leaks is shorter. */
const MIN_HOLD_BACK = 24;
export const PROGRESS_INTERVAL_MS = 100;

export interface StreamProgress {
  handlers: StreamHandlers;
  /** Stops the pending flush (the call ended; the final text is delivered the usual way). */
  stop(): void;
}

export function createStreamProgress(redactor: SecretRedactor, onProgress: (textSoFar: string) => void, intervalMs = PROGRESS_INTERVAL_MS): StreamProgress {
  let raw = '';
  let shown = '';
  let timer: NodeJS.Timeout | undefined;
  let lastFlush = 0;
  let stopped = false;

  const flush = (): void => {
    timer = undefined;
    if (stopped) return;
    lastFlush = Date.now();
    const safe = cleanLeakedMarkup(redactor.redact(raw));
    const visible = safe.slice(0, Math.max(0, safe.length - Math.max(MIN_HOLD_BACK, redactor.longest)));
    // Growth is reported; a shorter prefix (markup just removed) waits; a divergence replaces.
    if (visible.startsWith(shown) ? visible.length > shown.length : !shown.startsWith(visible)) {
      shown = visible;
      onProgress(visible);
    }
  };

  return {
    handlers: {
      onText(delta) {
        raw += delta;
        if (timer !== undefined || stopped) return;
        const wait = lastFlush + intervalMs - Date.now();
        if (wait <= 0) flush();
        else timer = setTimeout(flush, wait);
      },
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
