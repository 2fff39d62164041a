import type { NodeStatus } from './node-status.js';

/** One row of the table: a node's last status, or why it has none. */
export interface TableRow {
  /** Short display name (`A`, `B`, …) */
  readonly name: string;
  readonly phase: 'starting' | 'running' | 'killed' | 'restarting' | 'stopped';
  readonly status: NodeStatus | undefined;
}

const ESC = '\u001b[';
const bold = (text: string) => `${ESC}1m${text}${ESC}0m`;
const dim = (text: string) => `${ESC}2m${text}${ESC}0m`;
const green = (text: string) => `${ESC}32m${text}${ESC}0m`;
const yellow = (text: string) => `${ESC}33m${text}${ESC}0m`;
const red = (text: string) => `${ESC}31m${text}${ESC}0m`;
const cyan = (text: string) => `${ESC}36m${text}${ESC}0m`;

/** Home the cursor and clear the screen, so each frame replaces the last without scrolling. */
export const CLEAR_SCREEN = `${ESC}H${ESC}2J`;

/** Removes ANSI escapes, for width computations and for plain-text logs. */
export function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point.
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - stripAnsi(text).length));
}

function memberMark(name: string, state: string): string {
  switch (state) {
    case 'alive':
      return green(name);
    case 'suspect':
      return yellow(`${name}?`);
    case 'left':
      return dim(`${name}-`);
    default:
      return red(`${name}✗`);
  }
}

/**
 * Renders the live table: per node its name and id, the peers it sees (green alive, yellow `?`
 * suspect, red `✗` dead, dim `-` left), the leader it computes, its key count, stream length,
 * state digest and message rate. Digests shared by every running node are green: converged.
 */
export function renderTable(rows: readonly TableRow[]): string {
  const nameOf = new Map(rows.flatMap((row) => (row.status ? [[row.status.id, row.name] as const] : [])));
  const short = (id: string) => nameOf.get(id) ?? id.slice(0, 6);
  const running = rows.filter((row) => row.phase === 'running' && row.status !== undefined);
  const digests = new Set(running.map((row) => row.status?.digest));
  const converged = running.length > 1 && digests.size === 1;
  const widths = [6, 14, 22, 7, 5, 7, 10, 6];
  const header = ['node', 'id', 'peers it sees', 'leader', 'keys', 'stream', 'digest', 'msg/s'];
  const lines = [bold(header.map((cell, i) => pad(cell, widths[i] ?? 0)).join(' '))];
  for (const row of rows) {
    const status = row.status;
    if (status === undefined || row.phase !== 'running') {
      const phase = row.phase === 'killed' ? red('KILLED') : dim(row.phase);
      lines.push(
        `${pad(bold(row.name), widths[0] ?? 0)} ${pad(dim(status?.id.slice(0, 12) ?? '-'), widths[1] ?? 0)} ${phase}`,
      );
      continue;
    }
    const peers = status.members
      .filter((member) => member.id !== status.id)
      .map((member) => ({ name: short(member.id), state: member.state }))
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((member) => memberMark(member.name, member.state))
      .join(' ');
    const cells = [
      bold(row.name),
      dim(status.id.slice(0, 12)),
      peers === '' ? dim('(none yet)') : peers,
      cyan(short(status.leader)),
      String(status.keys),
      String(status.streamLength),
      converged ? green(status.digest) : status.digest,
      String(Math.round(status.messagesPerSecond)),
    ];
    lines.push(cells.map((cell, i) => pad(cell, widths[i] ?? 0)).join(' '));
  }
  return lines.join('\n');
}
