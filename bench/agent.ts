/**
 * Agent overhead: the same zeromq.js (and pyzmq) program run plain, instrumented with a collector,
 * and instrumented with no collector (the agent dropping), alternating run by run, so each
 * instrumented run has a plain neighbour measured seconds apart (round trips: at the same time). Then one long run with the
 * collector gone and memory samples, to see that the agent does not accumulate what it cannot send.
 *
 * Flags for iterating on one case (a partial run is labelled so in its notes): `--runtime node|python`,
 * `--scenario stream|reqrep|fanin` (comma-separated), `--rounds N`, `--no-memory`, `--sequential`.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startCollector, deadEndpoint } from './lib/collector';
import { rssKiB, startChild } from './lib/children';
import { atLeast, atMost, isQuick, ROOT, summarize, writeResult, type Row } from './lib/report';

const NODE_AGENT = path.join(ROOT, 'out', 'src', 'agent', 'preload.js');
const PYTHON = '/usr/bin/python3';
const PYTHON_AGENT = path.join(ROOT, 'agents', 'python');
const NODE_APP = path.join(ROOT, 'bench', 'workloads', 'zmq-app.js');
const PYTHON_APP = path.join(ROOT, 'bench', 'workloads', 'pyzmq_app.py');

type Runtime = 'node' | 'python';
type Scenario = 'stream' | 'reqrep' | 'fanin';
type Variant = 'plain' | 'instrumented' | 'dropping';

const SCENARIOS: readonly Scenario[] = ['stream', 'reqrep', 'fanin'];
const SCENARIO_TITLES: Record<Scenario, string> = {
  stream: '(a) DEALER→ROUTER stream, 64 B',
  reqrep: '(b) ROUTER↔DEALER round trips',
  fanin: '(c) 50 DEALERs → 1 ROUTER',
};
/** The agent with no collector matters where traffic is heavy; one-at-a-time round trips barely touch it. */
const DROPPING_SCENARIOS: ReadonlySet<Scenario> = new Set(['stream', 'fanin']);
/**
 * Round trips are timed with the round's plain and instrumented pairs running at the same time
 * (`--sequential`: one after the other, as before 2026-12-05). One round trip at a time leaves the
 * cores idle between messages, so a pair timed alone measured how fast this VM wakes an idle core:
 * p50 112 µs alone, 40 µs beside another pair, and p99s taken seconds apart from their baseline
 * differed by ±100 µs around a cost of a few µs. Side by side, both pairs see the same machine.
 */
const SIDE_BY_SIDE: ReadonlySet<Scenario> = new Set(process.argv.includes('--sequential') ? [] : ['reqrep']);
const THROUGHPUT_RATIO = 0.97;
const P99_EXTRA_US = 20;

const quick = isQuick();
const settings = quick
  ? { rounds: 1, warmupMs: 250, measureMs: 500, memoryRunMs: 20_000, memorySampleMs: 1000 }
  : { rounds: 5, warmupMs: 500, measureMs: 2000, memoryRunMs: 300_000, memorySampleMs: 5000 };

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
function listFlag<T extends string>(name: string, known: readonly T[]): readonly T[] {
  const value = flag(name);
  if (value === undefined) return known;
  const picked = value.split(',');
  const unknown = picked.filter((v) => !(known as readonly string[]).includes(v));
  if (unknown.length > 0 || picked.length === 0) throw new Error(`${name}: unknown ${unknown.join(', ')}; known: ${known.join(', ')}`);
  return picked as T[];
}
/** Debian's python3-zmq (what .ci/run installs); without it the Python rows are left out, and said so. */
const PYTHON_HAS_ZMQ = spawnSync(PYTHON, ['-c', 'import zmq'], { stdio: 'ignore' }).status === 0;
const RUNTIMES = listFlag<Runtime>('--runtime', ['node', 'python']).filter((r) => r !== 'python' || PYTHON_HAS_ZMQ);
const RUN_SCENARIOS = listFlag<Scenario>('--scenario', SCENARIOS);
if (flag('--rounds') !== undefined) settings.rounds = Math.max(1, Number(flag('--rounds')) || 1);
const withMemory = !process.argv.includes('--no-memory');
const partial = RUNTIMES.length < 2 || RUN_SCENARIOS.length < SCENARIOS.length || !withMemory;

interface Measurement {
  instrumented: boolean;
  messages: number;
  seconds: number;
  msgsPerSec: number;
  p50Us: number | null;
  p99Us: number | null;
  /** The measuring process's CPU per message (Node workload only). */
  cpuUsPerMsg?: number | null;
  /**
   * Node: heap used and external (Buffers, zeromq.js's message memory) after a full GC, and V8's young
   * generation as committed; Python: RSS only.
   */
  memory: MemorySample[];
}

type MemorySample = { atMs: number; rssKiB: number; heapUsedKiB: number | null; externalKiB?: number; youngKiB?: number };

interface Run extends Measurement {
  runtime: Runtime;
  scenario: Scenario;
  variant: Variant;
  round: number;
  /** Instrumented with a collector: whether the collector's store got this process's hello. */
  seenByCollector?: boolean;
}

function command(runtime: Runtime, variant: Variant, exposeGc: boolean): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.ZMQ_TOPOLOGY_ENDPOINT;
  delete env.NODE_OPTIONS;
  delete env.PYTHONPATH;
  if (runtime === 'node') {
    const args = [...(exposeGc ? ['--expose-gc'] : []), ...(variant === 'plain' ? [] : ['-r', NODE_AGENT]), NODE_APP];
    return { file: process.execPath, args, env };
  }
  if (variant !== 'plain') env.PYTHONPATH = PYTHON_AGENT;
  return { file: PYTHON, args: ['-u', PYTHON_APP], env };
}

/** One run: the ROUTER process, then the DEALER process; the measuring side's line is the result. */
async function runOnce(runtime: Runtime, scenario: Scenario, variant: Variant, endpoints: { collector: string; dead: string },
  timing: { warmupMs: number; measureMs: number; memorySampleMs: number }, onStarted?: (pids: number[]) => void): Promise<Measurement & { pids: number[]; senderMemory: MemorySample[] }> {
  const agentEndpoint = variant === 'instrumented' ? endpoints.collector : endpoints.dead;
  const base = command(runtime, variant, timing.memorySampleMs > 0);
  const env = { ...base.env, ...(variant === 'plain' ? {} : { ZMQ_TOPOLOGY_ENDPOINT: agentEndpoint }) };
  const timeLimitMs = timing.warmupMs + timing.measureMs + 30_000;
  const numbers = [timing.warmupMs, timing.measureMs, timing.memorySampleMs].map(String);
  const router = startChild(base.file, [...base.args, 'router', scenario, ...numbers], { cwd: ROOT, env: { ...env, ZMQ_TOPOLOGY_NODE: `bench-${runtime}-router` }, timeLimitMs });
  try {
    const { endpoint } = await router.nextLine() as { endpoint: string };
    const dealer = startChild(base.file, [...base.args, 'dealer', scenario, endpoint, ...numbers], { cwd: ROOT, env: { ...env, ZMQ_TOPOLOGY_NODE: `bench-${runtime}-dealer` }, timeLimitMs });
    const pids = [router.process.pid ?? 0, dealer.process.pid ?? 0];
    onStarted?.(pids);
    try {
      const measuring = scenario === 'reqrep' ? dealer : router;
      const result = await measuring.nextLine() as Measurement;
      const senderMemory = dealer.lines.flatMap((line) => (typeof line === 'object' && line !== null && 'sample' in line ? [line.sample as MemorySample] : []));
      return { ...result, pids, senderMemory };
    } finally {
      dealer.process.kill('SIGKILL');
      await dealer.exited;
    }
  } finally {
    router.process.kill('SIGKILL');
    await router.exited;
  }
}

function ratios(runs: readonly Run[], variant: Variant, value: (r: Run) => number | null, combine: (instrumented: number, plain: number) => number): number[] {
  const out: number[] = [];
  for (const run of runs.filter((r) => r.variant === variant)) {
    const plain = runs.find((r) => r.variant === 'plain' && r.round === run.round);
    const a = value(run);
    const b = plain ? value(plain) : null;
    if (a !== null && b !== null) out.push(combine(a, b));
  }
  return out;
}

function scenarioRows(runtime: Runtime, scenario: Scenario, runs: readonly Run[]): Row[] {
  const group = `${runtime} ${SCENARIO_TITLES[scenario]}`;
  const of = (variant: Variant, value: (r: Run) => number | null) =>
    summarize(runs.filter((r) => r.variant === variant).map(value).filter((v): v is number => v !== null));
  const variants: Variant[] = DROPPING_SCENARIOS.has(scenario) ? ['plain', 'instrumented', 'dropping'] : ['plain', 'instrumented'];
  const rows: Row[] = [];
  const rateName = scenario === 'reqrep' ? 'round trips/s' : 'msgs/s';
  for (const variant of variants) rows.push({ group, metric: `${rateName}, ${variant}`, unit: '1/s', value: of(variant, (r) => r.msgsPerSec) });
  for (const variant of variants) {
    rows.push({ group, metric: `p50 ${scenario === 'reqrep' ? 'round trip' : 'latency'}, ${variant}`, unit: 'µs', value: of(variant, (r) => r.p50Us) });
    rows.push({ group, metric: `p99 ${scenario === 'reqrep' ? 'round trip' : 'latency'}, ${variant}`, unit: 'µs', value: of(variant, (r) => r.p99Us) });
  }
  if (runtime === 'node') {
    const who = scenario === 'reqrep' ? 'DEALER' : 'ROUTER';
    for (const variant of variants) rows.push({ group, metric: `${who} CPU per message, ${variant}`, unit: 'µs', value: of(variant, (r) => r.cpuUsPerMsg ?? null) });
    rows.push({ group, metric: `${who} CPU per message instrumented / plain (paired by round)`, unit: 'ratio', value: summarize(ratios(runs, 'instrumented', (r) => r.cpuUsPerMsg ?? null, (a, b) => a / b)) });
  }
  const throughput = summarize(ratios(runs, 'instrumented', (r) => r.msgsPerSec, (a, b) => a / b));
  rows.push({
    group, metric: `${rateName} instrumented / plain (paired by round)`, unit: 'ratio', value: throughput,
    ...(scenario !== 'reqrep' ? { target: atLeast(throughput.median, THROUGHPUT_RATIO) } : {}),
  });
  if (DROPPING_SCENARIOS.has(scenario)) {
    const dropping = summarize(ratios(runs, 'dropping', (r) => r.msgsPerSec, (a, b) => a / b));
    rows.push({ group, metric: `${rateName} no collector (dropping) / plain`, unit: 'ratio', value: dropping, target: atLeast(dropping.median, THROUGHPUT_RATIO) });
  }
  if (scenario === 'reqrep') {
    const extra = summarize(ratios(runs, 'instrumented', (r) => r.p99Us, (a, b) => a - b));
    rows.push({ group, metric: 'p99 round trip instrumented − plain', unit: 'µs', value: extra, target: atMost(extra.median, P99_EXTRA_US) });
  }
  return rows;
}

interface MemoryRun {
  runtime: Runtime;
  /** 'dropping': the agent with the collector gone (the case measured); 'plain': the same app at the same time, for the baseline. */
  variant: 'dropping' | 'plain';
  /** The measuring (ROUTER) process: inside samples (heap after a full GC for Node). */
  router: MemorySample[];
  /** The sending (DEALER) process's own samples, as the ROUTER's (Node only). */
  dealer: MemorySample[];
  /** The DEALER's RSS from /proc, sampled by this process: the Python DEALER does not sample itself. */
  dealerFromProc: { atMs: number; rssKiB?: number }[];
  msgsPerSec: number;
}

async function memoryRun(runtime: Runtime, variant: MemoryRun['variant'], endpoints: { collector: string; dead: string }): Promise<MemoryRun> {
  const dealerFromProc: MemoryRun['dealerFromProc'] = [];
  const started = Date.now();
  let pids: number[] = [];
  const sampler = setInterval(() => {
    if (pids.length === 0) return;
    dealerFromProc.push({ atMs: Date.now() - started, rssKiB: rssKiB(pids[1]) });
  }, settings.memorySampleMs);
  try {
    // With the collector gone (issue 15's case): the agent keeps counting and drops telemetry; nothing may pile up.
    const result = await runOnce(runtime, 'stream', variant, endpoints,
      { warmupMs: 0, measureMs: settings.memoryRunMs, memorySampleMs: settings.memorySampleMs }, (started) => { pids = started; });
    return { runtime, variant, router: result.memory, dealer: result.senderMemory, dealerFromProc, msgsPerSec: result.msgsPerSec };
  } finally {
    clearInterval(sampler);
  }
}

/** Last sample − first, KiB to MiB (0 for an empty series). */
function spanMiB(kiB: readonly number[]): number {
  return kiB.length > 0 ? (kiB[kiB.length - 1]! - kiB[0]!) / 1024 : 0;
}

/** Growth from the first to the last third of a series (medians, so one GC spike does not count). */
function growth(values: readonly number[]): number {
  const third = Math.max(1, Math.floor(values.length / 3));
  return summarize(values.slice(-third)).median - summarize(values.slice(0, third)).median;
}

/**
 * One Node process of the memory run against the same process of the plain app beside it, first to
 * last sample (both climb in steps, each at its own time; thirds' medians read a step taken 100 s
 * apart as growth). The steps are V8's young generation, committed in doublings up to V8's cap as the
 * allocation rate keeps up (seen 1 → 4 → 8 → 16 → 32 MiB, the cap here): the agent allocates more per message, so its
 * process takes them sooner; bounded, not accumulated. The target is on the RSS outside it, and the
 * young generation is shown beside.
 */
function againstPlain(group: string, who: string, agent: readonly MemorySample[], plain: readonly MemorySample[]): Row[] {
  if (agent.length < 2 || plain.length < 2) return [];
  const rss = (samples: readonly MemorySample[]) => spanMiB(samples.map((s) => s.rssKiB));
  const outside = (samples: readonly MemorySample[]) => spanMiB(samples.map((s) => s.rssKiB - (s.youngKiB ?? 0)));
  const youngMiB = (samples: readonly MemorySample[]) => (samples[samples.length - 1]!.youngKiB ?? 0) / 1024;
  const extra = outside(agent) - outside(plain);
  return [
    { group, metric: `${who} RSS, first → last sample, agent − plain`, unit: 'MiB', value: summarize([rss(agent) - rss(plain)]) },
    { group, metric: `${who} V8 young generation at the end, with the agent`, unit: 'MiB', value: summarize([youngMiB(agent)]) },
    { group, metric: `${who} V8 young generation at the end, plain`, unit: 'MiB', value: summarize([youngMiB(plain)]) },
    { group, metric: `${who} RSS outside V8's young generation, first → last sample, agent − plain`, unit: 'MiB', value: summarize([extra]), target: atMost(extra, 5) },
  ];
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const collector = await startCollector();
  const endpoints = { collector: collector.endpoint, dead: await deadEndpoint() };
  const runs: Run[] = [];
  const notes: string[] = [];
  // Quick mode (a smoke test) overlaps the memory runs with the timed runs to stay short; full mode
  // runs them after, so they cannot disturb the timings.
  // Node's ROUTER RSS grew 5-9 MiB in every run with its heap flat: a plain Node run beside it says
  // how much of that the app and zeromq.js grow by themselves (Python's RSS is flat).
  const startMemoryRuns = () => {
    const pairs = RUNTIMES.flatMap((runtime): [Runtime, MemoryRun['variant']][] => (runtime === 'node' ? [[runtime, 'dropping'], [runtime, 'plain']] : [[runtime, 'dropping']]));
    process.stderr.write(`agent: memory runs, ${settings.memoryRunMs / 1000} s, side by side: ${pairs.map(([runtime, variant]) => `${runtime} ${variant === 'plain' ? 'plain' : 'with the agent'}`).join(', ')}\n`);
    return Promise.all(pairs.map(([runtime, variant]) => memoryRun(runtime, variant, endpoints)));
  };
  let memoryRuns = quick && withMemory ? startMemoryRuns() : undefined;
  memoryRuns?.catch(() => {});
  try {
    for (const runtime of RUNTIMES) {
      for (const scenario of RUN_SCENARIOS) {
        const variants: Variant[] = DROPPING_SCENARIOS.has(scenario) ? ['plain', 'instrumented', 'dropping'] : ['plain', 'instrumented'];
        for (let round = 0; round < settings.rounds; round++) {
          // Rotate the order each round so slow drift on the machine does not favour one variant.
          const order = variants.map((_, i) => variants[(i + round) % variants.length]);
          const sideBySide = SIDE_BY_SIDE.has(scenario);
          const together = sideBySide ? Promise.all(order.map((variant) => runOnce(runtime, scenario, variant, endpoints, { ...settings, memorySampleMs: 0 }))) : undefined;
          for (const [i, variant] of order.entries()) {
            const result = together ? (await together)[i]! : await runOnce(runtime, scenario, variant, endpoints, { ...settings, memorySampleMs: 0 });
            const run: Run = { ...result, runtime, scenario, variant, round };
            delete (run as Partial<typeof result>).pids;
            delete (run as Partial<typeof result>).senderMemory;
            if (variant === 'instrumented') run.seenByCollector = collector.store.snapshot().nodes.some((n) => result.pids.includes(n.pid));
            if (result.instrumented !== (variant !== 'plain')) {
              throw new Error(`${runtime} ${scenario} ${variant}: the measuring process reports instrumented=${result.instrumented}`);
            }
            runs.push(run);
            process.stderr.write(`agent: ${runtime} ${scenario} ${variant} round ${round + 1}/${settings.rounds}: ${Math.round(result.msgsPerSec)}/s p99 ${Math.round(result.p99Us ?? NaN)} µs\n`);
          }
          collector.store.clearExited();
        }
      }
    }
    const unseen = runs.filter((r) => r.seenByCollector === false);
    if (unseen.length > 0) throw new Error(`instrumented runs the collector never heard from: ${unseen.map((r) => `${r.runtime} ${r.scenario} #${r.round}`).join(', ')}`);
    notes.push('Every instrumented process reported instrumented=true and its hello reached the collector; "dropping" = ZMQ_TOPOLOGY_ENDPOINT on a port nobody listens on.');

    if (withMemory) memoryRuns ??= startMemoryRuns();
    const memory = memoryRuns ? await memoryRuns : [];
    const rows: Row[] = [];
    for (const runtime of RUNTIMES) {
      for (const scenario of RUN_SCENARIOS) rows.push(...scenarioRows(runtime, scenario, runs.filter((r) => r.runtime === runtime && r.scenario === scenario)));
    }
    for (const m of memory.filter((r) => r.variant === 'dropping')) {
      const group = `${m.runtime} memory, stream with the collector gone (dropping) ${settings.memoryRunMs / 1000} s`;
      const rss = m.router.map((s) => s.rssKiB);
      const rssGrowthMiB = growth(rss) / 1024;
      const plain = memory.find((r) => r.runtime === m.runtime && r.variant === 'plain');
      rows.push({ group, metric: 'ROUTER process RSS, first sample', unit: 'MiB', value: summarize([rss[0] / 1024]) });
      // With a plain app beside it, the target is on the difference (below): a plain zeromq.js app grows 3-8 MiB too.
      rows.push({ group, metric: 'ROUTER RSS growth, first → last third (medians)', unit: 'MiB', value: summarize([rssGrowthMiB]), ...(plain ? {} : { target: atMost(rssGrowthMiB, 5) }) });
      const heap = m.router.map((s) => s.heapUsedKiB).filter((v): v is number => v !== null);
      if (heap.length > 0) {
        const heapGrowthMiB = growth(heap) / 1024;
        rows.push({ group, metric: 'ROUTER heap used after GC, first sample', unit: 'MiB', value: summarize([heap[0] / 1024]) });
        rows.push({ group, metric: 'ROUTER heap growth after GC, first → last third', unit: 'MiB', value: summarize([heapGrowthMiB]), target: atMost(heapGrowthMiB, 1) });
      }
      // Buffers live outside the heap: an agent holding on to messages would grow here, not there.
      const external = m.router.map((s) => s.externalKiB).filter((v): v is number => v !== undefined);
      if (external.length > 0) {
        const externalGrowthMiB = growth(external) / 1024;
        rows.push({ group, metric: 'ROUTER external memory (Buffers) after GC, growth first → last third', unit: 'MiB', value: summarize([externalGrowthMiB]), target: atMost(externalGrowthMiB, 1) });
      }
      const dealerRss = (run: MemoryRun): number[] => run.dealerFromProc.map((s) => s.rssKiB).filter((v): v is number => v !== undefined);
      if (!plain && dealerRss(m).length > 2) {
        const dealerGrowthMiB = growth(dealerRss(m)) / 1024;
        rows.push({ group, metric: 'DEALER RSS growth, first → last third', unit: 'MiB', value: summarize([dealerGrowthMiB]), target: atMost(dealerGrowthMiB, 5) });
      }
      if (m.dealer.length > 0) {
        const dealerHeap = m.dealer.map((s) => s.heapUsedKiB).filter((v): v is number => v !== null);
        const heapGrowthMiB = growth(dealerHeap) / 1024;
        rows.push({ group, metric: 'DEALER heap growth after GC, first → last third', unit: 'MiB', value: summarize([heapGrowthMiB]), target: atMost(heapGrowthMiB, 1) });
        const externalGrowthMiB = growth(m.dealer.map((s) => s.externalKiB ?? 0)) / 1024;
        rows.push({ group, metric: 'DEALER external memory (Buffers) after GC, growth first → last third', unit: 'MiB', value: summarize([externalGrowthMiB]), target: atMost(externalGrowthMiB, 1) });
      }
      rows.push({ group, metric: 'msgs/s during the memory run', unit: '1/s', value: summarize([m.msgsPerSec]) });
      if (plain) {
        const plainGrowthMiB = growth(plain.router.map((s) => s.rssKiB)) / 1024;
        rows.push({ group, metric: 'plain app (no agent) at the same time: ROUTER RSS growth', unit: 'MiB', value: summarize([plainGrowthMiB]) });
        rows.push({ group, metric: 'plain app: msgs/s during the memory run', unit: '1/s', value: summarize([plain.msgsPerSec]) });
        rows.push({ group, metric: 'ROUTER RSS growth, first → last third, agent − plain', unit: 'MiB', value: summarize([rssGrowthMiB - plainGrowthMiB]) });
        rows.push(...againstPlain(group, 'ROUTER', m.router, plain.router));
        rows.push(...againstPlain(group, 'DEALER', m.dealer, plain.dealer));
      }
    }
    notes.push(`${settings.rounds} rounds per scenario, ${settings.warmupMs} ms warm-up + ${settings.measureMs} ms measured per run; ROUTER and DEALER in two processes on tcp loopback, both instrumented in the instrumented variants.`);
    notes.push(SIDE_BY_SIDE.size > 0
      ? `Round trips: each round's plain and instrumented pairs ran at the same time (one round trip at a time barely loads the cores; alone, a pair times how fast the VM wakes an idle core). The throughput scenarios ran one variant at a time.`
      : 'SEQUENTIAL: every variant ran alone, round trips too (--sequential).');
    notes.push('Stream/fan-in latency is one-way send→receive under a saturating sender, so it is queueing delay (HWM-bound), reported for comparison only.');
    notes.push('"Flat" memory is taken as: Node heap and Buffers after a full GC growing ≤ 1 MiB each (ROUTER and DEALER, first → last third), and each Node process\'s RSS outside V8\'s young generation, first → last sample, ≤ 5 MiB more than the plain app\'s beside it (both climb in steps at their own times). The young generation is shown, not judged: V8 commits it in doublings up to its cap as the allocation rate keeps up, and the agent\'s process gets there sooner. Python RSS growth ≤ 5 MiB (first → last third). The memory runs (Node with the agent, Node plain, Python with the agent) ran at the same time.');
    if (!PYTHON_HAS_ZMQ) notes.push(`Python left out: ${PYTHON} cannot import zmq (apt-get install python3-zmq).`);
    if (partial) notes.push(`PARTIAL RUN: runtimes ${RUNTIMES.join(', ')}; scenarios ${RUN_SCENARIOS.join(', ')}; memory run ${withMemory ? 'included' : 'skipped'}.`);
    if (quick) notes.push('QUICK MODE: 1 round, and the memory runs overlapped the timed runs: the timings are a smoke test, not figures.');
    writeResult({ benchmark: 'agent', mode: quick ? 'quick' : 'full', startedAt: new Date(startedAt).toISOString(), durationMs: Date.now() - startedAt, rows, notes, raw: { settings, runs, memory } });
  } finally {
    await collector.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
