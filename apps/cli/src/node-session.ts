import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import {
  type Channel,
  type Coordinator,
  formatTimestamp,
  type MapWatchEvent,
  type StreamEntry,
  type Value,
} from '@shoal/core';
import { decodeUdpAddress, formatUdpAddress } from '@shoal/transport-udp';
import { CliError } from './cli-error.js';
import type { DataDir } from './data-dir.js';
import { valueToJson } from './json-value.js';
import type { Request } from './requests.js';

const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** A map change as the CLI prints it (`watch --json`, one NDJSON line each). */
export interface ChangeRecord {
  readonly key: string;
  readonly value: unknown;
  readonly deleted: boolean;
  readonly writer: string;
  readonly local: boolean;
  readonly stamp: string;
}

/** A stream entry as the CLI prints it (`tail --json`). */
export interface EntryRecord {
  readonly author: string;
  readonly seq: number;
  readonly stamp: string;
  readonly text: string;
}

/** One row of `shoal members`. */
export interface MemberRecord {
  readonly id: string;
  readonly address: string | null;
  readonly state: string;
  readonly incarnation: number;
  /** Its public key (base64url), once it proved it; null before (or in open mode). */
  readonly key: string | null;
  /** Ms since this node last heard of the member (a membership event or a sync digest); null: not since start. */
  readonly lastContactMs: number | null;
}

/**
 * A running node with the data dir it belongs to: executes {@link Request}s for the control
 * socket, the standalone one-shots and the REPL alike, so every path behaves the same.
 *
 * Channels: a node syncs only channels it has opened. Writes and subscriptions (`set`,
 * `append`, `watch`, `tail -f`) open a channel and record it in the data dir, so the agent
 * opens it again at every start; reads of a channel this node never used fail with
 * `UNKNOWN_CHANNEL` rather than print an empty result that looks like data.
 */
export class NodeSession {
  readonly node: Coordinator;
  readonly dir: DataDir;
  readonly #known: Set<string>;
  readonly #opened = new Map<string, Channel>();
  readonly #lastHeard = new Map<string, number>();
  readonly #unsubscribe: () => void;

  constructor(node: Coordinator, dir: DataDir) {
    this.node = node;
    this.dir = dir;
    this.#known = new Set(dir.readConfig().channels);
    this.#unsubscribe = node.events.subscribe((event) => {
      if ('peer' in event) this.#lastHeard.set(event.peer, performance.now());
    });
  }

  /** Channels this data dir has used. */
  get knownChannels(): string[] {
    return [...this.#known].sort();
  }

  /** Opens every channel the data dir has used (what the agent does at start). */
  async openKnownChannels(): Promise<void> {
    for (const name of this.#known) await this.channel(name, false);
  }

  /**
   * The channel `name`; `create` opens (and records) one this node never used.
   * @throws CliError `UNKNOWN_CHANNEL` when it is unknown and `create` is false.
   */
  async channel(name: string, create: boolean): Promise<Channel> {
    if (!this.#known.has(name)) {
      // A channel a peer synced with this node (an agent joins those on demand) is known too,
      // once it holds something.
      if (!create && !(await this.#holdsData(name))) {
        const known = this.knownChannels;
        throw new CliError(
          'UNKNOWN_CHANNEL',
          `unknown channel "${name}": this node never used it (known: ${known.length === 0 ? 'none' : known.join(', ')})`,
        );
      }
    }
    const channel = await this.node.channel(name);
    this.#remember(name, channel);
    return channel;
  }

  async #holdsData(name: string): Promise<boolean> {
    if (!this.node.channelNames().includes(name)) return false;
    const { maps, streams } = (await this.node.channel(name)).objects();
    return maps.length + streams.length > 0;
  }

  #remember(name: string, channel: Channel): void {
    if (!this.#known.has(name)) {
      this.dir.rememberChannel(name);
      this.#known.add(name);
    }
    this.#opened.set(name, channel);
  }

  /**
   * Runs `request`. Streaming requests (`watch`, `tail -f`) call `emit` for each record until
   * `signal` aborts; the result is what a one-shot prints.
   */
  async execute(request: Request, emit: (record: unknown) => void, signal: AbortSignal): Promise<unknown> {
    switch (request.op) {
      case 'set': {
        const map = (await this.channel(request.channel, true)).map(request.map);
        await map.set(request.key, request.value as Value);
        return { key: request.key, value: valueToJson(map.get(request.key)) };
      }
      case 'get': {
        const map = (await this.channel(request.channel, false)).map(request.map);
        if (!map.has(request.key)) {
          throw new CliError('NOT_FOUND', `no key "${request.key}" in ${request.channel}/${request.map}`);
        }
        return { key: request.key, value: valueToJson(map.get(request.key)) };
      }
      case 'del': {
        const map = (await this.channel(request.channel, false)).map(request.map);
        const existed = map.has(request.key);
        if (existed) await map.delete(request.key);
        return { key: request.key, deleted: existed };
      }
      case 'list': {
        const map = (await this.channel(request.channel, false)).map(request.map);
        const prefix = request.prefix ?? '';
        return [...map.entries()]
          .filter(([key]) => key.startsWith(prefix))
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([key, value]) => ({ key, value: valueToJson(value) }));
      }
      case 'watch': {
        const map = (await this.channel(request.channel, true)).map(request.map);
        for await (const change of map.watch({ signal })) {
          if (request.key === undefined || change.key === request.key) emit(changeRecord(change));
        }
        return undefined;
      }
      case 'append': {
        const stream = (await this.channel(request.channel, true)).stream(request.stream);
        await stream.append(utf8Encoder.encode(request.text));
        return { appended: true, size: stream.size };
      }
      case 'tail': {
        const stream = (await this.channel(request.channel, request.follow)).stream(request.stream);
        if (!request.follow) return tailOf(stream.getAll(), request.last).map(entryRecord);
        // Subscribe before reading the backlog so nothing lands in between unseen; entries that
        // arrive meanwhile are printed once, in arrival order, after the backlog.
        const changes = stream.watch({ signal });
        const backlog = tailOf(stream.getAll(), request.last);
        const printed = new Set(backlog.map(entryId));
        for (const entry of backlog) emit(entryRecord(entry));
        for await (const { entry } of changes) if (!printed.has(entryId(entry))) emit(entryRecord(entry));
        return undefined;
      }
      case 'export': {
        const channel = await this.channel(request.channel, false);
        const snapshot = await channel.export();
        writeFileAtomically(request.file, snapshot);
        const { maps, streams } = channel.objects();
        return { channel: request.channel, file: request.file, bytes: snapshot.length, maps, streams };
      }
      case 'import': {
        const snapshot = readSnapshotFile(request.file);
        // Opened without recording it first: a file that is not a snapshot changes nothing.
        const channel = await this.node.channel(request.channel);
        const result = await channel.import(snapshot);
        this.#remember(request.channel, channel);
        return { channel: request.channel, file: request.file, ...result };
      }
      case 'access': {
        // Listing never opens a channel this node never used; changing the list does.
        const channel = await this.channel(request.channel, request.action !== 'list');
        if (request.action === 'add') await channel.addMember(request.key as string);
        if (request.action === 'remove') await channel.removeMember(request.key as string);
        return { channel: request.channel, members: channel.members() };
      }
      case 'members':
        return this.members();
      case 'status':
        return this.status();
    }
  }

  /** Every member this node knows, itself included. */
  members(): MemberRecord[] {
    const now = performance.now();
    const digestAgo = new Map<string, number>();
    for (const name of this.#known) {
      // Only channels already open: opening one here would change what the node syncs.
      const channel = this.#opened.get(name);
      for (const status of channel?.syncStatus() ?? []) {
        digestAgo.set(status.peer, Math.min(digestAgo.get(status.peer) ?? Infinity, status.lastDigestAgo));
      }
    }
    return this.node.members().map((member) => {
      const heard = this.#lastHeard.get(member.id);
      const ago = Math.min(
        digestAgo.get(member.id) ?? Infinity,
        heard === undefined ? Infinity : now - heard,
      );
      return {
        id: member.id,
        address: member.address === undefined ? null : formatAddress(member.address),
        state: member.state,
        incarnation: member.incarnation,
        key: member.publicKey === undefined ? null : publicKeyText(member.publicKey),
        lastContactMs: member.id === this.node.id ? 0 : Number.isFinite(ago) ? Math.round(ago) : null,
      };
    });
  }

  /** Channels with sizes and per-peer lag, the leader, health and traffic counters. */
  status(): unknown {
    const channels = this.knownChannels.map((name) => {
      const channel = this.#opened.get(name);
      if (channel === undefined) return { name, open: false };
      const { maps, streams } = channel.objects();
      return {
        name,
        open: true,
        maps: maps.map((map) => ({ name: map, keys: channel.map(map).size })),
        streams: streams.map((stream) => ({ name: stream, entries: channel.stream(stream).size })),
        peers: channel.syncStatus().map((s) => ({ ...s, lastDigestAgo: Math.round(s.lastDigestAgo) })),
      };
    });
    return {
      id: this.node.id,
      key: publicKeyText(this.node.publicKey),
      leader: this.node.leader(),
      health: this.node.health(),
      usage: this.node.resourceUsage(),
      channels,
    };
  }

  /** Stops tracking events; the node itself belongs to the caller. */
  close(): void {
    this.#unsubscribe();
  }
}

/** Writes `bytes` to `path` (owner-only) so that a reader never sees half a file. */
function writeFileAtomically(path: string, bytes: Uint8Array): void {
  const temporary = `${path}.${process.pid}.partial`;
  try {
    writeFileSync(temporary, bytes, { mode: 0o600 });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new CliError('WRITE_FAILED', `cannot write ${path}: ${(error as Error).message}`);
  }
}

function readSnapshotFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new CliError('READ_FAILED', `cannot read ${path}: ${(error as Error).message}`);
  }
}

function changeRecord(change: MapWatchEvent): ChangeRecord {
  return {
    key: change.key,
    value: valueToJson(change.value),
    deleted: change.deleted,
    writer: change.writer,
    local: change.local,
    stamp: formatTimestamp(change.stamp),
  };
}

function entryRecord(entry: StreamEntry): EntryRecord {
  return {
    author: entry.author,
    seq: entry.seq,
    stamp: formatTimestamp(entry),
    text: utf8.decode(entry.payload),
  };
}

function entryId(entry: StreamEntry): string {
  return `${entry.author}:${entry.seq}`;
}

function tailOf<T>(items: readonly T[], last: number): readonly T[] {
  return last === 0 ? [] : items.slice(-last);
}

/** A member's address as `ip:port` when it is a UDP address, else hex. */
export function formatAddress(bytes: Uint8Array): string {
  const decoded = decodeUdpAddress(bytes);
  return decoded.ok ? formatUdpAddress(decoded.value) : Buffer.from(bytes).toString('hex');
}

/** A public key as `shoal access` takes it and `ch.members()` lists it: base64url, no padding. */
function publicKeyText(key: Uint8Array): string {
  return Buffer.from(key).toString('base64url');
}
