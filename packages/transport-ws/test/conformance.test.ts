import { describeMessagePortConformance } from '@shoal/testkit';
import { boundClients, openHub, vouchEverything } from './support/loopback.js';
import { quiesce } from './support/quiesce.js';

// The hub as a port: it reaches its clients directly, and the clients reach each other through it.
describeMessagePortConformance('WsHub (hub side)', async () => {
  const hub = await openHub();
  vouchEverything(hub);
  const clients = await boundClients(hub, 2);
  const [one, two] = clients.map((client) => ({ id: client.nodeId, port: client }));
  return {
    peers: [{ id: hub.nodeId, port: hub }, one!, two!],
    deliver: () => quiesce([hub], clients),
    teardown: async () => {
      await Promise.all(clients.map((client) => client.close()));
      await hub.close();
    },
  };
});

describeMessagePortConformance('WsClient (client side, relayed by a hub)', async () => {
  const hub = await openHub();
  vouchEverything(hub);
  const clients = await boundClients(hub, 3);
  const [a, b, c] = clients.map((client) => ({ id: client.nodeId, port: client }));
  return {
    peers: [a!, b!, c!],
    deliver: () => quiesce([hub], clients),
    teardown: async () => {
      await Promise.all(clients.map((client) => client.close()));
      await hub.close();
    },
  };
});

describeMessagePortConformance('WsClient (through a blind relay)', async () => {
  const relay = await openHub({ blind: true });
  const clients = await boundClients(relay, 3);
  const [a, b, c] = clients.map((client) => ({ id: client.nodeId, port: client }));
  return {
    peers: [a!, b!, c!],
    deliver: () => quiesce([relay], clients),
    teardown: async () => {
      await Promise.all(clients.map((client) => client.close()));
      await relay.close();
    },
  };
});
