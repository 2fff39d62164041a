/**
 * A UdpTransport in its own process, for the cross-process discovery test. Usage:
 * `child-node.ts <nodeId> <group> <port>`. It announces `hello`, answers each `hello` it hears
 * with a unicast `reply` to the announcement's source, and prints one JSON line per message
 * received. It exits when its stdin closes, so it never outlives the test.
 */
import { parseNodeId } from '@shoal/core';
import { UdpTransport } from '../../src/index.js';

const [id, group, port] = process.argv.slice(2);
const transport = await UdpTransport.open({
  nodeId: parseNodeId(id),
  host: '127.0.0.1',
  interface: '127.0.0.1',
  multicast: { group: group ?? '', port: Number(port), interface: '127.0.0.1' },
  announceIntervalMs: 200,
  announcement: new TextEncoder().encode('hello'),
});
transport.onMessage((from, bytes, source) => {
  const text = new TextDecoder().decode(bytes);
  if (text === 'hello') {
    transport.addPeerAddress(from, source);
    transport.send(from, new TextEncoder().encode('reply'));
  }
  process.stdout.write(`${JSON.stringify({ from, text })}\n`);
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void transport.close().then(() => process.exit(0));
});
