/**
 * The one part of core's storage layout the bench needs and `@shoal/core` does not export: where
 * a node keeps its identity key. The bench's wiretap reads it to open pair-sealed traffic
 * (an app never does; core keeps its layout internal). Reached by path from this one file, so a
 * change to core's layout breaks the bench's typecheck here rather than anywhere else.
 */
export { nodeMetaKey } from '../../../packages/core/src/persistence/storage-keys.js';
