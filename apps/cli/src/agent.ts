import { chatWebRoutes, type Housekeeping, runHousekeeping } from '@shoal/chat';
import type { NodeEvent } from '@shoal/core';
import { type ObservabilityServer, serveObservability } from '@shoal/observe';
import { reportCatchUp } from './catch-up-progress.js';
import { lines } from './command-kit.js';
import { ControlServer } from './control-server.js';
import type { DataDir, NetworkConfig } from './data-dir.js';
import type { ListenAddress } from './listen-address.js';
import { formatAddress, NodeSession } from './node-session.js';
import { openDirNode } from './open-dir-node.js';
import type { Output } from './output.js';

/** How `shoal agent` runs beyond the data dir's settings. */
export interface AgentOptions {
  /** Network flags given on the command line; they win over the data dir's. */
  readonly overrides: NetworkConfig;
  /** Be a WebSocket hub listening here. */
  readonly wsListen?: ListenAddress;
  /** Serve metrics, probes and the dashboard here (host absent: 127.0.0.1). */
  readonly http?: ListenAddress;
  /** Bearer token for `http` (required beyond loopback). */
  readonly httpToken?: string;
  /** Also run chat: room housekeeping while this hub leads, the web client at `/chat/` of `http`. */
  readonly chat?: boolean;
  /** The hubs the chat web client is given besides this one, as browsers reach them. Default: the hubs. */
  readonly chatHubs?: readonly string[];
}

/**
 * `shoal agent`: runs the node of `dir` until SIGINT or SIGTERM. Opens every channel the data
 * dir has used, serves the control socket, and logs peer and membership events as they
 * happen (NDJSON with `--json`). On a signal it stops taking requests, leaves the cluster
 * gracefully (dispose announces the departure) and resolves.
 */
export async function runAgent(dir: DataDir, out: Output, options: AgentOptions): Promise<void> {
  const { overrides, wsListen } = options;
  const node = await openDirNode(dir, {
    online: true,
    overrides,
    ...(wsListen === undefined ? {} : { wsListen }),
    whenLocked: ' (another agent, a REPL or a command that opened it): one process at a time runs a data dir',
  });
  const session = new NodeSession(node, dir);
  let server: ControlServer | undefined;
  let dashboard: ObservabilityServer | undefined;
  let stopProgress: (() => void) | undefined;
  let housekeeping: Housekeeping | undefined;
  try {
    await session.openKnownChannels();
    const hubs = overrides.hubs ?? dir.readConfig().network.hubs ?? [];
    server = await ControlServer.listen(dir.socketPath, session);
    if (options.http !== undefined) {
      dashboard = await serveObservability(node, {
        host: options.http.host ?? '127.0.0.1',
        port: options.http.port,
        ...(options.httpToken === undefined ? {} : { token: options.httpToken }),
        formatAddress: formatAddress,
        ...(options.chat === true && wsListen !== undefined
          ? { app: chatWebRoutes({ wsPort: wsListen.port, hubs: options.chatHubs ?? hubs }) }
          : {}),
      });
    }
    const log = (event: AgentEvent) =>
      out.data({ at: new Date().toISOString(), ...event }, () => describe(event, out));
    node.events.subscribe(log);
    node.errors.subscribe((error) => log({ type: 'error', code: error.code, message: error.message }));
    out.data(
      {
        at: new Date().toISOString(),
        type: 'started',
        id: node.id,
        dir: dir.path,
        channels: session.knownChannels,
        ...(wsListen === undefined ? {} : { hub: wsListen }),
        ...(dashboard === undefined ? {} : { dashboard: dashboard.url }),
        ...(dashboard !== undefined && options.chat === true ? { chat: `${dashboard.url}chat/` } : {}),
      },
      () =>
        lines(
          `${out.style('bold', 'agent')} ${node.id} running on ${dir.path} (channels: ${session.knownChannels.join(', ') || 'none yet'}); Ctrl-C to leave`,
          wsListen === undefined
            ? undefined
            : `WebSocket hub listening on ${wsListen.host ?? 'every interface'}, port ${wsListen.port}`,
          dashboard === undefined
            ? undefined
            : `dashboard and metrics: ${dashboard.url} (/metrics, /healthz, /readyz)`,
          dashboard === undefined || options.chat !== true
            ? undefined
            : `chat web client: ${dashboard.url}chat/#<invite> (\`shoal invite\` prints it)`,
        ),
    );
    stopProgress = reportCatchUp(node, out);
    if (options.chat === true) {
      housekeeping = await runHousekeeping(node, {
        onLeadership: (leading, leader) => log({ type: 'chat-leader', leading, leader }),
      });
    }

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      // `on`, not `once`: repeated signals (the bin's wrapper forwards the terminal's Ctrl-C
      // that this process also got) must not kill it halfway through leaving.
      process.on('SIGINT', resolve);
      process.on('SIGTERM', resolve);
    });
    out.data(
      { at: new Date().toISOString(), type: 'leaving', signal },
      () => `${signal}: leaving the cluster…`,
    );
  } finally {
    stopProgress?.();
    housekeeping?.stop();
    await dashboard?.close();
    await server?.close();
    session.close();
    await node.dispose();
  }
}

/** What the agent logs: node events, errors, and the chat hub's leadership changes. */
type AgentEvent =
  | NodeEvent
  | { type: 'error'; code: string; message: string }
  | { type: 'chat-leader'; leading: boolean; leader: string };

function describe(event: AgentEvent, out: Output): string {
  const time = out.style('dim', new Date().toISOString().slice(11, 23));
  switch (event.type) {
    case 'state':
      return `${time} state ${event.state}`;
    case 'peer-up':
      return `${time} ${out.style('green', 'peer up')}    ${event.peer}`;
    case 'peer-down':
      return `${time} ${out.style('yellow', 'peer down')}  ${event.peer}`;
    case 'key-rotation':
      return `${time} ${out.style('cyan', 'key')}        ${event.keyId} ${event.change}`;
    case 'open-mode':
      return `${time} ${out.style('yellow', 'warning')} ${event.message}`;
    case 'chat-leader':
      return `${time} ${out.style('cyan', 'chat')}       ${event.leading ? 'this hub leads room housekeeping' : `${event.leader} leads room housekeeping`}`;
    case 'error':
      return `${time} ${out.style('red', 'error')} ${event.code} ${event.message}`;
    case 'dead':
    case 'suspect':
      return `${time} ${out.style('red', event.type.padEnd(10))} ${event.peer} (incarnation ${event.incarnation})`;
    default:
      return `${time} ${event.type.padEnd(10)} ${event.peer} (incarnation ${event.incarnation})`;
  }
}
