import type { SimulatedNetwork } from '@shoal/transport-memory';
import type { NodeId } from '../ids/node-id.js';
import { encodeEnvelope } from '../protocol/envelope.js';
import { MessageType } from '../protocol/message-type.js';
import { encodeDelta, type OutgoingObject } from '../protocol/sync-codec.js';
import { MessageSealer } from '../security/message-sealer.js';

/** Sends a hand-made eager-push delta of `channel` to `to`. */
export type HostileSend = (to: string, channel: string, objects: OutgoingObject[]) => void;

/**
 * A peer on `net` that holds the network's key (open mode: the nodes it attacks run without a
 * secret) and sends deltas it makes up, bypassing every check a node makes of its own writes.
 */
export function hostilePeer(net: SimulatedNetwork, id: string): HostileSend {
  const port = net.connect(id);
  const sealer = new MessageSealer({ networkId: 'shoal', self: id as NodeId, epoch: 1, keyring: 'open' });
  return (to, channel, objects) =>
    port.send(to as NodeId, sealer.seal(pushEnvelope(id, to, channel, objects)));
}

/** The envelope of an eager-push delta of `channel` carrying `objects`, from `sender` to `receiver`. */
export function pushEnvelope(
  sender: string,
  receiver: string,
  channel: string,
  objects: OutgoingObject[],
): Uint8Array {
  const body = encodeDelta(
    { channel, push: true, final: false, fresh: false, objects },
    { sender: sender as NodeId, receiver: receiver as NodeId },
  );
  return encodeEnvelope(MessageType.Delta, body);
}
