import { ManualTimers } from '@shoal/testkit';
import { describe, expect, it } from 'vitest';
import { Heartbeat } from '../src/index.js';

function setup() {
  const timers = new ManualTimers();
  const events: string[] = [];
  const heartbeat = new Heartbeat(timers, {
    ping: () => events.push(`ping@${timers.monotonic()}`),
    onDead: () => events.push(`dead@${timers.monotonic()}`),
  });
  return { timers, events, heartbeat };
}

describe('Heartbeat', () => {
  it('pings after 10 s of silence and declares the link dead after 25 s', () => {
    const { timers, events, heartbeat } = setup();
    heartbeat.start();
    timers.advance(9_999);
    expect(events).toEqual([]);
    timers.advance(60_000);
    expect(events).toEqual(['ping@10000', 'dead@25000']);
    expect(timers.pending).toBe(0);
  });

  it('counts any frame as alive: a link that keeps talking is never pinged', () => {
    const { timers, events, heartbeat } = setup();
    heartbeat.start();
    for (let i = 0; i < 20; i++) {
      timers.advance(6000);
      heartbeat.heard();
    }
    expect(events).toEqual([]);
  });

  it('measures silence from the last frame, and pings once per silence', () => {
    const { timers, events, heartbeat } = setup();
    heartbeat.start();
    timers.advance(9000);
    heartbeat.heard();
    timers.advance(12_000);
    expect(events).toEqual(['ping@19000']);
    heartbeat.heard(); // the pong, at 21 s
    timers.advance(35_000);
    expect(events).toEqual(['ping@19000', 'ping@31000', 'dead@46000']);
  });

  it('stops', () => {
    const { timers, events, heartbeat } = setup();
    heartbeat.start();
    heartbeat.stop();
    timers.advance(100_000);
    expect(events).toEqual([]);
  });
});
