import { createInvite, generateSecret } from '@shoal/core';

/**
 * A fresh sealed network for one test: its own invite and its own multicast group port, so
 * tests running at once (or a demo running beside them) never hear each other.
 */
export function testNetwork(): { invite: string; multicastPort: number; runId: string } {
  return {
    invite: createInvite({ networkId: 'shoal-test', secret: generateSecret() }),
    multicastPort: 40_000 + Math.floor(Math.random() * 20_000),
    runId: Math.random().toString(16).slice(2, 8),
  };
}
