import { createSocket, type Socket } from 'node:dgram';
import type { RandomPort } from '@shoal/core';
import { loopbackHosts, type SoakHosts } from './soak-hosts.js';

/** What the relay did with the datagrams it was handed. */
export interface RelayStats {
  forwarded: number;
  /** Dropped by a partition or by loss. */
  dropped: number;
  duplicated: number;
  /** Captured datagrams sent again later (replays). */
  replayed: number;
}

/** Datagrams kept for replay (the most recent ones). */
const CAPTURE = 2048;

/** A datagram the relay forwarded from node `from` to node `to`. */
export interface Captured {
  readonly from: number;
  readonly to: number;
  readonly bytes: Buffer;
}

/**
 * A userspace UDP relay between the soak's nodes (on loopback, or on the address every namespace
 * host reaches, see {@link SoakHosts}): node i is reached at its face
 * (a socket of the relay) and the relay forwards what reaches face j from node i to node j,
 * sending it from face i. Every datagram between nodes crosses it, so the nemesis can partition
 * the nodes, lose, duplicate and delay datagrams, and replay captured ones, without root,
 * nftables or a kernel qdisc, and without touching any traffic but the soak's. Nodes advertise
 * their face (`UdpTransportOptions.advertise`) so membership gossips it, never their real port.
 */
export class ChaosRelay {
  readonly #faces: Socket[];
  readonly #nodePorts: number[];
  readonly #host: string;
  readonly #nodeHost: (i: number) => string;
  readonly #random: RandomPort;
  readonly #captured: Captured[] = [];
  #group: number[] | undefined;
  #loss = 0;
  #duplication = 0;
  #delayMs = 0;
  #closed = false;
  readonly stats: RelayStats = { forwarded: 0, dropped: 0, duplicated: 0, replayed: 0 };

  private constructor(
    faces: Socket[],
    nodePorts: number[],
    random: RandomPort,
    hosts: Pick<SoakHosts, 'relayHost' | 'nodeHost'>,
  ) {
    this.#faces = faces;
    this.#nodePorts = nodePorts;
    this.#host = hosts.relayHost;
    this.#nodeHost = hosts.nodeHost;
    this.#random = random;
    faces.forEach((face, to) => {
      face.on('message', (bytes, from) => this.#receive(to, bytes, from.port));
    });
  }

  /**
   * Opens one face per node on `hosts.relayHost` (default loopback), then picks the port each
   * node is to bind on its host (free here, and none of the faces: those are bound first; a
   * namespace host has every port free).
   */
  static async open(
    count: number,
    random: RandomPort,
    hosts: Pick<SoakHosts, 'relayHost' | 'nodeHost'> = loopbackHosts(),
  ): Promise<ChaosRelay> {
    const faces = await bindSockets(count, hosts.relayHost);
    const probes = await bindSockets(count, '127.0.0.1');
    const nodePorts = probes.map((socket) => socket.address().port);
    await Promise.all(probes.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
    return new ChaosRelay(faces, nodePorts, random, hosts);
  }

  /** The port node i binds (free when the relay opened). */
  port(i: number): number {
    return this.#nodePorts[i] as number;
  }

  /** `host:port` of node i's face: where the others reach it, and what it advertises. */
  face(i: number): string {
    return `${this.#host}:${(this.#faces[i] as Socket).address().port}`;
  }

  /** Splits the nodes in two: `side` and the rest; nothing crosses until {@link heal}. */
  partition(side: readonly number[]): void {
    this.#group = this.#nodePorts.map((_, i) => (side.includes(i) ? 0 : 1));
  }

  heal(): void {
    this.#group = undefined;
  }

  /** Probability in [0, 1) that a datagram is lost, duplicated; and a delay added to each. */
  degrade(options: { loss?: number; duplication?: number; delayMs?: number }): void {
    this.#loss = options.loss ?? 0;
    this.#duplication = options.duplication ?? 0;
    this.#delayMs = options.delayMs ?? 0;
  }

  /** Sends `count` captured datagrams again, as they were (a replay attack). Returns how many. */
  replay(count: number): number {
    let sent = 0;
    for (let i = 0; i < count && this.#captured.length > 0; i++) {
      const pick = this.#captured[Math.floor(this.#random.next() * this.#captured.length)] as Captured;
      this.#send(pick.from, pick.to, pick.bytes);
      sent++;
    }
    this.stats.replayed += sent;
    return sent;
  }

  /** The captured datagrams addressed to node i, oldest first (to replay after it restarted). */
  capturedTo(i: number): readonly Captured[] {
    return this.#captured.filter((captured) => captured.to === i);
  }

  /** Sends `datagrams` (from {@link capturedTo}) again, as they were. Counted as replayed. */
  resend(datagrams: readonly Captured[]): void {
    for (const { from, to, bytes } of datagrams) this.#send(from, to, bytes);
    this.stats.replayed += datagrams.length;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#faces.map((face) => new Promise<void>((resolve) => face.close(() => resolve()))));
  }

  #receive(to: number, bytes: Buffer, fromPort: number): void {
    const from = this.#nodePorts.indexOf(fromPort);
    if (from === -1 || from === to) return; // not one of ours
    if (this.#group !== undefined && this.#group[from] !== this.#group[to]) {
      this.stats.dropped++;
      return;
    }
    if (this.#random.next() < this.#loss) {
      this.stats.dropped++;
      return;
    }
    this.#captured.push({ from, to, bytes });
    if (this.#captured.length > CAPTURE) this.#captured.shift();
    const copies = this.#random.next() < this.#duplication ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let copy = 0; copy < copies; copy++) {
      if (this.#delayMs === 0) this.#send(from, to, bytes);
      else setTimeout(() => this.#send(from, to, bytes), this.#delayMs * (0.5 + this.#random.next()));
    }
    this.stats.forwarded++;
  }

  #send(from: number, to: number, bytes: Buffer): void {
    if (this.#closed) return;
    (this.#faces[from] as Socket).send(bytes, this.#nodePorts[to] as number, this.#nodeHost(to), () => {});
  }
}

function bindSockets(count: number, host: string): Promise<Socket[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = createSocket('udp4');
          socket.once('error', reject);
          socket.bind(0, host, () => resolve(socket));
        }),
    ),
  );
}
