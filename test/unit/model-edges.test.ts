/**
 * Edge resolution and disconnect semantics of the TopologyStore, fed with synthetic telemetry.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TopologyStore } from '../../src/model/store';
import { NO_KINDS, NO_TIMES, addToTimeline, mergeTimelines, scriptName, timelineEntries, type TimelineRec } from '../../src/model/store/records';
import type { EdgeView, TopologySnapshot } from '../../src/shared/snapshot';
import { toBin } from '../../src/protocol/bin';
import { typesRefused } from '../../src/shared/sockets';
import type { TelemetryMsg } from '../../src/protocol/types';
import {
  DEALER_SOCKET, FakeAgent, ROUTER_SOCKET, agentKeyOf, routerWithDealers, viaWire,
} from '../fixtures/collector/telemetry';

const T0 = 1_700_000_000_000;

function newStore(): { store: TopologyStore; clock: { now: number } } {
  const clock = { now: T0 };
  return { store: new TopologyStore({ now: () => clock.now }), clock };
}

function edgeFrom(s: TopologySnapshot, socketId: string): EdgeView {
  const edges = s.edges.filter((e) => e.from === socketId);
  assert.equal(edges.length, 1, `exactly one edge from ${socketId}: ${JSON.stringify(s.edges.map((e) => e.id))}`);
  return edges[0];
}

describe('a ROUTER with three DEALERs', () => {
  test('gives three edges from each DEALER to the ROUTER, with the right routing ids', () => {
    const { store } = newStore();
    const { router, dealers } = routerWithDealers(store, T0, ['worker-1', 'worker-2', 'worker-3']);
    const s = store.snapshot();
    assert.equal(s.nodes.length, 4);
    assert.equal(s.edges.length, 3);
    assert.ok(!s.sockets.some((k) => k.unknown), 'no unknown peers');
    for (const [id, dealer] of dealers) {
      const edge = edgeFrom(s, dealer.socketId(DEALER_SOCKET));
      assert.equal(edge.to, router.socketId(ROUTER_SOCKET));
      assert.equal(edge.routingId?.text, id);
      assert.equal(edge.endpoint, 'tcp://0.0.0.0:5555', 'the edge is on the bound endpoint it matched');
      assert.equal(edge.state, 'connected');
      assert.equal(edge.heartbeatAgeMs, 0, 'each agent clock (skewed by hours) is converted to the collector clock');
      assert.deepEqual(edge.timeline.map((t) => t.event), ['connect', 'handshake']);
    }
    assert.deepEqual(s.sockets.find((k) => k.id === router.socketId(ROUTER_SOCKET))?.binds, ['tcp://0.0.0.0:5555']);
  });

  test('ROUTER traffic seen before the DEALERs report shows unknown peers, merged into the real edges later', () => {
    const { store } = newStore();
    const router = new FakeAgent({ pid: 100 });
    const rk = agentKeyOf(router);
    for (const m of [router.hello(T0), router.socket(T0, 1, 'ROUTER'), router.bind(T0, 1, 'tcp://127.0.0.1:6000')]) store.apply(rk, viaWire(m), T0);
    store.apply(rk, viaWire(router.heartbeats(T0, 1, { peer: 'w1', count: 4 })), T0);
    let s = store.snapshot();
    const unknown = s.sockets.filter((k) => k.unknown);
    assert.equal(unknown.length, 1);
    assert.equal(unknown[0].routingId?.text, 'w1');
    assert.ok(s.nodes.find((n) => n.id === unknown[0].nodeId)?.unknown, 'the unknown peer has its own (synthetic) node');
    assert.equal(s.edges[0].from, unknown[0].id);

    const dealer = new FakeAgent({ pid: 300 });
    const dk = agentKeyOf(dealer);
    for (const m of [dealer.hello(T0 + 10), dealer.socket(T0 + 10, 1, 'DEALER', 'w1'), dealer.connect(T0 + 10, 1, 'tcp://127.0.0.1:6000')]) {
      store.apply(dk, viaWire(m), T0 + 10);
    }
    s = store.snapshot();
    assert.equal(s.sockets.filter((k) => k.unknown).length, 0, 'the placeholder is gone');
    assert.equal(s.nodes.length, 2);
    assert.equal(s.edges.length, 1);
    const edge = edgeFrom(s, dealer.socketId(1));
    assert.equal(edge.routingId?.text, 'w1');
    assert.deepEqual(edge.messageTypes, { HEARTBEAT: 4 }, 'what was learnt on the placeholder edge is kept');
    assert.equal(edge.state, 'connected');
  });

  test('a routing id no socket claims, with several candidates, is an "unknown peer R"; a single connector takes it', () => {
    const { store } = newStore();
    const router = new FakeAgent({ pid: 100 });
    const rk = agentKeyOf(router);
    for (const m of [router.hello(T0), router.socket(T0, 1, 'ROUTER'), router.bind(T0, 1, 'tcp://127.0.0.1:6000')]) store.apply(rk, m, T0);
    // One DEALER without a routing id: the ROUTER's generated id R belongs to it.
    const lone = new FakeAgent({ pid: 301 });
    for (const m of [lone.hello(T0), lone.socket(T0, 1, 'DEALER'), lone.connect(T0, 1, 'tcp://127.0.0.1:6000')]) store.apply(agentKeyOf(lone), m, T0);
    store.apply(rk, router.heartbeats(T0, 1, { peer: '\u0000k\u0000\u0000\u0001' }), T0);
    let s = store.snapshot();
    assert.equal(s.edges.length, 1);
    assert.equal(edgeFrom(s, lone.socketId(1)).routingId?.hex, '006b000001');

    // A second anonymous DEALER: the first is accounted for, so the new id is the second one's.
    const second = new FakeAgent({ pid: 302 });
    for (const m of [second.hello(T0), second.socket(T0, 1, 'DEALER'), second.connect(T0, 1, 'tcp://127.0.0.1:6000')]) store.apply(agentKeyOf(second), m, T0);
    store.apply(rk, router.heartbeats(T0, 1, { peer: '\u0000k\u0000\u0000\u0002' }), T0);
    s = store.snapshot();
    assert.equal(edgeFrom(s, second.socketId(1)).routingId?.hex, '006b000002');

    // A third id with both anonymous DEALERs accounted for: nobody we know.
    store.apply(rk, router.heartbeats(T0, 1, { peer: 'ghost' }), T0);
    s = store.snapshot();
    const ghost = s.sockets.find((k) => k.unknown);
    assert.ok(ghost, 'an unknown peer socket');
    assert.equal(ghost.routingId?.text, 'ghost');
    assert.equal(ghost.type, 'UNKNOWN');
    assert.equal(edgeFrom(s, ghost.id).to, router.socketId(1));
    assert.equal(s.edges.length, 3, 'nothing dropped: three peers, three edges');
  });

  test('a connect nobody binds goes to a placeholder for the endpoint, replaced when a binder appears', () => {
    const { store } = newStore();
    const dealer = new FakeAgent({ pid: 1 });
    const dk = agentKeyOf(dealer);
    for (const m of [dealer.hello(T0), dealer.socket(T0, 1, 'DEALER'), dealer.connect(T0, 1, 'tcp://127.0.0.1:7000')]) store.apply(dk, m, T0);
    store.apply(dk, dealer.event(T0 + 1, 1, 'connect:retry', 'tcp://127.0.0.1:7000', 100), T0 + 1);
    let s = store.snapshot();
    const placeholder = s.sockets.find((k) => k.unknown);
    assert.deepEqual(placeholder?.binds, ['tcp://127.0.0.1:7000']);
    assert.equal(edgeFrom(s, dealer.socketId(1)).state, 'retrying');

    const router = new FakeAgent({ pid: 2 });
    const rk = agentKeyOf(router);
    for (const m of [router.hello(T0 + 2), router.socket(T0 + 2, 1, 'ROUTER'), router.bind(T0 + 2, 1, 'tcp://*:7000')]) store.apply(rk, m, T0 + 2);
    store.apply(dk, dealer.event(T0 + 3, 1, 'handshake', 'tcp://127.0.0.1:7000'), T0 + 3);
    s = store.snapshot();
    assert.equal(s.sockets.filter((k) => k.unknown).length, 0);
    const edge = edgeFrom(s, dealer.socketId(1));
    assert.equal(edge.to, router.socketId(1));
    assert.equal(edge.state, 'connected');
    assert.deepEqual(edge.timeline.map((t) => t.event), ['connect:retry', 'handshake'], 'the retry history came along');
  });

  test('inproc matches only within one process; ipc by path', () => {
    const { store } = newStore();
    const a = new FakeAgent({ pid: 1 });
    const b = new FakeAgent({ pid: 2 });
    for (const m of [a.hello(T0), a.socket(T0, 1, 'PAIR'), a.bind(T0, 1, 'inproc://pipe'), a.socket(T0, 2, 'PAIR'), a.connect(T0, 2, 'inproc://pipe'),
      a.socket(T0, 3, 'PULL'), a.bind(T0, 3, 'ipc:///tmp/x.sock')]) store.apply('a', m, T0);
    for (const m of [b.hello(T0), b.socket(T0, 1, 'PAIR'), b.connect(T0, 1, 'inproc://pipe'), b.socket(T0, 2, 'PUSH'), b.connect(T0, 2, 'ipc:///tmp/x.sock')]) {
      store.apply('b', m, T0);
    }
    const s = store.snapshot();
    assert.equal(edgeFrom(s, a.socketId(2)).to, a.socketId(1));
    assert.ok(s.sockets.find((k) => k.id === edgeFrom(s, b.socketId(1)).to)?.unknown, 'inproc in another process reaches nothing known');
    assert.equal(edgeFrom(s, b.socketId(2)).to, a.socketId(3));
  });
});

describe('bound-side monitor events (the ROUTER\'s own endpoint is all they name)', () => {
  /** A DEALER process connecting to `endpoint` (no routing id: attributed as the endpoint's connector). */
  function connector(store: TopologyStore, pid: number, endpoint: string): FakeAgent {
    const agent = new FakeAgent({ pid, node: `c${pid}` });
    const key = agentKeyOf(agent);
    for (const m of [agent.hello(T0), agent.socket(T0, 1, 'DEALER'), agent.connect(T0, 1, endpoint), agent.event(T0, 1, 'handshake', endpoint)]) {
      store.apply(key, viaWire(m), T0);
    }
    return agent;
  }
  const events = (s: TopologySnapshot, from: string) => edgeFrom(s, from).timeline.map((t) => t.event);

  test('with hundreds of edges on one endpoint, an event there goes to none; on an endpoint with one edge, to that edge', () => {
    const { store } = newStore();
    const ids = Array.from({ length: 300 }, (_, i) => `w${i}`);
    const { router, dealers } = routerWithDealers(store, T0, ids);
    const rk = agentKeyOf(router);
    store.apply(rk, viaWire(router.bind(T0, ROUTER_SOCKET, 'tcp://127.0.0.1:6000')), T0);
    const solo = connector(store, 900, 'tcp://127.0.0.1:6000');
    store.apply(rk, viaWire(router.event(T0 + 1, ROUTER_SOCKET, 'accept', 'tcp://0.0.0.0:5555')), T0 + 1);
    store.apply(rk, viaWire(router.event(T0 + 2, ROUTER_SOCKET, 'accept', 'tcp://127.0.0.1:6000')), T0 + 2);
    let s = store.snapshot();
    assert.equal(s.edges.length, 301);
    for (const dealer of dealers.values()) assert.deepEqual(events(s, dealer.socketId(DEALER_SOCKET)), ['connect', 'handshake'], 'ambiguous: on no edge');
    assert.deepEqual(events(s, solo.socketId(1)), ['handshake', 'accept'], 'the one edge on that endpoint');
    // The same endpoint written another way (localhost for 127.0.0.1) is the same endpoint.
    store.apply(rk, viaWire(router.event(T0 + 3, ROUTER_SOCKET, 'disconnect', 'tcp://localhost:6000')), T0 + 3);
    s = store.snapshot();
    assert.equal(edgeFrom(s, solo.socketId(1)).state, 'disconnected');
    assert.equal(s.edges.filter((e) => e.state === 'disconnected').length, 1, 'no other edge touched');
  });

  test('two edges on one endpoint: none; once one is removed, the other gets the events', () => {
    const { store } = newStore();
    const router = new FakeAgent({ pid: 100, node: 'broker' });
    const rk = agentKeyOf(router);
    for (const m of [router.hello(T0), router.socket(T0, 1, 'ROUTER'), router.bind(T0, 1, 'tcp://127.0.0.1:6000')]) store.apply(rk, viaWire(m), T0);
    const a = connector(store, 901, 'tcp://127.0.0.1:6000');
    const b = connector(store, 902, 'tcp://127.0.0.1:6000');
    store.apply(rk, viaWire(router.event(T0 + 1, 1, 'accept', 'tcp://127.0.0.1:6000')), T0 + 1);
    let s = store.snapshot();
    assert.deepEqual(events(s, a.socketId(1)), ['handshake']);
    assert.deepEqual(events(s, b.socketId(1)), ['handshake']);
    store.agentGone(agentKeyOf(b), 'telemetry connection lost', T0 + 2);
    store.clearExited();
    store.apply(rk, viaWire(router.event(T0 + 3, 1, 'accept', 'tcp://127.0.0.1:6000')), T0 + 3);
    s = store.snapshot();
    assert.equal(s.edges.length, 1);
    assert.deepEqual(events(s, a.socketId(1)), ['handshake', 'accept'], 'the index forgot the removed edge');
  });
});

describe('disconnects', () => {
  test('agentGone: only that process\'s edges are disconnected, with the reason', () => {
    const { store } = newStore();
    const { dealers } = routerWithDealers(store, T0, ['w1', 'w2', 'w3']);
    store.agentGone(agentKeyOf(dealers.get('w2')!), 'telemetry connection lost', T0 + 50);
    const s = store.snapshot();
    const gone = edgeFrom(s, dealers.get('w2')!.socketId(DEALER_SOCKET));
    assert.equal(gone.state, 'disconnected');
    assert.equal(gone.exited, true);
    assert.deepEqual(gone.lastDisconnect, { at: T0 + 50, message: null, reason: 'peer process exited' });
    for (const id of ['w1', 'w3']) {
      const edge = edgeFrom(s, dealers.get(id)!.socketId(DEALER_SOCKET));
      assert.equal(edge.state, 'connected');
      assert.equal(edge.lastDisconnect, null);
      assert.equal(edge.exited, undefined);
    }
    const node = s.nodes.find((n) => n.id === dealers.get('w2')!.nodeId);
    assert.equal(node?.state, 'exited');
    assert.equal(node?.exitedAt, T0 + 50);
  });

  for (const order of ['disconnect-msg first', 'process exit first'] as const) {
    test(`the app's disconnect text and the process exit (${order}): app's message, best reason`, () => {
      const { store } = newStore();
      const { router, dealers } = routerWithDealers(store, T0, ['w1']);
      const msg = () => store.apply(agentKeyOf(router), viaWire(router.disconnectMsg(T0 + 10, ROUTER_SOCKET, 'w1', toBin('WORKER_GONE'))), T0 + 10);
      const exit = () => store.agentGone(agentKeyOf(dealers.get('w1')!), 'telemetry connection lost', T0 + 12);
      if (order === 'disconnect-msg first') {
        msg();
        exit();
      } else {
        exit();
        msg();
      }
      const edge = edgeFrom(store.snapshot(), dealers.get('w1')!.socketId(DEALER_SOCKET));
      assert.equal(edge.state, 'disconnected');
      assert.equal(edge.lastDisconnect?.message, 'WORKER_GONE');
      assert.equal(edge.lastDisconnect?.reason, 'peer process exited');
      assert.equal(edge.lastDisconnect?.at, T0 + 10, 'the earliest evidence of the loss');
      assert.ok(edge.timeline.some((t) => t.event === 'disconnect-msg' && t.detail === 'WORKER_GONE'));
    });
  }

  test('a disconnect message with no app text: message null, reason the disconnect message; unprintable text as 0x-hex', () => {
    const { store } = newStore();
    const { router, dealers } = routerWithDealers(store, T0, ['w1', 'w2']);
    const rk = agentKeyOf(router);
    store.apply(rk, viaWire(router.disconnectMsg(T0 + 10, ROUTER_SOCKET, 'w1')), T0 + 10);
    store.apply(rk, viaWire(router.disconnectMsg(T0 + 10, ROUTER_SOCKET, 'w2', toBin(Buffer.from([0, 1, 0xff])))), T0 + 10);
    const s = store.snapshot();
    assert.deepEqual(edgeFrom(s, dealers.get('w1')!.socketId(DEALER_SOCKET)).lastDisconnect,
      { at: T0 + 10, message: null, reason: 'ZMQ_DISCONNECT_MSG from peer' });
    assert.equal(edgeFrom(s, dealers.get('w2')!.socketId(DEALER_SOCKET)).lastDisconnect?.message, '0x0001ff');
    assert.equal(s.nodes.filter((n) => n.state === 'exited').length, 0, 'the processes are still alive');
  });

  test('a disconnected edge that reconnects is connected again, keeps lastDisconnect, and the timeline says so', () => {
    const { store } = newStore();
    const { dealers } = routerWithDealers(store, T0, ['w1']);
    const dealer = dealers.get('w1')!;
    const key = agentKeyOf(dealer);
    store.apply(key, dealer.event(T0 + 10, DEALER_SOCKET, 'disconnect', 'tcp://localhost:5555'), T0 + 10);
    let edge = edgeFrom(store.snapshot(), dealer.socketId(DEALER_SOCKET));
    assert.equal(edge.state, 'disconnected');
    assert.equal(edge.lastDisconnect?.reason, 'disconnect event');
    store.apply(key, dealer.event(T0 + 20, DEALER_SOCKET, 'connect:retry', 'tcp://localhost:5555', 100), T0 + 20);
    assert.equal(edgeFrom(store.snapshot(), dealer.socketId(DEALER_SOCKET)).state, 'retrying');
    store.apply(key, dealer.event(T0 + 25, DEALER_SOCKET, 'connect', 'tcp://localhost:5555'), T0 + 25);
    assert.equal(edgeFrom(store.snapshot(), dealer.socketId(DEALER_SOCKET)).state, 'retrying', 'retrying until a handshake');
    store.apply(key, dealer.event(T0 + 30, DEALER_SOCKET, 'handshake', 'tcp://localhost:5555'), T0 + 30);
    edge = edgeFrom(store.snapshot(), dealer.socketId(DEALER_SOCKET));
    assert.equal(edge.state, 'connected');
    assert.equal(edge.lastDisconnect?.at, T0 + 10);
    assert.deepEqual(edge.timeline.map((t) => t.event).slice(-4), ['disconnect', 'connect:retry', 'connect', 'handshake']);
  });

  test('closing a socket disconnects its edges with "socket closed"', () => {
    const { store } = newStore();
    const { dealers } = routerWithDealers(store, T0, ['w1']);
    const dealer = dealers.get('w1')!;
    store.apply(agentKeyOf(dealer), dealer.close(T0 + 5, DEALER_SOCKET), T0 + 5);
    const s = store.snapshot();
    assert.equal(s.sockets.find((k) => k.id === dealer.socketId(DEALER_SOCKET))?.closed, true);
    assert.equal(edgeFrom(s, dealer.socketId(DEALER_SOCKET)).lastDisconnect?.reason, 'socket closed');
  });

  // A ROUTER's ZMQ_DISCONNECT_MSG for routing id R can reach the collector after R's next handshake
  // (churn soak: a live, heartbeating worker shown disconnected until its next reconnect).
  test('a disconnect message stamped before the edge\'s handshake belongs to the previous connection: history only', () => {
    const { store } = newStore();
    const { router, dealers } = routerWithDealers(store, T0, ['w1']);
    const dealer = dealers.get('w1')!;
    const dk = agentKeyOf(dealer);
    store.apply(dk, viaWire(dealer.event(T0 + 100, DEALER_SOCKET, 'disconnect', 'tcp://localhost:5555')), T0 + 100);
    store.apply(dk, viaWire(dealer.event(T0 + 200, DEALER_SOCKET, 'connect', 'tcp://localhost:5555')), T0 + 200);
    store.apply(dk, viaWire(dealer.event(T0 + 201, DEALER_SOCKET, 'handshake', 'tcp://localhost:5555')), T0 + 201);
    store.apply(agentKeyOf(router), viaWire(router.disconnectMsg(T0 + 101, ROUTER_SOCKET, 'w1', toBin('bye'))), T0 + 205);
    const edge = edgeFrom(store.snapshot(), dealer.socketId(DEALER_SOCKET));
    assert.equal(edge.state, 'connected');
    assert.equal(edge.timeline.at(-1)?.event, 'disconnect-msg');
    assert.deepEqual(edge.lastDisconnect, { at: T0 + 100, message: 'bye', reason: 'ZMQ_DISCONNECT_MSG from peer' }, 'the earlier loss learns its message');
  });

  test('a replaced DEALER (same routing id): the old connection\'s late disconnect message goes to the closed socket\'s edge', () => {
    const { store } = newStore();
    const { router, dealers } = routerWithDealers(store, T0, ['w1']);
    const dealer = dealers.get('w1')!;
    const dk = agentKeyOf(dealer);
    const next = DEALER_SOCKET + 1;
    for (const m of [dealer.socket(T0 + 100, next, 'DEALER', 'w1'), dealer.connect(T0 + 100, next, 'tcp://localhost:5555'), dealer.close(T0 + 101, DEALER_SOCKET),
      dealer.event(T0 + 150, next, 'connect', 'tcp://localhost:5555'), dealer.event(T0 + 151, next, 'handshake', 'tcp://localhost:5555')]) {
      store.apply(dk, viaWire(m), T0 + 151);
    }
    store.apply(agentKeyOf(router), viaWire(router.disconnectMsg(T0 + 102, ROUTER_SOCKET, 'w1')), T0 + 160);
    const s = store.snapshot();
    const live = edgeFrom(s, dealer.socketId(next));
    assert.equal(live.state, 'connected');
    assert.ok(!live.timeline.some((t) => t.event === 'disconnect-msg'), JSON.stringify(live.timeline));
    const old = edgeFrom(s, dealer.socketId(DEALER_SOCKET));
    assert.equal(old.state, 'disconnected');
    assert.equal(old.timeline.at(-1)?.event, 'disconnect-msg');
  });

  for (const delay of [true, false]) test(`a replacing DEALER not yet connected (${delay ? 'connect:delay seen' : 'no event yet'}) keeps connecting when the old connection's disconnect message comes; an unknown peer's is a loss`, () => {
    const { store } = newStore();
    const { router, dealers } = routerWithDealers(store, T0, ['w1']);
    const dealer = dealers.get('w1')!;
    const dk = agentKeyOf(dealer);
    const rk = agentKeyOf(router);
    const next = DEALER_SOCKET + 1;
    for (const m of [dealer.socket(T0 + 100, next, 'DEALER', 'w1'), dealer.connect(T0 + 100, next, 'tcp://localhost:5555'),
      ...(delay ? [dealer.event(T0 + 100, next, 'connect:delay', 'tcp://localhost:5555')] : []), dealer.close(T0 + 101, DEALER_SOCKET)]) {
      store.apply(dk, viaWire(m), T0 + 101);
    }
    store.apply(rk, viaWire(router.disconnectMsg(T0 + 102, ROUTER_SOCKET, 'w1')), T0 + 102);
    let s = store.snapshot();
    assert.equal(edgeFrom(s, dealer.socketId(next)).state, 'connecting');
    assert.equal(edgeFrom(s, dealer.socketId(DEALER_SOCKET)).timeline.at(-1)?.event, 'disconnect-msg');

    store.apply(rk, viaWire(router.disconnectMsg(T0 + 103, ROUTER_SOCKET, 'ghost')), T0 + 103);
    s = store.snapshot();
    const ghost = s.edges.find((e) => e.routingId?.text === 'ghost');
    assert.equal(ghost?.state, 'disconnected', 'first seen by its disconnect message: a loss, not a connection under way');
  });

  test('a disconnect message read after the new handshake disconnects; the peer\'s next message read after it reconnects', () => {
    const { store } = newStore();
    const { router, dealers } = routerWithDealers(store, T0, ['w1']);
    const dealer = dealers.get('w1')!;
    const rk = agentKeyOf(router);
    store.apply(agentKeyOf(dealer), viaWire(dealer.event(T0 + 100, DEALER_SOCKET, 'handshake', 'tcp://localhost:5555')), T0 + 100);
    store.apply(rk, viaWire(router.disconnectMsg(T0 + 110, ROUTER_SOCKET, 'w1')), T0 + 110);
    const edge = () => edgeFrom(store.snapshot(), dealer.socketId(DEALER_SOCKET));
    assert.equal(edge().state, 'disconnected', 'a peer that really went (kill -9) is shown gone at once');
    store.apply(rk, viaWire(router.heartbeats(T0 + 110, ROUTER_SOCKET, { peer: 'w1' })), T0 + 115);
    assert.equal(edge().state, 'disconnected', 'a message read in the same millisecond proves nothing');
    store.apply(rk, viaWire(router.heartbeats(T0 + 300, ROUTER_SOCKET, { peer: 'w1' })), T0 + 300);
    assert.equal(edge().state, 'connected');
    assert.deepEqual(edge().timeline.slice(-2).map((t) => t.event), ['disconnect-msg', 'recovered']);
  });

  // The Node agent posts `close` at once, while the socket's last monitor events are read from the
  // monitor afterwards (churn soak: closed sockets' edges stuck `connecting`, or `late` → `dead`).
  for (const late of [['connect:delay', 'connect', 'end'], ['handshake', 'end'], ['connect:retry', 'accept', 'end']] as const) {
    test(`monitor events after close (${late.join(', ')}) go on the timeline but do not re-open the edge`, () => {
      const { store, clock } = newStore();
      const { router, dealers } = routerWithDealers(store, T0, ['w1']);
      const dealer = dealers.get('w1')!;
      const key = agentKeyOf(dealer);
      store.apply(key, viaWire(dealer.close(T0 + 5, DEALER_SOCKET)), T0 + 5);
      late.forEach((event, i) => store.apply(key, viaWire(dealer.event(T0 + 6 + i, DEALER_SOCKET, event, 'tcp://localhost:5555')), T0 + 6 + i));
      // Nor does a heartbeat the DEALER sent before closing that the ROUTER reads (and stamps) after.
      store.apply(agentKeyOf(router), viaWire(router.heartbeats(T0 + 8, ROUTER_SOCKET, { peer: 'w1' })), T0 + 10);
      clock.now = T0 + 60_000;
      const edge = edgeFrom(store.snapshot(), dealer.socketId(DEALER_SOCKET));
      assert.equal(edge.state, 'disconnected');
      assert.equal(edge.lastDisconnect?.reason, 'socket closed');
      assert.deepEqual(edge.timeline.map((t) => t.event).slice(-late.length), [...late]);
    });
  }
});

describe('collector restart and process restart', () => {
  test('new agent keys with the same hello/snapshot rebuild the same ids; exited nodes stay exited', () => {
    const { store, clock } = newStore();
    const { router, dealers } = routerWithDealers(store, T0, ['w1', 'w2']);
    store.agentGone(agentKeyOf(dealers.get('w2')!), 'telemetry connection lost', T0 + 5);
    const before = store.snapshot();

    // The collector restarts: agents reconnect under new routing ids and send hello + snapshot.
    const t = T0 + 1000;
    clock.now = t;
    const resend = (agent: FakeAgent, sockets: Parameters<FakeAgent['snapshot']>[1]) => {
      store.apply(agentKeyOf(agent, 1), viaWire(agent.hello(t)), t);
      store.apply(agentKeyOf(agent, 1), viaWire(agent.snapshot(t, sockets)), t);
    };
    resend(router, [{
      socket: ROUTER_SOCKET, type: 'ROUTER', options: { disconnectMsg: false }, createdAt: router.stamp(T0), closed: false,
      endpoints: [{ op: 'bind', requested: 'tcp://*:*', resolved: 'tcp://0.0.0.0:5555', at: router.stamp(T0) }],
      peers: [{ socket: ROUTER_SOCKET, peer: toBin('w1'), msgsIn: 9, msgsOut: 0, bytesIn: 9, bytesOut: 0, types: { HEARTBEAT: 9 },
        lastMessageIn: router.stamp(t - 100), lastHeartbeatIn: router.stamp(t - 100) }],
    }]);
    const w1 = dealers.get('w1')!;
    resend(w1, [{
      socket: DEALER_SOCKET, type: 'DEALER', routingId: toBin('w1'), options: { disconnectMsg: false }, createdAt: w1.stamp(T0), closed: false,
      endpoints: [{ op: 'connect', requested: 'tcp://localhost:5555', at: w1.stamp(T0) }], peers: [],
    }]);
    const after = store.snapshot();
    assert.deepEqual(after.nodes.map((n) => n.id).sort(), before.nodes.map((n) => n.id).sort(), 'no duplicated nodes');
    assert.deepEqual(after.sockets.map((k) => k.id).sort(), before.sockets.map((k) => k.id).sort(), 'no duplicated sockets');
    assert.deepEqual(after.edges.map((e) => e.id).sort(), before.edges.map((e) => e.id).sort(), 'no duplicated edges');
    assert.equal(after.nodes.find((n) => n.id === dealers.get('w2')!.nodeId)?.state, 'exited');
    assert.equal(edgeFrom(after, dealers.get('w2')!.socketId(DEALER_SOCKET)).state, 'disconnected');
    const edge = edgeFrom(after, w1.socketId(DEALER_SOCKET));
    assert.equal(edge.state, 'connected');
    assert.equal(edge.heartbeatAgeMs, 100);

    // An old connection's loss after the reconnect does not end the node.
    store.agentGone(agentKeyOf(router, 0), 'telemetry connection lost', t + 1);
    assert.equal(store.snapshot().nodes.find((n) => n.id === router.nodeId)?.state, 'live');
  });

  test('a fresh store rebuilt only from hello + snapshot shows the connected edge at once', () => {
    const { store } = newStore();
    const router = new FakeAgent({ pid: 1 });
    const dealer = new FakeAgent({ pid: 2 });
    store.apply('r', router.hello(T0), T0);
    store.apply('r', router.snapshot(T0, [{
      socket: 1, type: 'ROUTER', options: { disconnectMsg: false }, createdAt: 0, closed: false,
      endpoints: [{ op: 'bind', requested: 'tcp://127.0.0.1:5000', at: 0 }],
      peers: [{ socket: 1, peer: toBin('d'), msgsIn: 1, msgsOut: 0, bytesIn: 1, bytesOut: 0, types: {}, lastMessageIn: T0 - 10 }],
    }]), T0);
    store.apply('d', dealer.hello(T0), T0);
    store.apply('d', dealer.snapshot(T0, [{
      socket: 1, type: 'DEALER', routingId: toBin('d'), options: { disconnectMsg: false }, createdAt: 0, closed: false,
      endpoints: [{ op: 'connect', requested: 'tcp://127.0.0.1:5000', at: 0 }], peers: [],
    }]), T0);
    const s = store.snapshot();
    assert.equal(s.edges.length, 1);
    assert.equal(s.edges[0].state, 'connected');
    assert.equal(s.edges[0].trafficAgeMs, 10);
  });

  test('the same pid with a new instance is a new node; the old one is exited', () => {
    const { store } = newStore();
    const first = new FakeAgent({ pid: 42, instance: 'a' });
    const second = new FakeAgent({ pid: 42, instance: 'b' });
    store.apply('k1', first.hello(T0), T0);
    store.apply('k2', second.hello(T0 + 100), T0 + 100);
    const s = store.snapshot();
    assert.equal(s.nodes.length, 2);
    assert.equal(s.nodes.find((n) => n.id === first.nodeId)?.state, 'exited');
    assert.equal(s.nodes.find((n) => n.id === second.nodeId)?.state, 'live');
  });

  test('a worker thread\'s agent (hello.thread) is one more node of a running process, named for its thread; a new main thread still means a new process', () => {
    const { store } = newStore();
    const main = new FakeAgent({ pid: 42, instance: 'a', node: 'app' });
    const worker = new FakeAgent({ pid: 42, instance: 'b', node: 'app' });
    store.apply('k1', main.hello(T0), T0);
    store.apply('k2', viaWire({ ...worker.hello(T0 + 50), thread: 1 } as TelemetryMsg), T0 + 50);
    let s = store.snapshot();
    assert.deepEqual(s.nodes.map((n) => `${n.name} ${n.state}`).sort(), ['app [thread 1] live', 'app live']);
    const restarted = new FakeAgent({ pid: 42, instance: 'c', node: 'app' });
    store.apply('k3', restarted.hello(T0 + 100), T0 + 100);
    s = store.snapshot();
    assert.deepEqual(s.nodes.map((n) => `${n.id.split(':').pop()} ${n.state}`).sort(), ['a exited', 'b exited', 'c live']);
  });

  test('a process is named after what it runs: the script, a -m module; not inline code, but a multiprocessing child says what it is', () => {
    assert.equal(scriptName(['/usr/bin/node', '/srv/app/broker.js', '--port', '5']), 'broker.js');
    assert.equal(scriptName(['/usr/bin/python3', '-u', '-X', 'dev', 'app/server.py', '--port', '5']), 'server.py');
    assert.equal(scriptName(['/usr/bin/python3', '-m', 'svc.worker', '-v']), 'svc.worker');
    assert.equal(scriptName(['/usr/bin/python3', '-c', 'import zmq; print(zmq.zmq_version())']), undefined);
    assert.equal(scriptName(['/usr/bin/python3', '-c', 'from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=25, pipe_handle=27)', '--multiprocessing-fork']),
      'multiprocessing worker', 'a spawn or forkserver child (its command line was the bootstrap code)');
  });

  test('bye exits the node; telemetry before hello is discarded and counted, not lost silently', () => {
    const { store } = newStore();
    const agent = new FakeAgent({ pid: 5 });
    store.apply('k', agent.beat(T0), T0);
    store.apply('k', agent.hello(T0), T0);
    store.apply('k', agent.beat(T0, 3), T0);
    assert.equal(store.snapshot().nodes[0].dropped, 3);
    store.apply('k', agent.bye(T0 + 1, 'normal exit'), T0 + 1);
    const s = store.snapshot();
    assert.equal(s.nodes[0].state, 'exited');
    assert.deepEqual(s.collector?.discarded, { 'before-hello': 1 });
  });

  test('malformed frames are counted on the agent\'s node', () => {
    const { store } = newStore();
    const agent = new FakeAgent({ pid: 5 });
    store.apply('k', agent.hello(T0), T0);
    store.malformed('k', 'not-json', 'Unexpected token');
    store.malformed('k', 'bad-field', 'seq: expected an integer');
    store.malformed(undefined, 'frame-count', '2 frames');
    assert.equal(store.snapshot().nodes[0].malformed, 2);
  });
});

describe('a binder that goes away', () => {
  test('its edges are exited and kept; a new process binding the endpoint gets new edges', () => {
    const { store } = newStore();
    const { router, dealers } = routerWithDealers(store, T0, ['w1']);
    const w1 = dealers.get('w1')!;
    store.agentGone(agentKeyOf(router), 'telemetry connection lost', T0 + 1);
    store.apply(agentKeyOf(w1), w1.event(T0 + 2, DEALER_SOCKET, 'connect:retry', 'tcp://localhost:5555', 100), T0 + 2);
    let s = store.snapshot();
    assert.equal(s.sockets.filter((k) => k.unknown).length, 0, 'no placeholder while the old edge explains the connect');
    const old = edgeFrom(s, w1.socketId(DEALER_SOCKET));
    assert.equal(old.state, 'disconnected');
    assert.equal(old.exited, true);
    assert.equal(old.lastDisconnect?.reason, 'peer process exited');

    const next = new FakeAgent({ pid: 101 });
    for (const m of [next.hello(T0 + 3), next.socket(T0 + 3, 1, 'ROUTER'), next.bind(T0 + 3, 1, 'tcp://0.0.0.0:5555')]) store.apply('next', m, T0 + 3);
    store.apply(agentKeyOf(w1), w1.event(T0 + 4, DEALER_SOCKET, 'handshake', 'tcp://localhost:5555'), T0 + 4);
    s = store.snapshot();
    const edges = s.edges.filter((e) => e.from === w1.socketId(DEALER_SOCKET));
    assert.equal(edges.length, 2);
    assert.equal(edges.find((e) => e.to === next.socketId(1))?.state, 'connected');
    assert.equal(edges.find((e) => e.to === router.socketId(ROUTER_SOCKET))?.state, 'disconnected');
  });
});

describe('a ROUTER that connects (zguide\'s Freelance client: ROUTER to ROUTER servers named by their endpoints)', () => {
  const hexOf = (s: string): string => Buffer.from(s).toString('hex');
  const serverIds = ['tcp://localhost:5571', 'tcp://localhost:5572'];

  for (const order of ['servers first', 'client first'] as const) {
    test(`its peers are the servers it connected to, never sockets connected to it (${order})`, () => {
      const { store, clock } = newStore();
      const servers = serverIds.map((_, i) => new FakeAgent({ pid: 10 + i, node: `server-${i}` }));
      const client = new FakeAgent({ pid: 20, node: 'client' });
      const serverUp = (i: number) => {
        const s = servers[i];
        for (const m of [s.hello(T0), s.socket(T0, 1, 'ROUTER', serverIds[i]), s.bind(T0, 1, `tcp://*:557${i + 1}`, `tcp://0.0.0.0:557${i + 1}`)]) store.apply(`s${i}`, m, clock.now);
      };
      const clientUp = () => {
        for (const m of [client.hello(T0), client.socket(T0, 1, 'ROUTER'), ...serverIds.flatMap((id) => [client.connect(T0, 1, id), client.event(T0, 1, 'handshake', id)])]) store.apply('c', m, clock.now);
        // It PINGs each server by its routing id and logs its first messages per peer, as the agent does.
        serverIds.forEach((id, i) => store.apply('c', client.logged(T0 + 100, 1, { peerHex: hexOf(id), out: [[T0 + 90 + i, `p${i}`]], in: [[T0 + 95 + i, `q${i}`]] }), T0 + 100));
      };
      if (order === 'servers first') {
        serverUp(0); serverUp(1); clientUp();
      } else {
        // The client's first records come before the servers have said who they are.
        clientUp(); serverUp(0); serverUp(1);
      }
      clock.now = T0 + 500;
      serverIds.forEach((id) => store.apply('c', client.heartbeats(clock.now, 1, { peer: id, inbound: false }), clock.now));
      const s = store.snapshot();
      assert.deepEqual(s.sockets.filter((k) => k.unknown).map((k) => k.name), [], 'no unknown peers');
      assert.deepEqual(s.edges.map((e) => [e.from, e.to]).sort(), servers.map((srv) => [client.socketId(1), srv.socketId(1)]).sort(),
        'one edge per connection, from the client to each server; none into the client');
      for (const e of s.edges) assert.equal(e.heartbeatAgeMs, 0, `the PINGs to ${e.to} are on its own edge`);
    });
  }

  test('an uninstrumented server it reaches is an endpoint placeholder, and its automatic id no "unknown peer" connected to the client', () => {
    const { store, clock } = newStore();
    const client = new FakeAgent({ pid: 20, node: 'client' });
    for (const m of [client.hello(T0), client.socket(T0, 1, 'ROUTER'), client.connect(T0, 1, 'tcp://localhost:5571'), client.event(T0, 1, 'handshake', 'tcp://localhost:5571'),
      client.logged(T0, 1, { peerHex: '006b8b4567', out: [[T0, 'p']], in: [[T0, 'q']] })]) store.apply('c', m, clock.now);
    clock.now = T0 + 500;
    store.apply('c', client.heartbeats(clock.now, 1, { peer: '\u0000kEg' }), clock.now);
    const s = store.snapshot();
    assert.equal(s.edges.length, 1, JSON.stringify(s.edges.map((e) => e.id)));
    assert.equal(s.edges[0].from, client.socketId(1));
    assert.match(s.sockets.find((k) => k.id === s.edges[0].to)?.name ?? '', /unknown peer at tcp:\/\/localhost:5571/);
  });
});

describe('endpoint calls that failed', () => {
  const ADDRESS_IN_USE = 'Address already in use';

  function twoServers(store: TopologyStore): { first: FakeAgent; second: FakeAgent; secondKey: string } {
    const first = new FakeAgent({ pid: 100, node: 'server' });
    const fk = agentKeyOf(first);
    for (const m of [first.hello(T0), first.socket(T0, 1, 'ROUTER'), first.bind(T0, 1, 'tcp://*:5555', 'tcp://0.0.0.0:5555')]) store.apply(fk, viaWire(m), T0);
    const second = new FakeAgent({ pid: 101, node: 'server' });
    const secondKey = agentKeyOf(second);
    for (const m of [second.hello(T0 + 5), second.socket(T0 + 5, 1, 'ROUTER')]) store.apply(secondKey, viaWire(m), T0 + 5);
    return { first, second, secondKey };
  }

  test('a bind to a port another process holds is kept on the socket with the error, the count and the holder', () => {
    const { store, clock } = newStore();
    const { first, second, secondKey } = twoServers(store);
    for (const at of [T0 + 10, T0 + 20]) {
      clock.now = at;
      store.apply(secondKey, viaWire(second.failed(at, 1, 'bind', 'tcp://127.0.0.1:5555', ADDRESS_IN_USE)), at);
    }
    const socket = store.snapshot().sockets.find((s) => s.id === second.socketId(1));
    assert.deepEqual(socket?.binds, []);
    assert.deepEqual(socket?.failed, [{ op: 'bind', endpoint: 'tcp://127.0.0.1:5555', error: ADDRESS_IN_USE, at: T0 + 20, times: 2, heldBy: first.socketId(1) }]);
  });

  test('the same call succeeding later clears it; other failures stay; a closed holder is no holder', () => {
    const { store } = newStore();
    const { first, second, secondKey } = twoServers(store);
    const apply = (m: TelemetryMsg, at: number) => store.apply(secondKey, viaWire(m), at);
    apply(second.failed(T0 + 10, 1, 'bind', 'tcp://*:5555', ADDRESS_IN_USE), T0 + 10);
    apply(second.failed(T0 + 11, 1, 'connect', 'tcp://*:6000', 'Invalid argument'), T0 + 11);
    store.apply(agentKeyOf(first), viaWire(first.close(T0 + 12, 1)), T0 + 12);
    apply(second.failed(T0 + 13, 1, 'bind', 'tcp://*:5555', ADDRESS_IN_USE), T0 + 13);
    let socket = store.snapshot().sockets.find((s) => s.id === second.socketId(1));
    assert.deepEqual(socket?.failed?.map((f) => [f.op, f.times, f.heldBy]), [['connect', 1, undefined], ['bind', 2, undefined]]);
    apply(second.bind(T0 + 14, 1, 'tcp://*:5555', 'tcp://0.0.0.0:5555'), T0 + 14);
    socket = store.snapshot().sockets.find((s) => s.id === second.socketId(1));
    assert.deepEqual(socket?.binds, ['tcp://0.0.0.0:5555']);
    assert.deepEqual(socket?.failed?.map((f) => f.op), ['connect']);
    apply(second.connect(T0 + 15, 1, 'tcp://*:6000'), T0 + 15);
    assert.equal(store.snapshot().sockets.find((s) => s.id === second.socketId(1))?.failed, undefined, 'nothing failing: no field');
  });

  test('a failure from before the collector listened comes in the snapshot; the same failure queued behind it is not counted twice', () => {
    const { store } = newStore();
    const { first, second, secondKey } = twoServers(store);
    const failed = { op: 'bind' as const, requested: 'tcp://*:5555', error: ADDRESS_IN_USE, at: T0 + 1, times: 1 };
    const router = { socket: 1, type: 'ROUTER' as const, options: { disconnectMsg: false }, createdAt: T0, endpoints: [], peers: [], closed: false };
    store.apply(secondKey, viaWire(second.snapshot(T0 + 2, [{ ...router, failed: [failed] }])), T0 + 2);
    store.apply(secondKey, viaWire(second.failed(T0 + 1, 1, 'bind', 'tcp://*:5555', ADDRESS_IN_USE)), T0 + 3);
    const socket = store.snapshot().sockets.find((s) => s.id === second.socketId(1));
    assert.deepEqual(socket?.failed?.map((f) => [f.times, f.heldBy]), [[1, first.socketId(1)]]);
    store.apply(secondKey, viaWire(second.snapshot(T0 + 4, [router])), T0 + 4);
    assert.equal(store.snapshot().sockets.find((s) => s.id === second.socketId(1))?.failed, undefined, 'the agent\'s state replaces the store\'s');
  });

  test('an app retrying many endpoints keeps only the latest failures', () => {
    const { store } = newStore();
    const { second, secondKey } = twoServers(store);
    for (let port = 7000; port < 7020; port++) store.apply(secondKey, viaWire(second.failed(T0 + port, 1, 'bind', `tcp://*:${port}`, ADDRESS_IN_USE)), T0 + port);
    const failed = store.snapshot().sockets.find((s) => s.id === second.socketId(1))?.failed ?? [];
    assert.deepEqual(failed.map((f) => f.endpoint), Array.from({ length: 8 }, (_, i) => `tcp://*:${7012 + i}`));
  });
});

describe('socket types that cannot talk', () => {
  test('the ZMTP pairs: what libzmq accepts, what it refuses, and no judgement on STREAM or unknown peers', () => {
    for (const [a, b] of [['PUSH', 'PULL'], ['PUB', 'SUB'], ['XPUB', 'XSUB'], ['REQ', 'ROUTER'], ['DEALER', 'REP'], ['ROUTER', 'ROUTER'], ['PAIR', 'PAIR'], ['CLIENT', 'SERVER']] as const) {
      assert.equal(typesRefused(a, b), false, `${a}–${b}`);
      assert.equal(typesRefused(b, a), false, `${b}–${a}`);
    }
    for (const [a, b] of [['PUSH', 'PUB'], ['SUB', 'PUSH'], ['REQ', 'REQ'], ['REQ', 'DEALER'], ['REP', 'ROUTER'], ['DEALER', 'PUB'], ['PAIR', 'DEALER'], ['PUB', 'PUB']] as const) {
      assert.equal(typesRefused(a, b), true, `${a}–${b}`);
    }
    assert.equal(typesRefused('STREAM', 'DEALER'), false);
    assert.equal(typesRefused('PUSH', 'UNKNOWN'), false);
  });

  test('a PUSH connected to a PUB by mistake: its edge says so, and the PUB\'s sends go to its real subscriber only', () => {
    const { store } = newStore();
    const publisher = new FakeAgent({ pid: 100, node: 'publisher' });
    const pk = agentKeyOf(publisher);
    for (const m of [publisher.hello(T0), publisher.socket(T0, 1, 'PUB'), publisher.bind(T0, 1, 'tcp://*:5560', 'tcp://0.0.0.0:5560')]) store.apply(pk, viaWire(m), T0);
    const pusher = new FakeAgent({ pid: 200, node: 'pusher' });
    for (const m of [pusher.hello(T0), pusher.socket(T0, 1, 'PUSH'), pusher.connect(T0, 1, 'tcp://localhost:5560')]) store.apply(agentKeyOf(pusher), viaWire(m), T0);
    // With only the wrong peer connected, a socket-wide record of the PUB's sends is nobody's.
    store.apply(pk, viaWire(publisher.heartbeats(T0 + 10, 1, { count: 5, heartbeat: false })), T0 + 10);
    let s = store.snapshot();
    const refused = edgeFrom(s, pusher.socketId(1));
    assert.deepEqual(refused.incompatible, { from: 'PUSH', to: 'PUB' });
    assert.deepEqual(refused.messageTypes, {}, 'no message passes a refused handshake');
    const subscriber = new FakeAgent({ pid: 300, node: 'subscriber' });
    for (const m of [subscriber.hello(T0), subscriber.socket(T0, 1, 'SUB'), subscriber.connect(T0, 1, 'tcp://localhost:5560')]) store.apply(agentKeyOf(subscriber), viaWire(m), T0 + 20);
    store.apply(pk, viaWire(publisher.heartbeats(T0 + 30, 1, { count: 7, heartbeat: false })), T0 + 30);
    s = store.snapshot();
    assert.equal(edgeFrom(s, subscriber.socketId(1)).incompatible, undefined);
    assert.deepEqual(edgeFrom(s, subscriber.socketId(1)).messageTypes, { WORK: 7 }, 'the PUB\'s one live, valid edge');
    assert.deepEqual(edgeFrom(s, pusher.socketId(1)).messageTypes, {});
  });
});

describe('a ROUTER sending to a routing id it never heard from', () => {
  test('the made-up peer\'s edge is marked unheard; a peer that spoke, or a claimed id, is not; a first message from it clears the mark', () => {
    const { store } = newStore();
    const router = new FakeAgent({ pid: 100 });
    const rk = agentKeyOf(router);
    for (const m of [router.hello(T0), router.socket(T0, 1, 'ROUTER'), router.bind(T0, 1, 'tcp://127.0.0.1:6000')]) store.apply(rk, viaWire(m), T0);
    store.apply(rk, viaWire(router.heartbeats(T0 + 1, 1, { peer: 'ghost', inbound: false, count: 3, heartbeat: false })), T0 + 1);
    store.apply(rk, viaWire(router.heartbeats(T0 + 1, 1, { peer: 'talker', count: 2 })), T0 + 1);
    const byPeer = (text: string) => store.snapshot().edges.find((e) => e.routingId?.text === text);
    assert.equal(byPeer('ghost')?.unheard, true);
    assert.equal(byPeer('talker')?.unheard, undefined, 'it spoke: a real peer without an agent');
    store.apply(rk, viaWire(router.heartbeats(T0 + 2, 1, { peer: 'ghost', count: 1 })), T0 + 2);
    assert.equal(byPeer('ghost')?.unheard, undefined, 'heard from at last');
  });
});

describe('two sockets bound to one ipc path (the later bind takes the path over)', () => {
  test('a connection made before the second bind stays on the first; a later one, or a reconnect, reaches the second', () => {
    const { store } = newStore();
    const path = 'ipc:///tmp/shared.ipc';
    const start = (pid: number, at: number) => {
      const server = new FakeAgent({ pid, node: `server-${pid}` });
      for (const m of [server.hello(at), server.socket(at, 1, 'ROUTER'), server.bind(at, 1, path)]) store.apply(agentKeyOf(server), viaWire(m), at);
      return server;
    };
    const client = (pid: number, at: number) => {
      const c = new FakeAgent({ pid, node: `client-${pid}` });
      for (const m of [c.hello(at), c.socket(at, 1, 'DEALER'), c.connect(at, 1, path), c.event(at + 1, 1, 'handshake', path)]) store.apply(agentKeyOf(c), viaWire(m), at + 1);
      return c;
    };
    const target = (c: FakeAgent) => store.snapshot().edges.filter((e) => e.from === c.socketId(1)).map((e) => e.to);
    const old = start(100, T0);
    const early = client(200, T0 + 10);
    const fresh = start(101, T0 + 20);
    const late = client(201, T0 + 30);
    assert.deepEqual(target(early), [old.socketId(1)]);
    assert.deepEqual(target(late), [fresh.socketId(1)]);
    // The early client's connection drops and comes back: the path is the new server's now.
    store.apply(agentKeyOf(early), viaWire(early.event(T0 + 40, 1, 'disconnect', path)), T0 + 40);
    store.apply(agentKeyOf(early), viaWire(early.event(T0 + 41, 1, 'handshake', path)), T0 + 41);
    const edges = store.snapshot().edges.filter((e) => e.from === early.socketId(1));
    assert.deepEqual(edges.filter((e) => e.state === 'connected').map((e) => e.to), [fresh.socketId(1)]);
    assert.deepEqual(edges.filter((e) => e.to === old.socketId(1)).map((e) => e.state), ['disconnected'], 'the old connection stays as history');
  });
});

test('an edge\'s compact timeline gives back each entry as it was added: time, event, a detail with a newline; the oldest dropped past the length; merged in time order', () => {
  const entries = [
    { at: T0 + 1, event: 'connect' as const, detail: 'tcp://localhost:5555' },
    { at: T0 + 2, event: 'handshake' as const },
    { at: T0 + 3.5, event: 'disconnect-msg' as const, detail: 'going\nfor maintenance' },
    { at: T0 + 4, event: 'heartbeat-late' as const, detail: '' },
  ];
  const empty = (): TimelineRec => ({ timelineAt: NO_TIMES, timelineKind: NO_KINDS });
  const timeline = empty();
  for (const e of entries) addToTimeline(timeline, e, 3);
  assert.deepEqual(timelineEntries(timeline), entries.slice(1));
  const none = empty();
  addToTimeline(none, entries[0], 0);
  assert.deepEqual(timelineEntries(none), [], 'length 0 keeps none');
  const merged = (max: number) => {
    const other = empty();
    addToTimeline(other, { at: T0 + 2, event: 'accept' }, 50);
    addToTimeline(other, { at: T0 + 5, event: 'disconnect' }, 50);
    mergeTimelines(other, timeline, max);
    return timelineEntries(other).map((e) => `${e.at - T0} ${e.event}`);
  };
  assert.deepEqual(merged(50), ['2 handshake', '2 accept', '3.5 disconnect-msg', '4 heartbeat-late', '5 disconnect'], 'time order, the merged-in timeline first where times tie');
  assert.deepEqual(merged(2), ['4 heartbeat-late', '5 disconnect'], 'the latest kept');
});

test('an unknown peer made while a message is applied is stamped with the message\'s arrival, not the clock read later (a replay, whose clock is the arrival, builds the same)', () => {
  const clock = { now: T0 };
  const store = new TopologyStore({ now: () => clock.now });
  const router = new FakeAgent({ pid: 100 });
  const rk = agentKeyOf(router);
  for (const m of [router.hello(T0), router.socket(T0, 1, 'ROUTER'), router.bind(T0, 1, 'tcp://127.0.0.1:6000')]) store.apply(rk, viaWire(m), T0);
  clock.now = T0 + 7; // the live store's clock has moved on by the time the message is handled
  store.apply(rk, viaWire(router.heartbeats(T0 + 5, 1, { peer: 'w1', count: 1 })), T0 + 5);
  const unknown = store.snapshot().nodes.find((n) => n.unknown);
  assert.equal(unknown?.startedAt, T0 + 5);
  assert.equal(unknown?.lastSeenAt, T0 + 5);
});
