import type { Value } from '@shoal/core';
import { usageError } from './cli-error.js';

/**
 * A stored value as JSON: byte arrays (which JSON lacks) become `{"$bytes": "<base64>"}`;
 * everything else is JSON already.
 */
export function valueToJson(value: Value | undefined): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(valueToJson);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, valueToJson(v as Value)]));
  }
  return value ?? null;
}

/**
 * A command-line VALUE: parsed as JSON, or taken as a plain string with `--string`.
 * @throws CliError `USAGE` (exit 2) for malformed JSON, with a hint about `--string`.
 */
export function parseValueArgument(text: string, asString: boolean): Value {
  if (asString) return text;
  try {
    return JSON.parse(text) as Value;
  } catch {
    throw usageError(`VALUE is not valid JSON: ${JSON.stringify(text)} (quote it as JSON, or pass --string)`);
  }
}

/** One value for a terminal: strings bare, anything else as compact JSON. */
export function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
