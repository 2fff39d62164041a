import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LmdbStore } from '../src/index.js';
import { runFixture } from './fixtures/run-fixture.js';
import { tempDirectory } from './temp-directory.js';

const RUNS = 6;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const root = tempDirectory();
afterAll(() => root.remove());

/** Runs the writer until it has acknowledged writes for `afterAckMs`, then SIGKILLs it. */
async function writeUntilKilled(
  path: string,
  durability: string,
  tag: string,
  afterAckMs: number,
): Promise<string[]> {
  const child = runFixture('crash-writer', [path, durability, tag]);
  let buffered = '';
  const acknowledged: string[] = [];
  let killTimer: NodeJS.Timeout | undefined;
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? ''; // a line cut by the kill is not an acknowledgement
    acknowledged.push(...lines);
    killTimer ??= setTimeout(() => child.kill('SIGKILL'), afterAckMs);
  });
  // Wait for `close`, not `kill`: the lock's owner must be reaped before the reopen checks it.
  const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('close', (_, s) => resolve(s)),
  );
  clearTimeout(killTimer);
  expect(signal, 'the writer must die by SIGKILL, not exit by itself').toBe('SIGKILL');
  return acknowledged;
}

describe('LmdbStore under SIGKILL', () => {
  it(`keeps every acknowledged write and never applies half a batch (${RUNS} kills)`, async () => {
    const path = join(root.path, 'store');
    const expected: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      const durability = run % 2 === 0 ? 'flush' : 'commit';
      const afterAckMs = 100 + Math.floor(Math.random() * 900);
      const context = `run ${run}, durability ${durability}, killed ${afterAckMs} ms after the first ack`;
      const acknowledged = await writeUntilKilled(path, durability, `r${run}`, afterAckMs);
      expect(acknowledged.length, context).toBeGreaterThan(0);
      for (const line of acknowledged) {
        const [kind, name] = line.split(' ');
        if (kind === 'put') expected.push(name!);
        else for (let index = 0; index < 10; index++) expected.push(`${name}/${index}`);
      }

      const store = await LmdbStore.open(path);
      const missing = [];
      for (const name of expected) {
        const key = encoder.encode(name);
        const value = await store.get(key);
        if (value === undefined || decoder.decode(value.reverse()) !== name) missing.push(name);
      }
      expect(missing, context).toEqual([]);
      // Atomicity: every batch, acknowledged or cut off by the kill, is all there or absent.
      const batches = new Map<string, number>();
      for await (const [key] of store.scan(encoder.encode(`r${run}/`))) {
        const parts = decoder.decode(key).split('/');
        if (parts.length === 4)
          batches.set(parts.slice(0, 3).join('/'), (batches.get(parts.slice(0, 3).join('/')) ?? 0) + 1);
      }
      for (const [batch, count] of batches) expect(count, `${context}: batch ${batch}`).toBe(10);
      await store.close();
    }
  }, 60_000);
});
