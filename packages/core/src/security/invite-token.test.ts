import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isShoalError } from '../errors/shoal-error.js';
import { decodeBase64Url, encodeBase64Url } from './base64url.js';
import { createInvite, parseInvite } from './invite-token.js';
import { generateSecret, SECRET_BYTES } from './network-secret.js';

const networkIds = fc.string({ minLength: 1, maxLength: 30, unit: 'binary' });
const secrets = fc.uint8Array({ minLength: SECRET_BYTES, maxLength: SECRET_BYTES });

function expectInvalidSecret(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(isShoalError(error, ErrorCode.InvalidSecret)).toBe(true);
    return;
  }
  expect.unreachable('expected INVALID_SECRET');
}

describe('base64url', () => {
  it('round-trips any bytes and decodes only canonical text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = encodeBase64Url(bytes);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(decodeBase64Url(text)).toEqual(bytes);
      }),
    );
  });

  it('matches RFC 4648 §10 test vectors (url alphabet, no padding)', () => {
    const vectors: Array<[string, string]> = [
      ['', ''],
      ['f', 'Zg'],
      ['fo', 'Zm8'],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg'],
      ['fooba', 'Zm9vYmE'],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(encodeBase64Url(new TextEncoder().encode(plain))).toBe(encoded);
    }
    expect(encodeBase64Url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
  });

  it('refuses foreign characters, impossible lengths and non-zero trailing bits', () => {
    expect(decodeBase64Url('Zm9v+')).toBeUndefined();
    expect(decodeBase64Url('Zm9v=')).toBeUndefined();
    expect(decodeBase64Url('Z')).toBeUndefined();
    expect(decodeBase64Url('Zh')).toBeUndefined();
  });
});

describe('invite tokens', () => {
  it('round-trips any network id and secret', () => {
    fc.assert(
      fc.property(networkIds, secrets, (networkId, secret) => {
        const token = createInvite({ networkId, secret });
        expect(token.startsWith('shoal://')).toBe(true);
        const parsed = parseInvite(`  ${token}\n`);
        expect(parsed.networkId).toBe(networkId);
        expect(parsed.secret).toEqual(secret);
      }),
    );
  });

  it('has a readable shape', () => {
    const token = createInvite({ networkId: 'home', secret: new Uint8Array(SECRET_BYTES) });
    expect(token).toMatch(/^shoal:\/\/home\/[A-Za-z0-9_-]{48}$/);
  });

  it('rejects every single-character typo in the key part', () => {
    const token = createInvite({ networkId: 'home', secret: generateSecret() });
    const start = token.lastIndexOf('/') + 1;
    fc.assert(
      fc.property(
        fc.integer({ min: start, max: token.length - 1 }),
        fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
        (index, char) => {
          fc.pre(token[index] !== char);
          expectInvalidSecret(() => parseInvite(token.slice(0, index) + char + token.slice(index + 1)));
        },
      ),
    );
  });

  it('rejects a changed network name, truncation and garbage', () => {
    const secret = generateSecret();
    const token = createInvite({ networkId: 'home', secret });
    expectInvalidSecret(() => parseInvite(token.replace('home', 'homf')));
    for (let length = 0; length < token.length; length++) {
      expectInvalidSecret(() => parseInvite(token.slice(0, length)));
    }
    expectInvalidSecret(() => parseInvite('https://home/abc'));
    expectInvalidSecret(() => parseInvite('shoal://%E0%A4%A/abc'));
    expectInvalidSecret(() => parseInvite(`${token}A`));
    expectInvalidSecret(() => parseInvite(42 as unknown as string));
  });

  it('refuses to create a token from a bad secret or network id', () => {
    expect(() => createInvite({ networkId: 'home', secret: new Uint8Array(31) })).toThrow(/32 bytes/);
    expect(() => createInvite({ networkId: '', secret: generateSecret() })).toThrow(/network id/);
  });
});
