import { networkInterfaces } from 'node:os';

/**
 * The IPv4 address of the first non-internal interface, or `127.0.0.1` when the machine has
 * none (offline, container without network). Used as this node's reachable address when the
 * socket is bound to the wildcard address and the user named no interface.
 */
export function defaultInterfaceAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return '127.0.0.1';
}
