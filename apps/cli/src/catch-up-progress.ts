import type { Coordinator } from '@shoal/core';
import type { Output } from './output.js';

/** Entries behind (or received in one tick) that make catching up worth reporting. */
const NOTABLE_ENTRIES = 500;
const TICK_MS = 250;

interface Sample {
  readonly at: number;
  readonly received: number;
  readonly bytes: number;
}

/**
 * Reports a node catching up on a large backlog (joining a big channel, coming back after a
 * long time away): on a terminal a line rewritten four times a second with entries and bytes
 * received, the rate and, where the peers' digests tell how much is left, an ETA; elsewhere
 * (and with `--json`) one record when it starts and one when it has caught up. Small syncs of
 * everyday writes stay quiet. Entries are what the replica holds more (keys, tombstones,
 * stream entries); bytes are the growth of the store on disk.
 */
export function reportCatchUp(node: Coordinator, out: Output): () => void {
  let start: Sample | undefined;
  let last = sample(node);
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const now = sample(node);
      const { entries: behind, writers } = await lag(node);
      const arriving = now.received - last.received;
      last = now;
      if (start === undefined) {
        if (behind < NOTABLE_ENTRIES && arriving < NOTABLE_ENTRIES) return;
        start = { ...now, received: now.received - arriving };
        out.data(
          { at: new Date().toISOString(), type: 'catching-up', behind, writers },
          () =>
            `catching up: ${behind > 0 ? `~${behind.toLocaleString('en')} entries to receive` : writers > 0 ? `entries from ${writers} writers to receive` : 'receiving a backlog'}`,
        );
        if (out.interactive) out.line('');
      }
      const received = now.received - start.received;
      const seconds = (now.at - start.at) / 1000;
      if (behind === 0 && writers === 0 && arriving === 0) {
        out.endProgress();
        out.data(
          {
            at: new Date().toISOString(),
            type: 'caught-up',
            entries: received,
            bytes: now.bytes - start.bytes,
            seconds,
          },
          () =>
            `caught up: ${received.toLocaleString('en')} entries (${megabytes(now.bytes - start!.bytes)}) in ${seconds.toFixed(1)} s`,
        );
        start = undefined;
        return;
      }
      const rate = seconds > 0 ? received / seconds : 0;
      const eta = rate > 0 ? `, ETA ${Math.ceil(behind / rate)} s` : '';
      out.progress(
        `receiving: ${received.toLocaleString('en')} entries (${megabytes(now.bytes - start.bytes)}), ` +
          `${Math.round(rate).toLocaleString('en')}/s, ${behind > 0 ? `~${behind.toLocaleString('en')} left${eta}` : writers > 0 ? `${writers} writers to go` : 'more coming'}`,
      );
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), TICK_MS);
  return () => {
    clearInterval(timer);
    out.endProgress();
  };
}

function sample(node: Coordinator): Sample {
  const usage = node.resourceUsage();
  // What the replica holds, not what arrived: entries received twice (a push crossing a pull)
  // are not progress.
  const held = usage.keys + usage.tombstones + usage.streamEntries;
  return { at: performance.now(), received: held, bytes: usage.storage?.bytes ?? 0 };
}

/** What the peers' last digests say this node lacks, summed over channels (worst peer each). */
async function lag(node: Coordinator): Promise<{ entries: number; writers: number }> {
  let entries = 0;
  let writers = 0;
  for (const name of node.channelNames()) {
    const statuses = (await node.channel(name)).syncStatus();
    entries += Math.max(0, ...statuses.map((s) => s.weLackEntries));
    writers += Math.max(0, ...statuses.map((s) => s.weLackWriters));
  }
  return { entries, writers };
}

function megabytes(bytes: number): string {
  return `${(Math.max(0, bytes) / 1e6).toFixed(1)} MB`;
}
