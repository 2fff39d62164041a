/**
 * The one part of core's storage layout the bench needs and `@shoal/core` does not export: where
 * a node keeps its identity key. The bench's wiretap reads it to open pair-sealed traffic
 * (an app never does; core keeps its layout internal). Reached by path from this one file, so a
 * change to core's layout breaks the bench's typecheck here rather than anywhere else.
 */

/** A stream's log, for timing its chain hashing with each SHA-256 port (`chain-hash.ts`). */
export { EventLog } from '../../../packages/core/src/crdt/event-log.js';
export { nodeMetaKey } from '../../../packages/core/src/persistence/storage-keys.js';
