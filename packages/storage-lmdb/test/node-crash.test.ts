import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eachLine, runFixture } from './fixtures/run-fixture.js';
import { tempDirectory } from './temp-directory.js';

/** Kills per test; each costs a process start (1-3 s on a loaded 2-core box) plus up to 450 ms of writing. */
const RUNS = 4;
/** Each restart sets the child's wall clock this much further back (see the HLC check). */
const SKEW_STEP_MS = 5 * 60_000;
const root = tempDirectory();
afterAll(() => root.remove());

interface Stamp {
  readonly wall: number;
  readonly counter: number;
}
interface Ack extends Stamp {
  readonly kind: 'set' | 'append';
  /** Map key, or stream seq as a string. */
  readonly id: string;
  /** Map value, or stream payload. */
  readonly value: string;
}
/** What one child process printed. */
interface RunOutput {
  id: string;
  epoch: number;
  keys: Map<string, string>;
  /** The map's size as it reported it. */
  size: number;
  entries: Map<number, { payload: string } & Stamp>;
  acks: Ack[];
  signal: NodeJS.Signals | null;
  code: number | null;
}

const compare = (a: Stamp, b: Stamp): number => a.wall - b.wall || a.counter - b.counter;
const show = (s: Stamp): string => `${s.wall}.${s.counter}`;

/**
 * Runs `node-writer` on `path`. In `write` mode, SIGKILLs it `killAfterMs` after its first
 * acknowledgement; in `once` mode lets it exit. A line cut by the kill is not an acknowledgement.
 */
async function runChild(
  path: string,
  tag: string,
  skewMs: number,
  mode: 'write' | 'once',
  killAfterMs: number,
  mapEntries: 'memory' | 'store',
): Promise<RunOutput> {
  const child = runFixture('node-writer', [path, tag, String(skewMs), mode, mapEntries]);
  const result: RunOutput = {
    id: '',
    epoch: -1,
    keys: new Map(),
    size: -1,
    entries: new Map(),
    acks: [],
    signal: null,
    code: null,
  };
  let killTimer: NodeJS.Timeout | undefined;
  const onLine = (line: string): void => {
    const [kind = '', a = '', b = '', wall = '', counter = ''] = line.split(' ');
    if (kind === 'meta') {
      result.id = a;
      result.epoch = Number(b);
    } else if (kind === 'has-key') result.keys.set(a, b);
    else if (kind === 'size') result.size = Number(a);
    else if (kind === 'has-entry')
      result.entries.set(Number(a), { payload: b, wall: Number(wall), counter: Number(counter) });
    else if (kind === 'set' || kind === 'append') {
      result.acks.push({ kind, id: a, value: b, wall: Number(wall), counter: Number(counter) });
      if (mode === 'write') killTimer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    }
  };
  const { code, signal } = await eachLine(child, onLine);
  result.code = code;
  result.signal = signal;
  clearTimeout(killTimer);
  return result;
}

// Maps in memory (loaded on open) and kept in the store (index and count records, ADR 0050).
describe.each([
  'memory',
  'store',
] as const)('a Coordinator on LmdbStore, SIGKILLed while writing, maps in %s', (mapEntries) => {
  it(`keeps acknowledged writes, its id, a rising clock, epoch and stream seqs (${RUNS} kills)`, async () => {
    const path = join(root.path, `node-${mapEntries}`);
    /** Every write any earlier run acknowledged. */
    const acknowledged: Ack[] = [];
    let previous: RunOutput | undefined;
    let kills = 0;
    for (let run = 0; run <= RUNS; run++) {
      const last = run === RUNS;
      const killAfterMs = 50 + Math.floor(Math.random() * 400);
      // The wall clock goes back 5 minutes per restart: stamps can only keep rising if the
      // persisted HLC high-water mark (and the reloaded entries) carry them.
      const skew = -run * SKEW_STEP_MS;
      const output = await runChild(path, `r${run}`, skew, last ? 'once' : 'write', killAfterMs, mapEntries);
      const context = `run ${run} (clock ${skew / 60_000} min, killed ${killAfterMs} ms after its first ack)`;
      if (last) expect(output.code, `${context}: the final child exits by itself`).toBe(0);
      else {
        expect(output.signal, `${context}: the writer dies by SIGKILL`).toBe('SIGKILL');
        kills++;
      }
      expect(output.acks.length, `${context}: acknowledged something`).toBeGreaterThan(0);

      // Identity and boot epoch: same node, one more boot than the run before.
      expect(output.id, context).toMatch(/^[0-9a-f]{32}$/);
      if (previous !== undefined) {
        expect(output.id, `${context}: same node id`).toBe(previous.id);
        expect(output.epoch, `${context}: boot epoch increased`).toBe(previous.epoch + 1);
      } else expect(output.epoch, context).toBe(1);

      // Every acknowledged write of every earlier run is held, with its value.
      const missing: string[] = [];
      for (const ack of acknowledged) {
        if (ack.kind === 'set') {
          if (output.keys.get(ack.id) !== ack.value) missing.push(`set ${ack.id}`);
        } else {
          const entry = output.entries.get(Number(ack.id));
          if (entry?.payload !== ack.value || compare(entry, ack) !== 0) missing.push(`append ${ack.id}`);
        }
      }
      expect(missing, `${context}: acknowledged writes lost`).toEqual([]);
      expect(output.size, `${context}: the map counts what it holds`).toBe(output.keys.size);

      // Stream: held seqs are 1..n with no gap; this run's first append takes n + 1 (no reuse
      // of a seq even if it was written but never acknowledged), and seqs rise by one per append.
      const held = [...output.entries.keys()].sort((a, b) => a - b);
      expect(held, `${context}: stream seqs are contiguous`).toEqual(held.map((_, index) => index + 1));
      const appends = output.acks.filter((ack) => ack.kind === 'append').map((ack) => Number(ack.id));
      if (appends.length > 0) {
        expect(appends[0], `${context}: first seq after restart`).toBe(held.length + 1);
        expect(appends, context).toEqual(appends.map((_, index) => held.length + 1 + index));
      }

      // Clock: every stamp issued in this run is above every stamp acknowledged before and
      // every stamp on disk, although this run's wall clock is minutes behind.
      const ceiling = [...acknowledged, ...output.entries.values()].reduce<Stamp>(
        (high, stamp) => (compare(stamp, high) > 0 ? stamp : high),
        { wall: 0, counter: 0 },
      );
      const lowest = output.acks.reduce<Stamp>((low, stamp) => (compare(stamp, low) < 0 ? stamp : low), {
        wall: Number.MAX_SAFE_INTEGER,
        counter: 0,
      });
      expect(
        compare(lowest, ceiling),
        `${context}: lowest new stamp ${show(lowest)} vs highest earlier ${show(ceiling)}`,
      ).toBeGreaterThan(0);
      // And no two stamps are ever equal, across all runs.
      const all = [...acknowledged, ...output.acks].map(show);
      expect(new Set(all).size, `${context}: a stamp was issued twice`).toBe(all.length);

      acknowledged.push(...output.acks);
      previous = output;
    }
    expect(kills).toBe(RUNS);
  }, 30_000);
});
