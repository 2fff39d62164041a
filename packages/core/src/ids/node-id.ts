import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { RandomPort } from '../ports/random-port.js';

declare const nodeIdBrand: unique symbol;
/**
 * Opaque, unique identity of a node. A node that is not given one is named by its key (see
 * `selfCertifyingId`); {@link randomNodeId} draws 128 random bits in hex.
 */
export type NodeId = string & { readonly [nodeIdBrand]: true };

/** Longest NodeId accepted, in characters (all ASCII, so also bytes). */
export const MAX_NODE_ID_LENGTH = 64;
const NODE_ID_PATTERN = /^[A-Za-z0-9._:-]+$/;

/** True when `value` is a well-formed NodeId: 1-64 chars of `A-Z a-z 0-9 . _ : -`. */
export function isNodeId(value: unknown): value is NodeId {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_NODE_ID_LENGTH &&
    NODE_ID_PATTERN.test(value)
  );
}

/** Parses a NodeId, throwing {@link ShoalError} `INVALID_ID` when it is malformed. */
export function parseNodeId(value: unknown): NodeId {
  if (!isNodeId(value)) {
    throw new ShoalError(
      ErrorCode.InvalidId,
      `invalid NodeId ${JSON.stringify(value)}: expected 1-${MAX_NODE_ID_LENGTH} chars of A-Z a-z 0-9 . _ : -`,
    );
  }
  return value;
}

/** Draws a fresh 128-bit NodeId (32 hex chars) from `random`. */
export function randomNodeId(random: RandomPort): NodeId {
  let hex = '';
  for (let i = 0; i < 4; i++) {
    hex += Math.floor(random.next() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0');
  }
  return hex as NodeId;
}
