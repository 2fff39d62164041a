import { ErrorCode, ShoalError } from '@shoal/core';
import type { Parameters } from 'fast-check';

/**
 * fast-check parameters that replay a failing run when asked to.
 *
 * Use `fc.assert(property, fcParams({ numRuns: 200 }))`. When a property fails, fast-check
 * prints `seed: S, path: P`; rerun with `SEED=S SEED_PATH=P pnpm exec vitest run ...` to replay
 * exactly that counterexample (or `SEED=S` alone to replay the whole run). Without `SEED`,
 * `params` is returned unchanged and fast-check draws a fresh seed as usual. `RUNS=n` overrides
 * `numRuns`, to soak a property far longer than CI does.
 *
 * @throws ShoalError `INVALID_ARGUMENT` when `SEED` is set but is not an integer.
 */
export function fcParams<T = unknown>(given: Parameters<T> = {}): Parameters<T> {
  const runs = process.env.RUNS;
  // RUNS=n overrides numRuns, for soaking a property far longer than CI does.
  const params = runs === undefined || runs.trim() === '' ? given : { ...given, numRuns: Number(runs) };
  const seed = readSeedEnv();
  if (seed === undefined) return params;
  const path = process.env.SEED_PATH;
  return path === undefined || path === '' ? { ...params, seed } : { ...params, seed, path };
}

/**
 * A seed for a seeded simulation test: `SEED` from the environment when set (to replay a
 * failure), otherwise a fresh random 32-bit seed. Print it in the test's failure message so
 * the run can be replayed.
 *
 * @throws ShoalError `INVALID_ARGUMENT` when `SEED` is set but is not an integer.
 */
export function simulationSeed(): number {
  return readSeedEnv() ?? Math.floor(Math.random() * 0x1_0000_0000);
}

function readSeedEnv(): number | undefined {
  const raw = process.env.SEED;
  if (raw === undefined || raw.trim() === '') return undefined;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) {
    throw new ShoalError(ErrorCode.InvalidArgument, `SEED must be an integer, got ${JSON.stringify(raw)}`);
  }
  return seed;
}
