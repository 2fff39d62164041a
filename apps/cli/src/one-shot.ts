import { callAgent } from './control-client.js';
import type { DataDir } from './data-dir.js';
import { NodeSession } from './node-session.js';
import { openDirNode } from './open-dir-node.js';
import type { Output } from './output.js';
import { waitForPeerHolding } from './peer-ack.js';
import { isStreaming, type Request } from './requests.js';

/** How a write made without an agent ended: whether a peer was seen holding it. */
export interface Delivery {
  readonly via: 'standalone';
  /** The peer whose digest showed it holds the write, or null when the wait ran out. */
  readonly heldBy: string | null;
  readonly waitedMs: number;
}

/** Options of {@link runRequest}. */
export interface RunOptions {
  /** For writes without an agent: how long to wait for a peer to hold the write, in ms. */
  readonly waitMs: number;
  /** For streaming requests: each record, until `signal` aborts. */
  readonly onEvent?: (record: unknown) => void;
  readonly signal?: AbortSignal;
}

const WRITES = new Set<Request['op']>(['set', 'del', 'append', 'import']);

/**
 * Runs one request through the agent of `dir` when one is running, else on a node of its own
 * (the store can only be open in one process). Standalone, reads open the node offline; writes
 * and subscriptions go online, and writes then wait up to `waitMs` for a peer to hold them
 * (see {@link waitForPeerHolding}), reporting which happened as `delivery`.
 */
export async function runRequest(
  dir: DataDir,
  request: Request,
  out: Output,
  options: RunOptions,
): Promise<{ result: unknown; delivery?: Delivery }> {
  dir.readInvite(); // fail early, and identically with or without an agent, outside a data dir
  const answer = await callAgent(dir.socketPath, request, {
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (answer.kind === 'result') return { result: answer.result };

  const write = WRITES.has(request.op);
  const node = await openDirNode(dir, { online: write || isStreaming(request) });
  const session = new NodeSession(node, dir);
  try {
    if (request.op === 'status' || request.op === 'members') await session.openKnownChannels();
    const signal = options.signal ?? new AbortController().signal;
    const result = await session.execute(request, options.onEvent ?? (() => {}), signal);
    if (!write || !('channel' in request)) return { result };
    const since = performance.now();
    const channel = await session.channel(request.channel, false);
    const heldBy = await waitForPeerHolding(channel, since, options.waitMs, {
      signal,
      onTick: (elapsed) =>
        out.progress(
          `no agent running: waiting for a peer to hold the write… ${(elapsed / 1000).toFixed(1)} s`,
        ),
    });
    out.endProgress();
    return {
      result,
      delivery: {
        via: 'standalone',
        heldBy: heldBy ?? null,
        waitedMs: Math.round(performance.now() - since),
      },
    };
  } finally {
    session.close();
    await node.dispose();
  }
}
