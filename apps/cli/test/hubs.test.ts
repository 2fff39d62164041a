import { openNode } from '@shoal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Running, scratch, shoal } from './shoal-process.js';

// A hub and a hub client, both without UDP: everything crosses one WebSocket on 127.0.0.1,
// as it would between networks. Then whole channels: a large one the client catches up on,
// exported and imported through pipes.
describe('shoal agents over a WebSocket hub', () => {
  const { root, cleanup } = scratch();
  const hubDir = `${root}/hub`;
  const clientDir = `${root}/client`;
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const url = `ws://127.0.0.1:${port}`;
  let hub: Running;
  let client: Running;
  let hubId = '';

  beforeAll(async () => {
    const init = await shoal(['init', '--dir', hubDir, '--no-udp', '--json']);
    expect(init.code).toBe(0);
    const { invite } = JSON.parse(init.stdout) as { invite: string };
    expect((await shoal(['join', invite, '--dir', clientDir, '--no-udp', '--hubs', url])).code).toBe(0);
    hub = new Running([
      'agent',
      '--dir',
      hubDir,
      '--ws-listen',
      `127.0.0.1:${port}`,
      '--http',
      `127.0.0.1:${port + 1}`,
      '--json',
    ]);
    await hub.waitFor((x) => x.records().some((r) => r.type === 'started'), 'the hub to start');
    const started = hub.records().find((r) => r.type === 'started');
    expect(started?.hub).toEqual({ host: '127.0.0.1', port });
    hubId = started?.id as string;
    client = new Running(['agent', '--dir', clientDir, '--json']);
    await client.waitFor(
      (x) => x.records().some((r) => r.type === 'peer-up' && r.peer === hubId),
      'the client to reach the hub',
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all([hub?.stop(), client?.stop()]);
    cleanup();
  }, 30_000);

  it('the hub agent serves metrics and the dashboard where --http says', async () => {
    const started = hub.records().find((r) => r.type === 'started');
    expect(started?.dashboard).toBe(`http://127.0.0.1:${port + 1}/`);
    const metrics = await (await fetch(`http://127.0.0.1:${port + 1}/metrics`)).text();
    expect(metrics).toContain(`shoal_info{id="${hubId}",mode="sealed"} 1`);
    expect((await fetch(`http://127.0.0.1:${port + 1}/`)).status).toBe(200);
  });

  it('refuses --http beyond loopback without a token, in one line', async () => {
    const refused = await shoal(['agent', '--dir', clientDir, '--http', '0.0.0.0:0']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/needs --http-token/);
  });

  it('a write through the client reaches the hub', async () => {
    expect((await shoal(['set', 'home/settings', 'lights', '"on"', '--dir', clientDir])).code).toBe(0);
    let got = '';
    for (let i = 0; i < 100 && got !== 'on'; i++) {
      const get = await shoal(['get', 'home/settings', 'lights', '--dir', hubDir]);
      got = get.stdout.trim();
      if (got !== 'on') await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(got).toBe('on');
  }, 60_000);

  it('the client reports catching up on a large channel, and holds all of it', async () => {
    const entries = 3000;
    const snapshot = await makeSnapshot(entries);
    const imported = await shoal(['import', 'big', '-', '--dir', hubDir, '--json'], { stdin: snapshot });
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ applied: 2 * entries, skipped: 0 });

    await client.waitFor((x) => x.records().some((r) => r.type === 'caught-up'), 'the catch-up to end');
    const records = client.records();
    expect(records.some((r) => r.type === 'catching-up')).toBe(true);
    const caughtUp = records.find((r) => r.type === 'caught-up');
    expect(caughtUp?.entries as number).toBeGreaterThanOrEqual(500);
    // The catch-up may be reported in parts; what counts is that everything arrived.
    for (let i = 0; i < 100; i++) {
      const tail = await shoal(['tail', 'big/log', '-n', '0', '--dir', clientDir, '--json']);
      const list = await shoal(['list', 'big/kv', '--dir', clientDir, '--json']);
      if (list.code === 0 && (JSON.parse(list.stdout) as unknown[]).length === entries && tail.code === 0)
        break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const list = await shoal(['list', 'big/kv', '--dir', clientDir, '--json']);
    expect((JSON.parse(list.stdout) as unknown[]).length).toBe(entries);
  }, 90_000);

  it('export to a pipe and import from one copy a channel; importing again adds nothing', async () => {
    const exported = await shoal(['export', 'big', '--dir', clientDir]);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toMatch(/exported channel big: \d+ bytes \(maps: kv; streams: log\)/);
    const first = await shoal(['import', 'copy', '-', '--dir', hubDir, '--json'], {
      stdin: exported.stdoutBytes,
    });
    expect(JSON.parse(first.stdout)).toMatchObject({ channel: 'copy', applied: 6000, skipped: 0 });
    const again = await shoal(['import', 'copy', '-', '--dir', hubDir, '--json'], {
      stdin: exported.stdoutBytes,
    });
    expect(JSON.parse(again.stdout)).toMatchObject({ applied: 0, skipped: 6000 });
    const tail = await shoal(['tail', 'copy/log', '-n', '1', '--dir', hubDir, '--json']);
    expect(JSON.parse(tail.stdout.trim())).toMatchObject({ text: 'line 2999' });
  }, 60_000);

  it('a file that is not a snapshot is refused and changes nothing', async () => {
    const bad = await shoal(['import', 'junk', '-', '--dir', hubDir], { stdin: 'not a snapshot' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^shoal: not a valid snapshot/);
    expect((await shoal(['list', 'junk/kv', '--dir', hubDir])).stderr).toMatch(/unknown channel "junk"/);
  });
});

/** A snapshot of channel `big`: map `kv` and stream `log` with `entries` entries each. */
async function makeSnapshot(entries: number): Promise<Uint8Array> {
  const node = await openNode({ udp: false });
  try {
    const channel = await node.channel('big');
    const map = channel.map('kv');
    const log = channel.stream('log');
    await channel.transact(() => {
      for (let i = 0; i < entries; i++) map.set(`k${i}`, { i, text: 'x'.repeat(100) });
    });
    const encoder = new TextEncoder();
    await Promise.all(Array.from({ length: entries }, (_, i) => log.append(encoder.encode(`line ${i}`))));
    return await channel.export();
  } finally {
    await node.dispose();
  }
}
