import { scrypt } from '@noble/hashes/scrypt.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import { isName } from '../ids/channel-id.js';

declare const networkSecretBrand: unique symbol;
/**
 * The 32-byte secret every member of a sealed network shares. All sealing keys are derived
 * from it (by HKDF-SHA256, internally); it never travels on the wire.
 */
export type NetworkSecret = Uint8Array & { readonly [networkSecretBrand]: true };

/** Length of a {@link NetworkSecret} in bytes (256 bits). */
export const SECRET_BYTES = 32;

/** Shortest passphrase {@link secretFromPassphrase} accepts, in characters. */
export const MIN_PASSPHRASE_LENGTH = 8;

/**
 * scrypt cost parameters (RFC 7914 §2). The defaults, N = 2^15, r = 8, p = 1, take 32 MiB and
 * 0.3-0.9 s per guess on the shared 2-core test VM (packages/core/bench/SEALING.md): the cost an
 * attacker pays per guess of a captured network's passphrase. Only tests should lower them.
 */
export interface ScryptCost {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** Default {@link ScryptCost}: N = 2^15, r = 8, p = 1 (the RFC 7914 §2 interactive-login range). */
export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 2 ** 15, r: 8, p: 1 };

// A fixed label in the salt keeps Shoal's derivation apart from any other use of the same
// passphrase; the network id in it makes equal passphrases give different secrets per network.
const PASSPHRASE_SALT_LABEL = new TextEncoder().encode('shoal/passphrase/v1:');
const utf8 = new TextEncoder();

/**
 * A fresh secret from the platform CSPRNG (`crypto.getRandomValues`). Guarantees 256 bits of
 * entropy; share it with {@link createInvite}.
 */
export function generateSecret(): NetworkSecret {
  return randomBytes(SECRET_BYTES) as NetworkSecret;
}

/**
 * Checks that `bytes` can serve as a {@link NetworkSecret} and returns a copy typed as one.
 * Throws {@link ShoalError} `INVALID_SECRET` unless it is a `Uint8Array` of exactly
 * {@link SECRET_BYTES} bytes.
 */
export function secretFromBytes(bytes: Uint8Array): NetworkSecret {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SECRET_BYTES) {
    throw new ShoalError(ErrorCode.InvalidSecret, `a network secret must be exactly ${SECRET_BYTES} bytes`);
  }
  return bytes.slice() as NetworkSecret;
}

/**
 * Derives a secret from a human passphrase with scrypt (RFC 7914), salted with a fixed label
 * and `networkId`. Deterministic: the same passphrase (after Unicode NFKC normalisation, so
 * the same text typed on any platform matches) and network id give the same secret on every
 * device; another network id gives an unrelated one. A passphrase is only as strong as it is
 * hard to guess: scrypt makes each guess expensive, not impossible. Synchronous and CPU-bound
 * (0.3-0.9 s at the default cost on a small VM); call it once at start-up.
 *
 * Throws {@link ShoalError} `INVALID_SECRET` for a passphrase shorter than
 * {@link MIN_PASSPHRASE_LENGTH} characters and `INVALID_ARGUMENT` for a network id that is not
 * a name (non-empty, at most 128 UTF-8 bytes).
 */
export function secretFromPassphrase(
  passphrase: string,
  networkId: string,
  cost: ScryptCost = DEFAULT_SCRYPT_COST,
): NetworkSecret {
  assertNetworkId(networkId);
  const normalized = typeof passphrase === 'string' ? passphrase.normalize('NFKC') : '';
  if ([...normalized].length < MIN_PASSPHRASE_LENGTH) {
    throw new ShoalError(
      ErrorCode.InvalidSecret,
      `a passphrase must have at least ${MIN_PASSPHRASE_LENGTH} characters`,
    );
  }
  const salt = new Uint8Array([...PASSPHRASE_SALT_LABEL, ...utf8.encode(networkId)]);
  return scrypt(utf8.encode(normalized), salt, { ...cost, dkLen: SECRET_BYTES }) as NetworkSecret;
}

/**
 * Throws {@link ShoalError} `INVALID_ARGUMENT` unless `networkId` is a name (non-empty, at most
 * 128 UTF-8 bytes): the rule every network id in Shoal follows.
 */
export function assertNetworkId(networkId: unknown): asserts networkId is string {
  if (!isName(networkId)) {
    throw new ShoalError(
      ErrorCode.InvalidArgument,
      `invalid network id ${JSON.stringify(networkId)}: expected a non-empty string of at most 128 UTF-8 bytes`,
    );
  }
}
