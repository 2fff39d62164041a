import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { createNode } from '../coordinator/create-node.js';
import { ErrorCode, isShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { Keyring } from './keyring.js';
import { MessageSealer } from './message-sealer.js';
import { generateSecret } from './network-secret.js';

const ids = new WeakMap<MessageSealer, NodeId>();

function node(self: string, keyring: Keyring): MessageSealer {
  const sealer = new MessageSealer({ networkId: 'home', self: self as NodeId, epoch: 0, keyring });
  ids.set(sealer, self as NodeId);
  return sealer;
}

function talk(from: MessageSealer, to: MessageSealer): boolean {
  return to.open(from.seal(Uint8Array.of(1, 2, 3)), ids.get(from) as NodeId).ok;
}

describe('key rotation (memberlist-style encrypted transition)', () => {
  it('keeps both nodes talking at every step and retires the old key at the end', () => {
    const k1 = generateSecret();
    const k2 = generateSecret();
    const ringA = new Keyring('home', [k1]);
    const ringB = new Keyring('home', [k1]);
    const a = node('a', ringA);
    const b = node('b', ringB);
    const oldSender = node('c', new Keyring('home', [k1]));
    const sealedWithK1 = oldSender.seal(Uint8Array.of(9));
    const bothTalk = () => talk(a, b) && talk(b, a);

    expect(bothTalk()).toBe(true);
    ringB.add(k2);
    expect(bothTalk()).toBe(true);
    ringA.add(k2);
    expect(bothTalk()).toBe(true);
    ringB.setPrimary(k2);
    expect(bothTalk()).toBe(true);
    ringA.setPrimary(ringA.keyIds[1] as number);
    expect(bothTalk()).toBe(true);
    expect(ringA.primaryKeyId).toBe(ringB.primaryKeyId);
    expect(ringA.remove(k1)).toBe(true);
    expect(ringB.remove(k1)).toBe(true);
    expect(bothTalk()).toBe(true);
    expect(a.open(sealedWithK1, 'c' as NodeId)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it('shows why the order matters: a primary its peer lacks is unreadable', () => {
    const k1 = generateSecret();
    const ringA = new Keyring('home', [k1]);
    const a = node('a', ringA);
    const b = node('b', new Keyring('home', [k1]));
    ringA.add(generateSecret());
    ringA.setPrimary(ringA.keyIds[1] as number);
    expect(b.open(a.seal(Uint8Array.of(1)), 'a' as NodeId)).toEqual({ ok: false, reason: 'unknown-key' });
    expect(talk(b, a)).toBe(true);
  });
});

describe('Keyring', () => {
  it('adds idempotently and names keys by secret or id', () => {
    const k1 = generateSecret();
    const k2 = generateSecret();
    const ring = new Keyring('home', [k1]);
    const id2 = ring.add(k2);
    expect(ring.add(k2)).toBe(id2);
    expect(ring.keyIds).toEqual([ring.primaryKeyId, id2]);
    expect(ring.has(k2) && ring.has(id2)).toBe(true);
    expect(ring.has(generateSecret())).toBe(false);
    expect(ring.remove(generateSecret())).toBe(false);
  });

  it('derives different key ids for the same secret on different networks', () => {
    const secret = generateSecret();
    expect(new Keyring('home', [secret]).primaryKeyId).not.toBe(new Keyring('work', [secret]).primaryKeyId);
  });

  it('refuses to remove the primary, promote an unknown key, or start empty', () => {
    const k1 = generateSecret();
    const ring = new Keyring('home', [k1]);
    const codeOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return isShoalError(error) ? error.code : 'not a ShoalError';
      }
      return 'no error';
    };
    expect(codeOf(() => ring.remove(k1))).toBe(ErrorCode.InvalidState);
    expect(codeOf(() => ring.setPrimary(generateSecret()))).toBe(ErrorCode.InvalidArgument);
    expect(codeOf(() => new Keyring('home', []))).toBe(ErrorCode.InvalidSecret);
    expect(codeOf(() => ring.add(new Uint8Array(16)))).toBe(ErrorCode.InvalidSecret);
  });
});

describe('key rotation events', () => {
  it('a node reports each step of a rotation on its keyring, with key ids only', async () => {
    const net = new SimulatedNetwork({ seed: 1 });
    const keyring = new Keyring('home', [new Uint8Array(32).fill(1)]);
    const node = await createNode({
      id: 'n',
      ...net.nodePorts('n'),
      secret: keyring,
      config: { network: 'home' },
    });
    const steps: string[] = [];
    node.events.subscribe((event) => {
      if (event.type === 'key-rotation') steps.push(`${event.change} ${event.keyId}`);
    });
    const old = keyring.primaryKeyId;
    const next = keyring.add(new Uint8Array(32).fill(2));
    keyring.add(new Uint8Array(32).fill(2)); // already held: no step
    keyring.setPrimary(next);
    keyring.remove(old);
    expect(steps).toEqual([`added ${next}`, `primary ${next}`, `removed ${old}`]);
    await node.dispose();
  });
});
