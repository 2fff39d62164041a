/**
 * The parts of core's wire format the soak's hostile peer needs and `@shoal/core` does not
 * export: an app never builds protocol messages by hand, so core keeps these internal, and it has
 * no testing subpath. They are reached by path, the way core's own hostile-peer tests reach
 * them, from this one file, so a change to core's internals breaks the soak's typecheck here
 * rather than anywhere else.
 */

export { decodeHello, encodeHello } from '../../../packages/core/src/coordinator/key-exchange.js';
export { MAX_INCARNATION } from '../../../packages/core/src/membership/member-state.js';
export { encodeMessage as encodeMembershipMessage } from '../../../packages/core/src/membership/messages.js';
export { decodeEnvelope, encodeEnvelope } from '../../../packages/core/src/protocol/envelope.js';
export { MessageType } from '../../../packages/core/src/protocol/message-type.js';
export { encodeDelta, type OutgoingObject } from '../../../packages/core/src/protocol/sync-codec.js';
export { mapSetMessage } from '../../../packages/core/src/security/map-set-proofs.js';
