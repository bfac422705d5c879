/**
 * The agent's CPU work per message, counted rather than timed: `valgrind --tool=callgrind` counts the
 * instructions a process executes (all its threads: JS, libzmq's I/O thread, the agent's), which
 * does not depend on what else runs on the machine. One side of a 64-byte DEALER → ROUTER stream runs
 * under callgrind and handles exactly N messages; the other side runs natively. The per-message figure
 * is the slope between two N (start-up and shutdown cancel out), plain and instrumented (the agent
 * loaded, collector gone: the same per-message path as with one, without the collector's process).
 *
 * Throughput ratios on a shared 2-core machine swing with the scheduler (docs/PERFORMANCE.md); this is
 * what the agent itself adds. The target: at most 3 % more instructions per message, the CPU side of
 * the ≥ 0.97 throughput budget. Under callgrind the process runs ~50× slower, so timer-driven work
 * (the agent's flush) weighs more per message than natively: the figure is an upper bound. Needs
 * valgrind (Debian's package); without it the run says so.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deadEndpoint } from './lib/collector';
import { startChild, type Child } from './lib/children';
import { atMost, isQuick, ROOT, summarize, writeResult, type Row } from './lib/report';

const NODE_AGENT = path.join(ROOT, 'out', 'src', 'agent', 'preload.js');
const PYTHON = '/usr/bin/python3';
const PYTHON_AGENT = path.join(ROOT, 'agents', 'python');
const APPS = { node: path.join(ROOT, 'bench', 'workloads', 'count-app.js'), python: path.join(ROOT, 'bench', 'workloads', 'count_app.py') };
const RATIO_TARGET = 1.03;

type Runtime = 'node' | 'python';
type Side = 'router' | 'dealer';
type Variant = 'plain' | 'instrumented';

const quick = isQuick();
/** Two message counts per measurement: the slope between them is the per-message cost. */
const COUNTS = quick ? [2000, 6000] : [20_000, 60_000];
/** Instruction counts repeat closely run to run (only JIT timing varies), so one round is a figure. */
const ROUNDS = 1;
const SIDE_TITLES: Record<Side, string> = { router: 'ROUTER receiving', dealer: 'DEALER sending' };

const hasValgrind = spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status === 0;
const pythonHasZmq = spawnSync(PYTHON, ['-c', 'import zmq'], { stdio: 'ignore' }).status === 0;

function command(runtime: Runtime, variant: Variant, dead: string): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.PYTHONPATH;
  delete env.ZMQ_TOPOLOGY_ENDPOINT;
  if (variant === 'instrumented') env.ZMQ_TOPOLOGY_ENDPOINT = dead;
  if (runtime === 'node') return { file: process.execPath, args: [...(variant === 'instrumented' ? ['-r', NODE_AGENT] : []), APPS.node], env };
  if (variant === 'instrumented') env.PYTHONPATH = PYTHON_AGENT;
  return { file: PYTHON, args: ['-u', APPS.python], env };
}

/** Instructions the measured side executes handling `n` messages (its whole life). */
async function instructions(runtime: Runtime, side: Side, variant: Variant, n: number, dead: string, dir: string): Promise<number> {
  const base = command(runtime, variant, dead);
  const out = path.join(dir, `callgrind.${runtime}.${side}.${variant}.${n}`);
  const callgrind = ['valgrind', '--tool=callgrind', `--callgrind-out-file=${out}`, base.file];
  const timeLimitMs = 600_000;
  const children: Child[] = [];
  try {
    const routerCmd = side === 'router' ? callgrind : [base.file];
    const router = startChild(routerCmd[0]!, [...routerCmd.slice(1), ...base.args, 'router', String(side === 'router' ? n : 0)], { cwd: ROOT, env: base.env, timeLimitMs });
    children.push(router);
    const { endpoint } = await router.nextLine() as { endpoint: string };
    const dealerCmd = side === 'dealer' ? callgrind : [base.file];
    const dealer = startChild(dealerCmd[0]!, [...dealerCmd.slice(1), ...base.args, 'dealer', String(side === 'dealer' ? n : 0), String(endpoint)], { cwd: ROOT, env: base.env, timeLimitMs });
    children.push(dealer);
    const measured = await (side === 'router' ? router : dealer).exited;
    if (measured.code !== 0) throw new Error(`${runtime} ${side} ${variant} ${n}: exited ${measured.signal ?? measured.code}\n${measured.stderr}`);
  } finally {
    for (const c of children) c.process.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
  }
  const summary = /^summary:\s+(\d+)/m.exec(fs.readFileSync(out, 'utf8'));
  if (!summary) throw new Error(`no instruction total in ${out}`);
  return Number(summary[1]);
}

interface Measurement {
  runtime: Runtime;
  side: Side;
  variant: Variant;
  round: number;
  totals: number[];
  perMessage: number;
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const notes: string[] = [];
  const rows: Row[] = [];
  const measurements: Measurement[] = [];
  if (!hasValgrind) {
    notes.push('SKIPPED: valgrind is not installed (apt-get install valgrind).');
  } else {
    const dead = await deadEndpoint();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zmq-topology-instructions-'));
    try {
      const runtimes: Runtime[] = pythonHasZmq ? ['node', 'python'] : ['node'];
      if (!pythonHasZmq) notes.push(`Python left out: ${PYTHON} cannot import zmq.`);
      for (const runtime of runtimes) {
        for (const side of ['router', 'dealer'] as const) {
          for (let round = 0; round < ROUNDS; round++) {
            for (const variant of ['plain', 'instrumented'] as Variant[]) {
              const totals: number[] = [];
              for (const n of COUNTS) totals.push(await instructions(runtime, side, variant, n, dead, dir));
              const perMessage = (totals[1]! - totals[0]!) / (COUNTS[1]! - COUNTS[0]!);
              measurements.push({ runtime, side, variant, round, totals, perMessage });
              process.stderr.write(`instructions: ${runtime} ${side} ${variant} round ${round + 1}: ${Math.round(perMessage)} per message\n`);
            }
          }
          const of = (variant: Variant) => measurements.filter((m) => m.runtime === runtime && m.side === side && m.variant === variant);
          const group = `${runtime}, ${SIDE_TITLES[side]} 64 B`;
          rows.push({ group, metric: 'instructions per message, plain', unit: 'instr', value: summarize(of('plain').map((m) => m.perMessage)) });
          rows.push({ group, metric: 'instructions per message, instrumented', unit: 'instr', value: summarize(of('instrumented').map((m) => m.perMessage)) });
          const ratios = of('instrumented').map((m) => m.perMessage / (of('plain').find((p) => p.round === m.round)?.perMessage ?? NaN));
          const ratio = summarize(ratios);
          rows.push({ group, metric: 'instrumented / plain (paired by round)', unit: 'ratio', value: ratio, target: atMost(ratio.median, RATIO_TARGET) });
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    notes.push(`valgrind --tool=callgrind on the measured side (all its threads), the other side native; per message = slope between ${COUNTS.join(' and ')} messages; ${ROUNDS} round.`);
    notes.push('Under callgrind a process runs ~50× slower, so work done on timers (the agent\'s 200 ms flush, the telemetry socket\'s reconnect attempts) counts ~50× more per message than natively: the instrumented figure is an upper bound on what the agent adds per message.');
    notes.push('"instrumented" = the agent loaded (node -r / sitecustomize) with ZMQ_TOPOLOGY_ENDPOINT on a port nobody listens on: the same per-message path as with a collector, without a collector process.');
  }
  if (quick) notes.push('QUICK MODE: small counts, one round: a smoke test, not figures.');
  writeResult({ benchmark: 'instructions', mode: quick ? 'quick' : 'full', startedAt: new Date(startedAt).toISOString(), durationMs: Date.now() - startedAt, rows, notes, raw: { counts: COUNTS, measurements } });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
