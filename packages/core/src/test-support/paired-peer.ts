import { randomBytes } from '@noble/hashes/utils.js';
import type { SimulatedNetwork } from '@shoal/transport-memory';
import { encodeHello } from '../coordinator/key-exchange.js';
import type { NodeId } from '../ids/node-id.js';
import { encodeEnvelope } from '../protocol/envelope.js';
import type { MessageType } from '../protocol/message-type.js';
import { MessageType as Types } from '../protocol/message-type.js';
import type { Keyring } from '../security/keyring.js';
import { MessageSealer } from '../security/message-sealer.js';
import { PeerKeys } from '../security/peer-keys.js';

/** A raw keyed peer on a simulated network: it speaks envelopes, not the node's API. */
export interface PairedPeer {
  /** Its public key. */
  readonly publicKey: Uint8Array;
  /**
   * Sends one message to `to` (whose public key is `toKey`), pair-sealed as a node would after
   * its hello: the hello goes first, once per receiver, so the receiver can open what follows.
   */
  send(to: string, toKey: Uint8Array, type: MessageType, body: Uint8Array): void;
  /** Sends one message sealed under the network key only, as any holder of the secret can. */
  sendUnpaired(to: string, type: MessageType, body: Uint8Array): void;
}

/**
 * A sealer speaking as `id` with an identity key of its own (`secretKey`), holding the network
 * secret (`keyring`, network `shoal`): what a member posing as another node seals with.
 * `keys` learns receivers' keys (`keys.offer(receiver, key)`) so it can pair-seal to them. An
 * `epoch` above the real node's keeps its messages from being dropped as stale.
 */
export function keyedSealer(
  id: string,
  keyring: Keyring,
  now: () => number,
  { secretKey = randomBytes(32), epoch = 1 }: { secretKey?: Uint8Array; epoch?: number } = {},
): { keys: PeerKeys; sealer: MessageSealer } {
  const keys = new PeerKeys(secretKey, now);
  const sealer = new MessageSealer({
    networkId: 'shoal',
    self: id as NodeId,
    epoch,
    keyring,
    identity: keys,
  });
  return { keys, sealer };
}

/**
 * A holder of the network secret (`keyring`, network `shoal`) with an identity key of its own (`secretKey`, default fresh),
 * connected to `net` as `id`: what a hostile member can do, byte for byte. For tests of what
 * pair sealing lets through and what it refuses.
 */
export function pairedPeer(
  net: SimulatedNetwork,
  id: string,
  keyring: Keyring,
  secretKey: Uint8Array = randomBytes(32),
): PairedPeer {
  const port = net.connect(id);
  const { keys, sealer } = keyedSealer(id, keyring, () => net.now(), { secretKey });
  const greeted = new Set<string>();
  return {
    publicKey: keys.publicKey,
    send(to, toKey, type, body) {
      keys.offer(to as NodeId, toKey);
      if (!greeted.has(to)) {
        greeted.add(to);
        this.sendUnpaired(to, Types.Hello, encodeHello({ publicKey: keys.publicKey, wantsReply: false }));
      }
      port.send(to as NodeId, sealer.seal(encodeEnvelope(type, body), to as NodeId));
    },
    sendUnpaired(to, type, body) {
      port.send(to as NodeId, sealer.seal(encodeEnvelope(type, body)));
    },
  };
}
