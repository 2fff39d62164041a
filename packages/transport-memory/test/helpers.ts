import type { NodeId } from '@shoal/core';
import type { SimulatedPort } from '../src/index.js';

/** What one port received, as `from:firstByte` strings, in arrival order. */
export function inbox(port: SimulatedPort): string[] {
  const received: string[] = [];
  port.onMessage((from, bytes) => received.push(`${from}:${bytes[0]}`));
  return received;
}

/** A one-byte message. */
export function byte(value: number): Uint8Array {
  return Uint8Array.of(value);
}

/** Casts a literal to a NodeId for `send`. */
export function id(value: string): NodeId {
  return value as NodeId;
}
