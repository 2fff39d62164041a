import { ErrorCode, ShoalError } from '../errors/shoal-error.js';

declare const channelIdBrand: unique symbol;
/** Name of a channel: the unit of replication, access and secrecy. */
export type ChannelId = string & { readonly [channelIdBrand]: true };

/** Longest channel (and map or stream) name accepted, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 128;
const utf8 = new TextEncoder();

/** True when `value` is a non-empty name of at most {@link MAX_NAME_BYTES} UTF-8 bytes. */
export function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && utf8.encode(value).length <= MAX_NAME_BYTES;
}

/** True when `value` is a well-formed ChannelId. */
export function isChannelId(value: unknown): value is ChannelId {
  return isName(value);
}

/** Parses a ChannelId, throwing {@link ShoalError} `INVALID_ID` when it is malformed. */
export function parseChannelId(value: unknown): ChannelId {
  if (!isChannelId(value)) {
    throw new ShoalError(
      ErrorCode.InvalidId,
      `invalid channel name ${JSON.stringify(value)}: expected a non-empty string of at most ${MAX_NAME_BYTES} UTF-8 bytes`,
    );
  }
  return value;
}
