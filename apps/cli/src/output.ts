import { styleText } from 'node:util';
import type { CliError } from './cli-error.js';

type Style = 'bold' | 'dim' | 'green' | 'red' | 'yellow' | 'cyan';

/**
 * Whether to colour text written to `stream`: only on a terminal, never when `NO_COLOR` is set
 * to anything non-empty (no-color.org) or `TERM=dumb`.
 */
export function colorEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}

/**
 * Where a command writes: data to stdout (text, or one JSON document / NDJSON line each with
 * `--json`), diagnostics to stderr. With `--json`, errors are JSON on stderr too, so a script
 * parses both streams the same way.
 */
export class Output {
  readonly json: boolean;
  readonly #color: boolean;
  readonly #errColor: boolean;
  readonly #out: NodeJS.WriteStream;
  readonly #err: NodeJS.WriteStream;

  constructor(options: { json: boolean; out?: NodeJS.WriteStream; err?: NodeJS.WriteStream }) {
    this.json = options.json;
    this.#out = options.out ?? process.stdout;
    this.#err = options.err ?? process.stderr;
    this.#color = colorEnabled(this.#out);
    this.#errColor = colorEnabled(this.#err);
  }

  /** Whether stderr is an interactive terminal (progress indicators go there). */
  get interactive(): boolean {
    return this.#err.isTTY === true;
  }

  /** `text` in `style` when stdout takes colour, else unchanged. */
  style(style: Style, text: string): string {
    return this.#color ? styleText(style, text) : text;
  }

  /** One record: `data` as one JSON line with `--json`, else the lines of `text()`. */
  data(data: unknown, text: () => string): void {
    this.#out.write(this.json ? `${JSON.stringify(data)}\n` : `${text()}\n`);
  }

  /** A plain line on stdout, in text mode only (a JSON consumer gets `data` records only). */
  line(text: string): void {
    if (!this.json) this.#out.write(`${text}\n`);
  }

  /** A diagnostic on stderr, in text mode only. */
  note(text: string): void {
    if (!this.json) this.#err.write(`${this.#errColor ? styleText('dim', text) : text}\n`);
  }

  /** Rewrites the current stderr line (progress on a terminal); no-op elsewhere. */
  progress(text: string): void {
    if (this.interactive && !this.json) this.#err.write(`\r\x1b[2K${text}`);
  }

  /** Clears a progress line left by {@link progress}. */
  endProgress(): void {
    if (this.interactive && !this.json) this.#err.write('\r\x1b[2K');
  }

  /** The error as ONE line on stderr: `shoal: message`, or `{"error":{code,message}}` with `--json`. */
  error(error: CliError): void {
    if (this.json) {
      this.#err.write(`${JSON.stringify({ error: { code: error.code, message: error.message } })}\n`);
    } else {
      const prefix = this.#errColor ? styleText('red', 'shoal:') : 'shoal:';
      this.#err.write(`${prefix} ${error.message}\n`);
    }
  }
}
