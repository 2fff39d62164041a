import { start } from 'node:repl';
import type { Channel, SharedMap, SharedStream } from '@shoal/core';
import { ControlServer } from './control-server.js';
import type { DataDir } from './data-dir.js';
import { formatValue, valueToJson } from './json-value.js';
import { NodeSession } from './node-session.js';
import { openDirNode } from './open-dir-node.js';
import type { Output } from './output.js';
import { completeNames, type NameSource } from './repl-completion.js';
import { replWriter } from './repl-writer.js';

/** What `shoal repl` binds. */
export interface ReplOptions {
  readonly channel?: string;
  readonly map?: string;
  readonly stream?: string;
}

/**
 * `shoal repl`: runs the node of `dir` (online, serving the control socket like an agent, so
 * one-shot commands keep working beside it) under `node:repl` with `node`, `ch`, `map` and
 * `stream` bound. Top-level `await` works; Tab completes channel, map, stream and key names
 * inside `channel('…`, `map('…`, `stream('…` and `get/set/delete/has('…`; `.watch [KEY]` prints
 * changes of `map` live and `.unwatch` stops; history persists in the data dir.
 */
export async function runRepl(dir: DataDir, out: Output, options: ReplOptions): Promise<void> {
  const node = await openDirNode(dir, {
    online: true,
    // The usual holder is the data dir's own agent, which one-shot commands share but a REPL cannot.
    whenLocked:
      ' (its agent, or another command): a REPL runs a node of its own, so stop that process first, or use one-shot commands such as `shoal get`, which go through a running agent',
  });
  const session = new NodeSession(node, dir);
  let server: ControlServer | undefined;
  const watches = new Set<AbortController>();
  try {
    await session.openKnownChannels();
    server = await ControlServer.listen(dir.socketPath, session);
    const ch: Channel | undefined =
      options.channel === undefined ? undefined : await session.channel(options.channel, true);
    const map: SharedMap | undefined = options.map === undefined ? undefined : ch?.map(options.map);
    const stream: SharedStream | undefined =
      options.stream === undefined ? undefined : ch?.stream(options.stream);
    const bound = [
      'node',
      ch && `ch (${ch.name})`,
      map && `map (${map.name})`,
      stream && `stream (${stream.name})`,
    ];
    out.line(
      `${out.style('bold', 'shoal repl')}: node ${node.id}. Bound: ${bound.filter(Boolean).join(', ')}. ` +
        'Top-level await works; .watch KEY, .unwatch, .help; Ctrl-D leaves.',
    );

    // useGlobal: typed in a context of its own, `{ on: true }` would be an object of another
    // realm (its prototype is not this realm's Object.prototype) and core would refuse it as a
    // value; in the main context it is the plain object it looks like.
    const colors = out.style('bold', 'x') !== 'x';
    const repl = start({ prompt: 'shoal> ', useColors: colors, useGlobal: true, writer: replWriter(colors) });
    Object.assign(repl.context, { node, ch, map, stream });

    const names: NameSource = {
      channels: () => session.knownChannels,
      maps: () => ch?.objects().maps ?? [],
      streams: () => ch?.objects().streams ?? [],
      keys: () => (map === undefined ? [] : [...map.keys()]),
    };
    const fallback = repl.completer.bind(repl);
    // REPLServer is its own readline interface, which reads `completer` on every Tab.
    (repl as unknown as { completer: typeof fallback }).completer = (line, callback) => {
      const own = completeNames(line, names);
      if (own === undefined) fallback(line, callback);
      else callback(null, own);
    };

    repl.defineCommand('watch', {
      help: 'Print changes of `map` live (all keys, or KEY only) until .unwatch',
      action(key: string) {
        const wanted = key.trim();
        if (map === undefined) {
          this.output.write('no map bound: start the repl with --channel C --map M\n');
          return this.displayPrompt();
        }
        const controller = new AbortController();
        watches.add(controller);
        void (async () => {
          for await (const change of map.watch({ signal: controller.signal })) {
            if (wanted !== '' && change.key !== wanted) continue;
            const what = change.deleted ? 'deleted' : `= ${formatValue(valueToJson(change.value))}`;
            this.output.write(`\n[watch] ${change.key} ${what} (by ${change.writer})\n`);
            this.displayPrompt(true);
          }
        })();
        this.output.write(`watching ${wanted === '' ? 'every key' : wanted} of ${map.name}\n`);
        this.displayPrompt();
      },
    });
    repl.defineCommand('unwatch', {
      help: 'Stop every .watch',
      action() {
        for (const controller of watches) controller.abort();
        watches.clear();
        this.output.write('stopped watching\n');
        this.displayPrompt();
      },
    });

    await new Promise<void>((resolve, reject) => {
      repl.setupHistory(dir.historyPath, (error) => (error === null ? undefined : reject(error)));
      repl.on('exit', resolve);
    });
  } finally {
    for (const controller of watches) controller.abort();
    await server?.close();
    session.close();
    await node.dispose();
  }
}
