import { describe, expect, it } from 'vitest';
import { Awareness } from './awareness.js';

describe('Awareness (Lifeguard §4.1 Local Health Multiplier)', () => {
  it('scales durations by score + 1 and saturates in [0, max)', () => {
    const awareness = new Awareness(8);
    expect(awareness.scale(200)).toBe(200);
    awareness.apply(3);
    expect(awareness.scale(200)).toBe(800);
    awareness.apply(100);
    expect(awareness.score).toBe(7);
    expect(awareness.scale(200)).toBe(1600);
    awareness.apply(-100);
    expect(awareness.score).toBe(0);
  });
});
