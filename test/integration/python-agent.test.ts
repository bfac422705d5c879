/**
 * The pyzmq agent (agents/python) in real Python processes, reporting to a real zeromq.js ROUTER
 * that decodes every frame with the collector's own validator. Needs a Python that can
 * `import zmq` (CI installs Debian's python3-zmq); without one these tests fail, they never skip.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zmq from 'zeromq';
import { decode } from '../../src/protocol/codec';
import { fingerprint, type FingerprintSide } from '../../src/protocol/fingerprint';
import { python } from '../helpers/python';
import type {
  EndpointMsg, FirstMessages, HelloMsg, MonitorEventMsg, PeerTraffic, SnapshotMsg, SocketInfo, TelemetryMsg, TrafficMsg,
} from '../../src/protocol/types';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const AGENT_DIR = path.join(ROOT, 'agents', 'python');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'python');

/** The environment of an app: the agent on PYTHONPATH, activated only when `endpoint` is given. */
function appEnv(endpoint?: string, node?: string, extraPath: string[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('ZMQ_TOPOLOGY_')) delete env[key];
  env.PYTHONPATH = [AGENT_DIR, ...extraPath].join(path.delimiter);
  env.PYTHONUNBUFFERED = '1';
  env.PYTHONDONTWRITEBYTECODE = '1';
  if (endpoint) env.ZMQ_TOPOLOGY_ENDPOINT = endpoint;
  if (node) env.ZMQ_TOPOLOGY_NODE = node;
  return env;
}

async function waitFor<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = check();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** The host's monotonic clock in ms, read here (first-message stamps are on it: docs/PROTOCOL.md `mono`). */
const monotonicNow = (): number => Number(process.hrtime.bigint()) / 1e6;

interface Received { pid: number; msg: TelemetryMsg; receivedAt: number }

/** A telemetry ROUTER that attributes each frame to the agent (by the pid of its connection's hello). */
class Collector {
  readonly router = new zmq.Router({ linger: 0 });
  readonly received: Received[] = [];
  readonly malformed: string[] = [];
  private readonly pidOf = new Map<string, number>();
  endpoint = '';
  private loop: Promise<void> = Promise.resolve();

  async start(at = 'tcp://127.0.0.1:*'): Promise<void> {
    await this.router.bind(at);
    this.endpoint = this.router.lastEndpoint!;
    this.loop = (async () => {
      for await (const [id, ...frames] of this.router) {
        const key = id.toString('hex');
        if (frames.length !== 1) this.malformed.push(`${frames.length} frames in one message`);
        for (const frame of frames) {
          const result = decode(frame);
          if (!result.ok) {
            this.malformed.push(`${result.reason}: ${result.detail}`);
            continue;
          }
          if (result.msg.t === 'hello') this.pidOf.set(key, result.msg.pid);
          this.received.push({ pid: this.pidOf.get(key) ?? -1, msg: result.msg, receivedAt: Date.now() });
        }
      }
    })().catch(() => undefined);
  }

  async stop(): Promise<void> {
    if (!this.router.closed) this.router.close();
    await this.loop;
  }

  of<T extends TelemetryMsg['t']>(pid: number, t: T): Extract<TelemetryMsg, { t: T }>[] {
    return this.received.filter((r) => r.pid === pid && r.msg.t === t).map((r) => r.msg as Extract<TelemetryMsg, { t: T }>);
  }

  /** Every socket the agent of `pid` reported, from `socket` messages and snapshots. */
  sockets(pid: number): SocketInfo[] {
    return [...this.of(pid, 'socket'), ...this.of(pid, 'snapshot').flatMap((s: SnapshotMsg) => s.sockets)];
  }

  endpoints(pid: number, socket: number): { op: string; requested: string; resolved?: string }[] {
    return [
      ...this.of(pid, 'endpoint').filter((e: EndpointMsg) => e.socket === socket && e.ok),
      ...this.of(pid, 'snapshot').flatMap((s) => s.sockets.filter((x) => x.socket === socket).flatMap((x) => x.endpoints)),
    ];
  }

  /**
   * What the agent of `pid` counted in all, as a collector must add it up: the peers of its latest
   * snapshot (cumulative) plus the traffic deltas after it.
   */
  totals(pid: number, socket: number): PeerTraffic[] {
    const mine = this.received.filter((r) => r.pid === pid);
    const last = mine.map((r) => r.msg.t).lastIndexOf('snapshot');
    const base = last < 0 ? [] : (mine[last].msg as SnapshotMsg).sockets.flatMap((s) => s.peers);
    const deltas = mine.slice(last + 1).filter((r) => r.msg.t === 'traffic').flatMap((r) => (r.msg as TrafficMsg).peers);
    return [...base, ...deltas].filter((p) => p.socket === socket);
  }

  /** Every PeerTraffic entry with a first-messages log the agent of `pid` sent for `socket`, in arrival order. */
  firstLogs(pid: number, socket: number): (PeerTraffic & { first: FirstMessages })[] {
    const entries = this.received.filter((r) => r.pid === pid).flatMap((r) => r.msg.t === 'traffic' ? r.msg.peers
      : r.msg.t === 'snapshot' ? r.msg.sockets.flatMap((x) => x.peers) : []);
    return entries.filter((p): p is PeerTraffic & { first: FirstMessages } => p.socket === socket && p.first !== undefined);
  }

  traffic(pid: number, since = 0): PeerTraffic[] {
    return this.received
      .filter((r) => r.pid === pid && r.msg.t === 'traffic' && r.receivedAt >= since)
      .flatMap((r) => (r.msg as TrafficMsg).peers);
  }
}

interface App { child: ChildProcess; pid: number; stdout: string[]; exited: Promise<number | null> }

/** A ROUTER bound to a port another process holds (argv[1]), the error caught; SUBs: one subscribed to
 * b"a" twice and unsubscribed once (still subscribed), one never, one by the context's default. */
const BIND_FAIL_APP = `
import sys, time, zmq
ctx = zmq.Context()
router = ctx.socket(zmq.ROUTER)
try:
    router.bind("tcp://127.0.0.1:" + sys.argv[1])
except zmq.ZMQError as err:
    print("failed", err, flush=True)
counted = ctx.socket(zmq.SUB)
counted.connect("tcp://127.0.0.1:1")
counted.subscribe(b"a")
counted.setsockopt(zmq.SUBSCRIBE, b"a")
counted.unsubscribe(b"a")
forgotten = ctx.socket(zmq.SUB)
forgotten.connect("tcp://127.0.0.1:1")
ctx.setsockopt(zmq.SUBSCRIBE, b"")
defaulted = ctx.socket(zmq.SUB)
defaulted.connect("tcp://127.0.0.1:1")
# bind_to_random_port over a range: the ports it tries are the test's (the held one, then a free one).
import random
tries = iter([int(sys.argv[1]), int(sys.argv[2])])
random.randrange = lambda low, high: next(tries)
lucky = ctx.socket(zmq.ROUTER)
print("random port", lucky.bind_to_random_port("tcp://127.0.0.1", min_port=1024, max_port=65536), flush=True)
random.randrange = lambda low, high: int(sys.argv[1])
unlucky = ctx.socket(zmq.ROUTER)
try:
    unlucky.bind_to_random_port("tcp://127.0.0.1", min_port=int(sys.argv[1]), max_port=int(sys.argv[1]) + 1, max_tries=3)
except zmq.ZMQBindError as err:
    print("no port", err, flush=True)
time.sleep(30)
`;

/** `stdin`: keep a pipe to the app's stdin (fixtures driven by the test), else /dev/null. */
function start(script: string, args: string[], env: NodeJS.ProcessEnv, stdin = false): App {
  const child = spawn(python(), [path.resolve(FIXTURES, script), ...args], { env, stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    stdout.push(...lines);
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    if (code !== 0 && code !== null && stderr) process.stderr.write(`[${script}] ${stderr}`);
    resolve(code);
  }));
  return { child, pid: child.pid!, stdout, exited };
}

/** Runs a script to completion: its exit code, exact stdout and how long it took. */
function runToEnd(script: string, env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string; ms: number; pid: number }> {
  return new Promise((resolve, reject) => {
    const began = Date.now();
    // A fixture name, or an absolute path (a script written by the test).
    const child = spawn(python(), [path.resolve(FIXTURES, script)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${script} still running after ${timeoutMs} ms`)); }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - began, pid: child.pid! });
    });
  });
}

async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** 1-based line of the first line in a fixture containing `marker`. */
function lineOf(script: string, marker: string): number {
  const lines = fs.readFileSync(path.join(FIXTURES, script), 'utf8').split('\n');
  const index = lines.findIndex((l) => l.includes(marker));
  assert.ok(index >= 0, `${marker} in ${script}`);
  return index + 1;
}

describe('python agent', () => {
  const collector = new Collector();
  const apps: App[] = [];

  before(async () => {
    await collector.start();
  });

  after(async () => {
    for (const app of apps) app.child.kill('SIGKILL');
    await Promise.all(apps.map((a) => a.exited));
    await collector.stop();
  });

  it('reports a ROUTER broker and DEALER workers: types, routing ids, endpoints, traffic, heartbeats, a killed worker', async () => {
    const broker = start('broker.py', [], appEnv(collector.endpoint, 'broker'));
    apps.push(broker);
    const endpoint = await waitFor('the broker endpoint', () => broker.stdout[0]);
    assert.match(endpoint, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    const workers = ['worker-1', 'worker-2'].map((name) => start('worker.py', [name, endpoint], appEnv(collector.endpoint, name)));
    apps.push(...workers);

    const hello = await waitFor('the broker hello', () => collector.of(broker.pid, 'hello')[0]) as HelloMsg;
    assert.equal(hello.node, 'broker');
    assert.equal(hello.runtime.name, 'python');
    assert.match(hello.runtime.binding, /^pyzmq \d+\./);
    assert.match(hello.runtime.libzmq, /^4\.\d+\.\d+$/);
    assert.equal(typeof hello.runtime.disconnectMsg, 'boolean');
    assert.ok(hello.argv.some((a) => a.endsWith('broker.py')));

    const router = await waitFor('the broker ROUTER', () => collector.sockets(broker.pid).find((s) => s.type === 'ROUTER'));
    assert.equal(router.site?.file, path.join(FIXTURES, 'broker.py'));
    assert.equal(router.site?.line, lineOf('broker.py', 'ctx.socket(zmq.ROUTER)'));
    const binds = collector.endpoints(broker.pid, router.socket);
    assert.ok(binds.length >= 1);
    for (const e of binds) assert.deepEqual([e.op, e.requested, e.resolved], ['bind', 'tcp://127.0.0.1:*', endpoint]);
    assert.equal(collector.sockets(broker.pid).length > 0 && collector.sockets(broker.pid).every((s) => s.type === 'ROUTER'), true,
      'the agent reports only the app socket, never its own');

    for (const [i, name] of ['worker-1', 'worker-2'].entries()) {
      const dealer = await waitFor(`${name}'s DEALER`, () => collector.sockets(workers[i].pid).find((s) => s.type === 'DEALER'));
      assert.deepEqual(dealer.routingId, { hex: Buffer.from(name).toString('hex'), text: name });
      assert.equal(dealer.options.heartbeatIvl, 500, 'options are read after the app set them');
      assert.equal(dealer.options.linger, 0);
      const connects = await waitFor(`${name}'s connect`, () => collector.endpoints(workers[i].pid, dealer.socket).find((e) => e.op === 'connect'));
      assert.equal(connects.resolved, endpoint);
      await waitFor(`${name}'s handshake`, () => collector.of(workers[i].pid, 'event').find((e) => e.socket === dealer.socket && e.event === 'handshake'));
    }

    // The broker sees both peers by routing id, with heartbeat stamps that keep advancing.
    const stamps = (peer: string, since: number) => collector.traffic(broker.pid, since)
      .filter((p) => p.socket === router.socket && p.peer?.text === peer && p.lastHeartbeatIn !== undefined)
      .map((p) => p.lastHeartbeatIn!);
    const first = Date.now();
    await waitFor('advancing heartbeats from both workers', () => ['worker-1', 'worker-2'].every((w) => {
      const s = stamps(w, first);
      return s.length >= 2 && s[s.length - 1] > s[0];
    }));
    const w1 = collector.traffic(broker.pid).filter((p) => p.socket === router.socket && p.peer?.text === 'worker-1');
    assert.ok(w1.some((p) => (p.types.HEARTBEAT ?? 0) > 0 && p.msgsIn > 0 && p.msgsOut > 0 && p.bytesIn > 0));
    assert.ok(w1.some((p) => (p.types.READY ?? 0) === 1), 'READY counted once as a message type');
    assert.ok(w1.every((p) => p.lastHeartbeatOut === undefined || p.lastHeartbeatOut <= Date.now()));

    // kill -9 worker-2: the broker's own monitor reports the disconnect, and worker-2 goes quiet.
    const killedAt = Date.now();
    workers[1].child.kill('SIGKILL');
    await workers[1].exited;
    const gone = await waitFor('the broker seeing the disconnect', () => collector.received.find((r) =>
      r.pid === broker.pid && r.msg.t === 'event' && r.receivedAt >= killedAt
      && (r.msg as MonitorEventMsg).socket === router.socket && (r.msg as MonitorEventMsg).event === 'disconnect'));
    assert.equal((gone.msg as MonitorEventMsg).address, endpoint, 'a ROUTER reports its own bound address');
    const quietFrom = gone.receivedAt + 300;
    await sleep(1200);
    const later = collector.traffic(broker.pid, quietFrom).filter((p) => p.socket === router.socket);
    assert.ok(later.some((p) => p.peer?.text === 'worker-1' && p.msgsIn > 0), 'worker-1 still talks');
    assert.ok(!later.some((p) => p.peer?.text === 'worker-2'), 'no traffic from the killed worker-2');

    // Beats go on, and nothing the agents sent was refused.
    assert.ok(collector.of(broker.pid, 'beat').length >= 1);
    assert.deepEqual(collector.malformed, []);
    for (const pid of [broker.pid, workers[0].pid]) {
      const seqs = collector.received.filter((r) => r.pid === pid).map((r) => r.msg.seq);
      assert.deepEqual(seqs, seqs.map((_, i) => seqs[0] + i), 'seq counts up by one per message');
    }
  });

  it('leaves an app using Poller and recv_multipart byte-for-byte unchanged, and reports it', async () => {
    const plain = await runToEnd('poll_app.py', appEnv());
    assert.equal(plain.code, 0, plain.stderr);
    const traced = await runToEnd('poll_app.py', appEnv(collector.endpoint, 'poller'));
    assert.equal(traced.code, 0, traced.stderr);
    assert.equal(traced.stdout, plain.stdout);
    assert.equal(traced.stderr, plain.stderr);
    assert.match(plain.stdout, /\ndone\n$/);

    // It really was instrumented: its requests were counted, per routing id on the ROUTER.
    await waitFor('bye at exit', () => collector.of(traced.pid, 'bye').length === 1);
    const sockets = collector.sockets(traced.pid);
    const router = sockets.find((s) => s.type === 'ROUTER')!;
    assert.ok(router, 'ROUTER reported');
    assert.deepEqual(new Set(sockets.map((s) => s.type)), new Set(['ROUTER', 'DEALER', 'PULL', 'PUSH']));
    const requests = collector.totals(traced.pid, router.socket).filter((p) => p.peer?.text === 'd1')
      .reduce((n, p) => n + (p.types.REQ ?? 0), 0);
    assert.equal(requests, 7, 'd1 sent rounds 1, 4, ..., 19');
    assert.deepEqual(collector.malformed, []);
  });

  it('counts zmq.asyncio traffic', async () => {
    const run = await runToEnd('async_app.py', appEnv(collector.endpoint, 'async'));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /done\n$/);
    await waitFor('the asyncio bye', () => collector.of(run.pid, 'bye').length > 0);
    const dealer = collector.sockets(run.pid).find((s) => s.type === 'DEALER')!;
    assert.equal(dealer.routingId?.text, 'async-dealer');
    const sent = collector.totals(run.pid, dealer.socket);
    assert.equal(sent.reduce((n, p) => n + p.msgsOut, 0), 5);
    assert.equal(sent.reduce((n, p) => n + p.msgsIn, 0), 5);
    assert.equal(sent.reduce((n, p) => n + (p.types.ASYNC ?? 0), 0), 5);
  });

  it('lets the app finish promptly when nothing listens at ZMQ_TOPOLOGY_ENDPOINT', async () => {
    const plain = await runToEnd('poll_app.py', appEnv());
    const unreachable = await runToEnd('poll_app.py', appEnv(`tcp://127.0.0.1:${await unusedPort()}`), 10_000);
    assert.equal(unreachable.code, 0, unreachable.stderr);
    assert.equal(unreachable.stdout, plain.stdout);
    assert.ok(unreachable.ms < plain.ms + 1500, `took ${unreachable.ms} ms, ${plain.ms} ms without the agent`);
  });

  it('runs a pre-existing sitecustomize, with and without the agent, and starts nothing without an endpoint', async () => {
    const otherSite = path.join(FIXTURES, 'other_site');
    const state = async (endpoint?: string) => {
      const run = await runToEnd('probe_state.py', appEnv(endpoint, undefined, [otherSite]));
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, '');
      return JSON.parse(run.stdout) as { agentLoaded: boolean; hooked: boolean; plainSocketClass: boolean; threads: string[]; chained: boolean };
    };
    const off = await state();
    assert.deepEqual(off, { agentLoaded: false, hooked: false, plainSocketClass: true, threads: ['MainThread'], chained: true });
    const on = await state(`tcp://127.0.0.1:${await unusedPort()}`);
    assert.deepEqual(on, { agentLoaded: true, hooked: true, plainSocketClass: false, threads: ['MainThread', 'zmq-topology-agent'], chained: true });
  });

  it('counts whole messages on pyzmq\'s own C path, and through the app\'s overrides when it has them', async () => {
    // Plain sockets take the direct path (one agent frame per message, a lone whole frame included);
    // a socket class with the app's own recv keeps going through it. Both count the same, and the app gets the same frames.
    const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zt-py-')), 'paths.py');
    fs.writeFileSync(script, PATHS_APP);
    const run = await runToEnd(script, appEnv(`tcp://127.0.0.1:${await unusedPort()}`));
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as Record<'plain' | 'custom', { paths: string[]; got: string[][]; router: unknown; dealer: unknown; push: unknown; pull: unknown }> & { seen: number };
    assert.deepEqual(out.plain.paths, ['_DirectTraffic.recv_multipart', '_DirectTraffic.send_multipart', '_DirectTraffic.send', '_DirectTraffic.recv']);
    assert.deepEqual(out.custom.paths, ['_Traffic.recv_multipart', '_Traffic.send_multipart', '_Traffic.send', '_Traffic.recv']);
    assert.ok(out.seen > 0, 'the app\'s own recv ran');
    const types = { A: 1, B: 1, C: 1, PING: 1, E: 1 };
    // [msgsIn, msgsOut, bytesIn, bytesOut, heartbeat seen in, types]; a tuple and a memoryview part take pyzmq's own path.
    assert.deepEqual(out.plain.router, { d: [4, 1, 114, 2, true, types] });
    assert.deepEqual(out.plain.dealer, { '': [1, 4, 1, 110, false, types] });
    // Lone frames: a whole message each, but the one sent and received frame by frame (G, hh) is one too.
    const pipeTypes = { F: 1, G: 1, I: 1 };
    assert.deepEqual(out.plain.push, { '': [0, 3, 0, 5, false, pipeTypes] });
    assert.deepEqual(out.plain.pull, { '': [3, 0, 5, 0, false, pipeTypes] });
    assert.deepEqual(out.custom.router, out.plain.router);
    assert.deepEqual(out.custom.dealer, out.plain.dealer);
    assert.deepEqual(out.custom.push, out.plain.push);
    assert.deepEqual(out.custom.pull, out.plain.pull);
    assert.deepEqual(out.plain.got[5], ['F', 'G', 'hh', 'I']);
    assert.deepEqual(out.custom.got, out.plain.got);
    assert.deepEqual(out.plain.got[0], ['d', 'A', 'x'.repeat(100)]);
  });

  it('recognises two-frame heartbeats (a Majordomo worker\'s ["", "MDPW01", "\\x04"]) whole or frame by frame, as the Node agent does', () => {
    const run = spawnSync(python(), ['-c', HEARTBEAT_UNIT], { env: appEnv(), encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout) as Record<string, boolean>;
    assert.deepEqual(out, {
      wholeHeartbeat: true, wholeRequest: false, framesHeartbeat: true, framesRequest: false, routerHeartbeat: true,
      customOnly: true, customDefaultGone: false, paranoidPirate: true, cloneHugz: true,
    });
  });

  it('fingerprints messages exactly as src/protocol/fingerprint.ts does, and reports first-messages logs as the protocol says', () => {
    const run = spawnSync(python(), ['-c', FIRST_UNIT], { env: appEnv(), encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout) as {
      vectors: string[]; buffers: string[]; long: string;
      dealer: Record<'d1' | 'd2' | 'd3' | 'snapEmpty' | 'd4' | 'd5' | 'snap', PeerTraffic[]>;
      router: PeerTraffic[]; routerFrames: PeerTraffic[]; push: PeerTraffic[]; stream: PeerTraffic[];
    };
    // The shared test vectors (also in agents/python/zmq_topology/wire.py and src/protocol/fingerprint.ts).
    const b = (s: string) => Buffer.from(s, 'latin1');
    const vectors: [Buffer[], FingerprintSide, string][] = [
      [[b('hello')], 'dealer', 'dce96df7'],
      [[b('\x00\x6b\x8b\x45\x67'), b(''), b('hello')], 'router', 'dce96df7'],
      [[b(''), b('MDPW01'), b('\x02'), b('a much longer frame than sixteen bytes')], 'dealer', '49710501'],
      [[], 'dealer', '050c5d1f'],
      [[b('\x00\x6b\x8b\x45\x67'), b('\x00\x00\x00\x01'), b(''), b('hello')], 'router', 'dce96df7'],
      [[b('hello')], 'request', 'dce96df7'],
    ];
    assert.deepEqual(out.vectors, vectors.map(([, , fp]) => fp));
    for (const [frames, side, fp] of vectors) assert.equal(fingerprint(frames, side), fp);
    // bytearray, memoryview, zmq.Frame and str (as UTF-8) count as their bytes.
    assert.deepEqual(out.buffers, ['dce96df7', 'dce96df7', 'dce96df7', 'dce96df7']);
    const long = [b('A'.repeat(70_000)), ...Array.from({ length: 300 }, (_, i) => b(`frame ${i}`))];
    assert.equal(out.long, fingerprint(long, 'dealer'), 'lengths past 16 bits and more than 255 frames');

    const fp = (...frames: string[]) => fingerprint(frames.map(b), 'dealer');
    const fps = (log: [number, string][] | undefined) => (log ?? []).map(([, f]) => f);
    const { dealer } = out;
    // A delta carries the log while it grows: at most 4 each way, conn 1, times with microseconds.
    assert.equal(dealer.d1.length, 1);
    const first = dealer.d1[0].first!;
    assert.equal(first.conn, 1);
    assert.deepEqual(fps(first.out), [0, 1, 2, 3].map((i) => fp('JOB', `m-${i}`)));
    assert.deepEqual(fps(first.in), [fp('ack')]);
    for (const [t] of [...first.out, ...first.in]) {
      assert.ok(Math.abs(t - monotonicNow()) < 60_000, `${t} is ms on the host's monotonic clock`);
      assert.equal(Math.round(t * 1000) / 1000, t, `${t} has at most 3 decimals`);
    }
    assert.ok(first.out[0][0] <= first.out[3][0]);
    // Unchanged: no entry. After a disconnect without traffic: none either (and a snapshot leaves the empty log out).
    assert.deepEqual(dealer.d2, []);
    assert.deepEqual(dealer.d3, []);
    assert.equal(dealer.snapEmpty.length, 1);
    assert.equal(dealer.snapEmpty[0].first, undefined);
    // The next connection's log starts empty, with the messages sent after it (frame by frame = multipart).
    assert.deepEqual(dealer.d4[0].first, { conn: 2, out: [dealer.d4[0].first!.out[0]], in: [] });
    assert.deepEqual(fps(dealer.d4[0].first!.out), [fp('JOB', 'm-9')]);
    // Traffic that leaves the log as it was: the counts, no log. A snapshot: always the log.
    assert.equal(dealer.d5[0].msgsIn, 1);
    assert.equal(dealer.d5[0].first, undefined);
    assert.deepEqual(dealer.snap[0].first, { ...dealer.d4[0].first!, in: dealer.snap[0].first!.in });
    assert.deepEqual(fps(dealer.snap[0].first!.in), [fp('ack-2'), fp('ack-3'), fp('ack-3'), fp('ack-3')]);

    // A ROUTER logs per peer (routing id and delimiter stripped), without conn; multipart = frame by frame.
    assert.deepEqual(out.router.map((p) => [p.peer?.hex, p.first]), [
      ['0001020304', { out: [out.router[0].first!.out[0]], in: [out.router[0].first!.in[0]] }],
      ['0005060708', { out: [], in: [out.router[1].first!.in[0]] }],
    ]);
    assert.deepEqual(fps(out.router[0].first!.in), [fp('JOB', 'm-0')]);
    assert.deepEqual(fps(out.router[0].first!.out), [fp('ack')]);
    assert.deepEqual(fps(out.router[1].first!.in), [fp('hello')]);
    assert.deepEqual(out.routerFrames.map((p) => fps(p.first?.in)), [[fp('JOB', 'm-0')], [fp('hello')]]);
    // Other socket types log nothing.
    assert.ok(out.push.length === 1 && out.push[0].first === undefined);
    assert.ok(out.stream.length === 1 && out.stream[0].first === undefined);
  });

  it('reports ZMQ_ROUTER_HANDOVER when the app sets it, before or after the bind, and clears it when set to 0', async () => {
    const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zt-py-')), 'handover.py');
    fs.writeFileSync(script, HANDOVER_APP);
    const run = await runToEnd(script, appEnv(collector.endpoint, 'handover'));
    assert.equal(run.code, 0, run.stderr);
    await waitFor('the handover app\'s bye', () => collector.of(run.pid, 'bye').length > 0);
    /** The latest report of the ROUTER bound at inproc://`name` (socket messages and snapshots, in arrival order). */
    const latest = (name: string): SocketInfo => {
      const ids = new Set(collector.sockets(run.pid).filter((s) => s.type === 'ROUTER')
        .filter((s) => collector.endpoints(run.pid, s.socket).some((e) => e.op === 'bind' && e.requested === `inproc://${name}`))
        .map((s) => s.socket));
      assert.equal(ids.size, 1, `one ROUTER bound at inproc://${name}`);
      const reports = collector.received.filter((r) => r.pid === run.pid).flatMap((r) => r.msg.t === 'socket' ? [r.msg as SocketInfo]
        : r.msg.t === 'snapshot' ? r.msg.sockets : []).filter((s) => ids.has(s.socket));
      return reports[reports.length - 1];
    };
    assert.equal(latest('before').options.routerHandover, true, 'set before the bind: in the first report');
    assert.equal(latest('after').options.routerHandover, true, 'set after the bind: the socket is reported again');
    assert.equal(latest('after').options.linger, 0, 'with the options it was announced with');
    assert.equal(latest('context').options.routerHandover, true, 'a context default applies to the ROUTERs it makes');
    assert.equal('routerHandover' in latest('plain').options, false, 'never set: absent');
    assert.equal('routerHandover' in latest('cleared').options, false, 'set to 0 after the bind: cleared');
    assert.ok(collector.sockets(run.pid).some((s) => s.type === 'DEALER' && !('routerHandover' in s.options)), 'a DEALER of that context has none');
    assert.deepEqual(collector.malformed, []);
  });

  it('keeps a bind that failed before any collector listened, for the snapshot; counts SUB subscriptions as libzmq does; bind_to_random_port\'s tries are not failures', async () => {
    const held = net.createServer();
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
    const late = new Collector();
    try {
      const heldPort = (held.address() as net.AddressInfo).port;
      const endpoint = `tcp://127.0.0.1:${await unusedPort()}`;
      const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zt-py-')), 'bind_fail.py');
      fs.writeFileSync(script, BIND_FAIL_APP);
      const freePort = await unusedPort();
      const app = start(script, [String(heldPort), String(freePort)], appEnv(endpoint, 'bind-fail'));
      await waitFor('the failed bind', () => app.stdout.some((l) => l.startsWith('failed')));
      await waitFor('bind_to_random_port giving up', () => app.stdout.some((l) => l.startsWith('no port')));
      assert.ok(app.stdout.includes(`random port ${freePort}`), app.stdout.join('\n'));
      await sleep(200);
      await late.start(endpoint);
      const snapshot = await waitFor('a snapshot', () => late.of(app.pid, 'snapshot')[0]);
      const [router, lucky, unlucky] = snapshot.sockets.filter((s) => s.type === 'ROUTER');
      assert.deepEqual(router.endpoints, []);
      assert.equal(router.failed?.length, 1);
      assert.equal(router.failed![0].op, 'bind');
      assert.equal(router.failed![0].requested, `tcp://127.0.0.1:${heldPort}`);
      assert.equal(router.failed![0].times, 1);
      assert.match(router.failed![0].error, /in use/i);
      assert.deepEqual(snapshot.sockets.filter((s) => s.type === 'SUB').map((s) => s.options.subscriptions), [1, 0, 1]);
      // The held port was tried first: pyzmq took it as "try another", so the app saw no failure.
      assert.deepEqual(lucky.endpoints.map((e) => [e.op, e.requested]), [['bind', `tcp://127.0.0.1:${freePort}`]]);
      assert.equal(lucky.failed, undefined, JSON.stringify(lucky.failed));
      // No port free: the app got the helper's error, reported once on the range it tried.
      assert.deepEqual(unlucky.endpoints, []);
      assert.deepEqual(unlucky.failed?.map((f) => [f.op, f.requested, f.times]), [['bind', `tcp://127.0.0.1:${heldPort}-${heldPort}`, 1]]);
      assert.match(unlucky.failed![0].error, /random port/);
      assert.deepEqual(late.malformed, []);
      app.child.kill('SIGTERM');
      await app.exited;
    } finally {
      held.close();
      await late.stop();
    }
  });

  it('names the peer in a ROUTER\'s disconnect (ZMQ_SRCFD) for a client without an agent that said hello once, though the agent read its connection late and an inproc peer (no fd) spoke first', async () => {
    const router = start('late_router.py', [], appEnv(collector.endpoint, 'late-router'));
    apps.push(router);
    const endpoint = await waitFor('the ROUTER endpoint', () => router.stdout[0]);
    const plainEnv = { ...appEnv(), PYTHONPATH: '' };
    // Says hello once and idles: its one message is read before the agent thread sees the connection.
    const client = spawn(python(), [path.join(ROOT, 'test', 'fixtures', 'realapps', 'told_dealer.py'), endpoint, '3600000'], { env: plainEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    let told = '';
    client.stdout.setEncoding('utf8').on('data', (chunk: string) => { told += chunk; });
    try {
      const rid = await waitFor('the client told its routing id', () => /"peer": "([0-9a-f]+)"/.exec(told)?.[1]);
      const routerSocket = await waitFor('the ROUTER', () => collector.sockets(router.pid).find((s) => s.type === 'ROUTER'));
      await sleep(700); // the late `accepted` is read, and the agent has had a flush to stop tying
      client.kill('SIGKILL');
      const lost = await waitFor('the ROUTER\'s disconnect', () => collector.of(router.pid, 'event').find((e) => e.socket === routerSocket.socket && e.event === 'disconnect'));
      assert.equal(lost.peer?.hex, rid, `the disconnect names the client: ${JSON.stringify(lost)}`);
    } finally {
      client.kill('SIGKILL');
    }
  });

  it('counts the connections a PUB accepted from clients without an agent, per address, in events and snapshots; once the app takes the monitor over, no count at all', async () => {
    const endpoint = `tcp://127.0.0.1:${await unusedPort()}`;
    const app = start('taken_monitor_pub.py', [], appEnv(endpoint, 'taken-monitor'), true);
    apps.push(app);
    const bound = await waitFor('the PUB endpoint', () => app.stdout[0]);
    const plainEnv = { ...appEnv(), PYTHONPATH: '' };
    const subs = [0, 1].map(() => spawn(python(), [path.join(ROOT, 'test', 'fixtures', 'realapps', 'wuclient.py'), bound], { env: plainEnv, stdio: 'ignore' }));
    const first = new Collector();
    const second = new Collector();
    try {
      await sleep(500); // both connected, and the agent thread has read their accepts (no collector yet)
      await first.start(endpoint);
      const snapshot = await waitFor('a snapshot', () => first.of(app.pid, 'snapshot')[0]);
      const pub = snapshot.sockets.find((s) => s.type === 'PUB')!;
      assert.deepEqual(pub.accepted, [{ address: bound, open: 2 }], JSON.stringify(pub));
      subs[0].kill('SIGKILL');
      const closed = await waitFor('the bound-side disconnect', () => first.of(app.pid, 'event').find((e) => e.socket === pub.socket && e.event === 'disconnect'));
      assert.equal(closed.accepted, 1, JSON.stringify(closed));
      app.child.stdin!.write('monitor\n');
      await waitFor('the app took the monitor', () => app.stdout.includes('ok monitor'));
      await waitFor('the agent\'s monitor ended', () => first.of(app.pid, 'event').find((e) => e.socket === pub.socket && e.event === 'end'));
      await first.stop();
      for (let tries = 0; ; tries++) {
        try {
          await second.start(endpoint); // the port the agent reconnects to, once the first let go of it
          break;
        } catch (err) {
          if (tries >= 50) throw err;
          await sleep(100);
        }
      }
      const again = await waitFor('a snapshot on reconnecting', () => second.of(app.pid, 'snapshot')[0], 15_000);
      const pubAgain = again.sockets.find((s) => s.socket === pub.socket)!;
      assert.equal(pubAgain.accepted, undefined, `no count the agent can no longer keep: ${JSON.stringify(pubAgain)}`);
      assert.deepEqual([...first.malformed, ...second.malformed], []);
    } finally {
      for (const sub of subs) sub.kill('SIGKILL');
      await first.stop();
      await second.stop();
    }
  });

  it('logs the first messages of each connection: both ends agree, and a connecting socket starts a new log per connection', async () => {
    const router = start('first_router.py', [], appEnv(collector.endpoint, 'first-router'));
    apps.push(router);
    const endpoint = await waitFor('the ROUTER endpoint', () => router.stdout[0]);
    const client = start('first_client.py', [endpoint], appEnv(collector.endpoint, 'first-client'), true);
    apps.push(client);
    const command = async (line: string): Promise<void> => {
      client.child.stdin!.write(`${line}\n`);
      const done = await waitFor(line, () => client.stdout.find((l) => l.endsWith(` ${line}`)), 10_000);
      assert.equal(done, `ok ${line}`);
    };

    const routerSocket = await waitFor('the ROUTER', () => collector.sockets(router.pid).find((s) => s.type === 'ROUTER'));
    const dealer = await waitFor('the DEALER', () => collector.sockets(client.pid).find((s) => s.type === 'DEALER'));
    const req = await waitFor('the REQ', () => collector.sockets(client.pid).find((s) => s.type === 'REQ'));
    assert.equal(dealer.routingId, undefined, 'an anonymous DEALER');
    for (const s of [dealer, req]) {
      await waitFor('the client handshakes', () => collector.of(client.pid, 'event').find((e) => e.socket === s.socket && e.event === 'handshake'));
    }

    const fp = (...frames: string[]) => fingerprint(frames.map((f) => Buffer.from(f)), 'dealer');
    const fps = (log: [number, string][]) => log.map(([, f]) => f);
    const latest = (pid: number, socket: number, ok: (f: FirstMessages) => boolean) => {
      const logs = collector.firstLogs(pid, socket);
      const last = logs[logs.length - 1];
      return last && ok(last.first) ? last : undefined;
    };
    const full = (f: FirstMessages) => f.out.length === 4 && f.in.length === 4;
    /** The ROUTER's peer whose latest log received what the client socket sent. */
    const routerPeer = (pid: number, client: FirstMessages) => {
      const byPeer = new Map<string, PeerTraffic & { first: FirstMessages }>();
      for (const p of collector.firstLogs(pid, routerSocket.socket)) byPeer.set(p.peer!.hex, p);
      const found = [...byPeer.values()].filter((p) => p.first.in.length === client.out.length
        && p.first.out.length === client.in.length && fps(p.first.in).join() === fps(client.out).join());
      return found.length === 1 ? found[0] : undefined;
    };
    /** Causality, both ways: nothing is received more than 1 ms before it was sent. */
    const inOrder = (sent: [number, string][], got: [number, string][], what: string) => {
      for (const [i, [t]] of got.entries()) assert.ok(t >= sent[i][0] - 1, `${what} ${i}: received at ${t}, sent at ${sent[i][0]}`);
    };

    await command('dealer 5 before');
    await command('req 5 ask');
    const d1 = await waitFor('the DEALER\'s full log', () => latest(client.pid, dealer.socket, full));
    assert.equal(d1.first.conn, 1);
    assert.deepEqual(fps(d1.first.out), [0, 1, 2, 3].map((i) => fp('JOB', `before-${i}`)));
    assert.deepEqual(fps(d1.first.in), [0, 1, 2, 3].map((i) => fp('JOB', `ack:before-${i}`)));
    const q1 = await waitFor('the REQ\'s full log', () => latest(client.pid, req.socket, full));
    assert.equal(q1.first.conn, 1);
    assert.deepEqual(fps(q1.first.out), [0, 1, 2, 3].map((i) => fp(`ask-${i}`)));
    assert.deepEqual(fps(q1.first.in), [0, 1, 2, 3].map((i) => fp(`ack:ask-${i}`)));
    for (const [name, mine] of [['DEALER', d1.first], ['REQ', q1.first]] as const) {
      const peer = await waitFor(`the ROUTER's peer for the ${name}`, () => routerPeer(router.pid, mine));
      assert.match(peer.peer!.hex, /^00[0-9a-f]{8}$/, 'an auto routing id');
      assert.equal(peer.first.conn, undefined, 'a ROUTER logs per peer, without conn');
      assert.deepEqual(fps(peer.first.out), fps(mine.in), `the ROUTER sent what the ${name} received`);
      inOrder(mine.out, peer.first.in, `${name} → ROUTER`);
      inOrder(peer.first.out, mine.in, `ROUTER → ${name}`);
    }

    // The ROUTER dies and comes back on the same port: the DEALER's next connection has a log of its own.
    const killedAt = Date.now();
    const killedAtMono = monotonicNow();
    router.child.kill('SIGKILL');
    await router.exited;
    await waitFor('the DEALER\'s disconnect', () => collector.received.find((r) => r.pid === client.pid && r.receivedAt >= killedAt
      && r.msg.t === 'event' && r.msg.socket === dealer.socket && r.msg.event === 'disconnect'));
    const again = start('first_router.py', [endpoint], appEnv(collector.endpoint, 'first-router-2'));
    apps.push(again);
    assert.equal(await waitFor('the restarted ROUTER', () => again.stdout[0]), endpoint);
    await waitFor('the DEALER\'s second handshake', () => collector.received.find((r) => r.pid === client.pid && r.receivedAt >= killedAt
      && r.msg.t === 'event' && r.msg.socket === dealer.socket && r.msg.event === 'handshake'));
    await command('dealer 3 after');
    const d2 = await waitFor('the DEALER\'s second log', () => latest(client.pid, dealer.socket, (f) => f.conn === 2 && f.out.length === 3 && f.in.length === 3));
    assert.deepEqual(fps(d2.first.out), [0, 1, 2].map((i) => fp('JOB', `after-${i}`)), 'the log starts with the messages sent after the disconnect');
    assert.deepEqual(fps(d2.first.in), [0, 1, 2].map((i) => fp('JOB', `ack:after-${i}`)));
    assert.ok(d2.first.out[0][0] >= killedAtMono);
    assert.ok(!collector.firstLogs(client.pid, dealer.socket).some((p) => p.first.conn === 2 && fps(p.first.out).includes(fp('JOB', 'before-4'))));
    const peer2 = await waitFor('the restarted ROUTER\'s peer for the DEALER', () => routerPeer(again.pid, d2.first));
    assert.deepEqual(fps(peer2.first.out), fps(d2.first.in));
    inOrder(d2.first.out, peer2.first.in, 'DEALER → ROUTER (second connection)');
    inOrder(peer2.first.out, d2.first.in, 'ROUTER → DEALER (second connection)');
    // The REQ lost its connection too but has sent nothing since: nothing about its second connection.
    await sleep(400);
    assert.ok(!collector.firstLogs(client.pid, req.socket).some((p) => p.first.conn !== 1));
    assert.deepEqual(collector.malformed, []);

    client.child.stdin!.end();
    assert.equal(await client.exited, 0);
  });
});

/** The agent's fingerprint and first-messages reports, in-process (no telemetry needed). */
/** Heartbeat stamps of records fed Majordomo worker messages (test above). */
const HEARTBEAT_UNIT = `import json
from zmq_topology.record import SocketRecord
from zmq_topology.wire import parse_heartbeats

def beats(kind, feed, spec=None):
    rec = SocketRecord(1, kind, None, parse_heartbeats(spec), lambda msg: None)
    feed(rec)
    return any(s.hb_in is not None or s.hb_out is not None for s in rec.peers.values())

def frames(rec, parts):
    for i, part in enumerate(parts):
        rec.frame(False, part, i < len(parts) - 1)

print(json.dumps({
    "wholeHeartbeat": beats("DEALER", lambda r: r.message(False, [b"", b"MDPW01", b"\\x04"])),
    "wholeRequest": beats("DEALER", lambda r: r.message(True, [b"", b"MDPW01", b"\\x02", b"client", b"", b"body"])),
    "framesHeartbeat": beats("DEALER", lambda r: frames(r, [b"", b"MDPW01", memoryview(b"\\x04")])),
    "framesRequest": beats("DEALER", lambda r: frames(r, [b"", b"MDPW01", b"\\x02", b"client", b"", b"body"])),
    "routerHeartbeat": beats("ROUTER", lambda r: r.message(True, [b"worker-1", b"", b"MDPW01", b"\\x04"])),
    "customOnly": beats("DEALER", lambda r: r.message(False, [b"", b"MDPW02", b"\\x05"]), r"MDPW02|\\x05"),
    "customDefaultGone": beats("DEALER", lambda r: r.message(False, [b"", b"MDPW01", b"\\x04"]), r"MDPW02|\\x05"),
    "paranoidPirate": beats("DEALER", lambda r: r.message(False, [b"\\x02"])),
    "cloneHugz": beats("PUB", lambda r: r.message(False, [b"HUGZ", b"\\x00" * 8, b""])),
}))
`;

const FIRST_UNIT = `import json
import zmq
from zmq_topology.record import SocketRecord
from zmq_topology.wire import Heartbeats, fingerprint

vectors = [fingerprint([b"hello"], "dealer"), fingerprint([b"\\x00\\x6b\\x8b\\x45\\x67", b"", b"hello"], "router"),
           fingerprint([b"", b"MDPW01", b"\\x02", b"a much longer frame than sixteen bytes"], "dealer"), fingerprint([], "dealer"),
           fingerprint([b"\\x00\\x6b\\x8b\\x45\\x67", b"\\x00\\x00\\x00\\x01", b"", b"hello"], "router"),
           fingerprint([b"hello"], "request")]
buffers = [fingerprint([bytearray(b"hello")], "dealer"), fingerprint([memoryview(b"hello")], "dealer"),
           fingerprint([zmq.Frame(b"hello")], "dealer"), fingerprint(["hello"], "dealer")]
long = fingerprint([b"A" * 70000] + [b"frame %d" % i for i in range(300)], "dealer")


def record(kind, sid):
    return SocketRecord(sid, kind, None, Heartbeats(frozenset(), {}, 0), lambda msg: None)


dealer = record("DEALER", 1)
for i in range(6):
    dealer.message(False, [b"JOB", b"m-%d" % i])
dealer.frame(True, b"ack", False)
d1 = dealer.traffic(False)
d2 = dealer.traffic(False)
dealer.connection_lost()
d3 = dealer.traffic(False)
snap_empty = dealer.traffic(True)
dealer.frame(False, b"JOB", True)
dealer.frame(False, b"m-9", False)
d4 = dealer.traffic(False)
dealer.message(True, [b"ack-2"])
dealer.traffic(False)
for i in range(4):
    dealer.message(True, [b"ack-3"])
dealer.traffic(False)
dealer.message(True, [b"ack-4"])
d5 = dealer.traffic(False)
snap = dealer.traffic(True)

router = record("ROUTER", 2)
router.message(True, [b"\\x00\\x01\\x02\\x03\\x04", b"JOB", b"m-0"])
router.message(False, [zmq.Frame(b"\\x00\\x01\\x02\\x03\\x04"), b"ack"])
router.message(True, [b"\\x00\\x05\\x06\\x07\\x08", b"", b"hello"])
frames = record("ROUTER", 3)
for data, more in ((b"\\x00\\x01\\x02\\x03\\x04", True), (b"JOB", True), (b"m-0", False),
                   (b"\\x00\\x05\\x06\\x07\\x08", True), (b"", True), (b"hello", False)):
    frames.frame(True, data, more)
push = record("PUSH", 4)
push.message(False, [b"x"])
stream = record("STREAM", 5)
stream.message(True, [b"\\x00\\x01\\x02\\x03\\x04", b"x"])
print(json.dumps({"vectors": vectors, "buffers": buffers, "long": long,
                  "dealer": {"d1": d1, "d2": d2, "d3": d3, "snapEmpty": snap_empty, "d4": d4, "d5": d5, "snap": snap},
                  "router": router.traffic(False), "routerFrames": frames.traffic(False),
                  "push": push.traffic(False), "stream": stream.traffic(False)}))
`;

const PATHS_APP = `import json
import zmq


class LoggingSocket(zmq.Socket):
    seen = 0

    def recv(self, *args, **kwargs):  # an app's own override: the agent must go through it
        LoggingSocket.seen += 1
        return super().recv(*args, **kwargs)


class LoggingContext(zmq.Context):
    _socket_class = LoggingSocket


def run(ctx, name):
    router = ctx.socket(zmq.ROUTER)
    router.bind("inproc://" + name)
    dealer = ctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.ROUTING_ID, b"d")
    dealer.connect("inproc://" + name)
    dealer.send_multipart([b"A", b"x" * 100])
    dealer.send_multipart((b"B", b"y"))
    dealer.send_multipart([b"C", memoryview(b"zz")])
    dealer.send_multipart([b"PING"], copy=False)
    got = [router.recv_multipart() for _ in range(3)]
    got.append([bytes(f) for f in router.recv_multipart(copy=False)])
    router.send_multipart([b"d", b"E"])
    got.append(dealer.recv_multipart())
    pull = ctx.socket(zmq.PULL)
    pull.bind("inproc://" + name + "-pipe")
    push = ctx.socket(zmq.PUSH)
    push.connect("inproc://" + name + "-pipe")
    push.send(b"F")  # a lone whole frame
    push.send(b"G", zmq.SNDMORE)  # a message frame by frame
    push.send(b"hh")
    push.send_string("I")
    got.append([pull.recv().decode() for _ in range(4)])

    def counts(rec):
        return {(p or b"").decode(): [s.msgs_in, s.msgs_out, s.bytes_in, s.bytes_out, s.hb_in is not None,
                                      {k.decode(): v for k, v in s.types.items()}] for p, s in rec.peers.items()}

    return {"paths": [type(router).recv_multipart.__qualname__, type(dealer).send_multipart.__qualname__,
                      type(push).send.__qualname__, type(pull).recv.__qualname__],
            "got": [[f if isinstance(f, str) else f.decode() for f in m] for m in got],
            "router": counts(router._zt_rec), "dealer": counts(dealer._zt_rec), "push": counts(push._zt_rec), "pull": counts(pull._zt_rec)}


print(json.dumps({"plain": run(zmq.Context(), "a"), "custom": run(LoggingContext(), "b"), "seen": LoggingSocket.seen}))
`;

/** ROUTERs that set ZMQ_ROUTER_HANDOVER at different moments, each bound at its own inproc name. */
const HANDOVER_APP = `import zmq

ctx = zmq.Context()
sockets = []


def router(name, before=None, after=None):
    sock = ctx.socket(zmq.ROUTER)
    sock.setsockopt(zmq.LINGER, 0)
    if before is not None:
        sock.setsockopt(zmq.ROUTER_HANDOVER, before)
    sock.bind("inproc://" + name)
    if after is not None:
        sock.setsockopt(zmq.ROUTER_HANDOVER, after)
    sockets.append(sock)


router("before", before=1)
router("after", after=1)
router("plain")
router("cleared", before=1, after=0)

defaults = zmq.Context()
defaults.setsockopt(zmq.ROUTER_HANDOVER, 1)
from_defaults = defaults.socket(zmq.ROUTER)
from_defaults.bind("inproc://context")
dealer = defaults.socket(zmq.DEALER)
dealer.connect("inproc://context")
for sock in sockets + [from_defaults, dealer]:
    sock.close(linger=0)
ctx.term()
defaults.term()
`;
