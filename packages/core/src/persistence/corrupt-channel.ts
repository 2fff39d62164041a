import { ErrorCode, ShoalError } from '../errors/shoal-error.js';

/** The `CORRUPT_DATA` error of a record of `channel` that does not decode, saying why. */
export function corruptChannel(channel: string, reason: string): ShoalError {
  return new ShoalError(
    ErrorCode.CorruptData,
    `stored data of channel ${JSON.stringify(channel)} is corrupt: ${reason}`,
  );
}
