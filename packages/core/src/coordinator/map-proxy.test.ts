import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { ErrorCode, type ShoalError } from '../errors/shoal-error.js';
import { createNode } from './create-node.js';

type Light = { on: boolean; level: number };

async function twoNodes() {
  const net = new SimulatedNetwork({ seed: 9, latency: 2 });
  const alice = await createNode({ id: 'alice', ...net.nodePorts('alice') });
  const bob = await createNode({ id: 'bob', ...net.nodePorts('bob') });
  const errors: ShoalError[] = [];
  alice.errors.subscribe((error) => errors.push(error));
  const lights = (await alice.channel('home')).map<Light>('lights');
  const onBob = (await bob.channel('home')).map<Light>('lights');
  return { net, lights, onBob, errors };
}

describe('map.proxy(): a map as a plain-looking object', () => {
  it('reads, writes, deletes and lists through properties, and the writes replicate', async () => {
    const { net, lights, onBob } = await twoNodes();
    const space = lights.proxy();
    expect(lights.proxy()).toBe(space);
    space.hall = { on: true, level: 3 };
    space.porch = { on: false, level: 0 };
    // Local at once, as `set` is.
    expect(space.hall).toEqual({ on: true, level: 3 });
    expect('hall' in space).toBe(true);
    expect(Object.keys(space).sort()).toEqual(['hall', 'porch']);
    expect({ ...space }).toEqual({ hall: { on: true, level: 3 }, porch: { on: false, level: 0 } });
    expect(JSON.parse(JSON.stringify(space))).toEqual(lights.toObject());
    delete space.porch;
    space.hall = undefined;
    space.kitchen = { on: true, level: 1 };
    expect('porch' in space).toBe(false);
    expect(space.hall).toBeUndefined();
    await net.runUntil(() => onBob.has('kitchen') && !onBob.has('hall') && !onBob.has('porch'), {
      timeout: 10_000,
    });
    expect(onBob.toObject()).toEqual({ kitchen: { on: true, level: 1 } });
    // Keys that look like an object's own machinery are ordinary keys.
    Reflect.set(space, 'toString', { on: true, level: 9 });
    expect(lights.get('toString')).toEqual({ on: true, level: 9 });
    expect(space.constructor).toBeUndefined();
  });

  it('never throws at an assignment: a bad write changes nothing and is reported on node.errors', async () => {
    const { net, lights, errors } = await twoNodes();
    const space = lights.proxy() as Record<string, unknown>;
    space.bad = () => 'not data';
    space['\uD800'] = { on: true, level: 1 };
    space.big = { on: true, level: 1, blob: 'x'.repeat(70_000) };
    await net.runFor(10);
    expect(lights.size).toBe(0);
    expect(errors.map((error) => error.code)).toEqual([
      ErrorCode.UnsupportedValue,
      ErrorCode.InvalidArgument,
      ErrorCode.LimitExceeded,
    ]);
    // Frozen values: change one by assigning a new one.
    space.hall = { on: true, level: 2 };
    expect(() => {
      (space.hall as Light).level = 5;
    }).toThrow(TypeError);
  });
});
