/**
 * One demo node as its own process: a UDP transport on 127.0.0.1, an LMDB store in `--data-dir`,
 * the invite's secret. Started by {@link NodeSupervisor} with an IPC channel; it reports its
 * {@link NodeStatus} to the parent every `--report-ms` and obeys {@link ParentMessage}s. When
 * the parent goes away (the IPC channel closes, however it died) it shuts down, so a node is
 * never orphaned.
 */
import { parseArgs } from 'node:util';
import { serveObservability } from '@shoal/observe';
import { DemoWriter } from './demo-writer.js';
import type { ChildMessage, ParentMessage } from './ipc-messages.js';
import { nodeStatus } from './node-status.js';
import { SoakWriter } from './soak-writer.js';
import { startUdpNode } from './udp-node.js';

const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    id: { type: 'string' },
    secret: { type: 'string' },
    'multicast-port': { type: 'string' },
    'data-dir': { type: 'string' },
    'write-ms': { type: 'string', default: '500' },
    'report-ms': { type: 'string', default: '250' },
    /** Soak mode: write unique keys and entries, and acknowledge each once durable. */
    soak: { type: 'boolean', default: false },
    /** Through the soak's relay: the port to bind, the face to advertise, the others' faces. */
    port: { type: 'string' },
    advertise: { type: 'string' },
    bootstrap: { type: 'string', multiple: true },
    /** The address to bind (a soak's namespace host); default 127.0.0.1. */
    host: { type: 'string' },
    /** Serve this node's dashboard and metrics on 127.0.0.1 at this port. */
    'http-port': { type: 'string' },
  },
});

function send(message: ChildMessage): void {
  if (process.connected) process.send?.(message);
}

function required(name: string, value: string | undefined): string {
  if (value === undefined) {
    send({ type: 'fatal', message: `node-process needs --${name}` });
    process.exit(2);
  }
  return value;
}

const name = required('name', values.name);
let skewMs = 0;
const { node, transport } = await startUdpNode({
  clockSkew: () => skewMs,
  ...(values.host === undefined ? {} : { host: values.host }),
  ...(values.port === undefined
    ? {}
    : {
        relay: {
          port: Number(values.port),
          advertise: required('advertise', values.advertise),
          bootstrap: values.bootstrap ?? [],
        },
      }),
  id: required('id', values.id),
  secret: required('secret', values.secret),
  multicastPort: Number(required('multicast-port', values['multicast-port'])),
  ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
});
const dashboard =
  values['http-port'] === undefined
    ? undefined
    : await serveObservability(node, { port: Number(values['http-port']) });
const channel = await node.channel('demo');
const map = channel.map('sensors');
const stream = channel.stream('chat');
const writer = values.soak
  ? new SoakWriter(
      name,
      map,
      stream,
      (key, seq) => send({ type: 'ack', key, ...(seq === undefined ? {} : { seq }) }),
      (key) => send({ type: 'refused', key }),
    )
  : new DemoWriter(name, map, stream);

let writing = true;
let lastCount = 0;
let lastTime = performance.now();

function fail(error: unknown): never {
  send({ type: 'fatal', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}

const writeTimer = setInterval(() => {
  if (writing) writer.tick().catch(fail);
}, Number(values['write-ms']));

const reportTimer = setInterval(() => {
  const stats = transport.stats();
  const count = stats.datagramsSent + stats.datagramsReceived;
  const now = performance.now();
  const rate = ((count - lastCount) * 1000) / Math.max(1, now - lastTime);
  lastCount = count;
  lastTime = now;
  const rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
  // Only once writes stop: it plans a delta per peer, work the soak's settling needs and no other.
  const peers = writing ? [] : channel.syncStatus();
  const synced = writing
    ? {}
    : {
        synced:
          peers.length > 0 && peers.every((peer) => peer.inSync) && node.resourceUsage().pendingWrites === 0,
      };
  send({ type: 'status', status: { ...nodeStatus(node, map, stream, rate), rssMiB, ...synced } });
}, Number(values['report-ms']));

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(writeTimer);
  clearInterval(reportTimer);
  await dashboard?.close();
  await node.dispose();
  // Exit explicitly: the node is durable and gone, and nothing else should keep this process up.
  process.exit(0);
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'writes') writing = message.enabled;
  else if (message.type === 'skew') skewMs = message.ms;
  else if (message.type === 'stop') shutdown().catch(fail);
  else if (message.type === 'dump')
    send({
      type: 'state',
      keys: [...map.keys()],
      entries: stream
        .getAll()
        .map((entry) => `${entry.author}#${entry.seq}=${new TextDecoder().decode(entry.payload)}`),
      diagnosis: {
        dropped: { ...node.health().sealing.dropped },
        errors: node.health().errors,
        // Whether sync sees a difference with each peer: "in sync" beside a missing write means
        // a synced clock or summary vouches for what this replica lacks.
        sync: channel.syncStatus().map((peer) => ({
          peer: peer.peer,
          theyLack: peer.theyLack,
          weLackEntries: peer.weLackEntries,
          weLackWriters: peer.weLackWriters,
          inSync: peer.inSync,
        })),
      },
    });
});
process.on('disconnect', () => {
  shutdown().catch(fail);
});
process.on('SIGTERM', () => {
  shutdown().catch(fail);
});
