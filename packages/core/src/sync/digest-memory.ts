import type { NodeId } from '../ids/node-id.js';
import type { DigestMessage } from '../protocol/sync-messages.js';
import { bytesEqual } from '../storage/bytes.js';
import {
  addDigestObjects,
  type ClockSet,
  clockChanges,
  copyClockSet,
  hashClockSet,
  toDigestObjects,
} from './clock-set.js';
import { buildDigests, type DigestSource } from './digest-builder.js';

interface Received {
  at: number;
  clocks: ClockSet;
  /** True once the set holds a whole digest (every chunk of a full one, or a rebuilt one). */
  complete: boolean;
}

interface Sent {
  readonly clocks: ClockSet;
  readonly hash: Uint8Array;
  readonly reply: boolean;
}

/** A digest as the engine processes it: whole, whatever form it travelled in. */
export interface ResolvedDigest {
  readonly digest: DigestMessage;
  /** True when `digest` covers every object the sender holds (not one chunk of several). */
  readonly complete: boolean;
}

/**
 * What each peer last told us of each channel, and what we last told it: the peer memory that
 * makes a digest cost what changed. A digest names the last full clock set its sender sent (an
 * 8-byte hash) and carries only the clocks that moved since; the receiver rebuilds the whole
 * digest from the set it kept. Either side forgetting (a restart, a lost chunk) only costs one
 * full digest: the receiver answers `unknownBase` and the sender starts over.
 *
 * Memory is bounded: at most `maxPeers` peers are remembered per channel, oldest first out.
 */
export class DigestMemory {
  readonly #received = new Map<string, Map<NodeId, Received>>();
  readonly #sent = new Map<string, Map<NodeId, Sent>>();
  readonly #maxPeers: number;

  constructor(maxPeers: number) {
    this.#maxPeers = maxPeers;
  }

  /**
   * Folds an incoming digest into memory. Returns the digest to act on (rebuilt whole when it
   * was relative to a base), or undefined when its base is unknown here.
   */
  receive(from: NodeId, digest: DigestMessage, now: number): ResolvedDigest | undefined {
    const byPeer = peerMap(this.#received, digest.channel);
    const known = byPeer.get(from);
    if (digest.base !== undefined) {
      if (known === undefined || !known.complete || !bytesEqual(hashClockSet(known.clocks), digest.base)) {
        return undefined;
      }
      const clocks = copyClockSet(known.clocks);
      addDigestObjects(clocks, digest.objects);
      this.#remember(byPeer, from, { at: now, clocks, complete: true });
      const { base: _base, ...rest } = digest;
      return {
        digest: { ...rest, scopeFrom: '', scopeTo: null, objects: toDigestObjects(clocks) },
        complete: true,
      };
    }
    // A full digest, maybe one chunk of several: chunks after the first add to the first's set.
    const first = digest.scopeFrom === '';
    const clocks: ClockSet = first || known === undefined ? new Map() : known.clocks;
    addDigestObjects(clocks, digest.objects);
    this.#remember(byPeer, from, {
      at: now,
      clocks,
      complete: (first || known?.complete === true) && digest.scopeTo === null,
    });
    return { digest, complete: first && digest.scopeTo === null };
  }

  /** Each peer's last whole digest of `channel`, with when it came. */
  *received(channel: string): IterableIterator<[NodeId, { at: number; digest: DigestMessage }]> {
    for (const [peer, received] of this.#received.get(channel) ?? []) {
      if (!received.complete) continue;
      yield [
        peer,
        {
          at: received.at,
          digest: {
            type: 'digest',
            channel,
            reply: false,
            fresh: false,
            scopeFrom: '',
            scopeTo: null,
            objects: toDigestObjects(received.clocks),
          },
        },
      ];
    }
  }

  /**
   * The digest messages to send `to`: relative to what we last sent it when that fits one
   * message, else full and chunked. Remembers what was sent.
   */
  outgoing(
    to: NodeId,
    channel: string,
    sources: readonly DigestSource[],
    options: { reply: boolean; fresh: boolean; budget: number },
  ): DigestMessage[] {
    const current: ClockSet = new Map();
    addDigestObjects(
      current,
      sources.map((source) => ({
        kind: source.kind,
        name: source.name,
        from: '',
        to: null,
        clocks: source.clocks,
      })),
    );
    const byPeer = peerMap(this.#sent, channel);
    const last = byPeer.get(to);
    const changes = last === undefined ? undefined : clockChanges(current, last.clocks);
    this.#remember(byPeer, to, { clocks: current, hash: hashClockSet(current), reply: options.reply });
    if (last !== undefined && changes !== undefined) {
      const relative: DigestMessage = {
        type: 'digest',
        channel,
        reply: options.reply,
        fresh: options.fresh,
        scopeFrom: '',
        scopeTo: null,
        base: last.hash,
        objects: changes,
      };
      const [single] = buildDigests(
        channel,
        changes.map(asSource),
        options.reply,
        options.budget,
        options.fresh,
      );
      if (single !== undefined && single.scopeTo === null) return [relative];
    }
    return buildDigests(channel, sources, options.reply, options.budget, options.fresh);
  }

  /** Forgets what we sent `to` about `channel` (it did not know our base); returns what it was. */
  forgetSent(to: NodeId, channel: string): { reply: boolean } | undefined {
    const byPeer = this.#sent.get(channel);
    const sent = byPeer?.get(to);
    byPeer?.delete(to);
    return sent;
  }

  #remember<T>(byPeer: Map<NodeId, T>, peer: NodeId, value: T): void {
    byPeer.delete(peer);
    byPeer.set(peer, value);
    if (byPeer.size > this.#maxPeers) byPeer.delete(byPeer.keys().next().value as NodeId);
  }
}

function peerMap<T>(maps: Map<string, Map<NodeId, T>>, channel: string): Map<NodeId, T> {
  let byPeer = maps.get(channel);
  if (byPeer === undefined) {
    byPeer = new Map();
    maps.set(channel, byPeer);
  }
  return byPeer;
}

function asSource(object: DigestMessage['objects'][number]): DigestSource {
  return {
    id: `${object.kind === 'map' ? 'm' : 's'}:${object.name}`,
    kind: object.kind,
    name: object.name,
    clocks: object.clocks,
  };
}
