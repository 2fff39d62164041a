import { Coordinator, generateSecret } from '@shoal/core';
import { waitFor } from '@shoal/testkit';
import { expect, it } from 'vitest';
import { NodeWebSocket, systemTimers, WsClient, WsHub } from '../src/index.js';

// The README's example, on 127.0.0.1 and ephemeral ports instead of 8080/8081.
it('runs the README example', async () => {
  const secret = generateSecret();
  let hubPort: WsHub | undefined;
  const hub = await Coordinator.create({
    port: async (nodeId) => {
      hubPort = await WsHub.open({ nodeId, port: 0, host: '127.0.0.1' });
      return hubPort;
    },
    timers: systemTimers,
    secret,
    config: { joinChannelsOnDemand: true },
  });
  await hub.start();

  const client = await Coordinator.create({
    port: (nodeId) =>
      new WsClient({ nodeId, hubs: [`ws://127.0.0.1:${hubPort?.port}`], WebSocket: NodeWebSocket }),
    timers: systemTimers,
    secret,
    membership: { leaf: true },
  });
  await client.start();
  await (await client.channel('home')).map('settings').set('lights', 'on');

  const relay = await WsHub.open({ nodeId: 'relay-1', port: 0, host: '127.0.0.1', blind: true });

  // The hub opened 'home' for its client on its own.
  await waitFor(() => hub.resourceUsage().keys === 1, 'the write to reach the hub');
  const onHub = (await hub.channel('home')).map('settings');
  expect(onHub.get('lights')).toBe('on');
  expect(hub.members().map((member) => member.id)).toEqual([hub.id]);
  await Promise.all([client.dispose(), hub.dispose(), relay.close()]);
});
