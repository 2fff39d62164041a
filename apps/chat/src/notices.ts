import type { ChatLine } from './chat-service.js';

/** A local line a client shows in the room it was shown in: a command's output or an error. */
export interface Notice {
  readonly text: string;
  /** When it was shown (ms since the epoch), which places it among the room's messages. */
  readonly at: number;
}

/** How many notices a client keeps: older ones scroll away for good. */
export const MAX_NOTICES = 50;

/** `notices` with `texts` added, shown at `at`, the oldest dropped past {@link MAX_NOTICES}. */
export function addNotices(notices: readonly Notice[], texts: readonly string[], at: number): Notice[] {
  return [...notices, ...texts.map((text) => ({ text, at }))].slice(-MAX_NOTICES);
}

/**
 * A room's messages and notices as one list in time order: each notice after the messages sent
 * up to when it was shown. So a reply to `/who` stays where it was asked, under the messages
 * before it, instead of sinking below every message that comes later.
 */
export function interleave(
  lines: readonly ChatLine[],
  notices: readonly Notice[],
): Array<{ readonly line: ChatLine } | { readonly notice: Notice }> {
  const out: Array<{ readonly line: ChatLine } | { readonly notice: Notice }> = [];
  let next = 0;
  for (const line of lines) {
    while (next < notices.length && (notices[next] as Notice).at < line.at)
      out.push({ notice: notices[next++] as Notice });
    out.push({ line });
  }
  for (; next < notices.length; next++) out.push({ notice: notices[next] as Notice });
  return out;
}
