/**
 * Sealing cost benchmark: what wrapping every protocol message in an envelope costs, and
 * whether a node:crypto XChaCha20-Poly1305 behind the `Aead` port is worth shipping.
 *
 * Run: pnpm exec tsx packages/core/bench/sealing.bench.ts
 * Results and their interpretation: packages/core/bench/SEALING.md.
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from '@noble/hashes/utils.js';
// The OpenSSL-backed implementation @shoal/node ships (imported by path: a bench, not a dependency).
import { nodeXChaCha20Poly1305 } from '../../node/src/node-aead.js';
import type { NodeId } from '../src/ids/node-id.js';
import { type Aead, nobleXChaCha20Poly1305 } from '../src/ports/aead.js';
import { Keyring } from '../src/security/keyring.js';
import { MessageSealer } from '../src/security/message-sealer.js';
import { DEFAULT_SCRYPT_COST, generateSecret, secretFromPassphrase } from '../src/security/network-secret.js';
import { PeerKeys } from '../src/security/peer-keys.js';

/** Operations per second of `fn` over about `ms` (after a short warm-up). */
function rate(fn: () => void, ms: number): number {
  const warmUntil = performance.now() + 50;
  while (performance.now() < warmUntil) fn();
  let count = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 50; i++) fn();
    count += 50;
    now = performance.now();
  }
  return (count * 1000) / (now - start);
}

/**
 * Median rate of each case over `rounds` rounds that interleave the cases, so load from other
 * processes on a shared machine hits every case alike instead of skewing whichever ran then.
 */
function medianRates(
  cases: ReadonlyArray<readonly [string, () => void]>,
  rounds = 7,
  ms = 250,
): Map<string, number> {
  const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of cases) samples.get(name)?.push(rate(fn, ms));
  }
  const medians = new Map<string, number>();
  for (const [name, values] of samples)
    medians.set(name, values.sort((a, b) => a - b)[values.length >> 1] ?? 0);
  return medians;
}

function checkEquivalence(): void {
  const key = generateSecret();
  for (let i = 0; i < 200; i++) {
    const nonce = globalThis.crypto.getRandomValues(new Uint8Array(24));
    const body = globalThis.crypto.getRandomValues(new Uint8Array(i * 7));
    const aad = globalThis.crypto.getRandomValues(new Uint8Array(i % 60));
    const a = nobleXChaCha20Poly1305.seal(key, nonce, body, aad);
    const b = nodeXChaCha20Poly1305.seal(key, nonce, body, aad);
    if (Buffer.compare(a, b) !== 0) throw new Error('node and noble XChaCha20-Poly1305 disagree');
    const opened = nodeXChaCha20Poly1305.open(key, nonce, a, aad);
    if (opened === undefined || Buffer.compare(opened, body) !== 0) throw new Error('node open failed');
    a[0] = (a[0] as number) ^ 1;
    if (nodeXChaCha20Poly1305.open(key, nonce, a, aad) !== undefined) throw new Error('node opened forgery');
  }
}

function roundTrip(
  mode: 'sealed' | 'paired' | 'open',
  aead: Aead,
  body: Uint8Array,
  pooled = true,
): () => void {
  const secret = generateSecret();
  const keyring = () => (mode === 'open' ? ('open' as const) : new Keyring('bench', [secret]));
  const make = (self: string, identity: PeerKeys) =>
    new MessageSealer({
      networkId: 'bench',
      self: self as NodeId,
      epoch: 1,
      keyring: keyring(),
      aead,
      ...(pooled ? {} : { randomBytes }),
      ...(mode === 'paired' ? { identity } : {}),
    });
  // A generated-size (32-character) node id, as Shoal's own ids are.
  const senderId = '0123456789abcdef0123456789abcdef' as NodeId;
  const receiverId = 'receiver' as NodeId;
  const senderKeys = new PeerKeys(randomBytes(32), () => 0);
  const receiverKeys = new PeerKeys(randomBytes(32), () => 0);
  senderKeys.offer(receiverId, receiverKeys.publicKey);
  receiverKeys.offer(senderId, senderKeys.publicKey);
  const sender = make(senderId, senderKeys);
  const receiver = make(receiverId, receiverKeys);
  return () => {
    const opened = receiver.open(sender.seal(body, receiverId), senderId);
    if (!opened.ok || opened.paired !== (mode === 'paired')) throw new Error('round trip failed');
  };
}

const fmt = (value: number) => Math.round(value).toLocaleString('en-US');
const micros = (perSecond: number) => (1e6 / perSecond).toFixed(1);

checkEquivalence();
console.log('node:crypto XChaCha20-Poly1305 matches noble on 200 random vectors');
console.log(`Node ${process.version}, ${process.arch}; medians of 7 interleaved 250 ms rounds\n`);
console.log('| body | case | per second | µs each |');
console.log('|---|---|---|---|');

for (const size of [100, 1200]) {
  const body = globalThis.crypto.getRandomValues(new Uint8Array(size));
  const key = generateSecret();
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(24));
  const aad = new Uint8Array(91);
  const nobleSealed = nobleXChaCha20Poly1305.seal(key, nonce, body, aad);
  const cases: Array<readonly [string, () => void]> = [
    ['AEAD seal, noble', () => nobleXChaCha20Poly1305.seal(key, nonce, body, aad)],
    ['AEAD seal, node:crypto', () => nodeXChaCha20Poly1305.seal(key, nonce, body, aad)],
    ['AEAD open, noble', () => nobleXChaCha20Poly1305.open(key, nonce, nobleSealed, aad)],
    ['AEAD open, node:crypto', () => nodeXChaCha20Poly1305.open(key, nonce, nobleSealed, aad)],
    ['MessageSealer seal+open, sealed, noble', roundTrip('sealed', nobleXChaCha20Poly1305, body)],
    [
      'MessageSealer seal+open, sealed, noble, unpooled nonces',
      roundTrip('sealed', nobleXChaCha20Poly1305, body, false),
    ],
    ['MessageSealer seal+open, sealed, node:crypto', roundTrip('sealed', nodeXChaCha20Poly1305, body)],
    ['MessageSealer seal+open, paired, noble', roundTrip('paired', nobleXChaCha20Poly1305, body)],
    ['MessageSealer seal+open, paired, node:crypto', roundTrip('paired', nodeXChaCha20Poly1305, body)],
    ['MessageSealer seal+open, open mode', roundTrip('open', nobleXChaCha20Poly1305, body)],
  ];
  for (const [name, perSecond] of medianRates(cases)) {
    console.log(`| ${size} B | ${name} | ${fmt(perSecond)} | ${micros(perSecond)} |`);
  }
}

const secret = generateSecret();
const network = new Keyring('bench', [secret]).primaryKey();
const self = new PeerKeys(randomBytes(32), () => 0);
const derive = medianRates(
  [
    ['HKDF-SHA256 key + key id (Keyring.add)', () => new Keyring('bench', [secret])],
    [
      'pair key, once per peer (X25519 + HKDF-SHA256, noble)',
      () => self.pairKey(new PeerKeys(randomBytes(32), () => 0).publicKey, network),
    ],
    [
      'a peer key pair alone (Ed25519 public key, noble), subtract',
      () => new PeerKeys(randomBytes(32), () => 0),
    ],
  ],
  3,
);
for (const [name, perSecond] of derive) console.log(`\n${name}: ${micros(perSecond)} µs`);
const scryptStart = performance.now();
secretFromPassphrase('correct horse battery staple', 'bench', DEFAULT_SCRYPT_COST);
console.log(
  `scrypt N=2^15 r=8 p=1 (secretFromPassphrase default): ${(performance.now() - scryptStart).toFixed(0)} ms`,
);
