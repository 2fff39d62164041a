import { sha256 } from '@noble/hashes/sha2.js';
import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import { isName } from '../ids/channel-id.js';
import { bytesEqual, concatBytes } from '../storage/bytes.js';
import { decodeBase64Url, encodeBase64Url } from './base64url.js';
import { assertNetworkId, type NetworkSecret, SECRET_BYTES, secretFromBytes } from './network-secret.js';

/** What an invite token carries: everything a device needs to join a sealed network. */
export interface Invite {
  readonly networkId: string;
  readonly secret: NetworkSecret;
}

const SCHEME = 'shoal://';
const CHECKSUM_BYTES = 4;
const utf8 = new TextEncoder();

// First 4 bytes of SHA-256(networkId ‖ secret): a typo anywhere in the token, the network id
// included, goes undetected with probability 2^-32. The secret has a fixed length, so the
// concatenation is unambiguous.
function checksum(networkId: string, secret: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8.encode(networkId), secret)).subarray(0, CHECKSUM_BYTES);
}

/**
 * Encodes a network id and secret as `shoal://<networkId>/<base64url(secret ‖ checksum)>`, the
 * network id percent-encoded. Anyone holding the token can read and write the network: share it
 * like a password. Throws {@link ShoalError} `INVALID_ARGUMENT` for a malformed network id and
 * `INVALID_SECRET` for a secret that is not 32 bytes.
 */
export function createInvite(invite: { readonly networkId: string; readonly secret: Uint8Array }): string {
  assertNetworkId(invite.networkId);
  const secret = secretFromBytes(invite.secret);
  const payload = encodeBase64Url(concatBytes(secret, checksum(invite.networkId, secret)));
  return `${SCHEME}${encodeURIComponent(invite.networkId)}/${payload}`;
}

/**
 * Parses a token made by {@link createInvite}; surrounding whitespace is ignored. Throws
 * {@link ShoalError} `INVALID_SECRET`, with a message saying what is wrong, when the token is
 * malformed or its checksum does not match (a typo or a truncated copy).
 */
export function parseInvite(token: string): Invite {
  const text = typeof token === 'string' ? token.trim() : '';
  if (!text.startsWith(SCHEME)) throw invalid(`it must start with "${SCHEME}"`);
  const rest = text.slice(SCHEME.length);
  const slash = rest.lastIndexOf('/');
  if (slash <= 0) throw invalid('expected shoal://<network>/<key>');
  let networkId: string;
  try {
    networkId = decodeURIComponent(rest.slice(0, slash));
  } catch {
    throw invalid('the network name is not valid percent-encoding');
  }
  if (!isName(networkId)) throw invalid('the network name is empty or longer than 128 bytes');
  const payload = decodeBase64Url(rest.slice(slash + 1));
  if (payload?.length !== SECRET_BYTES + CHECKSUM_BYTES) {
    throw invalid('the key part is not 48 base64url characters (truncated or mistyped?)');
  }
  const secret = payload.subarray(0, SECRET_BYTES);
  if (!bytesEqual(payload.subarray(SECRET_BYTES), checksum(networkId, secret))) {
    throw invalid('the checksum does not match (a character was mistyped or changed)');
  }
  return { networkId, secret: secretFromBytes(secret) };
}

function invalid(why: string): ShoalError {
  return new ShoalError(ErrorCode.InvalidSecret, `invalid invite token: ${why}`);
}
