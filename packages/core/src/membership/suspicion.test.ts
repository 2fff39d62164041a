import { ManualTimers } from '@shoal/testkit';
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { Suspicion, suspicionBounds } from './suspicion.js';

const id = (s: string) => s as NodeId;

describe('suspicionBounds', () => {
  it('is suspicionMult · max(1, log10 N) · probeInterval, and β times that', () => {
    expect(suspicionBounds(5, 1000, 4, 6)).toEqual({ min: 4000, max: 24_000 });
    const hundred = suspicionBounds(100, 200, 4, 6);
    expect(hundred.min).toBeCloseTo(1600);
    expect(hundred.max).toBeCloseTo(9600);
  });
});

describe('Suspicion (Lifeguard §4.2)', () => {
  function start(k: number) {
    const timers = new ManualTimers();
    let fired = 0;
    const suspicion = new Suspicion({
      timers,
      from: id('a'),
      k,
      min: 1000,
      max: 6000,
      onTimeout: () => fired++,
    });
    return { timers, suspicion, fired: () => fired };
  }

  it('fires at the maximum timeout without confirmations', () => {
    const { timers, fired } = start(3);
    timers.advance(5999);
    expect(fired()).toBe(0);
    timers.advance(1);
    expect(fired()).toBe(1);
  });

  it('shrinks logarithmically with each independent confirmation, to the minimum at k', () => {
    const { suspicion } = start(3);
    expect(suspicion.timeout).toBe(6000);
    expect(suspicion.confirm(id('b'))).toBe(true);
    expect(suspicion.timeout).toBe(Math.floor(6000 - 5000 * (Math.log(2) / Math.log(4))));
    expect(suspicion.confirm(id('b'))).toBe(false);
    expect(suspicion.confirm(id('a'))).toBe(false);
    suspicion.confirm(id('c'));
    suspicion.confirm(id('d'));
    expect(suspicion.timeout).toBe(1000);
    expect(suspicion.confirm(id('e'))).toBe(false);
  });

  it('fires at once when confirmations arrive after the shrunken timeout already passed', () => {
    const { timers, suspicion, fired } = start(1);
    timers.advance(2000);
    suspicion.confirm(id('b'));
    timers.advance(0);
    expect(fired()).toBe(1);
  });

  it('uses the minimum when no confirmations are expected, and never fires once cancelled', () => {
    const { timers, suspicion, fired } = start(0);
    expect(suspicion.timeout).toBe(1000);
    timers.advance(999);
    suspicion.cancel();
    timers.advance(10_000);
    expect(fired()).toBe(0);
  });
});
