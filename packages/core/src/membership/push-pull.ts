import type { NodeId } from '../ids/node-id.js';
import { type RandomPort, randomInt } from '../ports/random-port.js';
import { ByteWriter } from '../wire/byte-writer.js';
import type { MemberInfo, MemberUpdate } from './member-state.js';
import { writeMemberInfo } from './messages.js';

/** Bytes a push-pull body spends besides its member entries: version, type, flags, count. */
const PUSH_PULL_OVERHEAD = 8;

/**
 * The member list of a push-pull body (memberlist's push/pull state sync): `own` first, then
 * `others` drawn at random while their encoded entries fit in `maxBytes`. A sample rather than a
 * prefix, so repeated exchanges eventually cover a group too large for one message. Drawing stops
 * at the first entry that does not fit (entries differ by a few bytes at most), so the cost
 * follows the budget, not the group: in a group of a thousand, encoding every member for every
 * push-pull was most of a join's work.
 */
export function selectPushPullMembers(
  own: MemberInfo,
  others: readonly MemberInfo[],
  random: RandomPort,
  maxBytes: number,
): MemberInfo[] {
  const chosen: MemberInfo[] = [own];
  const budget = maxBytes - PUSH_PULL_OVERHEAD;
  const pool = others.slice();
  const entry = new ByteWriter();
  let size = 0;
  while (pool.length > 0) {
    const index = randomInt(random, pool.length);
    const member = pool[index] as MemberInfo;
    const before = entry.length;
    writeMemberInfo(entry, member);
    size += entry.length - before;
    if (size > budget) break;
    chosen.push(member);
    pool[index] = pool[pool.length - 1] as MemberInfo;
    pool.pop();
  }
  return chosen;
}

/**
 * The updates a received push-pull list stands for (memberlist's mergeState): alive and left as
 * they are; suspect and **dead as suspect**, accused by the sender, so a live member that one side
 * wrongly buried gets the chance to refute instead of being buried everywhere.
 */
export function pushPullUpdates(from: NodeId, members: readonly MemberInfo[]): MemberUpdate[] {
  return members.map((member) => toUpdate(from, member));
}

function toUpdate(from: NodeId, member: MemberInfo): MemberUpdate {
  const { id: node, incarnation } = member;
  if (member.state === 'alive') {
    return member.address === undefined
      ? { kind: 'alive', node, incarnation }
      : { kind: 'alive', node, incarnation, address: member.address };
  }
  if (member.state === 'left') return { kind: 'left', node, incarnation };
  return { kind: 'suspect', node, incarnation, from };
}
