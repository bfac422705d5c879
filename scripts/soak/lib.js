// @ts-check
// Shared by the soak scripts in this folder: child processes that are always cleaned up, the collector
// child (collector-child.js) driven over stdin/stdout, /proc readings, and the result table each script
// prints. Needs `npx tsc -p .` first: it uses out/ (the collector, store and agent as built).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
// The built code under test: this checkout's out/, or SOAK_ROOT's (a tree built apart, e.g. from
// `git archive HEAD`, so a long run is not broken by someone recompiling a half-edited src/ mid-run).
const BUILT = process.env.SOAK_ROOT ? path.resolve(process.env.SOAK_ROOT) : ROOT;
const procs = require(path.join(BUILT, 'out', 'test', 'fixtures', 'hardening', 'procs.js'));
/** @type {typeof import('../../test/fixtures/hardening/procs').Proc} */
const Proc = procs.Proc;
const { freePort, MB, HARDENING, SYSTEM, NODE_AGENT } = procs;
const PYTHON_AGENT = path.join(BUILT, 'agents', 'python');
const APPS = path.join(__dirname, 'apps');

/** @param {string} name @param {number} fallback */
function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** @param {number[]} xs */
function median(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** "median (min–max)" as the benchmarks print it. @param {number[]} xs @param {number} [digits] */
function spread(xs, digits = 3) {
  if (xs.length === 0) return 'n/a';
  const f = (/** @type {number} */ x) => x.toFixed(digits);
  return `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))}), n=${xs.length}`;
}

/** Median of the last third minus median of the first third: growth that is not noise. @param {number[]} xs */
function thirdsGrowth(xs) {
  const third = Math.max(1, Math.floor(xs.length / 3));
  return median(xs.slice(-third)) - median(xs.slice(0, third));
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** CPU time (ms), RSS (bytes) and open fds of a process, or undefined once it is gone. @param {number} pid */
function procStat(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
    const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
    return { cpuMs, rss: rssKiB * 1024, fds };
  } catch {
    return undefined;
  }
}

/** What the machine and the checkout were when the numbers were taken. */
function context() {
  const git = (/** @type {string[]} */ args) => spawnSync('git', args, { cwd: ROOT }).stdout?.toString().trim();
  if (BUILT !== ROOT) {
    const commit = fs.existsSync(path.join(BUILT, 'COMMIT')) ? fs.readFileSync(path.join(BUILT, 'COMMIT'), 'utf8').trim() : '?';
    return { ...machine(), commit: `${commit} (built in ${BUILT})`, dirtySrc: '' };
  }
  const dirty = git(['status', '--porcelain', 'src', 'agents']);
  return {
    ...machine(),
    commit: git(['rev-parse', '--short', 'HEAD']),
    // Other people edit src/ while these run: say when out/ may hold uncommitted work.
    dirtySrc: dirty ? dirty.split('\n').map((l) => l.slice(3)).join(', ') : '',
  };
}

function machine() {
  return {
    node: process.version,
    cores: os.cpus().length,
    load: os.loadavg().map((x) => x.toFixed(2)).join(' '),
    memGiB: (os.totalmem() / 2 ** 30).toFixed(0),
  };
}

/** Every child a script starts; killAll() (also on SIGINT/SIGTERM and on failure) ends them all. */
class Group {
  constructor() {
    /** @type {Set<import('../../test/fixtures/hardening/procs').Proc>} */
    this.all = new Set();
    const onSignal = (/** @type {string} */ signal) => {
      console.error(`\n${signal}: killing ${this.all.size} children`);
      void this.killAll().then(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }

  /**
   * @param {string} file @param {string[]} args @param {string} label
   * @param {NodeJS.ProcessEnv} env @param {string[]} [stdio2] stderr: 'inherit' (default) or 'ignore'
   */
  spawn(file, args, label, env, stdio2 = ['inherit']) {
    const child = spawn(file, args, { cwd: ROOT, stdio: ['pipe', 'pipe', /** @type {'inherit'} */ (stdio2[0])], env });
    const proc = new Proc(child, label);
    this.all.add(proc);
    void proc.exited.then(() => this.all.delete(proc));
    return proc;
  }

  /**
   * A Node script; with `agent` (a collector endpoint, live or not) it runs under the Node agent.
   * @param {string} script @param {string[]} args
   * @param {{ agent?: string, name?: string, nodeArgs?: string[], env?: Record<string, string>, quiet?: boolean }} [o]
   */
  node(script, args = [], o = {}) {
    const env = cleanEnv(o.env);
    if (o.agent) Object.assign(env, { ZMQ_TOPOLOGY_ENDPOINT: o.agent }, o.name ? { ZMQ_TOPOLOGY_NODE: o.name } : {});
    const argv = [...(o.nodeArgs ?? []), ...(o.agent ? ['-r', NODE_AGENT] : []), script, ...args];
    return this.spawn(process.execPath, argv, o.name ?? path.basename(script), env, [o.quiet ? 'ignore' : 'inherit']);
  }

  /**
   * A Python script; with `agent` it runs with agents/python on PYTHONPATH (the pyzmq agent).
   * @param {string} python @param {string} script @param {string[]} args @param {{ agent?: string, name?: string }} [o]
   */
  python(python, script, args = [], o = {}) {
    const env = cleanEnv({ PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' });
    if (o.agent) Object.assign(env, { ZMQ_TOPOLOGY_ENDPOINT: o.agent, PYTHONPATH: PYTHON_AGENT }, o.name ? { ZMQ_TOPOLOGY_NODE: o.name } : {});
    return this.spawn(python, ['-u', script, ...args], o.name ?? path.basename(script), env);
  }

  async killAll() {
    await Promise.all([...this.all].map(async (p) => {
      if (p.running) p.process.kill('SIGKILL');
      await p.exited;
    }));
  }
}

/** The environment an uninstrumented app sees: no collector endpoint, no inherited preload. @param {Record<string, string>} [extra] */
function cleanEnv(extra = {}) {
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env, ...extra };
  for (const k of ['ZMQ_TOPOLOGY_ENDPOINT', 'ZMQ_TOPOLOGY_NODE', 'NODE_OPTIONS', 'PYTHONPATH']) if (!(k in extra)) delete env[k];
  return env;
}

/** The first of /usr/bin/python3, python3 that imports zmq, or undefined. */
function findPython() {
  for (const candidate of [process.env.ZMQ_TOPOLOGY_TEST_PYTHON, '/usr/bin/python3', 'python3']) {
    if (candidate && spawnSync(candidate, ['-c', 'import zmq'], { stdio: 'ignore', timeout: 10_000 }).status === 0) return candidate;
  }
  return undefined;
}

/**
 * @typedef {{ type: 'summary', takenAt: number, nodes: number, nodeStates: Record<string, number>,
 *   sockets: number, openSockets: number, edges: number, edgeStates: Record<string, number>, unknown: number,
 *   longestTimeline: number, dropped: number, malformedByNode: number,
 *   collector?: import('../../src/shared/snapshot').CollectorStatus }} Summary
 * @typedef {{ type: 'stats', memory: { rss: number, heapUsed: number }, cpuMs: number,
 *   eventLoop: { maxMs: number, p99Ms: number, meanMs: number },
 *   diffs: { count: number, maxBytes: number, totalBytes: number }, stalls: { at: number, ms: number, cpuMs: number }[],
 *   handles: string[], fds: number }} Stats
 */

/** collector-child.js, driven one request at a time. */
class SoakCollector {
  /** @param {import('../../test/fixtures/hardening/procs').Proc} proc @param {string} endpoint @param {number} spawnedAt */
  constructor(proc, endpoint, spawnedAt) {
    this.proc = proc;
    this.endpoint = endpoint;
    /** When the process was spawned (Date.now()), and when it printed that it listens. */
    this.spawnedAt = spawnedAt;
    this.listeningAt = Date.now();
    /** @type {Promise<unknown>} */
    this.chain = Promise.resolve();
  }

  /**
   * @param {Group} group
   * @param {{ port?: number, storeOptions?: object }} [o]
   */
  static async start(group, o = {}) {
    const spawnedAt = Date.now();
    const proc = group.node(path.join(__dirname, 'collector-child.js'), [], {
      nodeArgs: ['--expose-gc'], name: 'collector',
      env: { COLLECTOR_PORT: String(o.port ?? 0), STORE_OPTIONS: JSON.stringify(o.storeOptions ?? {}) },
    });
    const { endpoint } = /** @type {{ endpoint: string }} */ (await proc.line((/** @type {{ type?: string }} */ v) => v?.type === 'listening', 15_000));
    return new SoakCollector(proc, endpoint, spawnedAt);
  }

  get pid() {
    return /** @type {number} */ (this.proc.process.pid);
  }

  /** @template T @param {object} cmd @param {string} type @returns {Promise<T>} */
  request(cmd, type) {
    const next = this.chain.then(() => {
      const from = this.proc.lines.length;
      this.proc.send(JSON.stringify(cmd));
      return this.proc.line((/** @type {{ type?: string }} */ v) => v?.type === type, 180_000, from);
    });
    this.chain = next.catch(() => {});
    return /** @type {Promise<T>} */ (next);
  }

  /** @returns {Promise<Summary>} */
  summary() {
    return this.request({ cmd: 'summary' }, 'summary');
  }

  /** @returns {Promise<{ snapshot: import('../../src/shared/snapshot').TopologySnapshot, memory: { rss: number, heapUsed: number } }>} */
  snapshot() {
    return this.request({ cmd: 'snapshot' }, 'snapshot');
  }

  /** @param {boolean} [reset] @returns {Promise<Stats>} */
  stats(reset = false) {
    return this.request({ cmd: 'stats', reset }, 'stats');
  }

  /**
   * Polls (summary, or full snapshot with `full`) until `check` returns a truthy value; returns it with
   * the time it was first seen (the poll that saw it).
   * @template T
   * `check` takes a Summary, or a TopologySnapshot with `full` (typed by the caller's own annotation).
   * @param {string} what @param {(s: never) => T | undefined | null | false} check
   * @param {number} timeoutMs @param {{ full?: boolean, everyMs?: number }} [o]
   * @returns {Promise<{ value: T, at: number }>}
   */
  async waitFor(what, check, timeoutMs, o = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = o.full ? (await this.snapshot()).snapshot : await this.summary();
      const value = check(/** @type {never} */ (s));
      // Taken when the answer is back (the state may be up to one poll older): times measured are upper bounds.
      if (value) return { value, at: Date.now() };
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(s).slice(0, 1500)}`);
      await sleep(o.everyMs ?? 50);
    }
  }

  kill() {
    this.proc.process.kill('SIGKILL');
    return this.proc.exited;
  }

  /** Stops collector + store; what stayed open and whether the process then ended by itself. */
  async stop(timeoutMs = 5000) {
    const { resources } = /** @type {{ resources: string[] }} */ (await this.request({ cmd: 'stop' }, 'stopped'));
    this.proc.process.stdin?.end();
    const exitedByItself = await Promise.race([this.proc.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    return { resources, exitedByItself };
  }
}

/** The table every script ends with: what was checked, what was measured, the target, PASS/FAIL/info. */
class Report {
  /** @param {string} title */
  constructor(title) {
    this.title = title;
    /** @type {{ check: string, measured: string, target: string, ok: boolean | null }[]} */
    this.rows = [];
    this.startedAt = Date.now();
    this.context = context();
  }

  /** @param {string} check @param {string} measured @param {string} target @param {boolean | null} ok null = information only */
  row(check, measured, target, ok) {
    this.rows.push({ check, measured, target, ok });
    console.log(`  [${ok === null ? 'info' : ok ? 'PASS' : 'FAIL'}] ${check}: ${measured}`);
  }

  get failed() {
    return this.rows.some((r) => r.ok === false);
  }

  /** Prints the table; sets the exit code (1 on any failed check). @param {string[]} [notes] */
  print(notes = []) {
    const c = this.context;
    const secs = ((Date.now() - this.startedAt) / 1000).toFixed(0);
    const cell = (/** @type {string} */ s) => s.replace(/\|/g, '\\|');
    const lines = [
      '',
      `## ${this.title}`,
      `${new Date().toISOString()}, ${secs} s; commit ${c.commit}${c.dirtySrc ? ` + uncommitted ${c.dirtySrc}` : ''}; node ${c.node}; ${c.cores} cores, ${c.memGiB} GiB; load average at start ${c.load}, at end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
      '',
      '| check | measured | target | result |',
      '|---|---|---|---|',
      ...this.rows.map((r) => `| ${cell(r.check)} | ${cell(r.measured)} | ${cell(r.target)} | ${r.ok === null ? 'info' : r.ok ? 'PASS' : '**FAIL**'} |`),
      ...(notes.length ? ['', ...notes.map((n) => `- ${n}`)] : []),
      '',
      this.failed ? `RESULT: FAIL (${this.rows.filter((r) => r.ok === false).length} checks)` : 'RESULT: PASS',
    ];
    console.log(lines.join('\n'));
    process.exitCode = this.failed ? 1 : 0;
  }
}

/**
 * Runs a script's main with its Group, printing the error and killing every child on failure.
 * @param {(group: Group) => Promise<void>} main
 */
function run(main) {
  const group = new Group();
  main(group).then(async () => {
    await group.killAll();
  }, async (err) => {
    console.error(err);
    await group.killAll();
    process.exitCode = 2;
  });
}

const mb = (/** @type {number} */ bytes) => (bytes / MB).toFixed(1);

module.exports = {
  ROOT, BUILT, APPS, HARDENING, SYSTEM, NODE_AGENT, MB, arg, sleep, median, spread, thirdsGrowth, procStat, context,
  Group, SoakCollector, Report, run, freePort, findPython, mb,
};
