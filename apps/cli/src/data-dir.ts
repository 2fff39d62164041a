import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  createInvite,
  generateSecret,
  type Invite,
  isChannelId,
  PROFILES,
  type Profile,
  parseInvite,
} from '@shoal/core';
import { CliError } from './cli-error.js';

/** How a node of this data dir reaches the network (UDP, hubs); every field optional. */
export interface NetworkConfig {
  /** IPv4 address of the LAN interface to use (also the multicast interface). */
  readonly interface?: string;
  /** Unicast UDP port; 0 or absent picks a free one. */
  readonly port?: number;
  /** Multicast discovery port shared by the nodes of one network (default 47477). */
  readonly multicastPort?: number;
  /** Peers to announce to directly, `host:port`, for networks without multicast. */
  readonly bootstrap?: readonly string[];
  /**
   * WebSocket hubs (`ws://` or `wss://` URLs) for networks UDP does not span. A node that is
   * not itself a hub holds one of them at a time and fails over; a hub links to all of them.
   */
  readonly hubs?: readonly string[];
  /** `false`: no UDP at all (a node that only talks to hubs). Default: UDP on. */
  readonly udp?: boolean;
  /** Membership and sync timing: `lan` (default), `wan` (hubs across networks) or `local`. */
  readonly profile?: Profile;
}

/** What `config.json` in a data dir holds. */
export interface DirConfig {
  readonly network: NetworkConfig;
  /** Channels this node has used; the agent opens (and so syncs) each of them at start. */
  readonly channels: readonly string[];
}

/**
 * The files of one data dir. The directory is created owner-only (0700); the invite, which is
 * the network's secret, is written 0600 and never printed except by `init` and `invite`.
 */
export class DataDir {
  readonly path: string;

  constructor(path: string) {
    this.path = resolve(path);
  }

  /** The directory given by `--dir`, else `$SHOAL_DIR`, else `./shoal-data`. */
  static fromOption(dir: string | undefined, env: NodeJS.ProcessEnv = process.env): DataDir {
    return new DataDir(dir ?? env.SHOAL_DIR ?? 'shoal-data');
  }

  get invitePath(): string {
    return join(this.path, 'invite');
  }
  get configPath(): string {
    return join(this.path, 'config.json');
  }
  get storePath(): string {
    return join(this.path, 'store');
  }
  get socketPath(): string {
    return join(this.path, 'control.sock');
  }
  get historyPath(): string {
    return join(this.path, 'repl_history');
  }

  /**
   * A fresh path for a transient file (a snapshot on its way to stdout or from stdin) inside
   * the owner-only data dir, so the agent can reach it and nobody else can. The caller removes it.
   */
  scratchPath(purpose: string): string {
    return join(this.path, `${purpose}-${process.pid}-${randomUUID()}.tmp`);
  }

  /** Whether `init` or `join` has set this directory up. */
  get initialised(): boolean {
    return existsSync(this.invitePath);
  }

  /**
   * Sets up a new network here: a fresh 32-byte secret named `networkId`. Returns the invite.
   * @throws CliError `EXISTS` when the directory already belongs to a network (nothing changes).
   */
  createNetwork(networkId: string, network: NetworkConfig): string {
    const token = createInvite({ networkId, secret: generateSecret() });
    this.#setUp(token, network);
    return token;
  }

  /**
   * Sets this directory up for the network of `token`. Joining the same network again is a
   * no-op that keeps the stored settings.
   * @throws ShoalError `INVALID_SECRET` for a malformed token; CliError `FOREIGN_INVITE` when
   * the directory already belongs to another network (nothing changes).
   */
  join(token: string, network: NetworkConfig): Invite {
    const invite = parseInvite(token);
    if (this.initialised) {
      const mine = parseInvite(this.readInvite());
      if (mine.networkId !== invite.networkId || Buffer.compare(mine.secret, invite.secret) !== 0) {
        throw new CliError(
          'FOREIGN_INVITE',
          `${this.path} already belongs to network "${mine.networkId}"; this invite is for ` +
            `${mine.networkId === invite.networkId ? 'another network of the same name' : `"${invite.networkId}"`}`,
        );
      }
      return invite;
    }
    this.#setUp(createInvite(invite), network);
    return invite;
  }

  /**
   * The stored invite token.
   * @throws CliError `NOT_INITIALISED` when neither `init` nor `join` ran here.
   */
  readInvite(): string {
    if (!this.initialised) {
      throw new CliError(
        'NOT_INITIALISED',
        `${this.path} is not a shoal data dir: run \`shoal init --dir ${this.path}\` or \`shoal join TOKEN --dir ${this.path}\``,
      );
    }
    return readFileSync(this.invitePath, 'utf8').trim();
  }

  /** The stored configuration (defaults when the file is missing). */
  readConfig(): DirConfig {
    if (!existsSync(this.configPath)) return { network: {}, channels: [] };
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.configPath, 'utf8'));
    } catch {
      throw new CliError('BAD_CONFIG', `${this.configPath} is not valid JSON`);
    }
    return validateConfig(parsed, this.configPath);
  }

  /** Adds `channel` to the channels the agent opens at start (no-op when listed). */
  rememberChannel(channel: string): void {
    const config = this.readConfig();
    if (config.channels.includes(channel)) return;
    this.#writeConfig({ ...config, channels: [...config.channels, channel] });
  }

  #setUp(token: string, network: NetworkConfig): void {
    if (this.initialised) {
      throw new CliError(
        'EXISTS',
        `${this.path} already belongs to a network (see \`shoal invite --dir ${this.path}\`)`,
      );
    }
    mkdirSync(this.path, { recursive: true, mode: 0o700 });
    chmodSync(this.path, 0o700);
    this.#writeConfig({ network, channels: [] });
    // Written last, exclusively: the invite's presence is what marks the directory as set up.
    writeFileSync(this.invitePath, `${token}\n`, { mode: 0o600, flag: 'wx' });
  }

  #writeConfig(config: DirConfig): void {
    const temporary = `${this.configPath}.${process.pid}`;
    writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, this.configPath);
  }
}

function validateConfig(value: unknown, path: string): DirConfig {
  const bad = (why: string) => new CliError('BAD_CONFIG', `${path}: ${why}`);
  if (typeof value !== 'object' || value === null) throw bad('expected an object');
  const { network = {}, channels = [] } = value as { network?: unknown; channels?: unknown };
  if (!Array.isArray(channels) || !channels.every((c) => typeof c === 'string' && isChannelId(c))) {
    throw bad('"channels" must be a list of channel names');
  }
  if (typeof network !== 'object' || network === null) throw bad('"network" must be an object');
  const n = network as Record<string, unknown>;
  if (n.interface !== undefined && typeof n.interface !== 'string')
    throw bad('"network.interface" must be a string');
  for (const field of ['port', 'multicastPort'] as const) {
    const port = n[field];
    if (
      port !== undefined &&
      !(Number.isInteger(port) && (port as number) >= 0 && (port as number) <= 65535)
    ) {
      throw bad(`"network.${field}" must be a port number`);
    }
  }
  if (
    n.bootstrap !== undefined &&
    !(Array.isArray(n.bootstrap) && n.bootstrap.every((b) => typeof b === 'string'))
  ) {
    throw bad('"network.bootstrap" must be a list of host:port');
  }
  if (n.hubs !== undefined && !(Array.isArray(n.hubs) && n.hubs.every(isHubUrl))) {
    throw bad('"network.hubs" must be a list of ws:// or wss:// URLs');
  }
  if (n.udp !== undefined && typeof n.udp !== 'boolean') throw bad('"network.udp" must be true or false');
  if (n.profile !== undefined && !isProfile(n.profile)) {
    throw bad(`"network.profile" must be one of ${Object.keys(PROFILES).join(', ')}`);
  }
  return { network: n as NetworkConfig, channels };
}

/** Whether `value` is a `ws://` or `wss://` URL with a host, as a hub address must be. */
export function isHubUrl(value: unknown): value is string {
  if (typeof value !== 'string' || !URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'ws:' || url.protocol === 'wss:') && url.hostname !== '';
}

/** Whether `value` names one of core's timing profiles. */
export function isProfile(value: unknown): value is Profile {
  return typeof value === 'string' && Object.hasOwn(PROFILES, value);
}
