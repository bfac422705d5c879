/**
 * Record and replay through the command line, on real processes and sockets: `collect --record` on the
 * demo (a ROUTER broker, anonymous DEALER workers) while one worker is killed with SIGKILL; `replay
 * --json --at T` then prints, at each instant the live collector printed, the same picture (nodes,
 * sockets, edges with their states, routing ids, attribution, ages, lastDisconnect, timelines). Also: a
 * collector killed with SIGKILL leaves a readable file; the size cap stops the recording (exit 3) while
 * the live view goes on; truncated and corrupted files give a clear error with how much was read.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { ROOT } from '../helpers/system';
import type { EdgeView, TopologySnapshot } from '../../src/shared/snapshot';

const CLI = path.join(ROOT, 'out', 'src', 'cli', 'bin.js');
const DEMO = path.join(ROOT, 'examples', 'demo', 'run.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zmqrec-cli-'));
const started = new Set<ChildProcess>();
const killedPids: number[] = [];

after(async () => {
  await Promise.all([...started].map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  })));
  fs.rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function freePortBase(): Promise<number> {
  for (;;) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const ok = await Promise.all([0, 1, 2].map((i) => new Promise<boolean>((resolve) => {
      const server = net.createServer().once('error', () => resolve(false)).listen(base + i, '127.0.0.1', () => server.close(() => resolve(true)));
    })));
    if (ok.every(Boolean)) return base;
  }
}

/** A collector recording to `file`, the demo instrumented against it; live snapshots as they are printed. */
async function recordDemo(file: string, extra: string[]) {
  const collect = cli(['collect', '--port', '0', '--json', '--interval', '400', '--record', file, ...extra]);
  let stderr = '';
  collect.stderr!.on('data', (d: Buffer) => (stderr += d));
  const endpoint = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: collect.stderr! }).on('line', (line) => {
      const m = /Collector listening on (\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
    collect.once('exit', (code) => reject(new Error(`collect exited ${code} before listening: ${stderr}`)));
  });
  const live: TopologySnapshot[] = [];
  readline.createInterface({ input: collect.stdout! }).on('line', (l) => live.push(JSON.parse(l) as TopologySnapshot));
  const demo = cli(['run', '--endpoint', endpoint, '--', process.execPath, DEMO],
    { ...process.env, ZMQ_DEMO_PORT: String(await freePortBase()), ZMQ_DEMO_QUIET: '1' });
  const exited = new Promise<number | null>((resolve) => collect.once('exit', (code) => resolve(code)));
  return { collect, demo, live, exited, stderr: () => stderr };
}

async function stopDemo(demo: ChildProcess): Promise<void> {
  if (demo.exitCode !== null || demo.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => demo.once('exit', () => resolve()));
  demo.kill('SIGTERM');
  await gone;
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const SWEEP_EVENTS = new Set(['heartbeat-late', 'heartbeat-dead', 'recovered']);

/**
 * What must match: everything, except the timeline entries the live store's sweep timer adds
 * (heartbeat-late/dead, recovered: written when the timer ran, not by an input; docs/RECORDING.md).
 * The names the host's kernel table gives peers without an agent are recorded, so they must match too.
 */
function meaningful(s: TopologySnapshot): string {
  const edge = (e: EdgeView) => ({ ...e, timeline: e.timeline.filter((t) => !SWEEP_EVENTS.has(t.event)) });
  const byId = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => (a.id < b.id ? -1 : 1));
  return JSON.stringify({ takenAt: s.takenAt, collector: s.collector, nodes: byId(s.nodes), sockets: byId(s.sockets), edges: byId(s.edges.map(edge)) });
}

async function replayAt(file: string, at: number, exclusive = false): Promise<{ code: number; snapshot: TopologySnapshot; stdout: string }> {
  const r = await run(['replay', file, '--json', '--at', String(at), ...(exclusive ? ['--exclusive'] : [])]);
  assert.equal(r.code, 0, `replay --at ${at} exits 0: ${r.stderr}`);
  return { code: r.code, snapshot: JSON.parse(r.stdout) as TopologySnapshot, stdout: r.stdout };
}

const nodeNamed = (s: TopologySnapshot, name: string) => s.nodes.find((n) => n.name === name && !n.unknown);
/** The edge from a node's DEALER into the broker's backend ROUTER. */
function workerEdge(s: TopologySnapshot, name: string): EdgeView | undefined {
  const node = nodeNamed(s, name);
  const socket = node && s.sockets.find((x) => x.nodeId === node.id && x.type === 'DEALER');
  return socket && s.edges.find((e) => e.from === socket.id);
}

test('collect --record on the demo with a worker killed -9: replay --at prints what the live collector printed at those instants', async () => {
  const file = path.join(dir, 'demo.zmqrec');
  const rec = await recordDemo(file, ['--duration', '11']);
  // worker-1 is anonymous (no routing id): its edge is attributed by the broker's first messages.
  const before = await until('worker-1 connected to the broker with its routing id attributed', () => {
    const s = rec.live[rec.live.length - 1];
    const e = s && workerEdge(s, 'worker-1');
    return e && e.state === 'connected' && e.routingId && e.attribution !== 'unknown' ? s : undefined;
  });
  const pid = nodeNamed(before, 'worker-1')!.pid;
  process.kill(pid, 'SIGKILL');
  killedPids.push(pid);
  const code = await rec.exited;
  await stopDemo(rec.demo);
  assert.equal(code, 0, `collect --record --duration exits 0: ${rec.stderr()}`);
  assert.match(rec.stderr(), /Recording to .*demo\.zmqrec/);
  assert.match(rec.stderr(), /Recorded \d+ inputs, \d+ bytes/);

  // The demo's status watcher runs without the agent: the live collector names it from the kernel table.
  const watcherNamed = rec.live.some((s) => s.edges.some((e) => e.kernelPeers?.some((p) => /watcher\.js/.test(p.command ?? '') && p.pid !== undefined)));
  assert.ok(watcherNamed, 'collect names the status watcher on the broker\'s PUB (pid and command line)');
  const killed = rec.live.find((s) => nodeNamed(s, 'worker-1')?.state === 'exited');
  assert.ok(killed, 'the live collector saw worker-1 exit');
  const edgeAfter = workerEdge(killed, 'worker-1')!;
  assert.equal(edgeAfter.state, 'disconnected');
  assert.equal(edgeAfter.lastDisconnect?.reason, 'peer process exited');

  // Instants: before the kill, the first one after it, one in between, the last live one.
  const idxKilled = rec.live.indexOf(killed);
  const picks = [...new Set([rec.live.indexOf(before), Math.max(0, idxKilled - 1), idxKilled, Math.floor((idxKilled + rec.live.length) / 2), rec.live.length - 2])];
  let exclusiveMatches = 0;
  for (const i of picks) {
    const live = rec.live[i]!;
    let { snapshot } = await replayAt(file, live.takenAt);
    if (meaningful(snapshot) !== meaningful(live)) {
      // An input stamped in the very millisecond the live snapshot was taken may have come just after it.
      snapshot = (await replayAt(file, live.takenAt, true)).snapshot;
      exclusiveMatches++;
    }
    assert.equal(meaningful(snapshot), meaningful(live), `replay at live line ${i} (takenAt ${live.takenAt}) equals what the collector printed`);
  }
  assert.ok(exclusiveMatches <= 1, 'inclusive --at matches the live picture (same-millisecond inputs are rare)');

  // The picture before and after the kill, from the recording alone.
  const atBefore = (await replayAt(file, before.takenAt)).snapshot;
  assert.equal(workerEdge(atBefore, 'worker-1')?.state, 'connected');
  const atAfter = (await replayAt(file, killed.takenAt)).snapshot;
  assert.equal(workerEdge(atAfter, 'worker-1')?.lastDisconnect?.reason, 'peer process exited');
  assert.deepEqual(workerEdge(atAfter, 'worker-1')?.routingId, workerEdge(before, 'worker-1')?.routingId, 'the anonymous worker\'s routing id');

  // Offsets work as well as epoch milliseconds, and replay is a pure function of the file.
  const summary = JSON.parse((await run(['replay', file, '--json'])).stdout) as { startedAt: number; markers: { kind: string; who: string; offsetMs: number }[]; ended: string };
  const offset = `${killed.takenAt - summary.startedAt}ms`;
  const a = await run(['replay', file, '--json', '--at', offset]);
  const b = await run(['replay', file, '--at', offset, '--json']);
  assert.equal(a.code, 0);
  assert.equal(a.stdout, b.stdout, 'replaying twice prints the same bytes');
  assert.equal(a.stdout, (await replayAt(file, killed.takenAt)).stdout, 'an offset and its epoch milliseconds are the same instant');
  assert.equal(summary.ended, 'stopped');
  const gone = summary.markers.find((m) => m.kind === 'process-gone' && m.who.startsWith('worker-1'));
  assert.ok(gone, 'the summary lists worker-1\'s exit');
  assert.ok(gone.offsetMs > 0 && gone.offsetMs <= killed.takenAt - summary.startedAt);
  const text = await run(['replay', file]);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /duration {2}\+\d+\.\d{3}s; ended: stopped/);
  assert.match(text.stdout, new RegExp(`\\+\\d+\\.\\d{3}s {2}worker-1 \\(pid ${pid}\\): telemetry connection lost`));

  // A copy cut in the middle of a record, and one with bytes flipped: a clear error with how much was read.
  const whole = fs.readFileSync(file);
  const cut = path.join(dir, 'cut.zmqrec');
  fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.7)));
  const truncated = await run(['replay', cut]);
  assert.equal(truncated.code, 3);
  assert.match(truncated.stderr, /recording truncated at byte \d+ of \d+ \(.*\): read (\d+) bytes, (\d+) records, up to \+\d+\.\d{3}s/);
  const readUpTo = Number(/up to \+(\d+\.\d{3})s/.exec(truncated.stderr)![1]) * 1000;
  const early = await run(['replay', cut, '--json', '--at', `${Math.floor(readUpTo / 2)}ms`]);
  assert.equal(early.code, 3, 'still exit 3: the file is damaged');
  assert.ok((JSON.parse(early.stdout) as TopologySnapshot).nodes.some((n) => n.name === 'broker'), 'what was readable is replayed');
  const late = await run(['replay', cut, '--json', '--at', `${Math.ceil(readUpTo) + 5000}ms`]);
  assert.equal(late.code, 3);
  assert.match(late.stderr, /outside the recording.*\(the readable part\)/);

  const flipped = Buffer.from(whole);
  for (let i = 0; i < 8; i++) flipped[Math.floor(whole.length * 0.5) + i * 7]! ^= 0x5a;
  const bad = path.join(dir, 'flipped.zmqrec');
  fs.writeFileSync(bad, flipped);
  const corrupted = await run(['replay', bad, '--json']);
  assert.equal(corrupted.code, 3);
  assert.match(corrupted.stderr, /recording (corrupted|truncated) at byte \d+ of \d+ .*read \d+ bytes, \d+ records, up to \+/);
  assert.ok((JSON.parse(corrupted.stdout) as { records: number }).records > 0, 'the summary of the readable part is printed');
});

test('a collector killed with SIGKILL leaves a recording readable up to its last flush', async () => {
  const file = path.join(dir, 'killed.zmqrec');
  const rec = await recordDemo(file, []);
  await until('the demo reporting', () => rec.live.find((s) => nodeNamed(s, 'broker') && nodeNamed(s, 'worker-3')));
  await new Promise((r) => setTimeout(r, 1500)); // at least one flush after the workers came
  rec.collect.kill('SIGKILL');
  await rec.exited;
  await stopDemo(rec.demo);
  const r = await run(['replay', file, '--json']);
  assert.equal(r.code, 0, `a clean cut between blocks is not damage: ${r.stderr}`);
  const summary = JSON.parse(r.stdout) as { ended: string; records: number; agents: { name: string }[] };
  assert.match(summary.ended, /no end record: the recorder was killed/);
  assert.ok(summary.agents.some((a) => a.name === 'worker-3'), 'what was flushed is there');
  const last = await run(['replay', file, '--json', '--at', String(JSON.parse(r.stdout).endAt)]);
  assert.ok((JSON.parse(last.stdout) as TopologySnapshot).nodes.some((n) => n.name === 'broker' && n.state === 'live'));
});

test('the size cap stops the recording with a message and exit code 3, while the live view goes on', async () => {
  const file = path.join(dir, 'capped.zmqrec');
  const rec = await recordDemo(file, ['--duration', '4', '--record-max-mb', '0.004']);
  const code = await rec.exited;
  await stopDemo(rec.demo);
  assert.equal(code, 3);
  assert.match(rec.stderr(), /recording to .*capped\.zmqrec stopped: size cap of 4194 bytes reached\. The collector goes on/);
  assert.ok(fs.statSync(file).size <= 4194);
  assert.ok(rec.live.length >= 8 && rec.live[rec.live.length - 1]!.nodes.some((n) => n.name === 'worker-1'), 'live snapshots go on after the cap');
  const r = await run(['replay', file, '--json']);
  assert.equal(r.code, 0);
  assert.equal((JSON.parse(r.stdout) as { ended: string }).ended, 'size cap of 4194 bytes reached');
});

test('bad arguments and unwritable files get clear errors and documented exit codes', async () => {
  const cases: [string[], number, RegExp][] = [
    [['collect', '--record'], 2, /--record needs a value/],
    [['collect', '--port', '0', '--record-max-mb', '5'], 2, /--record-max-mb needs --record FILE/],
    [['collect', '--port', '0', '--record', path.join(dir, 'x.zmqrec'), '--record-max-mb', 'lots'], 2, /--record-max-mb must be a number/],
    [['collect', '--port', '0', '--record', path.join(dir, 'no', 'such', 'x.zmqrec')], 1, /cannot write the recording .*x\.zmqrec: ENOENT/],
    [['replay'], 2, /replay needs a recording/],
    [['replay', 'a.zmqrec', 'b.zmqrec'], 2, /replay takes one file; unexpected "b\.zmqrec"/],
    [['replay', 'a.zmqrec', '--bogus'], 2, /replay does not know --bogus/],
    [['replay', path.join(dir, 'missing.zmqrec')], 1, /cannot read .*missing\.zmqrec: ENOENT/],
    [['replay', CLI], 1, /not a zmq-topology recording/],
  ];
  for (const [args, code, message] of cases) {
    const r = await run(args);
    assert.equal(r.code, code, `${args.join(' ')} → exit ${code}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
});
