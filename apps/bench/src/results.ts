import { cpus, loadavg } from 'node:os';
import { formatBytes } from './format.js';
import type { Subject } from './subject.js';
import type { Measurement, Workload } from './workloads/workload.js';

/** One table row: a workload and each subject's measurement (or why it is missing). */
export interface Row {
  readonly workload: Workload;
  readonly cells: ReadonlyMap<string, Measurement | Error>;
}

export function machineLine(): string {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load ${load}`;
}

/** The comparison table: one column per subject, then Shoal's aim. */
export function resultsTable(rows: readonly Row[], subjects: readonly Subject[], keys: number): string {
  const header = `| workload | ${subjects.map((s) => s.name).join(' | ')} | aim for Shoal |`;
  const rule = `|${' --- |'.repeat(subjects.length + 2)}`;
  const lines = rows.map(({ workload, cells }) => {
    const values = subjects.map((subject) => {
      const m = cells.get(subject.name);
      if (m === undefined) return '–';
      if (m instanceof Error) return `failed: ${m.message.slice(0, 60)}`;
      return m.keys !== keys && m.keys !== 0 ? `${m.cell} (${m.keys} keys)` : m.cell;
    });
    return `| ${workload.title} | ${values.join(' | ')} | ${workload.target} |`;
  });
  return [header, rule, ...lines].join('\n');
}

/** Where Shoal's bytes went, per workload: sync message bodies, envelope headers, membership. */
export function breakdownTable(rows: readonly Row[], subject: string): string {
  const kinds = ['digest body', 'delta body', 'envelope headers', 'membership'];
  const header = `| workload (${subject}) | ${kinds.join(' | ')} |`;
  const rule = `|${' --- |'.repeat(kinds.length + 1)}`;
  const lines = rows.flatMap(({ workload, cells }) => {
    const m = cells.get(subject);
    if (m === undefined || m instanceof Error || m.outcome.breakdown === undefined) return [];
    const breakdown = m.outcome.breakdown;
    return [`| ${workload.title} | ${kinds.map((k) => formatBytes(breakdown[k] ?? 0)).join(' | ')} |`];
  });
  return [header, rule, ...lines].join('\n');
}
