import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChatLine } from '../chat-service.js';
import { layoutScreen, type ScreenModel, wrap } from './screen-layout.js';

const line = (i: number, text: string): ChatLine => ({
  id: `n:${i}`,
  author: 'n' as ChatLine['author'],
  nick: 'alice',
  text,
  at: Date.UTC(2026, 11, 3, 12, i % 60),
  own: false,
});

const model = (overrides: Partial<ScreenModel> = {}): ScreenModel => ({
  nick: 'alice',
  presence: 'online',
  room: 'general',
  topic: 'Small wins of the day',
  rooms: [
    { name: 'general', topic: '', joined: true, unread: 0 },
    { name: 'random', topic: '', joined: true, unread: 3 },
  ],
  lines: Array.from({ length: 40 }, (_, i) => line(i, `message ${i}`)),
  notices: [],
  people: [{ id: 'n' as ChatLine['author'], nick: 'alice', state: 'online', rooms: ['general'], self: true }],
  hubs: [{ id: 'hub-b' as ChatLine['author'], state: 'alive', leader: true }],
  hub: 'ws://127.0.0.1:8081',
  input: 'typing',
  scroll: 0,
  ...overrides,
});

const chars = (text: string) => [...text].length;

describe('layoutScreen', () => {
  it('fills exactly the terminal, whatever its size and the text in it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 120 }),
        fc.array(fc.string({ unit: 'grapheme', maxLength: 300 }), { maxLength: 30 }),
        fc.nat(100),
        (cols, rows, texts, scroll) => {
          const screen = layoutScreen(
            model({ lines: texts.map((text, i) => line(i, text)), scroll, input: texts[0] ?? '' }),
            cols,
            rows,
          );
          expect(screen).toHaveLength(Math.max(rows, 6));
          for (const row of screen) expect(chars(row.text)).toBe(Math.max(cols, 20));
          // No control character from a peer's text reaches the terminal.
          for (const row of screen) expect(row.text).not.toMatch(/\p{Cc}/u);
        },
      ),
    );
  });

  it('shows the room, topic, hub and leader, unread counts, the newest messages and the input', () => {
    const screen = layoutScreen(model(), 100, 20).map((row) => row.text);
    expect(screen[0]).toContain('#general — Small wins of the day');
    expect(screen[0]).toContain('hub ws://127.0.0.1:8081 · leader hub-b');
    expect(screen.some((row) => row.includes('#random (3)'))).toBe(true);
    expect(screen.some((row) => row.includes('● alice (you)'))).toBe(true);
    expect(screen.some((row) => row.includes('hub-b ★ leader'))).toBe(true);
    expect(screen[screen.length - 3]).toContain('message 39');
    expect(screen.join('\n')).not.toContain('message 20:');
    expect(screen[screen.length - 1]?.trimEnd()).toBe('#general> typing');
  });

  it('scrolls back through history, and drops the side panes on a narrow terminal', () => {
    const scrolled = layoutScreen(model({ scroll: 10 }), 100, 20).map((row) => row.text);
    expect(scrolled[scrolled.length - 3]).toContain('message 29');
    expect(scrolled[scrolled.length - 2]).toContain('scrolled up 10');
    const narrow = layoutScreen(model(), 40, 10).map((row) => row.text);
    expect(narrow.some((row) => row.includes('│'))).toBe(false);
    expect(narrow[narrow.length - 3]).toContain('message 39');
  });

  it('shows a notice where it was shown among the messages, not below later ones', () => {
    const lines = [line(1, 'before'), line(3, 'after')];
    const notices = [{ text: 'you are away', at: Date.UTC(2026, 11, 3, 12, 2) }];
    const rows = layoutScreen(model({ lines, notices }), 100, 12)
      .map((row) => row.text)
      .filter((text) => /before|away|after/.test(text));
    expect(rows.map((text) => text.match(/before|away|after/)?.[0])).toEqual(['before', 'away', 'after']);
  });

  it('says when the client is between hubs', () => {
    expect(layoutScreen(model({ hub: undefined }), 100, 20)[0]?.text).toContain('reconnecting…');
  });
});

describe('wrap', () => {
  it('keeps every character, in order, in rows no wider than asked', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), fc.integer({ min: 1, max: 80 }), (text, width) => {
        const rows = wrap(text, width);
        for (const row of rows) expect(chars(row)).toBeLessThanOrEqual(width);
        const clean = text.replace(/\p{Cc}/gu, ' ');
        expect(rows.join('').replace(/ /g, '')).toBe(clean.replace(/ /g, ''));
      }),
    );
  });
});
