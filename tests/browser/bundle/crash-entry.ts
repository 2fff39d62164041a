import { openBrowserNode } from '@shoal/browser';

// Runs in the page for crash.test.ts: a node writing map entries as fast as IndexedDB
// acknowledges them, counting acknowledged writes, and a reader for after the crash.

const dbName = 'crash';
let acknowledged = 0;

/** Writes keys 0, 1, 2, … in groups of one to eight, counting each group once it resolved. */
async function writeUntilKilled(): Promise<void> {
  const map = (await (await openBrowserNode({ dbName })).channel('room')).map('kv');
  for (let next = 0; ; ) {
    const group = 1 + (next % 8);
    await Promise.all(Array.from({ length: group }, (_, index) => map.set(`k${next + index}`, next + index)));
    next += group;
    acknowledged = next;
  }
}

/** After a restart: how many keys the node has, checking they are exactly k0 … k(n-1). */
async function countWritten(): Promise<number> {
  const node = await openBrowserNode({ dbName });
  try {
    const map = (await node.channel('room')).map('kv');
    for (let index = 0; index < map.size; index++) {
      if (map.get(`k${index}`) !== index) throw new Error(`k${index} missing among ${map.size} keys`);
    }
    return map.size;
  } finally {
    await node.dispose();
  }
}

Object.assign(globalThis, {
  shoalCrash: {
    start: () => {
      writeUntilKilled().catch((error: unknown) => console.error(error));
    },
    acknowledged: () => acknowledged,
    countWritten,
  },
});
