import { ErrorCode, ShoalError } from '../errors/shoal-error.js';

/**
 * Bounds on one encoded {@link Value}. {@link encodeValue} refuses values beyond them and
 * {@link decodeValue} refuses bytes beyond them, checking each bound before it allocates, so
 * whatever one peer encodes with some limits, a peer decoding with the same limits accepts.
 */
export interface ValueLimits {
  /** Longest encoding, in bytes. */
  readonly maxBytes: number;
  /** Most nested arrays/objects; a scalar has depth 0, `[]` depth 1, `[{}]` depth 2. */
  readonly maxDepth: number;
  /** Most elements of one array or entries of one object. */
  readonly maxEntries: number;
  /** Longest string (value or object key), in UTF-8 bytes. */
  readonly maxStringBytes: number;
  /** Longest `Uint8Array`, in bytes. */
  readonly maxBinaryBytes: number;
}

/**
 * Safe defaults: 1 MiB values, 32 levels of nesting. Every length a decoder meets is also
 * bounded by the bytes that remain, so these only tighten what the input size already bounds.
 */
export const DEFAULT_VALUE_LIMITS: ValueLimits = Object.freeze({
  maxBytes: 1024 * 1024,
  maxDepth: 32,
  maxEntries: 65_536,
  maxStringBytes: 1024 * 1024,
  maxBinaryBytes: 1024 * 1024,
});

/**
 * Deepest nesting any limits may allow. Encoding and decoding recurse once per level; this
 * keeps the recursion far below every engine's stack size, so no input can overflow it.
 */
export const MAX_DEPTH_CEILING = 1000;

/**
 * Fills `limits` from {@link DEFAULT_VALUE_LIMITS} and checks them. Limits are trusted
 * configuration, so a malformed one is a programming error: throws {@link ShoalError}
 * `INVALID_ARGUMENT` unless every bound is a non-negative safe integer and `maxDepth` is at
 * most {@link MAX_DEPTH_CEILING}.
 */
export function resolveLimits(limits: Partial<ValueLimits> | undefined): ValueLimits {
  if (limits === undefined) return DEFAULT_VALUE_LIMITS;
  const resolved = { ...DEFAULT_VALUE_LIMITS, ...limits };
  for (const [name, bound] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(bound) || bound < 0) {
      throw new ShoalError(ErrorCode.InvalidArgument, `value limit ${name} must be a non-negative integer`, {
        details: { name, bound },
      });
    }
  }
  if (resolved.maxDepth > MAX_DEPTH_CEILING) {
    throw new ShoalError(
      ErrorCode.InvalidArgument,
      `value limit maxDepth must be at most ${MAX_DEPTH_CEILING}`,
      {
        details: { name: 'maxDepth', bound: resolved.maxDepth },
      },
    );
  }
  return resolved;
}
