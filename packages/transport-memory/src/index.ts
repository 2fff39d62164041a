/**
 * @shoal/transport-memory: a whole simulated network in one process, on virtual time, for
 * tests, simulations and demos. See {@link SimulatedNetwork}.
 *
 * @packageDocumentation
 */
export {
  DEFAULT_EPOCH,
  DEFAULT_MAX_MESSAGE_SIZE,
  type ErrorContext,
  type Latency,
  type SimulatedNetworkOptions,
} from './network-options.js';
export type { NetworkStats, NodeStats } from './network-stats.js';
export { settleMicrotasks } from './settle-microtasks.js';
export { type RunUntilOptions, SimulatedNetwork } from './simulated-network.js';
export type { SimulatedPort } from './simulated-port.js';
export type { DropReason, TraceEntry } from './trace-entry.js';
