import { describe, expect, it } from 'vitest';
import { lanConfig, localConfig, wanConfig } from './config.js';

describe('membership config presets', () => {
  it("mirror memberlist's LAN, WAN and local defaults", () => {
    expect(lanConfig()).toMatchObject({ probeInterval: 1000, probeTimeout: 500, suspicionMult: 4 });
    expect(wanConfig()).toMatchObject({ probeInterval: 5000, probeTimeout: 3000, suspicionMult: 6 });
    expect(localConfig()).toMatchObject({ probeInterval: 1000, probeTimeout: 200, suspicionMult: 3 });
  });

  it('derives probe and leave timeouts from an overridden probe interval, unless they are overridden too', () => {
    expect(lanConfig({ probeInterval: 200 })).toMatchObject({ probeTimeout: 100 });
    expect(lanConfig({ probeInterval: 200, probeTimeout: 50 })).toMatchObject({ probeTimeout: 50 });
    expect(lanConfig({ suspicionMult: 5 })).toMatchObject({ suspicionMult: 5, probeInterval: 1000 });
  });

  it('refuses inconsistent or out-of-range knobs with INVALID_ARGUMENT', () => {
    for (const bad of [
      { probeTimeout: 1000 },
      { probeInterval: 0 },
      { indirectChecks: 1.5 },
      { jitter: 1 },
      { retransmitMult: 0 },
      { pushPullMaxBytes: 10 },
    ]) {
      expect(() => lanConfig(bad)).toThrow(
        expect.objectContaining({ name: 'ShoalError', code: 'INVALID_ARGUMENT' }),
      );
    }
  });
});
