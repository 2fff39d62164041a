import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  type CommandContext,
  type Common,
  common,
  count,
  describeDelivery,
  examples,
  interruptSignal,
  lines,
  oneShot,
  waitOption,
} from './command-kit.js';
import { formatValue, parseValueArgument } from './json-value.js';
import type { ChangeRecord, EntryRecord } from './node-session.js';
import { runRequest } from './one-shot.js';
import type { Request } from './requests.js';
import { parseTarget } from './target.js';

/** Maps (`set`, `get`, `del`, `list`, `watch`) and streams (`append`, `tail`). */
export function registerDataCommands(program: Command, context: CommandContext): void {
  const mapTarget = (text: string) => parseTarget(text, 'map');

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
        const { out, result, delivery, waitMs } = await oneShot(context, options, {
          op: 'set',
          channel,
          map: name,
          key,
          value,
        });
        out.data({ ...(result as object), ...(delivery === undefined ? {} : { delivery }) }, () =>
          lines(`${out.style('green', 'set')} ${key}`, describeDelivery(delivery, waitMs)),
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
      const { out, result } = await oneShot(context, options, { op: 'get', channel, map: name, key });
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
      const { out, result, delivery, waitMs } = await oneShot(context, options, {
        op: 'del',
        channel,
        map: name,
        key,
      });
      const deleted = (result as { deleted: boolean }).deleted;
      out.data({ ...(result as object), ...(delivery === undefined ? {} : { delivery }) }, () =>
        lines(
          deleted ? `${out.style('green', 'deleted')} ${key}` : `no key "${key}"; nothing deleted`,
          describeDelivery(delivery, waitMs),
        ),
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
      const { out, result } = await oneShot(context, options, request);
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
      const out = context.outputOf(options);
      const print = (record: unknown) => {
        const c = record as ChangeRecord;
        out.data(c, () =>
          c.deleted
            ? `${out.style('yellow', 'deleted')} ${c.key}  ${out.style('dim', `by ${c.writer}`)}`
            : `${out.style('cyan', c.key)} = ${formatValue(c.value)}  ${out.style('dim', `by ${c.writer}`)}`,
        );
      };
      const request: Request = { op: 'watch', channel, map: name, ...(key === undefined ? {} : { key }) };
      await runRequest(context.dirOf(options), request, out, {
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
        last = await oneShot(context, index === entries.length - 1 ? options : { ...options, wait: 0 }, {
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
        lines(
          `${out.style('green', 'appended')} ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}`,
          describeDelivery(delivery, waitMs),
        ),
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
      const out = context.outputOf(options);
      const print = (record: unknown) => {
        const e = record as EntryRecord;
        out.data(e, () => `${out.style('dim', `${e.author}#${e.seq}`)} ${e.text}`);
      };
      const follow = options.follow === true;
      const request: Request = { op: 'tail', channel, stream: name, last: options.lines, follow };
      if (follow) {
        await runRequest(context.dirOf(options), request, out, {
          waitMs: 0,
          onEvent: print,
          signal: interruptSignal(),
        });
        return;
      }
      const { result } = await runRequest(context.dirOf(options), request, out, { waitMs: 0 });
      for (const entry of result as EntryRecord[]) print(entry);
    });
}
