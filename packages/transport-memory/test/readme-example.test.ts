import { expect, it } from 'vitest';
import { SimulatedNetwork } from '../src/index.js';

it('runs the README example', async () => {
  const log: string[] = [];
  const net = new SimulatedNetwork({ seed: 1, latency: { min: 1, max: 20 }, loss: 0.05 });
  const alice = net.connect('alice');
  const bob = net.connect('bob');

  bob.onMessage((from, bytes) => {
    log.push(`bob got ${new TextDecoder().decode(bytes)} from ${from}`);
  });
  alice.send(bob.id, new TextEncoder().encode('hello'));

  net.partition(['alice'], ['bob']);
  alice.send(bob.id, new TextEncoder().encode('lost'));
  net.heal();

  await net.runFor(1_000);
  expect(log).toEqual(['bob got hello from alice']);
  expect(net.stats().totals).toMatchObject({ sent: 2, delivered: 1, dropped: 1 });
});
