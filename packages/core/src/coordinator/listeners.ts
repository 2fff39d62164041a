import { ErrorCode, ShoalError } from '../errors/shoal-error.js';

/** Throws `INVALID_ARGUMENT` unless `listener` is a function. */
export function checkListener(listener: unknown): void {
  if (typeof listener !== 'function') {
    throw new ShoalError(ErrorCode.InvalidArgument, 'the listener must be a function');
  }
}

/**
 * Calls each listener with `event`. A listener's bug must not break the write or the merge that
 * told it, nor the listeners after it: what one throws is reported as `LISTENER_FAILED`.
 */
export function callListeners<E>(
  listeners: Iterable<(event: E) => void>,
  event: E,
  what: string,
  report: (error: ShoalError) => void,
): void {
  for (const listener of listeners) {
    try {
      listener(event);
    } catch (cause) {
      report(
        new ShoalError(ErrorCode.ListenerFailed, `a listener of ${what} threw: ${String(cause)}`, { cause }),
      );
    }
  }
}
