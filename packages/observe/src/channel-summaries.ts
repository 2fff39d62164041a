import type { Coordinator, PeerSyncStatus } from '@shoal/core';

/** One channel a node holds: its objects, how many entries, and each peer's last comparison. */
export interface ChannelSummary {
  readonly name: string;
  readonly maps: number;
  readonly streams: number;
  /** Map keys (tombstones included) and stream entries. */
  readonly entries: number;
  readonly peers: readonly PeerSyncStatus[];
}

/** Every channel `node` has open, summarised. Opens none. */
export async function channelSummaries(node: Coordinator): Promise<ChannelSummary[]> {
  const summaries: ChannelSummary[] = [];
  for (const name of node.channelNames()) {
    const channel = await node.channel(name);
    const { maps, streams } = channel.objects();
    let entries = 0;
    for (const map of maps) entries += channel.map(map).size;
    for (const stream of streams) entries += channel.stream(stream).size;
    summaries.push({
      name,
      maps: maps.length,
      streams: streams.length,
      entries,
      peers: channel.syncStatus(),
    });
  }
  return summaries;
}
