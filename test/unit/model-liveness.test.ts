/**
 * Liveness in the TopologyStore: heartbeat and traffic ages against the thresholds, the sweep's
 * timeline entries, retry storms, throttled diffs, bounds and clearExited. Fake clock + mocked timers.
 */
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { TopologyStore, type StoreOptions } from '../../src/model/store';
import { RateRings } from '../../src/model/rules';
import type { EdgeView, TopologyDiff } from '../../src/shared/snapshot';
import { toBin } from '../../src/protocol/bin';
import type { TelemetryMsg } from '../../src/protocol/types';
import { DEALER_SOCKET, FakeAgent, ROUTER_SOCKET, agentKeyOf, routerWithDealers, viaWire } from '../fixtures/collector/telemetry';

const T0 = 1_700_000_000_000;

let clock: { now: number };
const stores: TopologyStore[] = [];

beforeEach(() => {
  clock = { now: T0 };
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
});
afterEach(() => {
  for (const s of stores.splice(0)) s.dispose();
  mock.timers.reset();
});

function newStore(options: Partial<StoreOptions> = {}): TopologyStore {
  const store = new TopologyStore({ now: () => clock.now, ...options });
  stores.push(store);
  return store;
}

/** Advances the store clock and the mocked timers together. */
function advance(ms: number, step = 50): void {
  for (let done = 0; done < ms; done += step) {
    const d = Math.min(step, ms - done);
    clock.now += d;
    mock.timers.tick(d);
  }
}

function edgeOf(store: TopologyStore, from: string): EdgeView {
  const edge = store.snapshot().edges.find((e) => e.from === from);
  assert.ok(edge, `an edge from ${from}`);
  return edge;
}

describe('heartbeat ages and states', () => {
  test('connected → late → dead against the thresholds, recovered when a heartbeat comes back', () => {
    const store = newStore({ warnAfterMs: 2500, deadAfterMs: 6000, sweepIntervalMs: 250 });
    store.start();
    const { router, dealers } = routerWithDealers(store, T0, ['w1', 'w2']);
    const w1 = dealers.get('w1')!;
    const from = w1.socketId(DEALER_SOCKET);
    advance(2000);
    assert.equal(edgeOf(store, from).heartbeatAgeMs, 2000);
    assert.equal(edgeOf(store, from).state, 'connected');
    // w2 keeps beating (its ROUTER-side heartbeats count for its edge); w1 does not.
    store.apply(agentKeyOf(router), router.heartbeats(clock.now, ROUTER_SOCKET, { peer: 'w2' }), clock.now);
    advance(600);
    assert.equal(edgeOf(store, from).state, 'late');
    assert.equal(edgeOf(store, dealers.get('w2')!.socketId(DEALER_SOCKET)).state, 'connected');
    advance(3650); // the first sweep past 6000 ms runs at 6250 ms
    const dead = edgeOf(store, from);
    assert.equal(dead.state, 'dead');
    assert.equal(dead.heartbeatAgeMs, 6250);
    assert.deepEqual(dead.timeline.map((t) => t.event).slice(-2), ['heartbeat-late', 'heartbeat-dead']);
    store.apply(agentKeyOf(w1), w1.heartbeats(clock.now, DEALER_SOCKET), clock.now);
    advance(300);
    const back = edgeOf(store, from);
    assert.equal(back.state, 'connected');
    assert.equal(back.heartbeatAgeMs, 300);
    assert.equal(back.timeline.at(-1)?.event, 'recovered');
  });

  test('with no heartbeat ever seen, silence past the warn threshold is only quiet, never late or dead (labelled by heartbeatAgeMs = null)', () => {
    const store = newStore({ warnAfterMs: 1000, deadAfterMs: 3000 });
    const dealer = new FakeAgent({ pid: 1 });
    const router = new FakeAgent({ pid: 2 });
    for (const m of [router.hello(T0), router.socket(T0, 1, 'ROUTER'), router.bind(T0, 1, 'tcp://127.0.0.1:9000')]) store.apply('r', m, T0);
    for (const m of [dealer.hello(T0), dealer.socket(T0, 1, 'DEALER', 'd'), dealer.connect(T0, 1, 'tcp://127.0.0.1:9000'),
      dealer.event(T0, 1, 'handshake', 'tcp://127.0.0.1:9000')]) store.apply('d', m, T0);
    assert.equal(edgeOf(store, dealer.socketId(1)).trafficAgeMs, null);
    advance(5000);
    assert.equal(edgeOf(store, dealer.socketId(1)).state, 'connected', 'a quiet connection without any traffic is not judged');
    store.apply('d', dealer.heartbeats(clock.now, 1, { heartbeat: false, count: 3 }), clock.now);
    advance(1500);
    const quiet = edgeOf(store, dealer.socketId(1));
    assert.equal(quiet.heartbeatAgeMs, null);
    assert.equal(quiet.trafficAgeMs, 1500);
    assert.equal(quiet.state, 'quiet');
    assert.deepEqual(quiet.messageTypes, { WORK: 3 });
    // Traffic promises nothing (a REQ between requests, a worker after the batch): never dead, and no timeline entries.
    advance(60_000);
    assert.equal(edgeOf(store, dealer.socketId(1)).state, 'quiet');
    store.apply('d', dealer.heartbeats(clock.now, 1, { heartbeat: false, count: 1 }), clock.now);
    const back = edgeOf(store, dealer.socketId(1));
    assert.equal(back.state, 'connected');
    assert.deepEqual(back.timeline.map((t) => t.event), ['handshake']);
  });

  test('a socket\'s traffic without a routing id is one connection\'s only when the socket has one: a PULL sink fed by two workers does not keep a stopped worker\'s edge fresh', () => {
    const store = newStore({ warnAfterMs: 1000, deadAfterMs: 3000 });
    const sink = new FakeAgent({ pid: 1, node: 'sink' });
    for (const m of [sink.hello(T0), sink.socket(T0, 1, 'PULL'), sink.bind(T0, 1, 'tcp://*:5558', 'tcp://0.0.0.0:5558')]) store.apply('s', m, T0);
    const workers = [2, 3].map((pid) => new FakeAgent({ pid, node: `worker-${pid}` }));
    for (const w of workers) {
      for (const m of [w.hello(T0), w.socket(T0, 1, 'PUSH'), w.connect(T0, 1, 'tcp://localhost:5558'), w.event(T0, 1, 'handshake', 'tcp://localhost:5558')]) {
        store.apply(`w${w.options.pid}`, m, T0);
      }
    }
    const [busy, stopped] = workers;
    // Both workers send for a second, then one stops (SIGSTOP: its agent falls silent too); the sink keeps receiving from the other.
    for (const w of workers) store.apply(`w${w.options.pid}`, w.heartbeats(clock.now, 1, { heartbeat: false, count: 5 }), clock.now);
    for (let i = 0; i < 8; i++) {
      advance(500);
      store.apply(`w${busy.options.pid}`, busy.heartbeats(clock.now, 1, { heartbeat: false, count: 5 }), clock.now);
      store.apply('s', sink.heartbeats(clock.now, 1, { heartbeat: false, inbound: true, count: 5 }), clock.now);
    }
    const busyEdge = edgeOf(store, busy.socketId(1));
    const stoppedEdge = edgeOf(store, stopped.socketId(1));
    assert.equal(busyEdge.state, 'connected');
    assert.equal(busyEdge.trafficAgeMs, 0);
    assert.equal(stoppedEdge.trafficAgeMs, 4000, 'the sink\'s receives from the busy worker are not the stopped one\'s');
    assert.equal(stoppedEdge.state, 'quiet');
    assert.deepEqual(stoppedEdge.rates, { out: 0, in: 0 });

    // The busy worker exits: the sink's traffic can now only be the stopped one's connection (it resumed).
    store.agentGone(`w${busy.options.pid}`, 'telemetry connection lost', clock.now);
    advance(500);
    store.apply('s', sink.heartbeats(clock.now, 1, { heartbeat: false, inbound: true, count: 5 }), clock.now);
    assert.equal(edgeOf(store, stopped.socketId(1)).trafficAgeMs, 0);
    assert.equal(edgeOf(store, stopped.socketId(1)).state, 'connected');
  });

  test('a DEALER dealing to two ROUTERs: its own records stand in until each ROUTER\'s per-peer records come, then only those count', () => {
    const store = newStore({ warnAfterMs: 1000, deadAfterMs: 3000 });
    const servers = [1, 2].map((pid) => new FakeAgent({ pid, node: `server-${pid}` }));
    servers.forEach((r, i) => {
      for (const m of [r.hello(T0), r.socket(T0, 1, 'ROUTER'), r.bind(T0, 1, `tcp://127.0.0.1:${9000 + i}`)]) store.apply(`r${i}`, m, T0);
    });
    const client = new FakeAgent({ pid: 3, node: 'client' });
    for (const m of [client.hello(T0), client.socket(T0, 1, 'DEALER', 'c'), client.connect(T0, 1, 'tcp://127.0.0.1:9000'), client.connect(T0, 1, 'tcp://127.0.0.1:9001'),
      client.event(T0, 1, 'handshake', 'tcp://127.0.0.1:9000'), client.event(T0, 1, 'handshake', 'tcp://127.0.0.1:9001')]) store.apply('c', m, T0);
    const to = (server: FakeAgent) => store.snapshot().edges.find((e) => e.to === server.socketId(1))!;
    // Before either server has reported, the client's own traffic is all there is: it stands in on both edges.
    store.apply('c', client.heartbeats(clock.now, 1, { heartbeat: false, count: 4 }), clock.now);
    assert.deepEqual(servers.map((s) => to(s).trafficAgeMs), [0, 0]);
    assert.deepEqual(to(servers[0]).messageTypes, { WORK: 4 });
    // Both servers report; then server 2 hangs while server 1 and the client go on.
    servers.forEach((r, i) => store.apply(`r${i}`, r.heartbeats(clock.now, 1, { peer: 'c', heartbeat: false }), clock.now));
    assert.deepEqual(to(servers[0]).messageTypes, { WORK: 1 }, 'the edge\'s own counts replace what stood in');
    for (let i = 0; i < 8; i++) {
      advance(500);
      store.apply('r0', servers[0].heartbeats(clock.now, 1, { peer: 'c', heartbeat: false }), clock.now);
      store.apply('c', client.heartbeats(clock.now, 1, { heartbeat: false, count: 2 }), clock.now);
    }
    assert.equal(to(servers[0]).trafficAgeMs, 0);
    assert.equal(to(servers[1]).trafficAgeMs, 4000, 'the client\'s sends may all go to server 1: they are not server 2\'s');
    assert.equal(to(servers[1]).state, 'quiet');
  });

  test('between two sockets of several connections each (REQs dealing to two REP servers that serve others too), the socket-wide records stand in', () => {
    const store = newStore({ warnAfterMs: 1000, deadAfterMs: 3000 });
    const servers = [1, 2].map((pid) => new FakeAgent({ pid, node: `rep-${pid}` }));
    servers.forEach((r, i) => {
      for (const m of [r.hello(T0), r.socket(T0, 1, 'REP'), r.bind(T0, 1, `tcp://127.0.0.1:${9000 + i}`)]) store.apply(`r${i}`, m, T0);
    });
    const clients = [3, 4].map((pid) => new FakeAgent({ pid, node: `req-${pid}` }));
    for (const c of clients) {
      for (const m of [c.hello(T0), c.socket(T0, 1, 'REQ'), c.connect(T0, 1, 'tcp://127.0.0.1:9000'), c.connect(T0, 1, 'tcp://127.0.0.1:9001'),
        c.event(T0, 1, 'handshake', 'tcp://127.0.0.1:9000'), c.event(T0, 1, 'handshake', 'tcp://127.0.0.1:9001')]) store.apply(`c${c.options.pid}`, m, T0);
    }
    advance(2000);
    for (const c of clients) store.apply(`c${c.options.pid}`, c.heartbeats(clock.now, 1, { heartbeat: false, count: 2 }), clock.now);
    servers.forEach((r, i) => store.apply(`r${i}`, r.heartbeats(clock.now, 1, { heartbeat: false, inbound: true, count: 2 }), clock.now));
    const edges = store.snapshot().edges;
    assert.equal(edges.length, 4);
    assert.deepEqual(edges.map((e) => e.trafficAgeMs), [0, 0, 0, 0], 'no connection can be told apart: each shows its sockets\' traffic rather than none');
  });

  test('with libzmq heartbeats (ZMQ_HEARTBEAT_IVL on either end) and no app heartbeat, quiet is not judged: libzmq drops a dead peer itself', () => {
    const store = newStore({ warnAfterMs: 1000, deadAfterMs: 3000, sweepIntervalMs: 250 });
    store.start();
    const router = new FakeAgent({ pid: 2 });
    for (const m of [router.hello(T0), router.socket(T0, 1, 'ROUTER'), router.bind(T0, 1, 'tcp://127.0.0.1:9000')]) store.apply('r', m, T0);
    const connect = (pid: number, ivl: number | undefined): FakeAgent => {
      const dealer = new FakeAgent({ pid });
      const socket = dealer.socket(T0, 1, 'DEALER', `d${pid}`);
      if (ivl !== undefined && socket.t === 'socket') socket.options = { ...socket.options, heartbeatIvl: ivl };
      for (const m of [dealer.hello(T0), socket, dealer.connect(T0, 1, 'tcp://127.0.0.1:9000'), dealer.event(T0, 1, 'handshake', 'tcp://127.0.0.1:9000'),
        dealer.heartbeats(T0, 1, { heartbeat: false })]) store.apply(`d${pid}`, m, T0);
      return dealer;
    };
    const pinging = connect(10, 200);
    const zeroIvl = connect(11, 0);
    const plain = connect(12, undefined);
    advance(10_000);
    assert.equal(edgeOf(store, pinging.socketId(1)).state, 'connected', 'libzmq keeps it alive; 10 s of quiet is no sign');
    assert.equal(edgeOf(store, pinging.socketId(1)).trafficAgeMs, 10_000, 'the traffic age is still shown');
    assert.equal(edgeOf(store, zeroIvl.socketId(1)).state, 'quiet', 'an interval of 0 is libzmq heartbeats off');
    assert.equal(edgeOf(store, plain.socketId(1)).state, 'quiet');
    assert.ok(!edgeOf(store, pinging.socketId(1)).timeline.some((t) => t.event === 'heartbeat-late'), 'no late entry on its timeline either');
    // An app heartbeat, once seen, is judged as always.
    store.apply('d10', pinging.heartbeats(clock.now, 1), clock.now);
    advance(1500);
    assert.equal(edgeOf(store, pinging.socketId(1)).state, 'late');
  });

  test('a message delivered late is judged as of its stamp; its stamps keep their true time (the least-delay clock offset is used)', () => {
    const store = newStore({ warnAfterMs: 1000, deadAfterMs: 3000 });
    const { router, dealers } = routerWithDealers(store, T0, ['w1']);
    const w1 = dealers.get('w1')!;
    advance(500);
    // Built and stamped at T0+500 on both ends, queued, delivered 2 s later.
    const queued = [router.heartbeats(clock.now, ROUTER_SOCKET, { peer: 'w1' }), w1.heartbeats(clock.now, DEALER_SOCKET)];
    advance(2000);
    store.apply(agentKeyOf(router), queued[0], clock.now);
    store.apply(agentKeyOf(w1), queued[1], clock.now);
    const asOfIt = edgeOf(store, w1.socketId(DEALER_SOCKET));
    assert.equal(asOfIt.heartbeatAgeMs, 0, 'fresh when it was written');
    assert.equal(asOfIt.state, 'connected');
    assert.equal(store.snapshot().nodes.find((n) => n.id === w1.nodeId)?.behindMs, 2000);
    // The next message from one end comes on time and says no heartbeat since: the one at T0+500 is 2 s old.
    store.apply(agentKeyOf(w1), w1.beat(clock.now), clock.now);
    const onTime = edgeOf(store, w1.socketId(DEALER_SOCKET));
    assert.equal(onTime.heartbeatAgeMs, 2000);
    assert.equal(onTime.state, 'late');
    assert.equal(store.snapshot().nodes.find((n) => n.id === w1.nodeId)?.behindMs, undefined);
  });

  test('a collector 3 s behind on every agent flaps no edge late and back; an edge whose heartbeats stop goes late 3 s later than on time', () => {
    const store = newStore({ warnAfterMs: 1000, deadAfterMs: 3000, sweepIntervalMs: 250 });
    store.start();
    const { router, dealers } = routerWithDealers(store, T0, ['w1', 'w2']);
    const [w1, w2] = [dealers.get('w1')!, dealers.get('w2')!];
    const lagMs = 3000;
    // Each side beats every 250 ms; what it writes at t reaches the store late, the delay growing as a
    // collector's backlog does (it takes in half of what comes) to 3 s, then staying there.
    const delay = (t: number) => Math.min(lagMs, Math.floor((t - T0) / 2));
    const queue: { at: number; key: string; msg: TelemetryMsg }[] = [];
    let w1Beats = true;
    const write = () => {
      const t = clock.now;
      const beats = [router.heartbeats(t, ROUTER_SOCKET, { peer: 'w2' }), w2.heartbeats(t, DEALER_SOCKET)];
      queue.push({ at: t + delay(t), key: agentKeyOf(router), msg: beats[0] }, { at: t + delay(t), key: agentKeyOf(w2), msg: beats[1] });
      if (w1Beats) {
        queue.push({ at: t + delay(t), key: agentKeyOf(router), msg: router.heartbeats(t, ROUTER_SOCKET, { peer: 'w1' }) });
        queue.push({ at: t + delay(t), key: agentKeyOf(w1), msg: w1.heartbeats(t, DEALER_SOCKET) });
      } else {
        queue.push({ at: t + delay(t), key: agentKeyOf(w1), msg: w1.beat(t) });
      }
    };
    const run = (ms: number) => {
      for (let done = 0; done < ms; done += 250) {
        write();
        while (queue.length > 0 && queue[0].at <= clock.now) {
          const { key, msg } = queue.shift()!;
          store.apply(key, msg, clock.now);
        }
        advance(250);
      }
    };
    run(10_000);
    for (const w of [w1, w2]) {
      const edge = edgeOf(store, w.socketId(DEALER_SOCKET));
      assert.equal(edge.state, 'connected', `${w.options.node} is heard from every 250 ms, 3 s late`);
      assert.ok(edge.heartbeatAgeMs! <= 500, `${w.options.node}'s age as of its agent's word: ${edge.heartbeatAgeMs} ms`);
      assert.deepEqual(edge.timeline.filter((t) => t.event !== 'handshake' && t.event !== 'connect').map((t) => t.event), []);
    }
    const behind = store.snapshot().nodes.filter((n) => n.behindMs !== undefined).map((n) => n.behindMs);
    assert.equal(behind.length, 3);
    assert.ok(behind.every((ms) => ms! >= lagMs - 250 && ms! <= lagMs), `behind ${behind.join(', ')} ms`);
    // w1's heartbeats stop; its agent and the ROUTER's still write, 3 s late.
    w1Beats = false;
    const stoppedAt = clock.now;
    let lateAt: number | undefined;
    for (let t = 0; t < 8000 && lateAt === undefined; t += 250) {
      run(250);
      if (edgeOf(store, w1.socketId(DEALER_SOCKET)).state === 'late') lateAt = clock.now;
    }
    assert.ok(lateAt !== undefined, 'w1 went late');
    const after = lateAt - stoppedAt;
    assert.ok(after >= lagMs + 1000 && after <= lagMs + 1000 + 500, `late ${after} ms after its last heartbeat was written`);
    assert.equal(edgeOf(store, w2.socketId(DEALER_SOCKET)).state, 'connected');
  });

  test('the store\'s process standing still for 3 s (a busy extension host) flaps no edge: its sweep waits for what the agents wrote meanwhile', () => {
    const store = newStore({ warnAfterMs: 1000, deadAfterMs: 3000, sweepIntervalMs: 250 });
    store.start();
    const { router, dealers } = routerWithDealers(store, T0, ['w1', 'w2']);
    const [w1, w2] = [dealers.get('w1')!, dealers.get('w2')!];
    const beat = (w: typeof w1, id: string, at: number) => [
      { key: agentKeyOf(router), msg: router.heartbeats(at, ROUTER_SOCKET, { peer: id }) },
      { key: agentKeyOf(w), msg: w.heartbeats(at, DEALER_SOCKET) },
    ];
    const live = (ms: number, beating: [typeof w1, string][]) => {
      for (let t = 0; t < ms; t += 250) {
        for (const [w, id] of beating) for (const { key, msg } of beat(w, id, clock.now)) store.apply(key, msg, clock.now);
        advance(250);
      }
    };
    live(2000, [[w1, 'w1'], [w2, 'w2']]);
    // 3 s still: the agents go on writing (w2 only: w1's heartbeats stopped as the stall began), nothing is read, no timer runs.
    const queued: { key: string; msg: TelemetryMsg }[] = [];
    const stallStart = clock.now;
    for (let t = 250; t <= 3000; t += 250) {
      queued.push(...beat(w2, 'w2', stallStart + t), { key: agentKeyOf(w1), msg: w1.beat(stallStart + t) });
    }
    clock.now += 3000;
    mock.timers.tick(250); // Node runs the timers first: the sweep, before the backlog is read
    for (const w of [w1, w2]) assert.equal(edgeOf(store, w.socketId(DEALER_SOCKET)).state, 'connected', `${w.options.node} judged as of before the stall`);
    for (const { key, msg } of queued) store.apply(key, msg, clock.now);
    live(250, [[w2, 'w2']]);
    const w2Edge = edgeOf(store, w2.socketId(DEALER_SOCKET));
    assert.equal(w2Edge.state, 'connected');
    assert.deepEqual(w2Edge.timeline.filter((t) => t.event !== 'handshake' && t.event !== 'connect').map((t) => t.event), [], 'no late and recovered for an edge that beat all along');
    // w1's own agent said, in the backlog, that no heartbeat came for 3 s: that is late, and dead soon after.
    assert.notEqual(edgeOf(store, w1.socketId(DEALER_SOCKET)).state, 'connected');
  });

  test('events an agent kept while no collector listened, sent after its snapshot, are history, not lateness: no edge is judged back in time', () => {
    const store = newStore({ warnAfterMs: 1000, deadAfterMs: 3000, sweepIntervalMs: 250 });
    store.start();
    const { router, dealers } = routerWithDealers(store, T0, ['w1']);
    const w1 = dealers.get('w1')!;
    advance(4000); // w1's heartbeats stopped at T0: dead
    assert.equal(edgeOf(store, w1.socketId(DEALER_SOCKET)).state, 'dead');
    // Both agents reconnect (a collector restarted): hello, beat, then an event each kept from 20 s ago.
    for (const m of [router.hello(clock.now), router.beat(clock.now), router.event(clock.now - 20_000, ROUTER_SOCKET, 'accept', 'tcp://0.0.0.0:5555')]) {
      store.apply(agentKeyOf(router), m, clock.now);
    }
    for (const m of [w1.hello(clock.now), w1.beat(clock.now), w1.event(clock.now - 20_000, DEALER_SOCKET, 'connect', 'tcp://localhost:5555')]) {
      store.apply(agentKeyOf(w1), m, clock.now);
    }
    advance(250);
    const edge = edgeOf(store, w1.socketId(DEALER_SOCKET));
    assert.equal(edge.state, 'dead');
    assert.ok(!edge.timeline.some((t) => t.event === 'recovered'), edge.timeline.map((t) => t.event).join(', '));
    assert.equal(store.snapshot().nodes.find((n) => n.id === router.nodeId)?.behindMs, undefined);
  });

  test('a disconnect while the heartbeat was late is a heartbeat timeout', () => {
    const store = newStore({ warnAfterMs: 1000, deadAfterMs: 3000 });
    const { dealers } = routerWithDealers(store, T0, ['w1']);
    const w1 = dealers.get('w1')!;
    advance(1500);
    store.apply(agentKeyOf(w1), w1.event(clock.now, DEALER_SOCKET, 'disconnect', 'tcp://localhost:5555'), clock.now);
    assert.equal(edgeOf(store, w1.socketId(DEALER_SOCKET)).lastDisconnect?.reason, 'heartbeat timeout');
  });

  test('rates are messages per second in each direction, from the connecting socket\'s side', () => {
    const store = newStore();
    const { dealers } = routerWithDealers(store, T0, ['w1']);
    const w1 = dealers.get('w1')!;
    advance(3000);
    for (let i = 0; i < 4; i++) {
      advance(500);
      store.apply(agentKeyOf(w1), w1.heartbeats(clock.now, DEALER_SOCKET, { count: 10 }), clock.now);
      store.apply(agentKeyOf(w1), w1.heartbeats(clock.now, DEALER_SOCKET, { count: 5, inbound: true }), clock.now);
    }
    const edge = edgeOf(store, w1.socketId(DEALER_SOCKET));
    assert.deepEqual(edge.rates, { out: 20, in: 10 });
    advance(3000);
    assert.deepEqual(edgeOf(store, w1.socketId(DEALER_SOCKET)).rates, { out: 0, in: 0 });
  });

  test('a node with no telemetry for deadAfterMs is stale, and live again when it speaks', () => {
    const store = newStore({ deadAfterMs: 2000 });
    const agent = new FakeAgent({ pid: 1 });
    store.apply('k', agent.hello(T0), T0);
    advance(2100);
    assert.equal(store.snapshot().nodes[0].state, 'stale');
    store.apply('k', agent.beat(clock.now), clock.now);
    assert.equal(store.snapshot().nodes[0].state, 'live');
  });
});

describe('retry storms', () => {
  function lonely(store: TopologyStore): FakeAgent {
    const dealer = new FakeAgent({ pid: 1 });
    for (const m of [dealer.hello(T0), dealer.socket(T0, 1, 'DEALER'), dealer.connect(T0, 1, 'tcp://127.0.0.1:9999')]) store.apply('d', m, T0);
    return dealer;
  }
  const retry = (store: TopologyStore, dealer: FakeAgent) =>
    store.apply('d', dealer.event(clock.now, 1, 'connect:retry', 'tcp://127.0.0.1:9999', 1000), clock.now);

  test('count retries inside the window flag a storm; fewer, or spread out, do not', () => {
    const store = newStore({ retryStorm: { count: 5, windowMs: 10_000 } });
    const dealer = lonely(store);
    for (let i = 0; i < 4; i++) {
      retry(store, dealer);
      advance(1000);
    }
    assert.equal(edgeOf(store, dealer.socketId(1)).state, 'retrying');
    assert.equal(edgeOf(store, dealer.socketId(1)).retryStorm, false);
    retry(store, dealer);
    assert.equal(edgeOf(store, dealer.socketId(1)).retryStorm, true);
    advance(10_000);
    assert.equal(edgeOf(store, dealer.socketId(1)).retryStorm, false, 'the storm ends when the retries stop');
  });

  test('slow retries are no storm', () => {
    const store = newStore({ retryStorm: { count: 3, windowMs: 1000 } });
    const dealer = lonely(store);
    for (let i = 0; i < 6; i++) {
      retry(store, dealer);
      advance(600);
    }
    assert.equal(edgeOf(store, dealer.socketId(1)).retryStorm, false);
  });
});

describe('liveness on time', () => {
  test('an edge turns late when it is due, not at the next regular sweep', () => {
    const store = newStore({ notifyIntervalMs: 100, sweepIntervalMs: 250, warnAfterMs: 2500, deadAfterMs: 6000 });
    store.start();
    const { router, dealers } = routerWithDealers(store, T0, ['w1']);
    const w1 = dealers.get('w1')!;
    const diffs: TopologyDiff[] = [];
    store.onDiff((d) => diffs.push(d));
    // The last heartbeat lands between two sweeps (they run at T0 + k·250), so "late" is due between two as well.
    advance(130, 10);
    const lastBeat = clock.now;
    store.apply(agentKeyOf(w1), w1.heartbeats(lastBeat, DEALER_SOCKET, { count: 1 }), lastBeat);
    store.apply(agentKeyOf(router), router.heartbeats(lastBeat, ROUTER_SOCKET, { peer: 'w1', count: 1 }), lastBeat);
    const wentLate = (): boolean => diffs.some((d) => d.edges?.some((e) => e.state === 'late'));
    while (!wentLate() && clock.now < lastBeat + 4000) advance(1, 1);
    const due = lastBeat + 2500;
    assert.ok(wentLate(), 'the edge went late');
    assert.ok(clock.now - due <= 45, `late shown ${clock.now - due} ms after it was due (regular sweeps are 250 ms apart)`);
    while (!diffs.some((d) => d.edges?.some((e) => e.state === 'dead')) && clock.now < lastBeat + 8000) advance(1, 1);
    assert.ok(clock.now - (lastBeat + 6000) <= 45, `dead shown ${clock.now - (lastBeat + 6000)} ms after it was due`);
  });
});

describe('diffs', () => {
  test('are throttled to notifyIntervalMs and hold only what changed', () => {
    const store = newStore({ notifyIntervalMs: 100, sweepIntervalMs: 1000, warnAfterMs: 5000, deadAfterMs: 10_000 });
    store.start();
    const { router, dealers } = routerWithDealers(store, T0, ['w1', 'w2']);
    const diffs: TopologyDiff[] = [];
    const latest = (): TopologyDiff => diffs[diffs.length - 1];
    const subscription = store.onDiff((d) => diffs.push(d));
    store.apply(agentKeyOf(router), router.beat(clock.now), clock.now);
    mock.timers.tick(100);
    assert.equal(diffs.length, 1, 'the first diff carries what was there before subscribing');
    diffs.length = 0;

    // The clock stands still (no age ticks): twenty changes to one edge.
    const w1 = dealers.get('w1')!;
    for (let i = 0; i < 20; i++) store.apply(agentKeyOf(w1), w1.heartbeats(clock.now, DEALER_SOCKET, { count: 1 }), clock.now);
    mock.timers.tick(99);
    assert.equal(diffs.length, 0, 'nothing before the interval');
    mock.timers.tick(1);
    assert.equal(diffs.length, 1, 'twenty changes, one notification');
    assert.deepEqual(latest().edges?.map((e) => e.from), [w1.socketId(DEALER_SOCKET)], 'only the changed edge');
    assert.equal(latest().nodes, undefined);
    assert.equal(latest().sockets, undefined);
    mock.timers.tick(500);
    assert.equal(diffs.length, 1, 'no change, no notification');

    // Ages alone tick in the consumer (from takenAt): no diff while only the clock moves.
    advance(2500); // the 2 s rate window empties: rates changed, so those edges were sent
    diffs.length = 0;
    advance(1000);
    assert.equal(diffs.length, 0, 'only the ages moved (still under the warn threshold): no diff');
    // A new heartbeat stamp is a change (the age restarts from it).
    store.apply(agentKeyOf(w1), w1.heartbeats(clock.now, DEALER_SOCKET, { count: 1 }), clock.now);
    mock.timers.tick(100);
    assert.deepEqual(latest().edges?.map((e) => [e.from, e.heartbeatAgeMs]), [[w1.socketId(DEALER_SOCKET), 0]]);
    // Past the warn threshold the state changes: every edge that went late is included.
    diffs.length = 0;
    advance(6500);
    assert.ok(diffs.length >= 1);
    assert.deepEqual(diffs.flatMap((d) => d.edges ?? []).filter((e) => e.state === 'late').map((e) => e.from).sort(),
      [...dealers.values()].map((d) => d.socketId(DEALER_SOCKET)).sort(), 'both edges went late, each in a diff');

    diffs.length = 0;
    store.agentGone(agentKeyOf(router), 'telemetry connection lost', clock.now);
    mock.timers.tick(100);
    assert.deepEqual(latest().nodes?.map((n) => [n.id, n.state]), [[router.nodeId, 'exited']]);
    assert.ok(latest().edges?.every((e) => e.state === 'disconnected' && e.exited));
    assert.equal(latest().edges?.length, 2);
    subscription.dispose();
    store.apply(agentKeyOf(w1), w1.heartbeats(clock.now, DEALER_SOCKET), clock.now);
    advance(1200);
    assert.equal(diffs.length, 1, 'a disposed listener hears nothing more');
  });
  test('a connection going down or a process exiting is sent at once (urgent), not after the throttle', () => {
    const store = newStore({ notifyIntervalMs: 100, sweepIntervalMs: 250, warnAfterMs: 2500, deadAfterMs: 6000 });
    store.start();
    const { router, dealers } = routerWithDealers(store, T0, ['w1', 'w2', 'w3']);
    const diffs: TopologyDiff[] = [];
    store.onDiff((d) => diffs.push(d));
    store.apply(agentKeyOf(router), router.beat(clock.now), clock.now);
    mock.timers.tick(100);
    assert.equal(diffs.length, 1);
    diffs.length = 0;

    // An ordinary change 10 ms after a diff waits for the throttle; a process exit 5 ms later does not.
    const w1 = dealers.get('w1')!;
    clock.now += 10;
    mock.timers.tick(10);
    store.apply(agentKeyOf(w1), w1.heartbeats(clock.now, DEALER_SOCKET, { count: 1 }), clock.now);
    clock.now += 5;
    mock.timers.tick(5);
    assert.equal(diffs.length, 0);
    store.agentGone(agentKeyOf(dealers.get('w2')!), 'telemetry connection lost', clock.now);
    clock.now += 5;
    mock.timers.tick(5);
    assert.equal(diffs.length, 1, 'sent 20 ms after the previous diff, not 100');
    assert.equal(diffs[0].urgent, true);
    assert.deepEqual(diffs[0].nodes?.map((n) => n.state), ['exited']);
    assert.equal(diffs[0].edges?.find((e) => e.from === w1.socketId(DEALER_SOCKET))?.heartbeatAgeMs, 10, 'with what was pending');

    // A burst of exits: at most one diff per 20 ms, none lost.
    diffs.length = 0;
    store.agentGone(agentKeyOf(dealers.get('w3')!), 'telemetry connection lost', clock.now);
    store.agentGone(agentKeyOf(router), 'telemetry connection lost', clock.now);
    clock.now += 10;
    mock.timers.tick(10);
    assert.equal(diffs.length, 0, 'within 20 ms of the last urgent diff');
    clock.now += 10;
    mock.timers.tick(10);
    assert.equal(diffs.length, 1);
    assert.deepEqual(diffs[0].nodes?.map((n) => n.id).sort(), [dealers.get('w3')!.nodeId, router.nodeId].sort());

    // An ordinary diff after that is throttled again.
    diffs.length = 0;
    store.apply(agentKeyOf(w1), w1.heartbeats(clock.now, DEALER_SOCKET, { count: 1 }), clock.now);
    clock.now += 50;
    mock.timers.tick(50);
    assert.equal(diffs.length, 0);
    clock.now += 50;
    mock.timers.tick(50);
    assert.equal(diffs.length, 1);
    assert.equal(diffs[0].urgent, undefined);
  });

  test('carry traffic news for at most trafficUpdatesPerDiff edges, stalest first, and never hold back a state change', () => {
    const store = newStore({ notifyIntervalMs: 100, sweepIntervalMs: 1000, warnAfterMs: 5000, deadAfterMs: 10_000, limits: { trafficUpdatesPerDiff: 2 } });
    store.start();
    const names = ['w1', 'w2', 'w3', 'w4', 'w5'];
    const { router, dealers } = routerWithDealers(store, T0, names);
    const diffs: TopologyDiff[] = [];
    store.onDiff((d) => diffs.push(d));
    store.apply(agentKeyOf(router), router.beat(clock.now), clock.now);
    advance(100);
    diffs.length = 0;

    // Every edge has a new heartbeat; w4's and w5's stamps are the freshest news (the most behind).
    const beat = (name: string, at: number): void => {
      const dealer = dealers.get(name)!;
      store.apply(agentKeyOf(dealer), dealer.heartbeats(at, DEALER_SOCKET, { count: 1 }), at);
    };
    advance(300);
    for (const name of ['w1', 'w2', 'w3']) beat(name, clock.now - 200);
    for (const name of ['w4', 'w5']) beat(name, clock.now);
    const sentBy = (d: TopologyDiff): string[] => (d.edges ?? []).map((e) => names.find((n) => dealers.get(n)!.socketId(DEALER_SOCKET) === e.from)!).sort();
    advance(100, 100);
    assert.deepEqual(diffs.map(sentBy), [['w4', 'w5']], 'two edges in the first diff: the stalest pictures');
    advance(200, 100);
    assert.deepEqual(diffs.flatMap(sentBy).sort(), names, 'the rest follow in the next diffs without new input');
    assert.ok(diffs.every((d) => (d.edges?.length ?? 0) <= 2), 'no diff over the budget');

    // Over budget again, and w3's process goes: its disconnect is in the very next diff.
    diffs.length = 0;
    for (const name of ['w1', 'w2', 'w4', 'w5']) beat(name, clock.now);
    store.agentGone(agentKeyOf(dealers.get('w3')!), 'telemetry connection lost', clock.now);
    advance(100, 100);
    const first = diffs[0]?.edges ?? [];
    assert.ok(first.some((e) => e.from === dealers.get('w3')!.socketId(DEALER_SOCKET) && e.state === 'disconnected'), 'the disconnect is not held back');
  });
});

describe('bounds', () => {
  test('memory per edge stays small: 2,000 DEALERs on one ROUTER, traffic and a timeline entry on every edge', () => {
    // A guard for the per-edge structures (one rate ring, flat type counts, lazy timelines and maps),
    // not a benchmark: heap after a full GC, so the figure is stable from run to run.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const n = 2000;
    gc();
    const before = process.memoryUsage().heapUsed;
    const store = newStore();
    const router = new FakeAgent({ pid: 100, node: 'broker' });
    const worker = new FakeAgent({ pid: 200, node: 'workers' });
    const [rk, wk] = [agentKeyOf(router), agentKeyOf(worker)];
    const apply = (key: string, msg: TelemetryMsg) => store.apply(key, viaWire(msg), clock.now);
    apply(rk, router.hello(clock.now));
    apply(rk, router.snapshot(clock.now, [{ socket: 1, type: 'ROUTER', options: { disconnectMsg: false }, createdAt: clock.now,
      endpoints: [{ op: 'bind', requested: 'tcp://*:7000', resolved: 'tcp://0.0.0.0:7000', at: clock.now }], peers: [], closed: false }]));
    apply(wk, worker.hello(clock.now));
    apply(wk, worker.snapshot(clock.now, Array.from({ length: n }, (_, i) => ({
      socket: i + 1, type: 'DEALER' as const, routingId: toBin(`w-${i}`), options: { disconnectMsg: false }, createdAt: clock.now,
      endpoints: [{ op: 'connect' as const, requested: 'tcp://127.0.0.1:7000', at: clock.now }], peers: [], closed: false,
    }))));
    for (let i = 0; i < n; i++) {
      apply(wk, worker.event(clock.now, i + 1, 'handshake', 'tcp://127.0.0.1:7000'));
      apply(wk, worker.heartbeats(clock.now, i + 1, { count: 2 }));
      apply(rk, router.heartbeats(clock.now, 1, { peer: `w-${i}`, count: 2 }));
    }
    const edges = store.snapshot().edges.length;
    gc();
    const perEdge = (process.memoryUsage().heapUsed - before) / edges;
    assert.equal(edges, n);
    // ≈ 2.9 KB here, the DEALER socket (with its decoded options and routing id) and its share of the
    // maps included; the earlier rate windows (six typed arrays per edge) alone added ≈ 1.1 KB.
    assert.ok(perEdge < 3500, `${Math.round(perEdge)} B per edge`);
    store.dispose();
  });


  test('the timeline keeps the newest timelineLength entries', () => {
    const store = newStore({ timelineLength: 5 });
    const dealer = new FakeAgent({ pid: 1 });
    for (const m of [dealer.hello(T0), dealer.socket(T0, 1, 'DEALER'), dealer.connect(T0, 1, 'tcp://127.0.0.1:9999')]) store.apply('d', m, T0);
    for (let i = 0; i < 20; i++) store.apply('d', dealer.event(T0 + i, 1, 'connect:retry', 'tcp://127.0.0.1:9999', i), T0 + i);
    const timeline = edgeOf(store, dealer.socketId(1)).timeline;
    assert.equal(timeline.length, 5);
    assert.deepEqual(timeline.map((t) => t.detail), [15, 16, 17, 18, 19].map((i) => `retry in ${i} ms`));
  });

  test('sockets, edges and unknown peers are capped, and what was refused is counted in the snapshot', () => {
    const store = newStore({ limits: { sockets: 6, unknownPeers: 2, edges: 3 } });
    const router = new FakeAgent({ pid: 1 });
    for (const m of [router.hello(T0), router.socket(T0, 1, 'ROUTER'), router.bind(T0, 1, 'tcp://127.0.0.1:9000')]) store.apply('r', m, T0);
    for (const peer of ['a', 'b', 'c', 'd']) store.apply('r', router.heartbeats(T0, 1, { peer }), T0);
    let s = store.snapshot();
    assert.equal(s.sockets.filter((k) => k.unknown).length, 2);
    assert.equal(s.collector?.discarded?.['cap:unknown-peers'], 2);
    for (let n = 2; n <= 6; n++) store.apply('r', router.socket(T0, n, 'PUB'), T0);
    s = store.snapshot();
    assert.equal(s.sockets.length, 6);
    assert.equal(s.collector?.discarded?.['cap:sockets'], 2);
    // A closed socket makes room: the oldest closed one is evicted for a new one.
    store.apply('r', router.close(T0, 2), T0);
    store.apply('r', router.socket(T0, 7, 'PUB'), T0);
    s = store.snapshot();
    assert.ok(s.sockets.some((k) => k.id === router.socketId(7)));
    assert.ok(!s.sockets.some((k) => k.id === router.socketId(2)));
    assert.equal(s.collector?.discarded?.['cap:evicted-closed-sockets'], 1);
  });

  test('at the node cap a new process takes the place of the one exited longest; with none exited, the cap holds', () => {
    const store = newStore({ limits: { nodes: 3 } });
    const { dealers } = routerWithDealers(store, T0, ['w1', 'w2']);
    const [w1, w2] = [dealers.get('w1')!, dealers.get('w2')!];
    store.agentGone(agentKeyOf(w2), 'telemetry connection lost', T0 + 20);
    store.agentGone(agentKeyOf(w1), 'telemetry connection lost', T0 + 10);
    const w3 = new FakeAgent({ pid: 303 });
    store.apply(agentKeyOf(w3), viaWire(w3.hello(T0 + 30)), T0 + 30);
    let s = store.snapshot();
    assert.ok(s.nodes.some((n) => n.id === w3.nodeId), 'the new process is in the picture');
    assert.ok(!s.nodes.some((n) => n.id === w1.nodeId), 'in place of the one exited longest');
    assert.ok(!s.sockets.some((k) => k.nodeId === w1.nodeId) && !s.edges.some((e) => e.from.startsWith(`${w1.nodeId}/`)), 'with its sockets and edges');
    assert.equal(s.nodes.find((n) => n.id === w2.nodeId)?.state, 'exited', 'the other exited one stays');
    assert.equal(s.collector?.discarded?.['cap:evicted-exited-processes'], 1);
    const w4 = new FakeAgent({ pid: 304 });
    store.apply(agentKeyOf(w4), viaWire(w4.hello(T0 + 40)), T0 + 40);
    const w5 = new FakeAgent({ pid: 305 });
    store.apply(agentKeyOf(w5), viaWire(w5.hello(T0 + 50)), T0 + 50);
    s = store.snapshot();
    assert.ok(s.nodes.some((n) => n.id === w4.nodeId) && !s.nodes.some((n) => n.id === w5.nodeId), 'none exited left: the cap holds');
    assert.equal(s.collector?.discarded?.['cap:nodes'], 1, 'and says so');
  });

  test('clearExited drops exited processes with their sockets and edges, and says so in a diff', () => {
    const store = newStore({ notifyIntervalMs: 50 });
    const { dealers } = routerWithDealers(store, T0, ['w1', 'w2']);
    const w1 = dealers.get('w1')!;
    store.agentGone(agentKeyOf(w1), 'telemetry connection lost', T0 + 1);
    const diffs: TopologyDiff[] = [];
    store.onDiff((d) => diffs.push(d));
    advance(50);
    diffs.length = 0;
    store.clearExited();
    advance(50);
    const s = store.snapshot();
    assert.ok(!s.nodes.some((n) => n.id === w1.nodeId));
    assert.ok(!s.sockets.some((k) => k.nodeId === w1.nodeId));
    assert.equal(s.edges.length, 1);
    assert.equal(s.nodes.length, 2);
    assert.deepEqual(diffs[0].removedNodes, [w1.nodeId]);
    assert.deepEqual(diffs[0].removedSockets, [w1.socketId(DEALER_SOCKET)]);
    assert.equal(diffs[0].removedEdges?.length, 1);
  });
});

test('rate rings: msg/s over the last 2 s per slot; a released slot comes back empty; absorb adds; a copy goes its own way; counts saturate', () => {
  const rings = new RateRings();
  const a = rings.allocate();
  const b = rings.allocate();
  assert.deepEqual(rings.rateOf(a, T0), [0, 0], 'a new ring is empty');
  rings.add(a, T0, 10, 4);
  rings.add(a, T0 + 1000, 10, 0);
  rings.add(b, T0, 1, 1);
  assert.deepEqual(rings.rateOf(a, T0 + 1000), [10, 2], '20 out and 4 in over 2 s');
  assert.deepEqual(rings.rateOf(a, T0 + 2100), [5, 0], 'the first bucket has left the window');
  assert.deepEqual(rings.rateOf(a, T0 + 10_000), [0, 0]);
  rings.add(a, T0 - 5000, 100, 100);
  assert.deepEqual(rings.rateOf(a, T0 + 1000), [10, 2], 'older than the window: not counted');
  const copy = rings.copy();
  rings.absorb(b, a);
  assert.deepEqual(rings.rateOf(b, T0 + 1000), [10.5, 2.5]);
  assert.deepEqual(copy.rateOf(b, T0 + 1000), [0.5, 0.5], 'the copy is not changed by the original');
  rings.release(a);
  const c = rings.allocate();
  assert.equal(c, a, 'the released slot is taken again');
  assert.deepEqual(rings.rateOf(c, T0 + 1000), [0, 0], 'and comes back empty');
  assert.deepEqual(copy.rateOf(a, T0 + 1000), [10, 2], 'the copy still has it');
  for (let i = 0; i < 3; i++) rings.add(c, T0, 2 ** 30, 0);
  assert.deepEqual(rings.rateOf(c, T0), [(2 ** 31 - 1) / 2, 0], 'saturated, not wrapped negative');
  for (let i = 0; i < 200; i++) rings.allocate();
  assert.deepEqual(rings.rateOf(b, T0 + 1000), [10.5, 2.5], 'growing the pool keeps what it holds');
});
