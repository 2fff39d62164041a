/**
 * The client side of the y-websocket reference in hub.bench.ts: N WebsocketProviders on one
 * document, in their own process. Driven over IPC like clients.ts: `open`, `write` (client 0
 * sets a key; every other client records when it sees it), `traffic` (bytes through every
 * socket, latencies seen), `reconnected` (how long until every provider is connected again).
 */
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';

type Command =
  | { cmd: 'open'; url: string; count: number }
  | { cmd: 'write'; rounds: number }
  | { cmd: 'traffic' }
  | { cmd: 'reconnected'; since: number; timeoutMs: number }
  | { cmd: 'close' };

const now = () => performance.timeOrigin + performance.now();
const reply = (message: unknown) => process.send?.(message);
let bytes = 0;

/** The ws client, counting every frame's bytes both ways (what the idle figure measures). */
class CountingWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    this.on('message', (data: Buffer) => {
      bytes += data.length;
    });
  }

  override send(data: Parameters<WebSocket['send']>[0]): void {
    bytes += (data as Uint8Array).byteLength ?? 0;
    super.send(data);
  }
}

const providers: WebsocketProvider[] = [];
const latencies: number[] = [];

async function open(url: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(url, 'home', doc, {
      WebSocketPolyfill: CountingWebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
    });
    doc.getMap<number>('m').observe((event) => {
      if (event.transaction.local) return;
      for (const key of event.keysChanged) {
        const sentAt = doc.getMap<number>('m').get(key);
        if (typeof sentAt === 'number') latencies.push(now() - sentAt);
      }
    });
    providers.push(provider);
    if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  while (providers.some((provider) => !provider.synced)) await new Promise((r) => setTimeout(r, 50));
}

async function reconnected(since: number, timeoutMs: number): Promise<number[]> {
  const back = new Map<WebsocketProvider, number>();
  const deadline = now() + timeoutMs;
  // Wait until they noticed the outage, then until each is connected again.
  while (providers.some((provider) => provider.wsconnected) && now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  while (back.size < providers.length && now() < deadline) {
    for (const provider of providers)
      if (!back.has(provider) && provider.wsconnected) back.set(provider, now() - since);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return [...back.values()];
}

process.on('message', async (message: Command) => {
  switch (message.cmd) {
    case 'open':
      await open(message.url, message.count);
      reply({ ready: providers.length });
      return;
    case 'write': {
      latencies.length = 0;
      const writer = (providers[0] as WebsocketProvider).doc.getMap<number>('m');
      for (let round = 0; round < message.rounds; round++) {
        writer.set(`k${round}`, now());
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      reply({ ok: true });
      return;
    }
    case 'traffic':
      reply({ bytes, latencies: [...latencies] });
      return;
    case 'reconnected':
      reply({ delays: await reconnected(message.since, message.timeoutMs) });
      return;
    case 'close':
      for (const provider of providers) provider.destroy();
      reply({ closed: true });
      process.exit(0);
  }
});
reply({ started: true });
