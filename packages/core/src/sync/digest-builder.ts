import type { NodeId } from '../ids/node-id.js';
import { mapClockMaxBytes } from '../protocol/map-clock-codec.js';
import { nodeIdSize } from '../protocol/node-id-codec.js';
import { STREAM_CLOCK_MAX_BYTES } from '../protocol/stream-clock-codec.js';
import type {
  DigestMessage,
  MapClock,
  ObjectDigest,
  ObjectKind,
  StreamClock,
} from '../protocol/sync-messages.js';
import { varintSize } from '../wire/byte-writer.js';
import { utf8Length } from '../wire/utf8-length.js';

/** One object's digest input: its id (`m:`/`s:` + name) and per-writer clocks sorted by writer. */
export interface DigestSource {
  readonly id: string;
  readonly kind: ObjectKind;
  readonly name: string;
  readonly clocks: ReadonlyArray<readonly [NodeId, MapClock | StreamClock]>;
}

// Upper bounds, in bytes, as the digest encoder writes them.
/** Flags, optional base, object count. */
const MESSAGE_FIXED = 1 + 8 + 3;
/** Most bytes a clock takes: a stream clock, a map clock, or one with what is held beyond it. */
function clockBytes(clock: DigestSource['clocks'][number][1]): number {
  if ('seq' in clock) return STREAM_CLOCK_MAX_BYTES;
  return mapClockMaxBytes(clock);
}
/** An object's writer range when it is split: two writer ids with their flags. */
const SPLIT_RANGE = 2 * (2 + 64);

function nameCost(name: string): number {
  const bytes = utf8Length(name);
  return varintSize(bytes) + bytes;
}

function objectCost(source: DigestSource, clocks: DigestSource['clocks'], split: boolean): number {
  let cost = 1 + nameCost(source.name) + 2 + 3 + (split ? SPLIT_RANGE : 0);
  for (const [writer, clock] of clocks) cost += nodeIdSize(writer) + clockBytes(clock);
  return cost;
}

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
  const longestId = sources.reduce((max, source) => Math.max(max, utf8Length(source.id)), 0);
  // Scope bounds are object ids (the upper one maybe with a NUL appended).
  const header = MESSAGE_FIXED + nameCost(channel) + 2 * (1 + varintSize(longestId + 1) + longestId + 1);
  const messages: DigestMessage[] = [];
  let objects: ObjectDigest[] = [];
  let size = header;
  let scopeFrom = '';
  const close = (scopeTo: string | null) => {
    messages.push({ type: 'digest', channel, reply, fresh, scopeFrom, scopeTo, objects });
    objects = [];
    size = header;
  };
  for (const source of sources) {
    const cost = objectCost(source, source.clocks, false);
    if (size + cost > budget && objects.length > 0) {
      close(source.id);
      scopeFrom = source.id;
    }
    if (size + cost <= budget) {
      objects.push({ kind: source.kind, name: source.name, from: '', to: null, clocks: source.clocks });
      size += cost;
      continue;
    }
    // Too many writers for one message: split them into writer ranges, each filling a message.
    let start = 0;
    while (start < source.clocks.length) {
      let end = start;
      let sliceCost = objectCost(source, [], true);
      while (end < source.clocks.length) {
        const [writer, clock] = source.clocks[end] as DigestSource['clocks'][number];
        const clockCost = nodeIdSize(writer) + clockBytes(clock);
        if (end > start && size + sliceCost + clockCost > budget) break;
        sliceCost += clockCost;
        end++;
      }
      const slice = source.clocks.slice(start, end);
      const next = source.clocks[end];
      const from = start === 0 ? '' : (slice[0]?.[0] ?? '');
      objects.push({
        kind: source.kind,
        name: source.name,
        from,
        to: next === undefined ? null : next[0],
        clocks: slice,
      });
      start = end;
      if (next !== undefined) {
        // The object continues in the next message: both scopes include it.
        close(`${source.id}\u0000`);
        scopeFrom = source.id;
      } else size += sliceCost;
    }
  }
  close(null);
  return messages;
}
