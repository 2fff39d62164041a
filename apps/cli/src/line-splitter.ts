/** Longest line either side of the control socket accepts, in bytes (values included). */
export const MAX_LINE_BYTES = 1 << 20;

/**
 * Splits a byte stream into newline-terminated UTF-8 lines, holding at most `maxBytes` of an
 * unfinished line. Total: `push` never throws; a line longer than the bound makes it return
 * `overflow` and the splitter drops everything from then on.
 */
export class LineSplitter {
  readonly #maxBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #overflowed = false;

  constructor(maxBytes: number = MAX_LINE_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** The complete lines in `chunk` (without their `\n`), or `overflow`. */
  push(chunk: Buffer): string[] | 'overflow' {
    if (this.#overflowed) return 'overflow';
    const lines: string[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, start)) {
      this.#pending.push(chunk.subarray(start, newline));
      this.#pendingBytes += newline - start;
      if (this.#pendingBytes > this.#maxBytes) return this.#overflow();
      lines.push(Buffer.concat(this.#pending).toString('utf8'));
      this.#pending = [];
      this.#pendingBytes = 0;
      start = newline + 1;
    }
    if (start < chunk.length) {
      this.#pending.push(chunk.subarray(start));
      this.#pendingBytes += chunk.length - start;
      if (this.#pendingBytes > this.#maxBytes) return this.#overflow();
    }
    return lines;
  }

  #overflow(): 'overflow' {
    this.#overflowed = true;
    this.#pending = [];
    return 'overflow';
  }
}
