import { type NodeId, parseNodeId } from '@shoal/core';
import { UdpTransport, type UdpTransportOptions } from '../../src/index.js';

let counter = 0;

/** A fresh NodeId unique within the test run. */
export function nodeId(label = 'node'): NodeId {
  counter++;
  return parseNodeId(`${label}-${process.pid}-${counter}`);
}

/** A group and port unlikely to collide with other test runs on this host. */
export function uniqueMulticast(): { group: string; port: number; interface: string } {
  const octet = 1 + Math.floor(Math.random() * 250);
  return {
    group: `239.255.78.${octet}`,
    port: 40_000 + Math.floor(Math.random() * 20_000),
    interface: '127.0.0.1',
  };
}

/** A loopback-only transport without multicast: the baseline for unicast tests. */
export function openLoopback(options: Partial<UdpTransportOptions> = {}): Promise<UdpTransport> {
  return UdpTransport.open({
    nodeId: nodeId(),
    host: '127.0.0.1',
    interface: '127.0.0.1',
    multicast: false,
    ...options,
  });
}
