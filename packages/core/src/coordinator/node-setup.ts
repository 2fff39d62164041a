import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { KeyValueStore } from '../ports/key-value-store.js';
import type { MessagePort } from '../ports/message-port.js';
import { nobleEd25519 } from '../ports/signer.js';
import { parseInvite } from '../security/invite-token.js';
import { Keyring } from '../security/keyring.js';
import { MemoryStore } from '../storage/memory-store.js';
import { type CoordinatorConfig, resolveConfig } from './config.js';
import { loadNodeMeta, type NodeMeta } from './node-meta.js';
import type { CoordinatorOptions, Secret } from './node-types.js';
import { PROFILES } from './profiles.js';

/** Everything a node is built from, once options are checked and storage is read. */
export interface NodeSetup {
  readonly config: CoordinatorConfig;
  readonly storage: KeyValueStore;
  readonly meta: NodeMeta;
  readonly ports: readonly MessagePort[];
  readonly keyring: Keyring | 'open';
}

/**
 * Checks `options`, resolves the config (profile, then `config`, then the invite's network),
 * loads or creates the node's identity (making the new boot epoch durable) and opens the ports
 * for its id. Throws {@link ShoalError} `INVALID_ARGUMENT` / `INVALID_ID` / `INVALID_SECRET` for
 * bad options, `CORRUPT_DATA` for unreadable storage.
 */
export async function setUpNode(options: CoordinatorOptions): Promise<NodeSetup> {
  if (options === null || typeof options !== 'object' || options.timers === undefined) {
    throw new ShoalError(
      ErrorCode.InvalidArgument,
      'creating a node needs options with a TimerPort `timers`',
    );
  }
  if (options.port !== undefined && options.ports !== undefined) {
    throw new ShoalError(ErrorCode.InvalidArgument, 'pass either `port` or `ports`, not both');
  }
  if (options.profile !== undefined && !Object.hasOwn(PROFILES, options.profile)) {
    throw new ShoalError(
      ErrorCode.InvalidArgument,
      `unknown profile ${JSON.stringify(options.profile)}: use 'lan', 'wan' or 'local'`,
    );
  }
  // An invite names its network; use it unless the config names one explicitly.
  const inviteNetwork =
    typeof options.secret === 'string' ? parseInvite(options.secret).networkId : undefined;
  const leaf = options.membership !== false && options.membership?.leaf === true;
  const config = resolveConfig({
    ...PROFILES[options.profile ?? 'lan'].sync,
    // A leaf hears of every change by its hub's push (SyncEngine: a node pushes to all the
    // non-members that follow a channel), so its own rounds only repair: once idle, a minute.
    ...(leaf ? { idleGossipInterval: LEAF_IDLE_GOSSIP_INTERVAL } : {}),
    ...options.config,
    ...(options.config?.network === undefined && inviteNetwork !== undefined
      ? { network: inviteNetwork }
      : {}),
  });
  const keyring = keyringFrom(options.secret, config.network);
  const storage = options.storage ?? new MemoryStore();
  const signer = options.signer ?? nobleEd25519;
  const meta = await loadNodeMeta(
    storage,
    options.id,
    (secretKey) => signer.publicKey(secretKey),
    options.newIdentity === true,
  );
  const sources = options.ports ?? (options.port === undefined ? [] : [options.port]);
  const ports = await Promise.all(
    sources.map((source) => (typeof source === 'function' ? source(meta.id) : source)),
  );
  return { config, storage, meta, ports, keyring };
}

/** The longest wait between a leaf's rounds of an idle channel, in ms, unless configured. */
export const LEAF_IDLE_GOSSIP_INTERVAL = 60_000;

function keyringFrom(secret: CoordinatorOptions['secret'], network: string): Keyring | 'open' {
  if (secret === undefined) return 'open';
  if (secret instanceof Keyring) return secret;
  const secrets: readonly Secret[] = Array.isArray(secret) ? secret : [secret as Secret];
  return new Keyring(
    network,
    secrets.map((each) => {
      if (typeof each !== 'string') return each;
      const invite = parseInvite(each);
      if (invite.networkId !== network) {
        throw new ShoalError(
          ErrorCode.InvalidSecret,
          `the invite is for network ${JSON.stringify(invite.networkId)}; set config.network to it`,
        );
      }
      return invite.secret;
    }),
  );
}
