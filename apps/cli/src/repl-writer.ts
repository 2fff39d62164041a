import { inspect, types } from 'node:util';
import { isShoalError } from '@shoal/core';

/**
 * How `shoal repl` shows a result: as Node's REPL does, except errors. A failed call shows one
 * line (`ShoalError INVALID_ARGUMENT: map key must be a string, got undefined`) instead of a
 * stack of the REPL's own frames, and a rejected promise typed without `await` shows only that
 * it was rejected: the REPL then reports its error as `Uncaught …`, through this writer, once.
 */
export function replWriter(colors: boolean): (value: unknown) => string {
  return (value) => {
    if (isShoalError(value)) return `ShoalError ${value.code}: ${value.message}`;
    if (value instanceof Error) return `${value.name}: ${value.message}`;
    const shown = inspect(value, { colors });
    if (types.isPromise(value) && shown.includes('<rejected>')) return 'Promise { <rejected> }';
    return shown;
  };
}
