import { newcomer } from './newcomer.js';
import {
  firstContactManyWriters,
  reconcileAfterOverwrites,
  reconcileConcurrent,
  reconcileOneKey,
  reconcileOneKeyManyWriters,
  reconcileThousandKeys,
} from './reconcile-changes.js';
import { streamCatchUp } from './stream-catch-up.js';
import { streamMerge } from './stream-merge.js';
import type { Workload } from './workload.js';

/** Every workload, in table order. */
export const WORKLOADS: readonly Workload[] = [
  reconcileOneKey,
  reconcileOneKeyManyWriters,
  firstContactManyWriters,
  reconcileAfterOverwrites,
  reconcileThousandKeys,
  reconcileConcurrent,
  newcomer,
  streamCatchUp,
  streamMerge,
];
