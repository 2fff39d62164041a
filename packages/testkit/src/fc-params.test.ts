import { afterEach, describe, expect, it, vi } from 'vitest';
import { fcParams, simulationSeed } from './fc-params.js';

describe('fcParams', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('returns the parameters unchanged without SEED', () => {
    vi.stubEnv('SEED', '');
    expect(fcParams({ numRuns: 5 })).toEqual({ numRuns: 5 });
  });

  it('adds seed and path from the environment to replay a failure', () => {
    vi.stubEnv('SEED', '-12345');
    vi.stubEnv('SEED_PATH', '3:1:0');
    expect(fcParams({ numRuns: 5 })).toEqual({ numRuns: 5, seed: -12345, path: '3:1:0' });
  });

  it('adds only the seed when no path is given', () => {
    vi.stubEnv('SEED', '7');
    vi.stubEnv('SEED_PATH', '');
    expect(fcParams()).toEqual({ seed: 7 });
  });

  it('rejects a SEED that is not an integer', () => {
    vi.stubEnv('SEED', 'abc');
    expect(() => fcParams()).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('simulationSeed', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('uses SEED when set, and otherwise a 32-bit integer', () => {
    vi.stubEnv('SEED', '99');
    expect(simulationSeed()).toBe(99);
    vi.stubEnv('SEED', '');
    const seed = simulationSeed();
    expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32).toBe(true);
  });
});
