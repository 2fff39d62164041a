/**
 * @shoal/testkit: test-only helpers shared by every Shoal package: port conformance suites,
 * a seeded random source, manual timers and fast-check replay parameters.
 *
 * @packageDocumentation
 */

export { SeededRandom } from '@shoal/core';
export { settleMicrotasks } from '@shoal/transport-memory';
export { type AeadConformanceOptions, type AeadSetup, describeAeadConformance } from './aead-conformance.js';
export {
  type CompressionConformanceOptions,
  type CompressionSetup,
  describeCompressionConformance,
} from './compression-conformance.js';
export { fcParams, simulationSeed } from './fc-params.js';
export {
  describeKeyValueStoreConformance,
  type KeyValueStoreConformanceOptions,
  type KeyValueStoreHarness,
  type KeyValueStoreSetup,
} from './key-value-store-conformance.js';
export { DEFAULT_EPOCH, ManualTimers, type ManualTimersOptions } from './manual-timers.js';
export {
  type ConformancePeer,
  describeMessagePortConformance,
  type MessagePortConformanceOptions,
  type MessagePortFixture,
} from './message-port-conformance.js';
export {
  describeSha256Conformance,
  type Sha256ConformanceOptions,
  type Sha256Setup,
} from './sha256-conformance.js';
export {
  describeSignerConformance,
  type SignerConformanceOptions,
  type SignerSetup,
} from './signer-conformance.js';
export {
  describeTimerPortConformance,
  type TimerPortConformanceOptions,
  type TimerPortHarness,
  type TimerPortSetup,
} from './timer-port-conformance.js';
export { settle, waitFor } from './wait-for.js';
