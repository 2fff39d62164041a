import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isShoalError } from '../errors/shoal-error.js';
import { generateSecret, SECRET_BYTES, secretFromBytes, secretFromPassphrase } from './network-secret.js';

// Tests only: a tiny scrypt cost so property runs stay fast. Production uses DEFAULT_SCRYPT_COST.
const CHEAP = { N: 16, r: 1, p: 1 };

describe('network secrets', () => {
  it('generates distinct 32-byte secrets', () => {
    const a = generateSecret();
    const b = generateSecret();
    expect(a).toHaveLength(SECRET_BYTES);
    expect(a).not.toEqual(b);
  });

  it('copies and validates raw secret bytes', () => {
    const bytes = new Uint8Array(SECRET_BYTES).fill(7);
    const secret = secretFromBytes(bytes);
    bytes[0] = 0;
    expect(secret[0]).toBe(7);
    expect(() => secretFromBytes(new Uint8Array(33))).toThrow(/32 bytes/);
  });

  it('derives passphrase secrets deterministically, distinct per network id', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 8, maxLength: 30 }),
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.string({ minLength: 1, maxLength: 20 }),
        (passphrase, networkA, networkB) => {
          const a = secretFromPassphrase(passphrase, networkA, CHEAP);
          expect(a).toHaveLength(SECRET_BYTES);
          expect(secretFromPassphrase(passphrase, networkA, CHEAP)).toEqual(a);
          if (networkA !== networkB) expect(secretFromPassphrase(passphrase, networkB, CHEAP)).not.toEqual(a);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('treats Unicode-equivalent passphrases as equal and different passphrases as different', () => {
    const composed = secretFromPassphrase('caf\u00e9 au lait', 'home', CHEAP);
    expect(secretFromPassphrase('cafe\u0301 au lait', 'home', CHEAP)).toEqual(composed);
    expect(secretFromPassphrase('cafe au lait', 'home', CHEAP)).not.toEqual(composed);
  });

  it('refuses short passphrases and bad network ids', () => {
    try {
      secretFromPassphrase('1234567', 'home', CHEAP);
      expect.unreachable();
    } catch (error) {
      expect(isShoalError(error, ErrorCode.InvalidSecret)).toBe(true);
    }
    expect(() => secretFromPassphrase('long enough', '', CHEAP)).toThrow(/network id/);
  });
});
