import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Running, scratch, shoal } from './shoal-process.js';

// Two agents on 127.0.0.1 (multicast discovery on loopback, a port private to this run), and
// one-shot commands through an agent and without one.
describe('two shoal agents on loopback', () => {
  const { root, multicastPort, cleanup } = scratch();
  const a = `${root}/a`;
  const b = `${root}/b`;
  const net = ['--interface', '127.0.0.1', '--multicast-port', multicastPort];
  let agentA: Running;
  let agentB: Running;
  let watchB: Running;
  let idA = '';
  let idB = '';

  beforeAll(async () => {
    const init = await shoal(['init', '--dir', a, '--name', 'test', '--json', ...net]);
    expect(init.code).toBe(0);
    const { invite } = JSON.parse(init.stdout) as { invite: string };
    expect((await shoal(['join', invite, '--dir', b, ...net])).code).toBe(0);
    agentA = new Running(['agent', '--dir', a, '--json']);
    agentB = new Running(['agent', '--dir', b, '--json']);
    const started = (agent: Running) =>
      agent.records().find((r) => r.type === 'started')?.id as string | undefined;
    await agentA.waitFor((x) => started(x) !== undefined, 'agent a to start');
    await agentB.waitFor((x) => started(x) !== undefined, 'agent b to start');
    idA = started(agentA) ?? '';
    idB = started(agentB) ?? '';
    await agentA.waitFor(
      (x) => x.records().some((r) => r.type === 'joined' && r.peer === idB),
      'a to see b join',
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all([agentA?.stop(), agentB?.stop(), watchB?.stop()]);
    cleanup();
  }, 30_000);

  it('get on one agent sees a write made through the other to a channel it never used', async () => {
    const set = await shoal(['set', 'garden/valves', 'north', '"open"', '--dir', a]);
    expect(set.code).toBe(0);
    // Agent b opens 'garden' when a syncs it (agents join channels on demand), then serves it.
    let value = '';
    const deadline = Date.now() + 20_000;
    while (!value.includes('open') && Date.now() < deadline) {
      const get = await shoal(['get', 'garden/valves', 'north', '--dir', b]);
      value = get.code === 0 ? get.stdout.trim() : '';
      if (!value.includes('open')) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(value).toMatch(/^"?open"?$/);
  }, 45_000);

  it('watch on one agent sees a write made through the other', async () => {
    watchB = new Running(['watch', 'home/settings', '--dir', b, '--json']);
    // The watch opens (and subscribes to) the channel on agent b; write once it has.
    const homeOpenOnB = async () => {
      const status = JSON.parse((await shoal(['status', '--dir', b, '--json'])).stdout) as {
        channels: { name: string }[];
      };
      return status.channels.some((c) => c.name === 'home');
    };
    while (!(await homeOpenOnB())) await new Promise((resolve) => setTimeout(resolve, 200));
    const set = await shoal([
      'set',
      'home/settings',
      'lights',
      '{"on":true,"level":3}',
      '--dir',
      a,
      '--json',
    ]);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ key: 'lights', value: { on: true, level: 3 } }); // no delivery: via agent
    await watchB.waitFor((w) => w.records().some((r) => r.key === 'lights'), 'the watch to see lights');
    expect(watchB.records().find((r) => r.key === 'lights')).toMatchObject({
      value: { on: true, level: 3 },
      writer: idA,
      local: false,
      deleted: false,
    });
    const get = await shoal(['get', 'home/settings', 'lights', '--dir', b]);
    expect(get).toMatchObject({ code: 0, stdout: '{"on":true,"level":3}\n', stderr: '' });
  });

  it('streams: append on one node, tail on the other, in one order', async () => {
    expect((await shoal(['append', 'home/chat', 'first', '--dir', a])).code).toBe(0);
    expect((await shoal(['append', 'home/chat', '-', '--dir', a], { stdin: 'second\nthird\n' })).code).toBe(
      0,
    );
    const follow = new Running(['tail', '-f', '-n', '10', 'home/chat', '--dir', b, '--json']);
    try {
      await follow.waitFor((f) => f.records().length === 3, 'tail -f to show three entries');
      expect(follow.records().map((r) => r.text)).toEqual(['first', 'second', 'third']);
      const tail = await shoal(['tail', '-n', '2', 'home/chat', '--dir', b]);
      expect(
        tail.stdout
          .trim()
          .split('\n')
          .map((l) => l.split(' ').slice(1).join(' ')),
      ).toEqual(['second', 'third']);
    } finally {
      await follow.stop();
    }
  });

  it('members and status describe the cluster', async () => {
    const members = JSON.parse((await shoal(['members', '--dir', a, '--json'])).stdout) as {
      id: string;
      state: string;
    }[];
    expect(members.map((m) => [m.id, m.state]).sort()).toEqual(
      [
        [idA, 'alive'],
        [idB, 'alive'],
      ].sort(),
    );
    const status = JSON.parse((await shoal(['status', '--dir', a, '--json'])).stdout) as {
      id: string;
      channels: { name: string; maps: { name: string; keys: number }[]; peers: { peer: string }[] }[];
    };
    expect(status.id).toBe(idA);
    const home = status.channels.find((c) => c.name === 'home');
    expect(home?.maps).toContainEqual({ name: 'settings', keys: 1 });
    expect(home?.peers.map((p) => p.peer)).toContain(idB);
  });

  it('access lists a channel to members by key: members sync it, a bad key is one clear line', async () => {
    const keyOf = async (dir: string) =>
      (JSON.parse((await shoal(['status', '--dir', dir, '--json'])).stdout) as { key: string }).key;
    const [keyA, keyB] = [await keyOf(a), await keyOf(b)];
    const members = JSON.parse((await shoal(['members', '--dir', a, '--json'])).stdout) as {
      id: string;
      key: string | null;
    }[];
    expect(members.find((m) => m.id === idB)?.key).toBe(keyB);
    for (const dir of [a, b]) {
      for (const key of [keyA, keyB])
        expect((await shoal(['access', 'family', 'add', key, '--dir', dir])).code).toBe(0);
    }
    const listed = await shoal(['access', 'family', '--dir', b]);
    expect(listed.stdout).toContain('this node syncs it only with these 2 member(s)');
    expect(listed.stdout).toContain(keyA);
    expect((await shoal(['set', 'family/notes', 'dinner', '"at 7"', '--dir', a])).code).toBe(0);
    let seen = '';
    const deadline = Date.now() + 20_000;
    while (!seen.includes('at 7') && Date.now() < deadline) {
      const get = await shoal(['get', 'family/notes', 'dinner', '--dir', b]);
      seen = get.code === 0 ? get.stdout : '';
      if (!seen.includes('at 7')) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(seen).toBe('at 7\n');
    const bad = await shoal(['access', 'family', 'add', 'not-a-key', '--dir', a]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('public key');
    expect(JSON.parse((await shoal(['access', 'family', '--dir', a, '--json'])).stdout)).toEqual({
      channel: 'family',
      members: [keyA, keyB],
    });
  }, 45_000);

  it('without an agent, set waits until a peer holds the write, and says which peer', async () => {
    expect(await agentB.stop()).toBe(0);
    await agentA.waitFor(
      (x) => x.records().some((r) => r.type === 'left' && r.peer === idB),
      'a to see b leave',
    );
    const set = await shoal([
      'set',
      'home/settings',
      'offline',
      '"yes"',
      '--dir',
      b,
      '--wait',
      '20',
      '--json',
    ]);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout).delivery).toMatchObject({ via: 'standalone', heldBy: idA });
    expect((await shoal(['get', 'home/settings', 'offline', '--dir', a])).stdout).toBe('yes\n');
  });

  it('without an agent or peer, set stores locally and says no peer holds it', async () => {
    expect(await agentA.stop()).toBe(0);
    const set = await shoal(['set', 'home/settings', 'alone', '1', '--dir', b, '--wait', '1']);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('no peer confirmed holding the write within 1 s');
    expect((await shoal(['get', 'home/settings', 'alone', '--dir', b])).stdout).toBe('1\n');
  });
});
