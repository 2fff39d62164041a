import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { type MemberInfo, type MemberState, type MemberUpdate, overrides } from './member-state.js';

const node = 'x' as NodeId;
const from = 'y' as NodeId;
const member = (state: MemberState, incarnation: number): MemberInfo => ({ id: node, state, incarnation });
const update = (kind: MemberUpdate['kind'], incarnation: number): MemberUpdate =>
  kind === 'suspect' || kind === 'dead' ? { kind, node, incarnation, from } : { kind, node, incarnation };

describe('update precedence (SWIM §4.2)', () => {
  // [current state, update kind, incarnation of the update relative to current, overrides?]
  const table: [MemberState, MemberUpdate['kind'], number, boolean][] = [
    ['alive', 'alive', 0, false],
    ['alive', 'alive', 1, true],
    ['suspect', 'alive', 0, false],
    ['suspect', 'alive', 1, true],
    ['dead', 'alive', 1, true],
    ['left', 'alive', 1, true],
    ['alive', 'suspect', 0, true],
    ['alive', 'suspect', -1, false],
    ['suspect', 'suspect', 0, false],
    ['suspect', 'suspect', 1, true],
    ['dead', 'suspect', 5, false],
    ['left', 'suspect', 5, false],
    ['alive', 'dead', 0, true],
    ['suspect', 'dead', 0, true],
    ['dead', 'dead', 0, false],
    ['left', 'dead', 5, false],
    ['alive', 'left', 0, true],
    ['dead', 'left', 0, true],
    ['left', 'left', 0, false],
    ['alive', 'left', -1, false],
  ];
  it.each(table)('%s then %s(+%i) overrides: %s', (state, kind, delta, expected) => {
    expect(overrides(member(state, 5), update(kind, 5 + delta))).toBe(expected);
  });

  it('learns an unknown member only from an alive update', () => {
    expect(overrides(undefined, update('alive', 0))).toBe(true);
    for (const kind of ['suspect', 'dead', 'left'] as const)
      expect(overrides(undefined, update(kind, 9))).toBe(false);
  });
});
