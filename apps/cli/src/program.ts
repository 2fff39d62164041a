import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { runAgent } from './agent.js';
import { usageError } from './cli-error.js';
import { DataDir, type NetworkConfig } from './data-dir.js';
import { formatValue, parseValueArgument } from './json-value.js';
import type { ChangeRecord, EntryRecord, MemberRecord } from './node-session.js';
import { type Delivery, runRequest } from './one-shot.js';
import { Output } from './output.js';
import { runRepl } from './repl.js';
import type { Request } from './requests.js';
import { parseTarget } from './target.js';

interface Common {
  readonly dir?: string;
  readonly json?: boolean;
}

/** Parses a non-negative integer option; commander turns the throw into a usage error. */
function count(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value))
    throw new InvalidArgumentError('expected a whole number');
  return value;
}

function seconds(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0)
    throw new InvalidArgumentError('expected seconds ≥ 0');
  return value;
}

function port(text: string): number {
  const value = count(text);
  if (value > 65535) throw new InvalidArgumentError('expected a port number');
  return value;
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

/** `--dir` (every command) and `--json` (commands that print data). */
function common(command: Command, json = true): Command {
  command.option('-d, --dir <path>', 'data dir (default: $SHOAL_DIR, else ./shoal-data)');
  if (json) command.option('--json', 'print JSON (NDJSON for streams); errors become JSON too');
  return command;
}

/** Network flags shared by init, join and agent. */
function networkOptions(command: Command): Command {
  return command
    .option('--interface <ipv4>', 'LAN interface address to bind and discover on (e.g. 127.0.0.1)')
    .option('--port <port>', 'unicast UDP port (default: any free port)', port)
    .option('--multicast-port <port>', 'discovery port shared by the network (default 47477)', port)
    .option('--bootstrap <host:port...>', 'peers to contact directly where multicast does not reach');
}

interface NetworkFlags {
  readonly interface?: string;
  readonly port?: number;
  readonly multicastPort?: number;
  readonly bootstrap?: string[];
}

function networkConfig(options: NetworkFlags): NetworkConfig {
  return {
    ...(options.interface === undefined ? {} : { interface: options.interface }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.multicastPort === undefined ? {} : { multicastPort: options.multicastPort }),
    ...(options.bootstrap === undefined ? {} : { bootstrap: options.bootstrap }),
  };
}

/** Aborts on the first SIGINT/SIGTERM, for streaming commands that end when interrupted. */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const abort = () => controller.abort();
  // `on`, not `once`: a second signal (a terminal's Ctrl-C reaches the bin's wrapper too, which
  // forwards it) must not kill the process before it has closed its node.
  process.on('SIGINT', abort);
  process.on('SIGTERM', abort);
  return controller.signal;
}

function describeDelivery(delivery: Delivery | undefined, waitMs: number): string | undefined {
  if (delivery === undefined) return undefined;
  return delivery.heldBy === null
    ? `no agent running and no peer confirmed holding the write within ${waitMs / 1000} s; it is stored here and syncs when this node next runs (\`shoal agent\`)`
    : `no agent running: peer ${delivery.heldBy} holds the write (after ${(delivery.waitedMs / 1000).toFixed(1)} s)`;
}

/**
 * The `shoal` command tree. `setOutput` receives the Output of the command that runs, so the
 * caller reports errors in that command's format (`--json` or text).
 */
export function buildProgram(setOutput: (out: Output) => void): Command {
  const program = new Command('shoal')
    .description('Run a Shoal node and read, write and watch its maps and streams.')
    .version('0.1.0')
    // Before any subcommand is added, so they inherit it: parse errors come back to main as
    // exceptions, which prints them as one line (JSON with --json) and exits 2.
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      examples(
        'shoal init --dir a                        # a new network; prints its invite',
        'shoal join shoal://… --dir b              # another node of that network',
        'shoal agent --dir a                       # run the node',
        'shoal set home/settings lights \'{"on":true}\' --dir a',
        'shoal watch home/settings --dir b',
      ),
    );
  const outputOf = (options: Common) => {
    const out = new Output({ json: options.json === true });
    setOutput(out);
    return out;
  };
  const dirOf = (options: Common) => DataDir.fromOption(options.dir);

  networkOptions(
    common(
      program
        .command('init')
        .description('create a new network: a secret, its invite token (printed once) and the data dir')
        .option('--name <network>', 'network name, part of the invite', 'shoal'),
    ),
  )
    .addHelpText(
      'after',
      examples('shoal init --dir ./a', 'shoal init --name home --interface 127.0.0.1 --json'),
    )
    .action((options: Common & NetworkFlags & { name: string }) => {
      const out = outputOf(options);
      const dir = dirOf(options);
      const invite = dir.createNetwork(options.name, networkConfig(options));
      out.data({ dir: dir.path, invite }, () =>
        [
          `created network "${options.name}" in ${dir.path}`,
          'invite (anyone holding it can read and write the network; share it like a password):',
          '',
          `  ${out.style('bold', invite)}`,
          '',
          `next: \`shoal agent --dir ${dir.path}\`, and on another device \`shoal join <invite>\``,
        ].join('\n'),
      );
    });

  common(program.command('invite').description("print this data dir's invite token again"))
    .addHelpText('after', examples('shoal invite --dir ./a', 'shoal invite --json'))
    .action((options: Common) => {
      const out = outputOf(options);
      const invite = dirOf(options).readInvite();
      out.data({ invite }, () => invite);
    });

  networkOptions(
    common(
      program
        .command('join')
        .argument('<token>', 'invite token from `shoal init` or `shoal invite`')
        .description('set up a data dir for the network of an invite'),
    ),
  )
    .addHelpText('after', examples('shoal join shoal://home/Zm9v… --dir ./b'))
    .action((token: string, options: Common & NetworkFlags) => {
      const out = outputOf(options);
      const dir = dirOf(options);
      const invite = dir.join(token, networkConfig(options));
      out.data(
        { dir: dir.path, network: invite.networkId },
        () => `joined network "${invite.networkId}" in ${dir.path}`,
      );
    });

  networkOptions(
    common(
      program
        .command('agent')
        .description('run this node: sync with peers, log peer events, serve one-shot commands'),
    ),
  )
    .addHelpText(
      'after',
      examples('shoal agent --dir ./a', 'shoal agent --interface 127.0.0.1 --json   # NDJSON event log'),
    )
    .action(async (options: Common & NetworkFlags) => {
      const out = outputOf(options);
      await runAgent(dirOf(options), out, networkConfig(options));
    });

  const mapTarget = (text: string) => parseTarget(text, 'map');
  const oneShot = async (options: Common & { wait?: number }, request: Request) => {
    const out = outputOf(options);
    const waitMs = (options.wait ?? 10) * 1000;
    const { result, delivery } = await runRequest(dirOf(options), request, out, { waitMs });
    return { out, result, delivery, waitMs };
  };
  const waitOption = () =>
    new Option('--wait <seconds>', 'without an agent: how long to wait for a peer to hold the write')
      .default(10)
      .argParser(seconds);

  common(
    program
      .command('set')
      .argument('<channel/map>', 'where, e.g. home/settings')
      .argument('<key>')
      .argument('<value>', 'JSON (e.g. 42, true, \'{"on":true}\', \'"text"\'), or any text with --string')
      .description('write a key')
      .option('-s, --string', 'store VALUE as a plain string, not JSON')
      .addOption(waitOption()),
  )
    .addHelpText(
      'after',
      examples(
        'shoal set home/settings lights \'{"on":true,"level":3}\'',
        'shoal set home/settings greeting hello --string',
        'shoal set home/settings volume 7 --wait 30',
      ),
    )
    .action(
      async (
        where: string,
        key: string,
        text: string,
        options: Common & { string?: boolean; wait: number },
      ) => {
        const { channel, name } = mapTarget(where);
        const value = parseValueArgument(text, options.string === true);
        const { out, result, delivery, waitMs } = await oneShot(options, {
          op: 'set',
          channel,
          map: name,
          key,
          value,
        });
        out.data({ ...(result as object), ...(delivery === undefined ? {} : { delivery }) }, () =>
          [`${out.style('green', 'set')} ${key}`, describeDelivery(delivery, waitMs)]
            .filter((l) => l !== undefined)
            .join('\n'),
        );
      },
    );

  common(
    program
      .command('get')
      .argument('<channel/map>')
      .argument('<key>')
      .description('print the value of a key'),
  )
    .addHelpText('after', examples('shoal get home/settings lights', 'shoal get home/settings lights --json'))
    .action(async (where: string, key: string, options: Common) => {
      const { channel, name } = mapTarget(where);
      const { out, result } = await oneShot(options, { op: 'get', channel, map: name, key });
      out.data(result, () => formatValue((result as { value: unknown }).value));
    });

  common(
    program
      .command('del')
      .argument('<channel/map>')
      .argument('<key>')
      .description('delete a key')
      .addOption(waitOption()),
  )
    .addHelpText('after', examples('shoal del home/settings lights'))
    .action(async (where: string, key: string, options: Common & { wait: number }) => {
      const { channel, name } = mapTarget(where);
      const { out, result, delivery, waitMs } = await oneShot(options, {
        op: 'del',
        channel,
        map: name,
        key,
      });
      const deleted = (result as { deleted: boolean }).deleted;
      out.data({ ...(result as object), ...(delivery === undefined ? {} : { delivery }) }, () =>
        [
          deleted ? `${out.style('green', 'deleted')} ${key}` : `no key "${key}"; nothing deleted`,
          describeDelivery(delivery, waitMs),
        ]
          .filter((l) => l !== undefined)
          .join('\n'),
      );
    });

  common(
    program
      .command('list')
      .argument('<channel/map>')
      .description('print the keys and values of a map, sorted by key')
      .option('-p, --prefix <prefix>', 'only keys starting with this'),
  )
    .addHelpText(
      'after',
      examples('shoal list home/settings', 'shoal list home/settings --prefix light --json'),
    )
    .action(async (where: string, options: Common & { prefix?: string }) => {
      const { channel, name } = mapTarget(where);
      const request: Request = {
        op: 'list',
        channel,
        map: name,
        ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
      };
      const { out, result } = await oneShot(options, request);
      const rows = result as { key: string; value: unknown }[];
      out.data(rows, () =>
        rows.length === 0
          ? out.style('dim', '(no keys)')
          : rows.map((r) => `${out.style('cyan', r.key)}\t${formatValue(r.value)}`).join('\n'),
      );
    });

  common(
    program
      .command('watch')
      .argument('<channel/map>')
      .argument('[key]', 'only this key')
      .description('print one line per change (local or remote) until Ctrl-C'),
  )
    .addHelpText(
      'after',
      examples('shoal watch home/settings', 'shoal watch home/settings lights --json   # NDJSON'),
    )
    .action(async (where: string, key: string | undefined, options: Common) => {
      const { channel, name } = mapTarget(where);
      const out = outputOf(options);
      const print = (record: unknown) => {
        const c = record as ChangeRecord;
        out.data(c, () =>
          c.deleted
            ? `${out.style('yellow', 'deleted')} ${c.key}  ${out.style('dim', `by ${c.writer}`)}`
            : `${out.style('cyan', c.key)} = ${formatValue(c.value)}  ${out.style('dim', `by ${c.writer}`)}`,
        );
      };
      const request: Request = { op: 'watch', channel, map: name, ...(key === undefined ? {} : { key }) };
      await runRequest(dirOf(options), request, out, {
        waitMs: 0,
        onEvent: print,
        signal: interruptSignal(),
      });
    });

  common(
    program
      .command('append')
      .argument('<channel/stream>')
      .argument('<text>', 'the entry, or - to append each line of stdin')
      .description('append an entry to a stream')
      .addOption(waitOption()),
  )
    .addHelpText(
      'after',
      examples("shoal append home/chat 'dinner at 7?'", 'journalctl -f | shoal append ops/log -'),
    )
    .action(async (where: string, text: string, options: Common & { wait: number }) => {
      const { channel, name } = parseTarget(where, 'stream');
      const entries =
        text === '-'
          ? readFileSync(0, 'utf8')
              .split('\n')
              .filter((l) => l.length > 0)
          : [text];
      let last: Awaited<ReturnType<typeof oneShot>> | undefined;
      for (const [index, entry] of entries.entries()) {
        last = await oneShot(index === entries.length - 1 ? options : { ...options, wait: 0 }, {
          op: 'append',
          channel,
          stream: name,
          text: entry,
        });
        if (entries.length > 1) last.out.progress(`appended ${index + 1}/${entries.length}`);
      }
      if (last === undefined) return;
      const { out, delivery, waitMs } = last;
      out.endProgress();
      out.data({ appended: entries.length, ...(delivery === undefined ? {} : { delivery }) }, () =>
        [
          `${out.style('green', 'appended')} ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}`,
          describeDelivery(delivery, waitMs),
        ]
          .filter((l) => l !== undefined)
          .join('\n'),
      );
    });

  common(
    program
      .command('tail')
      .argument('<channel/stream>')
      .description('print the last entries of a stream, in its total order')
      .option('-n, --lines <count>', 'how many entries', count, 10)
      .option('-f, --follow', 'keep printing new entries until Ctrl-C'),
  )
    .addHelpText('after', examples('shoal tail home/chat', 'shoal tail -f -n 0 home/chat --json   # NDJSON'))
    .action(async (where: string, options: Common & { lines: number; follow?: boolean }) => {
      const { channel, name } = parseTarget(where, 'stream');
      const out = outputOf(options);
      const print = (record: unknown) => {
        const e = record as EntryRecord;
        out.data(e, () => `${out.style('dim', `${e.author}#${e.seq}`)} ${e.text}`);
      };
      const follow = options.follow === true;
      const request: Request = { op: 'tail', channel, stream: name, last: options.lines, follow };
      if (follow) {
        await runRequest(dirOf(options), request, out, {
          waitMs: 0,
          onEvent: print,
          signal: interruptSignal(),
        });
        return;
      }
      const { result } = await runRequest(dirOf(options), request, out, { waitMs: 0 });
      for (const entry of result as EntryRecord[]) print(entry);
    });

  common(program.command('members').description('the cluster members this node knows, with their SWIM state'))
    .addHelpText('after', examples('shoal members', 'shoal members --json'))
    .action(async (options: Common) => {
      const { out, result } = await oneShot(options, { op: 'members' });
      const rows = result as MemberRecord[];
      out.data(rows, () =>
        [
          out.style('bold', 'id\taddress\tstate\tincarnation\tlast contact'),
          ...rows.map(
            (m) =>
              `${m.id}\t${m.address ?? '-'}\t${m.state}\t${m.incarnation}\t${m.lastContactMs === null ? '-' : `${(m.lastContactMs / 1000).toFixed(1)} s ago`}`,
          ),
        ].join('\n'),
      );
    });

  common(
    program
      .command('status')
      .description('channels with sizes, per-peer sync lag, leader, health and traffic'),
  )
    .addHelpText('after', examples('shoal status', 'shoal status --json'))
    .action(async (options: Common) => {
      const { out, result } = await oneShot(options, { op: 'status' });
      out.data(result, () => formatStatus(result as StatusShape));
    });

  common(
    program
      .command('repl')
      .description('an interactive JavaScript shell with the node bound (top-level await, tab completion)')
      .option('-c, --channel <name>', 'bind `ch` to this channel')
      .option('-m, --map <name>', 'bind `map` to this map of the channel')
      .option('-s, --stream <name>', 'bind `stream` to this stream of the channel'),
    false,
  )
    .addHelpText(
      'after',
      examples(
        'shoal repl --channel home --map settings',
        '> await map.set("lights", true)',
        '> .watch lights',
      ),
    )
    .action(async (options: Common & { channel?: string; map?: string; stream?: string }) => {
      const out = outputOf(options);
      if ((options.map !== undefined || options.stream !== undefined) && options.channel === undefined) {
        throw usageError('--map and --stream need --channel');
      }
      await runRepl(dirOf(options), out, options);
    });

  return program;
}

interface StatusShape {
  id: string;
  leader: string;
  health: { state: string; healthy: boolean; mode: string; peers: number; badMessages: number };
  usage: { sync: Record<string, number>; pendingWrites: number };
  channels: {
    name: string;
    open: boolean;
    maps?: { name: string; keys: number }[];
    streams?: { name: string; entries: number }[];
    peers?: {
      peer: string;
      lastDigestAgo: number;
      theyLack: number;
      weLackEntries: number;
      weLackWriters: number;
      inSync: boolean;
    }[];
  }[];
}

function formatStatus(s: StatusShape): string {
  const lines = [
    `node ${s.id}  state ${s.health.state}  ${s.health.healthy ? 'healthy' : 'UNHEALTHY'}  mode ${s.health.mode}`,
    `leader ${s.leader}  peers ${s.health.peers}  bad messages ${s.health.badMessages}  pending writes ${s.usage.pendingWrites}`,
    `traffic ${Object.entries(s.usage.sync)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ];
  for (const channel of s.channels) {
    lines.push(`channel ${channel.name}${channel.open ? '' : ' (not open)'}`);
    for (const map of channel.maps ?? []) lines.push(`  map ${map.name}: ${map.keys} keys`);
    for (const stream of channel.streams ?? [])
      lines.push(`  stream ${stream.name}: ${stream.entries} entries`);
    for (const p of channel.peers ?? []) {
      lines.push(
        `  peer ${p.peer}: ${p.inSync ? 'in sync' : `they lack ${p.theyLack}, we lack ${p.weLackEntries} entries / ${p.weLackWriters} writers`} (digest ${(p.lastDigestAgo / 1000).toFixed(1)} s ago)`,
      );
    }
  }
  return lines.join('\n');
}
