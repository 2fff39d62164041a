import type { NodeStatus } from './node-status.js';

/** The members `observer` believes in `states` (by id). */
function memberState(observer: NodeStatus, target: string): string | undefined {
  return observer.members.find((member) => member.id === target)?.state;
}

/** Whether every status sees every other node of `ids` alive. */
export function allSeeEachOther(statuses: readonly NodeStatus[], ids: readonly string[]): boolean {
  return statuses.every((status) =>
    ids.every((id) => id === status.id || memberState(status, id) === 'alive'),
  );
}

/** Whether every status sees `target` in one of `states`. */
export function allSee(statuses: readonly NodeStatus[], target: string, states: readonly string[]): boolean {
  return statuses.every((status) => states.includes(memberState(status, target) ?? 'unknown'));
}

/** Whether there are `count` statuses and all share one digest: identical replicas. */
export function converged(statuses: readonly NodeStatus[], count: number): boolean {
  return statuses.length === count && new Set(statuses.map((status) => status.digest)).size === 1;
}
