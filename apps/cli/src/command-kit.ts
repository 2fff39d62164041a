import { type Command, InvalidArgumentError, Option } from 'commander';
import { DataDir } from './data-dir.js';
import { type Delivery, runRequest } from './one-shot.js';
import { Output } from './output.js';
import type { Request } from './requests.js';

/** Options every command has: `--dir`, and `--json` on those that print data. */
export interface Common {
  readonly dir?: string;
  readonly json?: boolean;
}

/**
 * What each command file needs from the program: the Output of the command that runs (main
 * reports errors in its format) and the data dir it names.
 */
export interface CommandContext {
  outputOf(options: Common): Output;
  dirOf(options: Common): DataDir;
}

/** A context whose `outputOf` hands each command's Output to `setOutput`. */
export function commandContext(setOutput: (out: Output) => void): CommandContext {
  return {
    outputOf: (options) => {
      const out = new Output({ json: options.json === true });
      setOutput(out);
      return out;
    },
    dirOf: (options) => DataDir.fromOption(options.dir),
  };
}

/** Parses a non-negative integer option; commander turns the throw into a usage error. */
export function count(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value))
    throw new InvalidArgumentError('expected a whole number');
  return value;
}

/** Parses a duration in seconds (fractions allowed, ≥ 0). */
export function seconds(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0)
    throw new InvalidArgumentError('expected seconds ≥ 0');
  return value;
}

/** Parses a TCP/UDP port number. */
export function port(text: string): number {
  const value = count(text);
  if (value > 65535) throw new InvalidArgumentError('expected a port number');
  return value;
}

/** `--help` text listing example command lines. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

/** Adds `--dir` (every command) and `--json` (commands that print data). */
export function common(command: Command, json = true): Command {
  command.option('-d, --dir <path>', 'data dir (default: $SHOAL_DIR, else ./shoal-data)');
  if (json) command.option('--json', 'print JSON (NDJSON for streams); errors become JSON too');
  return command;
}

/** `--wait`, for writes made without an agent. */
export function waitOption(): Option {
  return new Option('--wait <seconds>', 'without an agent: how long to wait for a peer to hold the write')
    .default(10)
    .argParser(seconds);
}

/** Aborts on the first SIGINT/SIGTERM, for streaming commands that end when interrupted. */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const abort = () => controller.abort();
  // `on`, not `once`: a second signal (a terminal's Ctrl-C reaches the bin's wrapper too, which
  // forwards it) must not kill the process before it has closed its node.
  process.on('SIGINT', abort);
  process.on('SIGTERM', abort);
  return controller.signal;
}

/** Runs a non-streaming request and returns what the command prints from. */
export async function oneShot(
  context: CommandContext,
  options: Common & { wait?: number },
  request: Request,
): Promise<{ out: Output; result: unknown; delivery?: Delivery; waitMs: number }> {
  const out = context.outputOf(options);
  const waitMs = (options.wait ?? 10) * 1000;
  const { result, delivery } = await runRequest(context.dirOf(options), request, out, { waitMs });
  return { out, result, ...(delivery === undefined ? {} : { delivery }), waitMs };
}

/** The line saying what became of a write made without an agent (undefined through one). */
export function describeDelivery(delivery: Delivery | undefined, waitMs: number): string | undefined {
  if (delivery === undefined) return undefined;
  return delivery.heldBy === null
    ? `no agent running and no peer confirmed holding the write within ${waitMs / 1000} s; it is stored here and syncs when this node next runs (\`shoal agent\`)`
    : `no agent running: peer ${delivery.heldBy} holds the write (after ${(delivery.waitedMs / 1000).toFixed(1)} s)`;
}

/** `text` lines without the undefined ones, joined. */
export function lines(...text: (string | undefined)[]): string {
  return text.filter((line) => line !== undefined).join('\n');
}
