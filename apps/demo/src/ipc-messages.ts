import type { NodeStatus } from './node-status.js';

/** What a node process tells its parent over the IPC channel. */
export type ChildMessage =
  | { readonly type: 'status'; readonly status: NodeStatus }
  | { readonly type: 'fatal'; readonly message: string }
  /**
   * Soak mode: the write of `key` (a map key, or `stream:<payload>` for a stream entry, with its
   * `seq` in this node's stream) is durable: acknowledged.
   */
  | { readonly type: 'ack'; readonly key: string; readonly seq?: number }
  /** Soak mode: the store refused the write of `key` (its disk was full): not acknowledged. */
  | { readonly type: 'refused'; readonly key: string }
  /** Soak mode: everything the node holds, in answer to `dump`. */
  | {
      readonly type: 'state';
      readonly keys: readonly string[];
      /** Every stream entry as `<author>#<seq>=<payload as UTF-8>`. */
      readonly entries: readonly string[];
      /** Why the node dropped datagrams and which errors it reported, for a failed soak's report. */
      readonly diagnosis: {
        readonly dropped: Record<string, number>;
        readonly errors: Record<string, number>;
        /** Per peer that sent a digest: what sync believes each side lacks. */
        readonly sync: readonly {
          readonly peer: string;
          readonly theyLack: number;
          readonly weLackEntries: number;
          readonly weLackWriters: number;
          readonly inSync: boolean;
        }[];
      };
    };

/** What the parent tells a node process. */
export type ParentMessage =
  /** Turn the periodic sensor writes and chat lines on or off (off lets replicas settle). */
  | { readonly type: 'writes'; readonly enabled: boolean }
  /** Soak's clock-skew fault: the node's wall clock reads `ms` off from now on (0: true again). */
  | { readonly type: 'skew'; readonly ms: number }
  /** Leave the group gracefully, close the store, exit 0. */
  | { readonly type: 'stop' }
  /** Soak mode: report every key and stream entry held (`state`). */
  | { readonly type: 'dump' };
