/**
 * One Shoal node inside a netlab namespace (`netlab.sh exec I node --conditions=@shoal/source
 * --import tsx tests/netlab/node-main.ts --index I --secret … --data-dir …`).
 *
 * It binds its unicast socket to 10.77.0.I, joins the multicast group on that interface (the
 * group port is fixed: every namespace has its own stack, so nothing collides and nothing leaves
 * the lab), writes `--keys` keys and `--appends` stream entries, and prints one JSON status line
 * to stdout every `--report-ms`. It obeys JSON commands on stdin, one per line:
 *   {"cmd":"set","key":"k","value":"v"}      {"cmd":"setBig","key":"k","bytes":20000}
 *   {"cmd":"append","text":"t"}               {"cmd":"stop"}
 * and exits when stdin closes (its parent went away), so it is never orphaned. With `--hubs N`
 * it is a WebSocket hub instead (no UDP) on 10.77.0.I:8080, meshed with the hubs on hosts 1..N.
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { DROP_REASONS } from '@shoal/core';
import { openNode } from '@shoal/node';

export const MULTICAST_GROUP = '239.255.77.77';
export const MULTICAST_PORT = 47477;
export const HUB_PORT = 8080;

const { values } = parseArgs({
  options: {
    index: { type: 'string' },
    secret: { type: 'string' },
    'data-dir': { type: 'string' },
    keys: { type: 'string', default: '3' },
    appends: { type: 'string', default: '2' },
    'big-bytes': { type: 'string', default: '0' },
    'report-ms': { type: 'string', default: '250' },
    'announce-ms': { type: 'string', default: '250' },
    /** Run as a WebSocket hub on port 8080 (no UDP), meshed with the hubs on hosts 1..N. */
    hubs: { type: 'string' },
  },
});

function out(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function fatal(error: unknown): never {
  out({ type: 'fatal', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}

const index = Number(values.index);
if (!Number.isInteger(index) || index < 1 || index > 50) fatal(new Error('--index must be 1..50'));
if (values.secret === undefined) fatal(new Error('--secret is required'));
const address = `10.77.0.${index}`;

const hubCount = values.hubs === undefined ? 0 : Number(values.hubs);
const node = await openNode({
  ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
  secret: values.secret,
  ...(hubCount > 0
    ? {
        udp: false as const,
        ws: { listen: HUB_PORT, host: address },
        hubs: Array.from({ length: hubCount }, (_, i) => `ws://10.77.0.${i + 1}:${HUB_PORT}`),
      }
    : {
        udp: {
          host: address,
          interface: address,
          multicast: { group: MULTICAST_GROUP, port: MULTICAST_PORT, interface: address },
          announceIntervalMs: Number(values['announce-ms']),
        },
      }),
}).catch(fatal);

const channel = await node.channel('lab');
const map = channel.map('kv');
const stream = channel.stream('events');
const encoder = new TextEncoder();

function digest(): string {
  const hash = createHash('sha256');
  for (const [key, value] of [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    hash.update(JSON.stringify([key, value]));
  }
  for (const entry of stream.getAll()) hash.update(`|${entry.author}#${entry.seq}`);
  return hash.digest('hex').slice(0, 12);
}

function bigValue(key: string, bytes: number): string {
  // Deterministic and incompressible-looking, so the size on the wire is really `bytes`.
  let text = '';
  for (let i = 0; text.length < bytes; i++) text += createHash('sha256').update(`${key}/${i}`).digest('hex');
  return text.slice(0, bytes);
}

const writes: Promise<unknown>[] = [];
for (let i = 0; i < Number(values.keys); i++) writes.push(map.set(`n${index}/k${i}`, `v${i}@n${index}`));
for (let i = 0; i < Number(values.appends); i++) writes.push(stream.append(encoder.encode(`n${index}#${i}`)));
const big = Number(values['big-bytes']);
if (big > 0) writes.push(map.set(`n${index}/big`, bigValue(`n${index}/big`, big)));
await Promise.all(writes).catch(fatal);

function report(): void {
  const health = node.health();
  const members = node.members().map((member) => ({ id: member.id, state: member.state }));
  const keys = [...map.keys()].sort();
  out({
    type: 'status',
    index,
    id: node.id,
    time: Date.now(),
    alive: members.filter((member) => member.state === 'alive' && member.id !== node.id).map((m) => m.id),
    members,
    digest: digest(),
    keys,
    keyCount: map.size,
    streamLength: stream.size,
    big: Object.fromEntries(
      keys.filter((key) => key.endsWith('/big')).map((key) => [key, String(map.get(key)).length]),
    ),
    dropped: Object.fromEntries(DROP_REASONS.map((reason) => [reason, health.sealing.dropped[reason]])),
    opened: health.sealing.opened,
    badMessages: health.badMessages,
    errors: health.errors,
    healthy: health.healthy,
  });
}
report();
const timer = setInterval(report, Number(values['report-ms']));

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  await node.dispose();
  process.exit(0);
}

const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  let command: { cmd?: string; key?: string; value?: string; bytes?: number; text?: string };
  try {
    command = JSON.parse(line);
  } catch {
    return out({ type: 'error', message: `not JSON: ${line}` });
  }
  const done = (what: Promise<unknown>) =>
    what.then(
      () => out({ type: 'ack', cmd: command.cmd, key: command.key }),
      (error) => out({ type: 'error', message: String(error) }),
    );
  if (command.cmd === 'set' && command.key !== undefined) done(map.set(command.key, command.value ?? ''));
  else if (command.cmd === 'setBig' && command.key !== undefined)
    done(map.set(command.key, bigValue(command.key, command.bytes ?? 20_000)));
  else if (command.cmd === 'append') done(stream.append(encoder.encode(command.text ?? '')));
  else if (command.cmd === 'stop') stop().catch(fatal);
  else out({ type: 'error', message: `unknown command: ${line}` });
});
input.on('close', () => {
  stop().catch(fatal);
});
process.on('SIGTERM', () => {
  stop().catch(fatal);
});
