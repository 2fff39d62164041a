import type { Timestamp } from '../clock/timestamp.js';
import type { NodeId } from '../ids/node-id.js';
import type { DigestMessage, ObjectDigest, ObjectKind } from '../protocol/sync-messages.js';
import { utf8Length } from '../wire/utf8-length.js';

/** One object's digest input: its id (`m:`/`s:` + name) and per-writer clocks sorted by writer. */
export interface DigestSource {
  readonly id: string;
  readonly kind: ObjectKind;
  readonly name: string;
  readonly clocks: ReadonlyArray<readonly [NodeId, Timestamp | number]>;
}

// Upper bounds, in bytes, as the digest encoder writes them.
const MESSAGE_HEADER = 1 + 2 + 128 + 2 * (2 + 131) + 1 + 3;
const OBJECT_HEADER = 1 + 2 + 128 + 2 * (2 + 66) + 1 + 3;
const CLOCK_COST = 1 + 64 + 10;

/**
 * Splits a channel's digest into messages of at most `budget` bytes. Each message says which
 * object ids it speaks for (its scope), so an object in scope but not listed means "I have
 * none of it"; an object whose clocks do not fit one message is split by writer ranges, with
 * the scopes of the neighbouring messages overlapping on that object only.
 */
export function buildDigests(
  channel: string,
  sources: readonly DigestSource[],
  reply: boolean,
  budget: number,
  fresh: boolean,
): DigestMessage[] {
  const perMessage = Math.max(1, Math.floor((budget - MESSAGE_HEADER - OBJECT_HEADER) / CLOCK_COST));
  const messages: DigestMessage[] = [];
  let objects: ObjectDigest[] = [];
  let size = MESSAGE_HEADER + utf8Length(channel);
  let scopeFrom = '';
  const close = (scopeTo: string | null) => {
    messages.push({ type: 'digest', channel, reply, fresh, scopeFrom, scopeTo, objects });
    objects = [];
    size = MESSAGE_HEADER + utf8Length(channel);
  };
  for (const source of sources) {
    const cost = OBJECT_HEADER + source.clocks.length * CLOCK_COST;
    if (size + cost > budget && objects.length > 0) {
      close(source.id);
      scopeFrom = source.id;
    }
    if (size + cost <= budget) {
      objects.push({ kind: source.kind, name: source.name, from: '', to: null, clocks: source.clocks });
      size += cost;
      continue;
    }
    // Too many writers for one message: split them into writer ranges.
    for (let start = 0; start < source.clocks.length; start += perMessage) {
      const slice = source.clocks.slice(start, start + perMessage);
      const next = source.clocks[start + perMessage];
      const from = start === 0 ? '' : (slice[0]?.[0] ?? '');
      objects.push({
        kind: source.kind,
        name: source.name,
        from,
        to: next === undefined ? null : next[0],
        clocks: slice,
      });
      if (next !== undefined) {
        // The object continues in the next message: both scopes include it.
        close(`${source.id}\u0000`);
        scopeFrom = source.id;
      } else size += OBJECT_HEADER + slice.length * CLOCK_COST;
    }
  }
  close(null);
  return messages;
}
