import { ErrorCode, isShoalError, type MessagePort, type NodeId } from '@shoal/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** One port under test and the NodeId other ports reach it by. */
export interface ConformancePeer {
  readonly id: NodeId;
  readonly port: MessagePort;
}

/**
 * What a transport's `setup()` returns for {@link describeMessagePortConformance}: a fresh,
 * isolated set of connected ports for one test.
 */
export interface MessagePortFixture {
  /**
   * At least three open ports that can all reach each other by id. The transport must be
   * lossless and non-duplicating here: the suite checks exact delivery.
   */
  readonly peers: readonly [ConformancePeer, ConformancePeer, ConformancePeer, ...ConformancePeer[]];
  /**
   * Resolves once every message sent and every peer event caused before the call has been
   * handed to handlers: a simulated network runs virtual time; a real transport waits long
   * enough on loopback. The suite calls it only after all its sends.
   */
  deliver(): Promise<void>;
  /** Releases everything `setup` created; called after each test, even a failing one. */
  teardown(): Promise<void>;
}

/** Options of {@link describeMessagePortConformance}. */
export interface MessagePortConformanceOptions {
  /**
   * Whether the transport discovers peers by itself, so that after `deliver()` a port's
   * `onPeer` handler subscribed before it has heard every other peer 'up'. Default true.
   */
  readonly peerDiscovery?: boolean;
}

interface Received {
  readonly from: NodeId;
  readonly bytes: Uint8Array;
}

function record(port: MessagePort): Received[] {
  const received: Received[] = [];
  port.onMessage((from, bytes) => {
    received.push({ from, bytes: bytes.slice() });
  });
  return received;
}

function bytesOf(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

/**
 * The contract every {@link MessagePort} adapter must meet, as a vitest suite. Run it from the
 * adapter's own `test/conformance.test.ts`:
 *
 * ```ts
 * describeMessagePortConformance('SimulatedNetwork', () => {
 *   const net = new SimulatedNetwork();
 *   const peers = ['a', 'b', 'c'].map((id) => ({ id: id as NodeId, port: net.connect(id) }));
 *   return { peers, deliver: () => net.runFor(100), teardown: async () => {} };
 * });
 * ```
 *
 * It checks addressing and sender ids, the `maxMessageSize` limit (exactly the maximum is
 * accepted, one byte more throws `INVALID_ARGUMENT`), that sent bytes are copied, that handlers
 * never run inside `send`, that a throwing handler is contained and the others still run,
 * unsubscribing, close semantics (idempotent; afterwards `send` is a no-op and no handler
 * runs) and, unless disabled, peer discovery through `onPeer`. Delivery order is not checked.
 */
export function describeMessagePortConformance(
  name: string,
  setup: () => MessagePortFixture | Promise<MessagePortFixture>,
  options: MessagePortConformanceOptions = {},
): void {
  describe(`MessagePort conformance: ${name}`, () => {
    let fixture: MessagePortFixture;
    let a: ConformancePeer;
    let b: ConformancePeer;
    let c: ConformancePeer;

    beforeEach(async () => {
      fixture = await setup();
      [a, b, c] = fixture.peers;
    });

    afterEach(async () => {
      await fixture.teardown();
    });

    it('delivers a message to the addressed port only, with the sender id', async () => {
      const inbox = fixture.peers.map((peer) => record(peer.port));
      a.port.send(b.id, bytesOf(1, 2, 3));
      await fixture.deliver();
      expect(inbox[1]).toEqual([{ from: a.id, bytes: bytesOf(1, 2, 3) }]);
      expect(inbox[0]).toEqual([]);
      expect(inbox[2]).toEqual([]);
    });

    it('delivers between every ordered pair of ports', async () => {
      const inbox = fixture.peers.map((peer) => record(peer.port));
      fixture.peers.forEach((sender, i) => {
        fixture.peers.forEach((receiver, j) => {
          if (i !== j) sender.port.send(receiver.id, bytesOf(i, j));
        });
      });
      await fixture.deliver();
      fixture.peers.forEach((_, j) => {
        const expected = fixture.peers
          .map((sender, i) => ({ from: sender.id, bytes: bytesOf(i, j) }))
          .filter((_, i) => i !== j);
        expect(sortReceived(inbox[j] ?? [])).toEqual(sortReceived(expected));
      });
    });

    it('delivers every one of many messages', async () => {
      const inbox = record(b.port);
      for (let i = 0; i < 50; i++) a.port.send(b.id, bytesOf(i));
      await fixture.deliver();
      expect(inbox.map((message) => message.bytes[0]).sort((x = 0, y = 0) => x - y)).toEqual(
        Array.from({ length: 50 }, (_, i) => i),
      );
    });

    it('accepts exactly maxMessageSize bytes and delivers them intact', async () => {
      const inbox = record(b.port);
      const big = new Uint8Array(a.port.maxMessageSize).map((_, i) => i % 251);
      a.port.send(b.id, big);
      await fixture.deliver();
      expect(inbox).toHaveLength(1);
      expect(inbox[0]?.bytes).toEqual(big);
    });

    it('throws INVALID_ARGUMENT for a message above maxMessageSize', () => {
      const tooBig = new Uint8Array(a.port.maxMessageSize + 1);
      let thrown: unknown;
      try {
        a.port.send(b.id, tooBig);
      } catch (error) {
        thrown = error;
      }
      expect(isShoalError(thrown, ErrorCode.InvalidArgument)).toBe(true);
    });

    it('copies the bytes: mutating the buffer after send does not change what arrives', async () => {
      const inbox = record(b.port);
      const buffer = bytesOf(7, 7, 7);
      a.port.send(b.id, buffer);
      buffer.fill(0);
      await fixture.deliver();
      expect(inbox).toEqual([{ from: a.id, bytes: bytesOf(7, 7, 7) }]);
    });

    it('never calls a handler synchronously inside send', async () => {
      let inSend = false;
      const calledDuringSend: boolean[] = [];
      b.port.onMessage(() => calledDuringSend.push(inSend));
      a.port.onMessage(() => calledDuringSend.push(inSend));
      inSend = true;
      a.port.send(b.id, bytesOf(1));
      a.port.send(a.id, bytesOf(2));
      inSend = false;
      await fixture.deliver();
      expect(calledDuringSend.length).toBeGreaterThan(0);
      expect(calledDuringSend.every((during) => !during)).toBe(true);
    });

    it('contains a throwing handler and still runs the other handlers', async () => {
      b.port.onMessage(() => {
        throw new Error('handler failure the port must contain');
      });
      const inbox = record(b.port);
      a.port.send(b.id, bytesOf(9));
      a.port.send(b.id, bytesOf(10));
      await fixture.deliver();
      expect(sortReceived(inbox)).toEqual(
        sortReceived([
          { from: a.id, bytes: bytesOf(9) },
          { from: a.id, bytes: bytesOf(10) },
        ]),
      );
    });

    it('stops calling a handler once unsubscribed, and keeps calling the others', async () => {
      const removed: Received[] = [];
      const unsubscribe = b.port.onMessage((from, bytes) => removed.push({ from, bytes }));
      const kept = record(b.port);
      unsubscribe();
      unsubscribe();
      a.port.send(b.id, bytesOf(4));
      await fixture.deliver();
      expect(removed).toEqual([]);
      expect(kept).toEqual([{ from: a.id, bytes: bytesOf(4) }]);
    });

    it('after close: no handler runs, send is a silent no-op, close is idempotent', async () => {
      const closedInbox = record(b.port);
      const otherInbox = record(a.port);
      const thirdInbox = record(c.port);
      const peerEvents: string[] = [];
      b.port.onPeer((peer, change) => peerEvents.push(`${peer}:${change}`));
      await b.port.close();
      await b.port.close();
      peerEvents.length = 0;
      a.port.send(b.id, bytesOf(1));
      expect(() => b.port.send(a.id, bytesOf(2))).not.toThrow();
      expect(() => b.port.send(c.id, bytesOf(3))).not.toThrow();
      await fixture.deliver();
      expect(closedInbox).toEqual([]);
      expect(peerEvents).toEqual([]);
      expect(otherInbox).toEqual([]);
      expect(thirdInbox).toEqual([]);
    });

    it('keeps the other ports working when one closes', async () => {
      const inbox = record(c.port);
      await b.port.close();
      a.port.send(c.id, bytesOf(5));
      await fixture.deliver();
      expect(inbox).toEqual([{ from: a.id, bytes: bytesOf(5) }]);
    });

    if (options.peerDiscovery ?? true) {
      it('reports every other port as up through onPeer', async () => {
        const seen = fixture.peers.map((peer) => {
          const ups = new Set<NodeId>();
          peer.port.onPeer((other, change) => {
            if (change === 'up') ups.add(other);
          });
          return ups;
        });
        await fixture.deliver();
        fixture.peers.forEach((peer, i) => {
          const others = fixture.peers.filter((other) => other !== peer).map((other) => other.id);
          for (const other of others) expect(seen[i]?.has(other)).toBe(true);
          expect(seen[i]?.has(peer.id)).toBe(false);
        });
      });
    }
  });
}

function sortReceived(received: readonly Received[]): string[] {
  return received.map((message) => `${message.from}:${Array.from(message.bytes).join(',')}`).sort();
}
