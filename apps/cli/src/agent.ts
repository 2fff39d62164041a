import type { NodeEvent } from '@shoal/core';
import { ControlServer } from './control-server.js';
import type { DataDir, NetworkConfig } from './data-dir.js';
import { NodeSession } from './node-session.js';
import { openDirNode } from './open-dir-node.js';
import type { Output } from './output.js';

/**
 * `shoal agent`: runs the node of `dir` until SIGINT or SIGTERM. Opens every channel the data
 * dir has used, serves the control socket, and logs peer and membership events as they
 * happen (NDJSON with `--json`). On a signal it stops taking requests, leaves the cluster
 * gracefully (dispose announces the departure) and resolves.
 */
export async function runAgent(dir: DataDir, out: Output, overrides: NetworkConfig): Promise<void> {
  const node = await openDirNode(dir, { online: true, overrides });
  const session = new NodeSession(node, dir);
  let server: ControlServer | undefined;
  try {
    await session.openKnownChannels();
    server = await ControlServer.listen(dir.socketPath, session);
    const log = (event: NodeEvent | { type: 'error'; code: string; message: string }) =>
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
      },
      () =>
        `${out.style('bold', 'agent')} ${node.id} running on ${dir.path} (channels: ${session.knownChannels.join(', ') || 'none yet'}); Ctrl-C to leave`,
    );
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
    await server?.close();
    session.close();
    await node.dispose();
  }
}

function describe(event: NodeEvent | { type: 'error'; code: string; message: string }, out: Output): string {
  const time = out.style('dim', new Date().toISOString().slice(11, 23));
  switch (event.type) {
    case 'state':
      return `${time} state ${event.state}`;
    case 'peer-up':
      return `${time} ${out.style('green', 'peer up')}    ${event.peer}`;
    case 'peer-down':
      return `${time} ${out.style('yellow', 'peer down')}  ${event.peer}`;
    case 'open-mode':
      return `${time} ${out.style('yellow', 'warning')} ${event.message}`;
    case 'error':
      return `${time} ${out.style('red', 'error')} ${event.code} ${event.message}`;
    case 'dead':
    case 'suspect':
      return `${time} ${out.style('red', event.type.padEnd(10))} ${event.peer} (incarnation ${event.incarnation})`;
    default:
      return `${time} ${event.type.padEnd(10)} ${event.peer} (incarnation ${event.incarnation})`;
  }
}
