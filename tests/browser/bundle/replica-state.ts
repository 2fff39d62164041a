import type { Coordinator } from '@shoal/core';

/** The channel, map and stream every replica in hubs-failover.test.ts writes to. */
export const CHANNEL = 'room';
export const MAP = 'notes';
export const STREAM = 'chat';

/** What one replica holds of the test's channel: map keys and stream messages, both sorted. */
export interface ReplicaState {
  readonly keys: string[];
  readonly messages: string[];
}

/** Reads `node`'s map keys and stream messages (UTF-8 payloads) in the test's channel. */
export async function readReplica(node: Coordinator): Promise<ReplicaState> {
  const channel = await node.channel(CHANNEL);
  const decoder = new TextDecoder();
  return {
    keys: [...channel.map(MAP).keys()].sort(),
    messages: channel
      .stream(STREAM)
      .getAll()
      .map((entry) => decoder.decode(entry.payload))
      .sort(),
  };
}
