import { ErrorCode, ShoalError } from '@shoal/core';

/**
 * An integer option in [min, max], or its default when absent.
 *
 * @throws ShoalError `INVALID_ARGUMENT` naming the option.
 */
export function integerOption(
  owner: string,
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const resolved = value ?? fallback;
  if (!Number.isInteger(resolved) || resolved < min || resolved > max) {
    throw new ShoalError(
      ErrorCode.InvalidArgument,
      `invalid ${owner} option ${name}: ${String(value)} (expected an integer in ${min}-${max})`,
      { details: { option: name } },
    );
  }
  return resolved;
}

/** Default largest message `send` accepts on either side: 64 KiB (docs/protocol.md §11). */
export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024;

/** Default largest WebSocket message either side accepts: 1 MiB. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
