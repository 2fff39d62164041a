import { cpSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { scratch, shoal } from './shoal-process.js';

describe('shoal new-identity', () => {
  const { root, multicastPort, cleanup } = scratch();
  afterAll(cleanup);

  it('gives a copied data dir an id and key of its own and keeps its data', async () => {
    const original = `${root}/a`;
    const copy = `${root}/b`;
    expect(
      (
        await shoal([
          'init',
          '--dir',
          original,
          '--interface',
          '127.0.0.1',
          '--multicast-port',
          multicastPort,
        ])
      ).code,
    ).toBe(0);
    expect((await shoal(['set', 'home/settings', 'k', '1', '--dir', original, '--wait', '0'])).code).toBe(0);
    const status = async (dir: string) =>
      JSON.parse((await shoal(['status', '--dir', dir, '--json'])).stdout) as { id: string; key: string };
    const before = await status(original);
    cpSync(original, copy, { recursive: true });
    const renamed = await shoal(['new-identity', '--dir', copy, '--json']);
    expect(renamed.code).toBe(0);
    const { previous, id } = JSON.parse(renamed.stdout) as { previous: string; id: string };
    expect(previous).toBe(before.id);
    expect(id).not.toBe(before.id);
    const after = await status(copy);
    expect(after.id).toBe(id);
    expect(after.key).not.toBe(before.key);
    expect((await shoal(['get', 'home/settings', 'k', '--dir', copy])).stdout).toBe('1\n');
    // The original is untouched.
    expect((await status(original)).id).toBe(before.id);
  }, 60_000);

  it('refuses a dir that is not a data dir, in one line', async () => {
    const result = await shoal(['new-identity', '--dir', `${root}/none`]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
