import type { Coordinator, Traffic } from '@shoal/core';
import { type ChannelSummary, channelSummaries } from './channel-summaries.js';
import type { EventFeed } from './event-feed.js';

/** One member as the dashboard shows it. */
export interface MemberView {
  readonly id: string;
  readonly state: string;
  readonly incarnation: number;
  readonly address: string | null;
  /** Ms since this node last heard of it (an event or a sync digest); null: not since start. */
  readonly lastContactMs: number | null;
  readonly self: boolean;
}

/** One channel: its size, and how this replica compares with each peer's last digest. */
export interface ChannelView extends ChannelSummary {
  /** True when every peer's last digest matched this replica. */
  readonly agreed: boolean;
}

/** The whole cluster as one node knows it: what `/state` returns and SSE streams. */
export interface ClusterView {
  readonly at: number;
  readonly id: string;
  readonly state: string;
  readonly mode: string;
  readonly leader: string;
  readonly members: readonly MemberView[];
  readonly channels: readonly ChannelView[];
  readonly traffic: Traffic;
  /** Datagrams dropped by reason (sealing), and messages that did not decode. */
  readonly drops: Readonly<Record<string, number>>;
  readonly storage: { readonly entries: number; readonly bytes: number } | null;
  readonly warnings: readonly string[];
  /** Whether `/readyz` answers ready: running, and no peer's digest shows anything missing here. */
  readonly ready: boolean;
}

/** Renders a member's transport address; the default shows its bytes in hex. */
export type AddressFormat = (bytes: Uint8Array) => string;

/** Builds a {@link ClusterView} of `node`. Opens no channel: only those the node has. */
export async function clusterView(
  node: Coordinator,
  feed: EventFeed,
  formatAddress: AddressFormat,
): Promise<ClusterView> {
  const digestAgo = new Map<string, number>();
  const channels = (await channelSummaries(node)).map((summary): ChannelView => {
    const peers = summary.peers.map((status) => ({
      ...status,
      lastDigestAgo: Math.round(status.lastDigestAgo),
    }));
    for (const status of peers) {
      digestAgo.set(status.peer, Math.min(digestAgo.get(status.peer) ?? Infinity, status.lastDigestAgo));
    }
    return { ...summary, peers, agreed: peers.every((p) => p.inSync) };
  });
  const health = node.health();
  const members = node.members().map((member): MemberView => {
    const self = member.id === node.id;
    const ago = Math.min(digestAgo.get(member.id) ?? Infinity, feed.heardAgo(member.id) ?? Infinity);
    return {
      id: member.id,
      state: member.state,
      incarnation: member.incarnation,
      address: member.address === undefined ? null : formatAddress(member.address),
      lastContactMs: self ? 0 : Number.isFinite(ago) ? Math.round(ago) : null,
      self,
    };
  });
  const storage = node.resourceUsage().storage;
  const lagging = channels.some((channel) =>
    channel.peers.some((p) => p.weLackEntries + p.weLackWriters > 0),
  );
  return {
    at: Date.now(),
    id: node.id,
    state: health.state,
    mode: health.mode,
    leader: node.leader(),
    members,
    channels,
    traffic: node.stats().traffic,
    drops: {
      ...health.sealing.dropped,
      undecodable: health.badMessages,
      throttled: health.throttled,
      unpaired: health.unpaired,
    },
    storage: storage === undefined ? null : { entries: storage.entries, bytes: storage.bytes },
    warnings: health.warnings,
    ready: health.state === 'running' && !lagging,
  };
}

/** Hex, the default {@link AddressFormat}. */
export function hexAddress(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
