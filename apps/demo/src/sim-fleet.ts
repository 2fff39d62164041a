import { Coordinator, type SharedMap, type SharedStream } from '@shoal/core';
import type { SimulatedNetwork } from '@shoal/transport-memory';
import { DemoWriter } from './demo-writer.js';
import { type NodeStatus, nodeStatus } from './node-status.js';

/** One node of the simulated fleet. */
export interface SimNode {
  readonly name: string;
  readonly node: Coordinator;
  readonly map: SharedMap;
  readonly stream: SharedStream;
  readonly writer: DemoWriter;
  status: NodeStatus | undefined;
  lastCount: number;
}

/**
 * The demo fleet inside a {@link SimulatedNetwork}: nodes on virtual time, each writing on its
 * own virtual timer, with statuses refreshed from the network's per-node counters.
 */
export class SimFleet {
  readonly nodes: SimNode[] = [];
  writing = true;
  readonly #net: SimulatedNetwork;
  readonly #writeMs: number;

  private constructor(net: SimulatedNetwork, writeMs: number) {
    this.#net = net;
    this.#writeMs = writeMs;
  }

  /** Creates and starts `names.length` sealed nodes, each writing every `writeMs` of virtual time. */
  static async create(
    net: SimulatedNetwork,
    names: readonly string[],
    secret: string,
    writeMs = 500,
  ): Promise<SimFleet> {
    const fleet = new SimFleet(net, writeMs);
    for (const name of names) {
      const id = `node-${name.toLowerCase()}`;
      const node = await Coordinator.create({
        id,
        ...net.nodePorts(id),
        secret,
      });
      await node.start();
      const channel = await node.channel('demo');
      const map = channel.map('sensors');
      const stream = channel.stream('chat');
      const sim: SimNode = {
        name,
        node,
        map,
        stream,
        writer: new DemoWriter(name, map, stream),
        status: undefined,
        lastCount: 0,
      };
      fleet.nodes.push(sim);
      fleet.#schedule(sim);
    }
    return fleet;
  }

  /** Recomputes every status; `elapsedMs` of virtual time since the last refresh gives the rates. */
  refresh(elapsedMs: number): void {
    const stats = this.#net.stats().nodes;
    for (const sim of this.nodes) {
      const counters = stats.get(sim.node.id);
      const count = counters === undefined ? 0 : counters.sent + counters.delivered;
      const rate = ((count - sim.lastCount) * 1000) / Math.max(1, elapsedMs);
      sim.lastCount = count;
      sim.status = nodeStatus(sim.node, sim.map, sim.stream, rate);
    }
  }

  /** Disposes every node; the caller must keep running the network until it resolves (leaves gossip on virtual time). */
  dispose(): Promise<unknown> {
    return Promise.all(this.nodes.map((sim) => sim.node.dispose()));
  }

  #schedule(sim: SimNode): void {
    this.#net.timersFor(sim.node.id).setTimeout(() => {
      if (sim.node.state !== 'running') return;
      if (this.writing) sim.writer.tick().catch(() => {});
      this.#schedule(sim);
    }, this.#writeMs);
  }
}
