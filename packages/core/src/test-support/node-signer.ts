import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { Signer } from '../ports/signer.js';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * Ed25519 by OpenSSL, for tests whose nodes sign and check hundreds of sets a run: the
 * pure-JS default takes about 1.5 ms a verification, which a many-writer property test pays
 * thousands of times. Same algorithm, same bytes (RFC 8032 is deterministic).
 */
export const nodeSigner: Signer = {
  publicKey: (secretKey) => {
    const key = createPublicKey(
      createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' }),
    );
    return new Uint8Array(key.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length));
  },
  sign: (secretKey, message) =>
    new Uint8Array(
      sign(
        null,
        message,
        createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' }),
      ),
    ),
  verify: (publicKey, message, signature) => {
    try {
      const key = createPublicKey({
        key: Buffer.concat([SPKI_PREFIX, publicKey]),
        format: 'der',
        type: 'spki',
      });
      return verify(null, message, key, signature);
    } catch {
      return false;
    }
  },
};
