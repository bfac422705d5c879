/**
 * The pyzmq agent (agents/python) in real Python processes, reporting to a real zeromq.js ROUTER
 * that decodes every frame with the collector's own validator. Needs a Python that can
 * `import zmq` (CI installs Debian's python3-zmq); without one these tests fail, they never skip.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zmq from 'zeromq';
import { decode } from '../../src/protocol/codec';
import { python } from '../helpers/python';
import type {
  EndpointMsg, HelloMsg, MonitorEventMsg, PeerTraffic, SnapshotMsg, SocketInfo, TelemetryMsg, TrafficMsg,
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

interface Received { pid: number; msg: TelemetryMsg; receivedAt: number }

/** A telemetry ROUTER that attributes each frame to the agent (by the pid of its connection's hello). */
class Collector {
  readonly router = new zmq.Router({ linger: 0 });
  readonly received: Received[] = [];
  readonly malformed: string[] = [];
  private readonly pidOf = new Map<string, number>();
  endpoint = '';
  private loop: Promise<void> = Promise.resolve();

  async start(): Promise<void> {
    await this.router.bind('tcp://127.0.0.1:*');
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
    this.router.close();
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

  traffic(pid: number, since = 0): PeerTraffic[] {
    return this.received
      .filter((r) => r.pid === pid && r.msg.t === 'traffic' && r.receivedAt >= since)
      .flatMap((r) => (r.msg as TrafficMsg).peers);
  }
}

interface App { child: ChildProcess; pid: number; stdout: string[]; exited: Promise<number | null> }

function start(script: string, args: string[], env: NodeJS.ProcessEnv): App {
  const child = spawn(python(), [path.join(FIXTURES, script), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
    // Plain sockets take the direct path (one agent frame per message); a socket class with the
    // app's own recv keeps going through it. Both count the same, and the app gets the same frames.
    const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zt-py-')), 'paths.py');
    fs.writeFileSync(script, PATHS_APP);
    const run = await runToEnd(script, appEnv(`tcp://127.0.0.1:${await unusedPort()}`));
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as Record<'plain' | 'custom', { paths: string[]; got: string[][]; router: unknown; dealer: unknown }> & { seen: number };
    assert.deepEqual(out.plain.paths, ['_DirectTraffic.recv_multipart', '_DirectTraffic.send_multipart']);
    assert.deepEqual(out.custom.paths, ['_Traffic.recv_multipart', '_Traffic.send_multipart']);
    assert.ok(out.seen > 0, 'the app\'s own recv ran');
    const types = { A: 1, B: 1, C: 1, PING: 1, E: 1 };
    // [msgsIn, msgsOut, bytesIn, bytesOut, heartbeat seen in, types]; a tuple and a memoryview part take pyzmq's own path.
    assert.deepEqual(out.plain.router, { d: [4, 1, 114, 2, true, types] });
    assert.deepEqual(out.plain.dealer, { '': [1, 4, 1, 110, false, types] });
    assert.deepEqual(out.custom.router, out.plain.router);
    assert.deepEqual(out.custom.dealer, out.plain.dealer);
    assert.deepEqual(out.custom.got, out.plain.got);
    assert.deepEqual(out.plain.got[0], ['d', 'A', 'x'.repeat(100)]);
  });
});

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

    def counts(rec):
        return {(p or b"").decode(): [s.msgs_in, s.msgs_out, s.bytes_in, s.bytes_out, s.hb_in is not None,
                                      {k.decode(): v for k, v in s.types.items()}] for p, s in rec.peers.items()}

    return {"paths": [type(router).recv_multipart.__qualname__, type(dealer).send_multipart.__qualname__],
            "got": [[f.decode() for f in m] for m in got], "router": counts(router._zt_rec), "dealer": counts(dealer._zt_rec)}


print(json.dumps({"plain": run(zmq.Context(), "a"), "custom": run(LoggingContext(), "b"), "seen": LoggingSocket.seen}))
`;
