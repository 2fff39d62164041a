import type { NodeId } from '../ids/node-id.js';
import { keyFitsId } from '../ids/self-certifying-id.js';
import { bytesEqual } from '../storage/bytes.js';
import type { NodeContext } from './node-context.js';

/**
 * Whether `signature` over `message` is `author`'s (ADR 0054, 0058): the key must be the one this
 * node knows for the author first-hand (itself, or a peer whose pair-sealed messages opened
 * under it), else the key the proof names, which for a self-certifying author id must be the key
 * the id derives from; `admits` (a channel's member list by key) must take it. Undefined while
 * the author is a live member whose key is not proven yet: a key a relay names for it could be
 * anyone's, so what it signed waits rather than failing.
 */
export function isAuthorSignature(
  context: Pick<NodeContext, 'authorKey' | 'verify'>,
  admits: (publicKey: Uint8Array) => boolean,
  author: NodeId,
  publicKey: Uint8Array,
  message: () => Uint8Array,
  signature: Uint8Array,
): boolean | undefined {
  const known = context.authorKey(author);
  if (known === 'awaited') return undefined;
  return (
    (known === undefined ? keyFitsId(author, publicKey) : bytesEqual(known, publicKey)) &&
    admits(publicKey) &&
    context.verify(publicKey, message(), signature)
  );
}
