import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChatLine } from './chat-service.js';
import { addNotices, interleave, MAX_NOTICES } from './notices.js';

const line = (at: number, i: number): ChatLine => ({
  id: `n:${i}`,
  author: 'n' as ChatLine['author'],
  nick: 'alice',
  text: `m${i}`,
  at,
  own: false,
});

describe('interleave', () => {
  it('keeps every message and notice, each list in its order, each notice after the messages before it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(1000), { maxLength: 30 }).map((ats) => ats.sort((a, b) => a - b)),
        fc.array(fc.nat(1000), { maxLength: 10 }).map((ats) => ats.sort((a, b) => a - b)),
        (lineAts, noticeAts) => {
          const lines = lineAts.map(line);
          const notices = noticeAts.map((at, i) => ({ text: `n${i}`, at }));
          const out = interleave(lines, notices);
          expect(out.flatMap((item) => ('line' in item ? [item.line] : []))).toEqual(lines);
          expect(out.flatMap((item) => ('notice' in item ? [item.notice] : []))).toEqual(notices);
          out.forEach((item, index) => {
            if (!('notice' in item)) return;
            const at = item.notice.at;
            for (const before of out.slice(0, index))
              if ('line' in before) expect(before.line.at).toBeLessThanOrEqual(at);
            for (const after of out.slice(index + 1))
              if ('line' in after) expect(after.line.at).toBeGreaterThanOrEqual(at);
          });
        },
      ),
    );
  });

  it('keeps the newest notices only', () => {
    const many = addNotices(
      [],
      Array.from({ length: MAX_NOTICES + 5 }, (_, i) => `n${i}`),
      7,
    );
    expect(many).toHaveLength(MAX_NOTICES);
    expect(many[0]).toEqual({ text: 'n5', at: 7 });
  });
});
