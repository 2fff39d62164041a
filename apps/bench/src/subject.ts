/** Which replica of a pair an operation runs on. */
export type Side = 'a' | 'b';

/** One map write: the key and its `{v, s}` value. */
export interface MapWrite {
  readonly key: string;
  readonly value: { readonly v: number; readonly s: string };
}

/** What one sync (from reconnect until both replicas hold the same state) cost. */
export interface SyncOutcome {
  /** Every byte both sides sent, framing included. */
  readonly bytes: number;
  readonly messages: number;
  /** Round trips from the first message until converged (half a trip = one one-way hop). */
  readonly roundTrips: number;
  /** Real (wall-clock) ms the sync took in this process, both sides' CPU included. */
  readonly ms: number;
  /** Bytes per message kind, when the library's messages can be told apart. */
  readonly breakdown?: Readonly<Record<string, number>>;
}

/** How a pair starts: replica `a` holds `keys` map keys written by `writers` writers. */
export interface PairSetup {
  readonly keys: number;
  readonly writers: number;
  /** When true `b` starts as a synced copy of `a`; otherwise `b` is empty (a newcomer). */
  readonly synced: boolean;
  /**
   * With `synced`, false makes `b` a copy of `a` that has never exchanged a message with it (a
   * restored backup, a peer that lost its memory): the measured sync is a first contact.
   * Subjects that keep no peer state (Yjs) sync the same either way.
   */
  readonly memory?: boolean;
}

/** Two replicas of one library, connected by its own sync protocol. */
export interface Pair {
  /** Local writes on one side, one change (transaction, commit) per key; nothing is sent yet. */
  write(side: Side, writes: readonly MapWrite[]): Promise<void>;
  /** Appends entries to the event stream on one side; nothing is sent yet. */
  append(side: Side, payloads: readonly string[]): Promise<void>;
  /** Reconnects the two sides and runs the sync protocol until both hold the same state. */
  sync(): Promise<SyncOutcome>;
  dispose(): Promise<void>;
}

/** One library under test. */
export interface Subject {
  readonly name: string;
  /** Most map keys this subject is run with (slow libraries are scaled down, and say so). */
  readonly maxKeys: number;
  pair(setup: PairSetup): Promise<Pair>;
}
