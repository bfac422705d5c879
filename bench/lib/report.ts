/**
 * What every benchmark writes: a table on stdout and bench/results/<name>.json. Figures are medians
 * (with min and max) or ratios of runs measured side by side in one invocation, because the
 * machines are shared and noisy: an absolute number from another run is not comparable.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
/** ZMQ_TOPOLOGY_BENCH_RESULTS redirects the results (the smoke test does, to leave real ones alone). */
export const RESULTS_DIR = process.env.ZMQ_TOPOLOGY_BENCH_RESULTS ?? path.join(ROOT, 'bench', 'results');

/** Schema version of the result files (bump when the shape changes). */
export const RESULT_SCHEMA = 1;

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** How many values the summary is over. */
  n: number;
}

export interface Target {
  /** e.g. ">= 0.97", "<= 20". */
  text: string;
  met: boolean;
}

export interface Row {
  /** The benchmark's own grouping, e.g. "node / stream". */
  group: string;
  metric: string;
  unit: string;
  value: Summary;
  target?: Target;
}

export interface Machine {
  nproc: number;
  cpuModel: string;
  node: string;
  platform: string;
  totalMemoryMiB: number;
  loadAverage: number[];
  /** These machines run other engineers' tests at the same time. */
  shared: true;
}

export interface BenchResult {
  schema: number;
  benchmark: string;
  mode: 'quick' | 'full';
  startedAt: string;
  durationMs: number;
  machine: Machine;
  rows: Row[];
  /** Free-form facts a reader needs to interpret the rows (setup, sizes, skipped parts). */
  notes: string[];
  /** Raw per-run measurements, for anyone who wants to recompute. */
  raw: Record<string, unknown>;
}

export function summarize(values: readonly number[]): Summary {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const sorted = [...finite].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

/** Nearest-rank percentile of an unsorted sample (p in 0..100). */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function atLeast(value: number, bound: number): Target {
  return { text: `>= ${bound}`, met: value >= bound };
}

export function atMost(value: number, bound: number): Target {
  return { text: `<= ${bound}`, met: value <= bound };
}

export function machine(): Machine {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    // os.cpus() says just "AMD EPYC" on some VMs; lscpu may know more.
    const line = execFileSync('lscpu', { encoding: 'utf8' }).split('\n').find((l) => l.startsWith('Model name:'));
    if (line) cpuModel = line.slice('Model name:'.length).trim();
  } catch {
    // lscpu missing: keep os.cpus()'s name.
  }
  return {
    nproc: os.availableParallelism(),
    cpuModel,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    totalMemoryMiB: Math.round(os.totalmem() / 2 ** 20),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    shared: true,
  };
}

export function isQuick(argv: readonly string[] = process.argv): boolean {
  return argv.includes('--quick');
}

function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 1000) return Math.round(v).toLocaleString('en-US');
  if (abs >= 100) return v.toFixed(0);
  if (abs >= 10) return v.toFixed(1);
  if (abs >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

export function formatSummary(s: Summary): string {
  if (s.n <= 1) return formatNumber(s.median);
  return `${formatNumber(s.median)} (${formatNumber(s.min)}–${formatNumber(s.max)})`;
}

/** A Markdown table (it reads fine on a terminal and pastes into docs/PERFORMANCE.md). */
export function table(rows: readonly Row[]): string {
  const header = ['group', 'metric', 'median (min–max)', 'n', 'unit', 'target'];
  const lines = rows.map((r) => [
    r.group, r.metric, formatSummary(r.value), String(r.value.n), r.unit,
    r.target ? `${r.target.text} ${r.target.met ? 'met' : 'MISSED'}` : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const render = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [render(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(render)].join('\n');
}

/** Prints the table and writes bench/results/<benchmark>.json; returns the file's path. */
export function writeResult(result: Omit<BenchResult, 'schema' | 'machine'>): string {
  const full: BenchResult = { schema: RESULT_SCHEMA, machine: machine(), ...result };
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${result.benchmark}.json`);
  fs.writeFileSync(file, `${JSON.stringify(full, null, 1)}\n`);
  console.log(`\n## ${result.benchmark} (${result.mode}, ${(result.durationMs / 1000).toFixed(1)} s, shared machine: ${full.machine.nproc} cores, load ${full.machine.loadAverage.join(' ')})\n`);
  console.log(table(full.rows));
  for (const note of result.notes) console.log(`- ${note}`);
  console.log(`\nwritten: ${path.relative(ROOT, file)}`);
  return file;
}
