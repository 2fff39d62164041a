import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../src/pacing/token-bucket.js';

describe('TokenBucket', () => {
  it('allows a full burst, then refills at the rate', () => {
    const bucket = new TokenBucket({ bytesPerMs: 10, burstBytes: 100 }, 0);
    expect(bucket.tryTake(100, 0)).toBe(true);
    expect(bucket.tryTake(10, 0)).toBe(false);
    expect(bucket.delayFor(10, 0)).toBe(1);
    expect(bucket.tryTake(10, 1)).toBe(true);
  });

  it('never holds more than the burst after idling', () => {
    const bucket = new TokenBucket({ bytesPerMs: 10, burstBytes: 100 }, 0);
    expect(bucket.tryTake(100, 1_000_000)).toBe(true);
    expect(bucket.tryTake(1, 1_000_000)).toBe(false);
  });

  it('lets a datagram larger than the burst pass when full, then charges the debt', () => {
    const bucket = new TokenBucket({ bytesPerMs: 10, burstBytes: 100 }, 0);
    expect(bucket.tryTake(300, 0)).toBe(true);
    expect(bucket.delayFor(100, 0)).toBe(30);
  });

  it('ignores a clock that steps back', () => {
    const bucket = new TokenBucket({ bytesPerMs: 10, burstBytes: 100 }, 50);
    expect(bucket.tryTake(100, 50)).toBe(true);
    expect(bucket.tryTake(10, 0)).toBe(false);
    expect(bucket.tryTake(10, 51)).toBe(true);
  });
});
