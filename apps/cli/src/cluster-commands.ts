import { createReadStream, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { usageError } from './cli-error.js';
import {
  type CommandContext,
  type Common,
  common,
  describeDelivery,
  examples,
  lines,
  oneShot,
  waitOption,
} from './command-kit.js';
import type { MemberRecord } from './node-session.js';

/** `members`, `status`, `export` and `import`: the cluster and whole channels. */
export function registerClusterCommands(program: Command, context: CommandContext): void {
  common(program.command('members').description('the cluster members this node knows, with their SWIM state'))
    .addHelpText('after', examples('shoal members', 'shoal members --json'))
    .action(async (options: Common) => {
      const { out, result } = await oneShot(context, options, { op: 'members' });
      const rows = result as MemberRecord[];
      out.data(rows, () =>
        table(
          ['id', 'address', 'state', 'incarnation', 'key', 'last contact'],
          rows.map((m) => [
            m.id,
            m.address ?? '-',
            m.state,
            String(m.incarnation),
            m.key === null ? '-' : `${m.key.slice(0, 10)}…`,
            m.lastContactMs === null ? '-' : `${(m.lastContactMs / 1000).toFixed(1)} s ago`,
          ]),
          (header) => out.style('bold', header),
        ),
      );
    });

  common(
    program
      .command('status')
      .description('channels with sizes, per-peer sync lag, leader, health and traffic'),
  )
    .addHelpText('after', examples('shoal status', 'shoal status --json'))
    .action(async (options: Common) => {
      const { out, result } = await oneShot(context, options, { op: 'status' });
      out.data(result, () => formatStatus(result as StatusShape));
    });

  common(
    program
      .command('export')
      .argument('<channel>')
      .description('write a snapshot of a channel (every map and stream, deletes included)')
      .option('-o, --output <file>', 'file to write (default: stdout, if it is not a terminal)'),
  )
    .addHelpText(
      'after',
      examples(
        'shoal export home -o home.shx',
        'shoal export home > home.shx',
        'shoal export home | ssh backup "cat > home.shx"',
      ),
    )
    .action(async (channel: string, options: Common & { output?: string }) => {
      const toStdout = options.output === undefined || options.output === '-';
      if (toStdout && process.stdout.isTTY) {
        throw usageError('a snapshot is binary: give --output FILE, or redirect stdout to a file');
      }
      // The agent writes the file itself (it runs as this user; the control socket is
      // owner-only), so snapshots of any size bypass the socket; stdout goes through a scratch
      // file in the data dir.
      const dir = context.dirOf(options);
      const file = toStdout ? dir.scratchPath('export') : resolve(options.output as string);
      try {
        const { out, result } = await oneShot(context, options, { op: 'export', channel, file });
        const r = result as ExportResult;
        const summary = `exported channel ${r.channel}: ${r.bytes} bytes (maps: ${r.maps.join(', ') || 'none'}; streams: ${r.streams.join(', ') || 'none'})`;
        if (toStdout) {
          await pipeline(createReadStream(file), process.stdout, { end: false });
          out.note(summary);
        } else {
          out.data(result, () => `${summary} to ${r.file}`);
        }
      } finally {
        if (toStdout) rmSync(file, { force: true });
      }
    });

  common(
    program
      .command('import')
      .argument('<channel>')
      .argument('<file>', 'a snapshot from `shoal export`, or - to read it from stdin')
      .description(
        'merge a snapshot into a channel: each entry wins or loses by its version, nothing is replaced',
      )
      .addOption(waitOption()),
  )
    .addHelpText(
      'after',
      examples('shoal import home home.shx', 'ssh backup "cat home.shx" | shoal import home -'),
    )
    .action(async (channel: string, input: string, options: Common & { wait: number }) => {
      const dir = context.dirOf(options);
      const fromStdin = input === '-';
      const file = fromStdin ? dir.scratchPath('import') : resolve(input);
      try {
        if (fromStdin) writeFileSync(file, readFileSync(0), { mode: 0o600 });
        const { out, result, delivery, waitMs } = await oneShot(context, options, {
          op: 'import',
          channel,
          file,
        });
        const r = result as { applied: number; skipped: number };
        out.data({ ...(result as object), ...(delivery === undefined ? {} : { delivery }) }, () =>
          lines(
            `${out.style('green', 'imported')} ${r.applied} new entries into ${channel} (${r.skipped} already here)`,
            describeDelivery(delivery, waitMs),
          ),
        );
      } finally {
        if (fromStdin) rmSync(file, { force: true });
      }
    });
}

/** Rows under a header, each column as wide as its widest cell. */
function table(header: string[], rows: string[][], styleHeader: (text: string) => string): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ');
  return [styleHeader(line(header)), ...rows.map(line)].join('\n');
}

interface ExportResult {
  channel: string;
  file: string;
  bytes: number;
  maps: string[];
  streams: string[];
}

interface StatusShape {
  id: string;
  key: string;
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
    `key ${s.key}`,
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
