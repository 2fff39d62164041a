import { ManualTimers } from './manual-timers.js';
import { describeTimerPortConformance } from './timer-port-conformance.js';

describeTimerPortConformance('ManualTimers', () => {
  const timers = new ManualTimers();
  return {
    timers,
    elapse: async (ms) => {
      await timers.advanceAsync(ms);
    },
  };
});
