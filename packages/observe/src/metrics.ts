import type { Coordinator } from '@shoal/core';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { channelSummaries } from './channel-summaries.js';
import type { EventFeed } from './event-feed.js';

/**
 * A Prometheus registry of one node's metrics, read from the node at each scrape (nothing is
 * sampled in between, so nothing can drift): traffic by direction and message type, drops by
 * reason, members by state and their transitions, SWIM probes and suspicions, sync rounds and
 * entries, per-peer lag per channel, entries per channel, store size, and Node's process
 * metrics (event-loop delay, memory, CPU) from prom-client's defaults.
 */
export function nodeMetrics(node: Coordinator, feed: EventFeed): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  /** A counter whose value is a total the node keeps: set at scrape time. */
  const total = (
    name: string,
    help: string,
    labelNames: readonly string[],
    read: () => Iterable<[Record<string, string>, number]>,
  ) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) if (value > 0) this.inc(labels, value);
      },
    });
  const gauge = (
    name: string,
    help: string,
    labelNames: readonly string[],
    read: () =>
      | Iterable<[Record<string, string>, number]>
      | Promise<Iterable<[Record<string, string>, number]>>,
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        for (const [labels, value] of await read()) this.set(labels, value);
      },
    });
  const traffic = (field: 'messages' | 'bytes') => () => {
    const { sent, received } = node.stats().traffic;
    return [
      ...Object.entries(sent).map(([type, c]): [Record<string, string>, number] => [
        { direction: 'sent', type },
        c[field],
      ]),
      ...Object.entries(received).map(([type, c]): [Record<string, string>, number] => [
        { direction: 'received', type },
        c[field],
      ]),
    ];
  };

  gauge('shoal_info', 'This node: its id and mode (sealed or open); always 1.', ['id', 'mode'], () => [
    [{ id: node.id, mode: node.health().mode }, 1],
  ]);
  total(
    'shoal_messages_total',
    'Messages sent and received (authenticated), by message type.',
    ['direction', 'type'],
    traffic('messages'),
  );
  total(
    'shoal_bytes_total',
    'Wire bytes (sealed) sent and received, by message type.',
    ['direction', 'type'],
    traffic('bytes'),
  );
  total('shoal_drops_total', 'Datagrams dropped before use, by reason.', ['reason'], () => {
    const health = node.health();
    return [
      ...Object.entries(health.sealing.dropped).map(([reason, n]): [Record<string, string>, number] => [
        { reason },
        n,
      ]),
      [{ reason: 'undecodable' }, health.badMessages],
      [{ reason: 'throttled' }, health.throttled],
      [{ reason: 'unpaired' }, health.unpaired],
    ];
  });
  total('shoal_errors_total', 'Errors reported on node.errors, by code.', ['code'], () =>
    Object.entries(node.health().errors).map(([code, n]): [Record<string, string>, number] => [{ code }, n]),
  );
  gauge('shoal_members', 'Members this node knows, itself included, by SWIM state.', ['state'], () => {
    const counts = new Map<string, number>([
      ['alive', 0],
      ['suspect', 0],
      ['dead', 0],
      ['left', 0],
    ]);
    for (const member of node.members()) counts.set(member.state, (counts.get(member.state) ?? 0) + 1);
    return [...counts].map(([state, n]): [Record<string, string>, number] => [{ state }, n]);
  });
  gauge('shoal_peers', 'Peers reachable now.', [], () => [[{}, node.health().peers]]);
  total(
    'shoal_member_transitions_total',
    'Membership events seen, by kind (joined, suspect, alive, dead, left).',
    ['to'],
    () => feed.transitions(),
  );
  const membership = (
    name: string,
    help: string,
    read: (m: ReturnType<Coordinator['stats']>['membership']) => number,
  ) => total(name, help, [], () => [[{}, read(node.stats().membership)]]);
  membership('shoal_probes_total', 'SWIM direct probes sent.', (m) => m.probesSent);
  membership(
    'shoal_ping_reqs_total',
    'SWIM indirect probes (ping-req) sent after a missed ack.',
    (m) => m.pingReqsSent,
  );
  membership('shoal_suspicions_total', 'Suspicions this node entered.', (m) => m.suspicions);
  membership(
    'shoal_refutations_total',
    'Times this node refuted a suspicion of itself.',
    (m) => m.refutations,
  );
  total('shoal_sync_rounds_total', 'Anti-entropy rounds run.', [], () => [
    [{}, node.resourceUsage().sync.rounds],
  ]);
  total(
    'shoal_sync_entries_total',
    'Entries sent and received by sync (answers and pushes).',
    ['direction'],
    () => {
      const sync = node.resourceUsage().sync;
      return [
        [{ direction: 'sent' }, sync.entriesSent],
        [{ direction: 'received' }, sync.entriesReceived],
      ];
    },
  );
  total('shoal_sync_pulls_timed_out_total', 'Pulls whose answer stopped coming.', [], () => [
    [{}, node.resourceUsage().sync.pullsTimedOut],
  ]);
  const perChannel = () => channelSummaries(node);
  gauge('shoal_channel_entries', 'Map keys and stream entries held, per channel.', ['channel'], async () =>
    (await perChannel()).map((row): [Record<string, string>, number] => [{ channel: row.name }, row.entries]),
  );
  gauge(
    'shoal_sync_lag_entries',
    "Stream entries this node lacks by each peer's last digest, per channel (map writers ahead count as 1 each).",
    ['channel', 'peer'],
    async () =>
      (await perChannel()).flatMap((row) =>
        row.peers.map((p): [Record<string, string>, number] => [
          { channel: row.name, peer: p.peer },
          p.weLackEntries + p.weLackWriters,
        ]),
      ),
  );
  gauge(
    'shoal_sync_peer_lacks_entries',
    'Entries a peer lacked by its last digest, per channel (counted up to one answer per map: limits.maxAnswerEntries).',
    ['channel', 'peer'],
    async () =>
      (await perChannel()).flatMap((row) =>
        row.peers.map((p): [Record<string, string>, number] => [
          { channel: row.name, peer: p.peer },
          p.theyLack,
        ]),
      ),
  );
  gauge(
    'shoal_sync_peer_lacks_bytes',
    'Bytes of what a peer lacked by its last digest, as a delta would carry them (before compression), per channel.',
    ['channel', 'peer'],
    async () =>
      (await perChannel()).flatMap((row) =>
        row.peers.map((p): [Record<string, string>, number] => [
          { channel: row.name, peer: p.peer },
          p.theyLackBytes,
        ]),
      ),
  );
  total('shoal_sealed_total', 'Messages sealed (or wrapped, in open mode) to send.', [], () => [
    [{}, node.health().sealing.sealed],
  ]);
  total('shoal_opened_total', 'Messages opened: authenticated and fresh.', [], () => [
    [{}, node.health().sealing.opened],
  ]);
  gauge('shoal_store_bytes', 'Bytes the store occupies (when its adapter reports it).', [], () => {
    const storage = node.resourceUsage().storage;
    return storage === undefined ? [] : [[{}, storage.bytes]];
  });
  gauge('shoal_store_entries', 'Records in the store (when its adapter reports it).', [], () => {
    const storage = node.resourceUsage().storage;
    return storage === undefined ? [] : [[{}, storage.entries]];
  });
  gauge('shoal_pending_writes', 'Writes queued for storage, not yet durable.', [], () => [
    [{}, node.resourceUsage().pendingWrites],
  ]);
  return registry;
}
