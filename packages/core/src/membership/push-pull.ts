import type { NodeId } from '../ids/node-id.js';
import { type RandomPort, sample } from '../ports/random-port.js';
import { ByteWriter } from '../wire/byte-writer.js';
import type { MemberInfo, MemberUpdate } from './member-state.js';
import { writeMemberInfo } from './messages.js';

/** Bytes a push-pull body spends besides its member entries: version, type, flags, count. */
const PUSH_PULL_OVERHEAD = 8;

/**
 * The member list of a push-pull body (memberlist's push/pull state sync): `own` first, then
 * `others` in random order while their encoded entries fit in `maxBytes`. A sample rather than a
 * prefix, so repeated exchanges eventually cover a group too large for one message.
 */
export function selectPushPullMembers(
  own: MemberInfo,
  others: readonly MemberInfo[],
  random: RandomPort,
  maxBytes: number,
): MemberInfo[] {
  const chosen: MemberInfo[] = [own];
  const budget = maxBytes - PUSH_PULL_OVERHEAD;
  let size = 0;
  for (const member of sample(random, others, others.length)) {
    const entry = new ByteWriter();
    writeMemberInfo(entry, member);
    if (size + entry.length > budget) continue;
    size += entry.length;
    chosen.push(member);
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
