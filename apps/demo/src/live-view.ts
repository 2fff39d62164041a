import { CLEAR_SCREEN, renderTable, stripAnsi, type TableRow } from './status-table.js';

const LOG_LINES = 8;

/**
 * The demo's screen: a title, the current caption, the live table and the last few log lines,
 * redrawn in place several times a second on a terminal. When output is not a terminal (a pipe,
 * a CI log) it prints plain lines instead: each caption and log line once, and the table only
 * when asked with {@link LiveView.snapshot}.
 */
export class LiveView {
  readonly #title: string;
  readonly #rows: () => readonly TableRow[];
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #log: string[] = [];
  readonly #start = performance.now();
  #caption = '';
  #timer: NodeJS.Timeout | undefined;

  constructor(title: string, rows: () => readonly TableRow[], out: NodeJS.WriteStream = process.stdout) {
    this.#title = title;
    this.#rows = rows;
    this.#out = out;
    this.#tty = out.isTTY === true;
  }

  /** Starts redrawing every `ms` (terminal only). */
  start(ms = 200): void {
    if (this.#tty) this.#timer = setInterval(() => this.draw(), ms);
  }

  /** Stops redrawing and leaves the last frame on screen. */
  stop(): void {
    clearInterval(this.#timer);
    if (this.#tty) this.draw();
  }

  /** Sets the caption: what the scenario is showing now. */
  caption(text: string): void {
    this.#caption = text;
    this.log(`\u001b[1m▶ ${text}\u001b[0m`);
  }

  /** Adds a timestamped line to the log. */
  log(text: string): void {
    const seconds = ((performance.now() - this.#start) / 1000).toFixed(1).padStart(5);
    const line = `${seconds}s  ${text}`;
    this.#log.push(line);
    if (this.#log.length > LOG_LINES) this.#log.shift();
    if (this.#tty) this.draw();
    else this.#out.write(`${stripAnsi(line)}\n`);
  }

  /** Prints the table once when output is not a terminal (a terminal shows it all the time). */
  snapshot(): void {
    if (!this.#tty) this.#out.write(`${stripAnsi(renderTable(this.#rows()))}\n`);
  }

  /** Draws one frame. */
  draw(): void {
    const frame = [
      `\u001b[1m${this.#title}\u001b[0m`,
      '',
      `\u001b[36m${this.#caption}\u001b[0m`,
      '',
      renderTable(this.#rows()),
      '',
      'peers: \u001b[32mX\u001b[0m alive  \u001b[33mX?\u001b[0m suspect  \u001b[31mX✗\u001b[0m dead  ' +
        '\u001b[2mX-\u001b[0m left    digest in green: every running replica holds the same state',
      '',
      ...this.#log,
    ];
    this.#out.write(`${CLEAR_SCREEN}${frame.join('\n')}\n`);
  }
}
