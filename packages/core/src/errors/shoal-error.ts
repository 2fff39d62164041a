/**
 * Every stable error code Shoal reports. Codes are part of the public API: switch on
 * them, never on messages. Values are only ever appended.
 */
export const ErrorCode = {
  /** A user call got an argument of the wrong type, shape or range. */
  InvalidArgument: 'INVALID_ARGUMENT',
  /** A NodeId or ChannelId does not parse. */
  InvalidId: 'INVALID_ID',
  /** A value is not JSON-compatible data or `Uint8Array`. */
  UnsupportedValue: 'UNSUPPORTED_VALUE',
  /** A write exceeds a configured resource limit; nothing was changed. */
  LimitExceeded: 'LIMIT_EXCEEDED',
  /** A remote timestamp is further ahead of the local wall clock than `maxDrift`. */
  ClockDrift: 'CLOCK_DRIFT',
  /** The HLC cannot advance: its counter is exhausted and the wall clock stands still. */
  ClockExhausted: 'CLOCK_EXHAUSTED',
  /** Untrusted bytes did not decode; they were dropped. */
  DecodeFailed: 'DECODE_FAILED',
  /** A sealed message failed authentication; it was dropped. */
  AuthFailed: 'AUTH_FAILED',
  /** A replayed sealed message was dropped. */
  Replay: 'REPLAY',
  /** The object was closed or disposed. */
  Closed: 'CLOSED',
  /** The call needs a state the object is not in (e.g. not started). */
  InvalidState: 'INVALID_STATE',
  /** The storage port failed; the cause is attached. */
  Storage: 'STORAGE',
  /** Data found in storage is corrupt or was written by something else. */
  CorruptData: 'CORRUPT_DATA',
  /** A transport failed; the cause is attached. */
  Transport: 'TRANSPORT',
  /** The operation was aborted through its AbortSignal. */
  Aborted: 'ABORTED',
  /** A secret, key or invite token is malformed. */
  InvalidSecret: 'INVALID_SECRET',
  /** A callback given to `onChange`/`onKey`/`onEntry` threw; the change itself was applied. */
  ListenerFailed: 'LISTENER_FAILED',
  /** A sync round with a peer did not complete within its time limit. */
  SyncTimeout: 'SYNC_TIMEOUT',
  /** No peer could be reached for an operation that needs one. */
  NoPeers: 'NO_PEERS',
  /**
   * A peer sent a stream entry whose author and sequence number this replica already holds
   * with other content: someone wrote in another node's name. The entry held first is kept.
   */
  StreamConflict: 'STREAM_CONFLICT',
  /**
   * The storage device is full: the write was refused and nothing of it was applied; earlier
   * writes and reads are unaffected. Free space and retry.
   */
  StorageFull: 'STORAGE_FULL',
  /**
   * A store that existed has lost its data (its data file is gone or empty). Nothing was
   * created: restore the data from a backup, or open it explicitly as a new, empty store.
   */
  DataMissing: 'DATA_MISSING',
  /**
   * A store's data is not the data it last held: an older copy (a restored backup) or another
   * store's. A node on it could reissue what its peers already hold; open it only on purpose.
   */
  DataReplaced: 'DATA_REPLACED',
} as const;

/** One of the {@link ErrorCode} values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The one error class Shoal throws or reports. `code` is stable and meant to be switched on;
 * `details` carries structured context (limits, sizes, ids); `cause` keeps the original error.
 */
export class ShoalError extends Error {
  override readonly name = 'ShoalError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }
}

/** True when `error` is a {@link ShoalError}, optionally with the given code. */
export function isShoalError(error: unknown, code?: ErrorCode): error is ShoalError {
  return error instanceof ShoalError && (code === undefined || error.code === code);
}

/**
 * Checks an internal invariant. A failure is a bug in Shoal, never the user's input:
 * user input is validated with {@link ShoalError}s instead.
 */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`Shoal invariant violated: ${message}`);
}
