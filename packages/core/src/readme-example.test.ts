import { SimulatedNetwork } from '@shoal/transport-memory';
import { expect, it } from 'vitest';
import { Coordinator } from './index.js';

it('runs the README example', async () => {
  const net = new SimulatedNetwork({ seed: 1, loss: 0.3, latency: { min: 1, max: 30 } });
  const open = async (id: string) => {
    const node = await Coordinator.create({
      id,
      port: net.connect(id),
      timers: net.timersFor(id),
      random: net.random(id),
    });
    await node.start();
    return node;
  };
  const alice = await open('alice');
  const bob = await open('bob');

  const onAlice = (await alice.channel('home')).map('settings');
  const onBob = (await bob.channel('home')).map('settings');
  await onAlice.set('lights', { on: true, level: 3 });
  await net.runUntil(() => onBob.has('lights'), { timeout: 10_000 });
  expect(onBob.get('lights')).toEqual({ on: true, level: 3 });

  const chat = (await bob.channel('home')).stream('messages');
  await chat.append(new TextEncoder().encode('hi'));
  const count = chat.materialize({ initial: () => 0, fold: (n) => n + 1 });
  expect(count.state).toBe(1);
});
