/**
 * A real Collector (ROUTER on an OS-chosen port) with real DEALER sockets in a separate zeromq
 * Context sending encoded telemetry, garbage, and a child process that is killed with SIGKILL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as zmq from 'zeromq';
import { Collector, MAX_FRAME_BYTES, RECEIVE_HWM } from '../../src/collector/collector';
import { TopologyStore } from '../../src/model/store';
import type { TopologySnapshot } from '../../src/shared/snapshot';
import { encode } from '../../src/protocol/codec';
import { LIMITS } from '../../src/protocol/types';
import { DEALER_SOCKET, FakeAgent, ROUTER_SOCKET } from '../fixtures/collector/telemetry';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CHILD = path.join(ROOT, 'test', 'fixtures', 'collector', 'agent-child.js');

async function waitFor<T>(store: TopologyStore, what: string, check: (s: TopologySnapshot) => T | undefined | false, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = store.snapshot();
    const result = check(s);
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${JSON.stringify(s, null, 1).slice(0, 3000)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function portOf(endpoint: string): number {
  return Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
}

describe('collector with real DEALERs', () => {
  const context = new zmq.Context();
  const dealers: zmq.Dealer[] = [];
  let store: TopologyStore;
  let collector: Collector;
  let endpoint: string;

  async function dealer(): Promise<zmq.Dealer> {
    const socket = new zmq.Dealer({ context, linger: 0 });
    socket.connect(endpoint);
    dealers.push(socket);
    return socket;
  }

  before(async () => {
    store = new TopologyStore({ sweepIntervalMs: 50, notifyIntervalMs: 50 });
    store.start();
    collector = new Collector(store, { port: 0 });
    endpoint = await collector.start();
  });
  after(async () => {
    for (const d of dealers) d.close();
    await collector.stop();
    store.dispose();
  });

  test('listens on loopback and tells agents where', () => {
    assert.match(endpoint, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(collector.endpoint, endpoint);
    assert.deepEqual(collector.agentEnv, { ZMQ_TOPOLOGY_ENDPOINT: endpoint });
  });

  test('telemetry from a broker and two workers becomes the picture', async () => {
    const now = Date.now();
    const broker = new FakeAgent({ pid: 1000, node: 'broker' });
    const b = await dealer();
    for (const m of [broker.hello(now), broker.socket(now, ROUTER_SOCKET, 'ROUTER'), broker.bind(now, ROUTER_SOCKET, 'tcp://*:*', 'tcp://0.0.0.0:7001')]) {
      await b.send(encode(m));
    }
    for (const id of ['w1', 'w2']) {
      const worker = new FakeAgent({ pid: id === 'w1' ? 1001 : 1002, node: id });
      const w = await dealer();
      for (const m of [worker.hello(now), worker.socket(now, DEALER_SOCKET, 'DEALER', id), worker.connect(now, DEALER_SOCKET, 'tcp://127.0.0.1:7001'),
        worker.event(now, DEALER_SOCKET, 'handshake', 'tcp://127.0.0.1:7001'), worker.heartbeats(now, DEALER_SOCKET)]) {
        await w.send(encode(m));
      }
      await b.send(encode(broker.heartbeats(now, ROUTER_SOCKET, { peer: id })));
    }
    const s = await waitFor(store, 'two connected edges', (snap) => snap.edges.filter((e) => e.state === 'connected').length === 2 && snap);
    assert.deepEqual(s.edges.map((e) => e.routingId?.text).sort(), ['w1', 'w2']);
    assert.ok(s.edges.every((e) => e.to === broker.socketId(ROUTER_SOCKET)));
    assert.equal(s.collector?.listening, true);
    assert.equal(s.collector?.agents, 3);
    assert.equal(s.collector?.endpoint, endpoint);
  });

  test('garbage frames are counted per reason and the valid picture stays correct', async () => {
    const before = store.snapshot();
    const g = await dealer();
    const agent = new FakeAgent({ pid: 2000, node: 'noisy' });
    await g.send(encode(agent.hello(Date.now())));
    await g.send(Buffer.from('not json'));
    await g.send(Buffer.from([0xff, 0xfe]));
    await g.send(Buffer.from('[1]'));
    await g.send(Buffer.from('{"v":99,"t":"beat"}'));
    await g.send(Buffer.from('{"v":1,"t":"nope","seq":1,"at":1}'));
    await g.send(Buffer.from('{"v":1,"t":"beat","seq":"x","at":1,"dropped":0,"queued":0}'));
    await g.send(Buffer.alloc(1024 * 1024 + 1, 0x20));
    await g.send([Buffer.from('two'), Buffer.from('frames')]);
    await g.send(encode(agent.beat(Date.now(), 4)));
    const s = await waitFor(store, 'all garbage counted', (snap) => {
      const m = snap.collector?.malformed ?? {};
      return Object.values(m).reduce((a, b) => a + b, 0) === 8 && snap.nodes.find((n) => n.name === 'noisy')?.dropped === 4 && snap;
    });
    assert.deepEqual({ ...s.collector?.malformed }, {
      'not-json': 1, 'not-utf8': 1, 'not-object': 1, 'bad-version': 1, 'unknown-type': 1, 'bad-field': 1, 'too-large': 1, 'frame-count': 1,
    });
    assert.equal(s.nodes.find((n) => n.name === 'noisy')?.malformed, 8);
    assert.deepEqual(s.edges.map((e) => [e.id, e.state]), before.edges.map((e) => [e.id, e.state]), 'the picture is unchanged');
  });

  test('a frame far over the cap is never buffered: libzmq cuts that agent\'s connection; it says hello again and is back', async () => {
    const d = await dealer();
    const agent = new FakeAgent({ pid: 2500, node: 'huge' });
    const events: string[] = [];
    const onAgent = (_key: string, what: string, reason?: string) => events.push(`${what}${reason ? `: ${reason}` : ''}`);
    collector.on('agent', onAgent);
    try {
      await d.send(encode(agent.hello(Date.now())));
      await waitFor(store, 'huge live', (s) => s.nodes.find((n) => n.name === 'huge')?.state === 'live');
      const tooLarge = store.snapshot().collector?.malformed['too-large'] ?? 0;
      await d.send(Buffer.alloc(MAX_FRAME_BYTES + 1, 0x20));
      const gone = await waitFor(store, 'huge cut off', (s) => s.nodes.find((n) => n.name === 'huge' && n.state === 'exited'));
      assert.ok(gone, 'the cut shows on the node');
      assert.ok(events.includes('gone: telemetry connection lost'), events.join(', '));
      assert.equal(store.snapshot().collector?.malformed['too-large'] ?? 0, tooLarge, 'never received, so not decoded either');
      // What a real agent does on every reconnect: hello again.
      await d.send(encode(agent.hello(Date.now())));
      await waitFor(store, 'huge back', (s) => s.nodes.find((n) => n.name === 'huge')?.state === 'live');
      await d.send(encode(agent.bye(Date.now(), 'done'))); // the later tests count the live nodes
      await waitFor(store, 'huge gone', (s) => s.nodes.find((n) => n.name === 'huge')?.state === 'exited');
    } finally {
      collector.off('agent', onAgent);
    }
  });

  test('the per-agent receive queue is bounded in messages, and the frame size cap leaves room for too-large frames', () => {
    assert.ok(RECEIVE_HWM <= 1000, 'a flood of 64 agents held ~1 GB with 10,000');
    assert.ok(MAX_FRAME_BYTES > LIMITS.frameBytes, 'frames just over the protocol cap are still counted as too-large');
    assert.ok(RECEIVE_HWM * MAX_FRAME_BYTES <= 2 * 1024 ** 3, 'worst case per agent stays bounded');
  });

  test('bye: the node exits at once with the agent\'s reason, and the agent is gone', async () => {
    const d = await dealer();
    const agent = new FakeAgent({ pid: 3000, node: 'polite' });
    const events: string[] = [];
    const onAgent = (_key: string, what: string, reason?: string) => events.push(`${what}${reason ? `: ${reason}` : ''}`);
    collector.on('agent', onAgent);
    try {
      await d.send(encode(agent.hello(Date.now())));
      await d.send(encode(agent.bye(Date.now(), 'normal exit')));
      await waitFor(store, 'polite exited', (s) => s.nodes.find((n) => n.name === 'polite')?.state === 'exited');
      assert.deepEqual(events, ['joined', 'gone: bye: normal exit']);
    } finally {
      collector.off('agent', onAgent);
    }
  });

  test('a DEALER in a child process killed with SIGKILL: its node is exited within 1 s', async () => {
    const child = spawn(process.execPath, [CHILD, endpoint, 'doomed'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await new Promise<void>((resolve, reject) => {
        readline.createInterface({ input: child.stdout! }).once('line', () => resolve());
        child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
      });
      await waitFor(store, 'the child node', (s) => s.nodes.some((n) => n.name === 'doomed' && n.state === 'live'));
      const agentEvents: string[] = [];
      collector.on('agent', (_key: string, what: string, reason?: string) => agentEvents.push(`${what}: ${reason}`));
      const killedAt = Date.now();
      child.kill('SIGKILL');
      const node = await waitFor(store, 'the child exited', (s) => s.nodes.find((n) => n.name === 'doomed' && n.state === 'exited'), 2000);
      const latency = Date.now() - killedAt;
      console.log(`kill -9 → node exited in ${latency} ms`);
      assert.ok(latency < 1000, `took ${latency} ms`);
      assert.equal(node.pid, child.pid);
      assert.deepEqual(agentEvents, ['gone: telemetry connection lost']);
      assert.equal(store.snapshot().collector?.agents, 4, 'the three workers/broker and the noisy agent remain');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });
});

describe('collector ports', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  async function occupiedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return (server.address() as net.AddressInfo).port;
  }

  test('port taken: falls back to a free port, and agentEnv has the actual endpoint', async () => {
    const port = await occupiedPort();
    const store = new TopologyStore();
    const collector = new Collector(store, { port });
    const fallbacks: unknown[][] = [];
    collector.on('fallback', (...args: unknown[]) => fallbacks.push(args));
    cleanup.push(() => collector.stop());
    const endpoint = await collector.start();
    assert.notEqual(portOf(endpoint), port);
    assert.deepEqual(collector.agentEnv, { ZMQ_TOPOLOGY_ENDPOINT: endpoint });
    assert.deepEqual(fallbacks, [[port, endpoint]]);
    assert.equal(store.snapshot().collector?.endpoint, endpoint);
  });

  test('port taken with fallback off: a clear error naming the port', async () => {
    const port = await occupiedPort();
    const collector = new Collector(new TopologyStore(), { port, fallbackToFreePort: false });
    await assert.rejects(collector.start(), new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
    assert.equal(collector.endpoint, undefined);
  });

  test('a non-loopback address without CURVE keys is refused', async () => {
    const collector = new Collector(new TopologyStore(), { address: '0.0.0.0', port: 0 });
    await assert.rejects(collector.start(), /without CURVE/);
  });

  test('stop() frees the port at once (restart on the same port, with agents connected), and marks it not listening', async () => {
    const store = new TopologyStore();
    const context = new zmq.Context();
    const agent = new FakeAgent({ pid: 77 });
    let port = 0;
    for (let round = 0; round < 30; round++) {
      const collector = new Collector(store, { port, fallbackToFreePort: false });
      const endpoint = await collector.start();
      port = portOf(endpoint);
      const dealer = new zmq.Dealer({ context, linger: 0 });
      dealer.connect(endpoint);
      await dealer.send(encode(agent.hello(Date.now())));
      await waitFor(store, 'the agent', (s) => s.collector?.agents === 1);
      await collector.stop();
      assert.equal(store.snapshot().collector?.listening, false);
      dealer.close();
    }
    store.dispose();
  });
});
