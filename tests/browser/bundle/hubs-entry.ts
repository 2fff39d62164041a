import { openBrowserNode } from '@shoal/browser';
import type { Coordinator } from '@shoal/core';
import { CHANNEL, MAP, type ReplicaState, readReplica, STREAM } from './replica-state.js';

// The page app of hubs-failover.test.ts, bundled by esbuild: one node from openBrowserNode
// joining through WebSocket hubs, configured by the query string (?db=…&hubs=url,url&secret=…).
// It shows its state on the page (for people and the screenshot) and installs `window.shoal`.

const query = new URLSearchParams(location.search);
const dbName = query.get('db') ?? 'shoal';
const hubs = (query.get('hubs') ?? '').split(',').filter((url) => url !== '');
const secret = query.get('secret') ?? undefined;

// Which hub the node is connected to: the WsClient holds one socket at a time, so the last
// socket that opened and has not closed is it. A subclass of the page's own WebSocket, installed
// before openBrowserNode constructs its client (which takes globalThis.WebSocket then).
let connectedHub: string | undefined;
const PageWebSocket = globalThis.WebSocket;
globalThis.WebSocket = class TrackedWebSocket extends PageWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    const requested = String(url); // as given in `hubs` (the socket's own `url` is normalized)
    this.addEventListener('open', () => {
      connectedHub = requested;
      render();
    });
    this.addEventListener('close', () => {
      if (connectedHub === requested) connectedHub = undefined;
      render();
    });
  }
};

const view = document.createElement('pre');
view.style.whiteSpace = 'pre-wrap';
document.body.append(view);
let node: Coordinator | undefined;
let queued = false;
/** Shows the node, its hub, and the channel's keys and latest messages (once per frame at most). */
function render(): void {
  // Sockets open while openBrowserNode runs, before there is a node to read.
  if (queued || node === undefined) return;
  queued = true;
  const shown = node;
  requestAnimationFrame(() => {
    queued = false;
    void readReplica(shown).then((state) => {
      const latest = shown.channel(CHANNEL).then((open) => open.stream(STREAM).getAll().slice(-8));
      void latest.then((entries) => {
        view.textContent = [
          `Shoal in Chromium: node ${shown.id.slice(0, 8)}, IndexedDB "${dbName}"`,
          `connected hub: ${connectedHub ?? '(none)'}`,
          '',
          `map "${MAP}": ${state.keys.length} keys`,
          state.keys.join('  '),
          '',
          `stream "${STREAM}": ${state.messages.length} messages, latest:`,
          ...entries.map(
            (entry) =>
              `  ${entry.author.slice(0, 8)} #${entry.seq}: ${new TextDecoder().decode(entry.payload)}`,
          ),
        ].join('\n');
      });
    });
  });
}

const startedAt = performance.now();
node = await openBrowserNode({ dbName, hubs, ...(secret === undefined ? {} : { secret }) });
// Read right after opening: the channel loads from IndexedDB when first opened. The test opens
// the page with a dead hub URL to be sure no network was involved (`connected` says).
const channel = await node.channel(CHANNEL);
const map = channel.map(MAP);
const stream = channel.stream(STREAM);
const loaded = await readReplica(node);
const loadedWhileConnected = connectedHub !== undefined;
map.on('change', render);
stream.on('entry', render);
render();

const channelNode = node;
/** What the Node-side test calls through `page.evaluate`. */
const shoal = {
  id: node.id,
  hub: (): string | undefined => connectedHub,
  /** The state read from IndexedDB right after opening, and whether a hub was connected then. */
  loaded: (): { state: ReplicaState; connected: boolean; ms: number } => ({
    state: loaded,
    connected: loadedWhileConnected,
    ms: performance.now() - startedAt,
  }),
  state: (): Promise<ReplicaState> => readReplica(channelNode),
  /** Writes `name` as a map key and as a stream message. */
  write: async (name: string): Promise<void> => {
    await Promise.all([map.set(name, { by: dbName }), stream.append(new TextEncoder().encode(name))]);
  },
  dispose: (): Promise<void> => node.dispose(),
};
Object.assign(globalThis, { shoal });
