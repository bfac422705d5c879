/**
 * Routing-id clashes (src/model/store/clashes.ts): two live connections into one ROUTER with one
 * routing id. libzmq serves the first (or, with ZMQ_ROUTER_HANDOVER, the latest) and never reads a
 * refused connection again; the store must say which is which, keep saying it for the refused one
 * after the first goes, and put the ROUTER's traffic for that id on the served edge.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TopologyStore } from '../../src/model/store';
import type { TelemetryMsg } from '../../src/protocol/types';
import type { EdgeView, TopologyDiff, TopologySnapshot } from '../../src/shared/snapshot';
import { DEALER_SOCKET, FakeAgent, ROUTER_SOCKET, agentKeyOf, viaWire } from '../fixtures/collector/telemetry';

const T0 = 1_700_000_000_000;
const ENDPOINT = 'tcp://localhost:5555';

class Scene {
  readonly clock = { now: T0 };
  readonly store = new TopologyStore({ now: () => this.clock.now });
  readonly router = new FakeAgent({ pid: 100, node: 'broker' });
  private nextPid = 200;

  constructor(options: { handover?: boolean; endpoints?: string[] } = {}) {
    const socket = this.router.socket(T0, ROUTER_SOCKET, 'ROUTER');
    if (options.handover && socket.t === 'socket') socket.options = { ...socket.options, routerHandover: true };
    this.send(this.router, this.router.hello(T0), socket);
    for (const [k, endpoint] of (options.endpoints ?? ['tcp://0.0.0.0:5555']).entries()) {
      this.send(this.router, this.router.bind(T0, ROUTER_SOCKET, `tcp://*:${5555 + k}`, endpoint));
    }
  }

  send(agent: FakeAgent, ...msgs: TelemetryMsg[]): void {
    for (const msg of msgs) this.store.apply(agentKeyOf(agent), viaWire(msg), this.clock.now);
  }

  /** A DEALER process that sets `routingId` and connects (handshake done) at `at`. */
  dealer(routingId: string, at: number, endpoints = [ENDPOINT]): FakeAgent {
    const dealer = new FakeAgent({ pid: this.nextPid++, skewMs: 3_600_000 * (this.nextPid % 3) });
    this.clock.now = at;
    this.send(dealer, dealer.hello(at), dealer.socket(at, DEALER_SOCKET, 'DEALER', routingId));
    for (const endpoint of endpoints) {
      this.send(dealer, dealer.connect(at, DEALER_SOCKET, endpoint), dealer.event(at, DEALER_SOCKET, 'connect', endpoint), dealer.event(at, DEALER_SOCKET, 'handshake', endpoint));
    }
    this.send(dealer, dealer.heartbeats(at, DEALER_SOCKET));
    return dealer;
  }

  sweep(at: number): TopologySnapshot {
    this.clock.now = at;
    this.store.sweep(at);
    return this.store.snapshot();
  }
}

function edgeOf(s: TopologySnapshot, dealer: FakeAgent): EdgeView {
  const edges = s.edges.filter((e) => e.from === dealer.socketId(DEALER_SOCKET));
  assert.equal(edges.length, 1, `one edge from ${dealer.nodeId}: ${JSON.stringify(s.edges.map((e) => e.id))}`);
  return edges[0];
}

describe('routing-id clashes on a ROUTER', () => {
  test('two DEALERs with one routing id: the first connected is served, the later one refused, each names the other; a third is untouched', () => {
    const scene = new Scene();
    const first = scene.dealer('worker', T0 + 100);
    const later = scene.dealer('worker', T0 + 600);
    const other = scene.dealer('other', T0 + 700);
    const s = scene.sweep(T0 + 800);
    const [a, b] = [edgeOf(s, first), edgeOf(s, later)];
    assert.deepEqual(a.routingIdClash, { with: [b.id], serves: true, handover: false });
    assert.deepEqual(b.routingIdClash, { with: [a.id], serves: false, handover: false });
    assert.equal(edgeOf(s, other).routingIdClash, undefined);
    assert.equal(a.state, 'connected', 'a clash is a flag, not a state: both ends still say connected');
  });

  test('the flag reaches listeners in the diff after the sweep that judged it', async () => {
    const scene = new Scene();
    const diffs: TopologyDiff[] = [];
    scene.store.onDiff((d) => diffs.push(d));
    const first = scene.dealer('worker', T0 + 100);
    const later = scene.dealer('worker', T0 + 600);
    scene.store.start();
    try {
      scene.sweep(T0 + 800);
      await new Promise((resolve) => setTimeout(resolve, 250));
    } finally {
      scene.store.dispose();
    }
    const flagged = new Set(diffs.flatMap((d) => d.edges ?? []).filter((e) => e.routingIdClash).map((e) => e.from));
    assert.deepEqual([...flagged].sort(), [first.socketId(DEALER_SOCKET), later.socketId(DEALER_SOCKET)].sort());
  });

  test('the ROUTER\'s traffic for the id lands on the served edge, even when the refused socket was known first', () => {
    const scene = new Scene();
    // The later connector's process reports its socket first, so it is the first claimant of the id.
    const later = new FakeAgent({ pid: 300 });
    scene.send(later, later.hello(T0), later.socket(T0, DEALER_SOCKET, 'DEALER', 'worker'));
    const first = scene.dealer('worker', T0 + 100);
    scene.clock.now = T0 + 600;
    scene.send(later, later.connect(T0 + 600, DEALER_SOCKET, ENDPOINT), later.event(T0 + 600, DEALER_SOCKET, 'connect', ENDPOINT), later.event(T0 + 600, DEALER_SOCKET, 'handshake', ENDPOINT));
    scene.clock.now = T0 + 700;
    scene.send(scene.router, scene.router.heartbeats(T0 + 700, ROUTER_SOCKET, { peer: 'worker' }));
    scene.sweep(T0 + 800);
    // And after the judgement the ROUTER's next heartbeat from "worker" is the first DEALER's.
    scene.clock.now = T0 + 2900;
    scene.send(scene.router, scene.router.heartbeats(T0 + 2900, ROUTER_SOCKET, { peer: 'worker' }));
    const s = scene.sweep(T0 + 3000);
    assert.equal(edgeOf(s, first).heartbeatAgeMs, 100, 'the served edge has the ROUTER\'s heartbeat');
    assert.equal(edgeOf(s, later).heartbeatAgeMs, null, 'none of the ROUTER\'s heartbeats went to the refused edge (its DEALER sent none)');
    assert.equal(edgeOf(s, first).attribution, 'routing-id');
    assert.equal(edgeOf(s, later).routingId?.text, 'worker', 'the refused socket did set the id: its edge still says so');
  });

  test('the refused connection stays refused after the first one\'s process exits, until it reconnects', () => {
    const scene = new Scene();
    const first = scene.dealer('worker', T0 + 100);
    const later = scene.dealer('worker', T0 + 600);
    let s = scene.sweep(T0 + 800);
    const firstEdge = edgeOf(s, first).id;
    scene.store.agentGone(agentKeyOf(first), 'telemetry connection lost', T0 + 900);
    s = scene.sweep(T0 + 1000);
    assert.deepEqual(edgeOf(s, later).routingIdClash, { with: [firstEdge], serves: false, handover: false }, 'libzmq never reads it again');
    assert.equal(edgeOf(s, first).routingIdClash, undefined, 'an exited connection serves nobody');

    scene.clock.now = T0 + 1200;
    scene.send(later, later.event(T0 + 1200, DEALER_SOCKET, 'disconnect', ENDPOINT), later.event(T0 + 1300, DEALER_SOCKET, 'connect', ENDPOINT), later.event(T0 + 1300, DEALER_SOCKET, 'handshake', ENDPOINT));
    s = scene.sweep(T0 + 1400);
    assert.equal(edgeOf(s, later).routingIdClash, undefined, 'a new connection with the id free is served');
  });

  test('the ROUTER\'s disconnect naming the id (the Python agent\'s ZMQ_SRCFD) is the served connection\'s: the refused one stays up and refused', () => {
    for (const order of ['disconnect first', 'process exit first'] as const) {
      const scene = new Scene();
      const first = scene.dealer('worker', T0 + 100);
      const later = scene.dealer('worker', T0 + 600);
      scene.clock.now = T0 + 700;
      scene.send(scene.router, scene.router.heartbeats(T0 + 700, ROUTER_SOCKET, { peer: 'worker' }));
      let s = scene.sweep(T0 + 800);
      const firstEdge = edgeOf(s, first).id;
      const lost = { ...scene.router.event(T0 + 900, ROUTER_SOCKET, 'disconnect', 'tcp://0.0.0.0:5555'), peer: { hex: Buffer.from('worker').toString('hex'), text: 'worker' } } as TelemetryMsg;
      scene.clock.now = T0 + 900;
      if (order === 'disconnect first') scene.send(scene.router, lost);
      scene.store.agentGone(agentKeyOf(first), 'telemetry connection lost', T0 + 950);
      s = scene.sweep(T0 + 1000);
      if (order === 'process exit first') scene.send(scene.router, lost);
      s = scene.sweep(T0 + 1100);
      assert.equal(edgeOf(s, first).state, 'disconnected', order);
      assert.equal(edgeOf(s, later).state, 'connected', `${order}: the refused connection is still open`);
      assert.deepEqual(edgeOf(s, later).routingIdClash, { with: [firstEdge], serves: false, handover: false }, order);
    }
  });

  test('once the holder is gone a newer connection takes the id; the refused one stays refused', () => {
    const scene = new Scene();
    const first = scene.dealer('worker', T0 + 100);
    const refused = scene.dealer('worker', T0 + 600);
    scene.sweep(T0 + 800);
    scene.store.agentGone(agentKeyOf(first), 'telemetry connection lost', T0 + 900);
    scene.sweep(T0 + 1000);
    const third = scene.dealer('worker', T0 + 1500);
    const s = scene.sweep(T0 + 1600);
    assert.equal(edgeOf(s, third).routingIdClash?.serves, true, 'libzmq gives the free id to the newcomer');
    assert.equal(edgeOf(s, refused).routingIdClash?.serves, false);
    assert.deepEqual(edgeOf(s, refused).routingIdClash?.with, [edgeOf(s, third).id]);
  });

  test('with ZMQ_ROUTER_HANDOVER the latest is served, and the first is not held refused once the latest goes', () => {
    const scene = new Scene({ handover: true });
    const first = scene.dealer('worker', T0 + 100);
    const later = scene.dealer('worker', T0 + 600);
    let s = scene.sweep(T0 + 800);
    assert.deepEqual(edgeOf(s, later).routingIdClash, { with: [edgeOf(s, first).id], serves: true, handover: true });
    assert.deepEqual(edgeOf(s, first).routingIdClash, { with: [edgeOf(s, later).id], serves: false, handover: true });
    scene.store.agentGone(agentKeyOf(later), 'telemetry connection lost', T0 + 900);
    s = scene.sweep(T0 + 1000);
    assert.equal(edgeOf(s, first).routingIdClash, undefined);
  });

  test('with ZMQ_ROUTER_HANDOVER a replaced socket\'s farewell, under the id libzmq gave it on handing it over, is no new peer', () => {
    for (const handover of [true, false]) {
      const scene = new Scene({ handover });
      const worker = scene.dealer('worker', T0 + 100);
      scene.clock.now = T0 + 500;
      scene.send(worker, worker.socket(T0 + 500, 2, 'DEALER', 'worker'), worker.connect(T0 + 500, 2, ENDPOINT),
        worker.event(T0 + 500, 2, 'connect', ENDPOINT), worker.event(T0 + 500, 2, 'handshake', ENDPOINT), worker.close(T0 + 501, DEALER_SOCKET));
      // libzmq renamed the handed-over connection 0x00 + a counter; its end closing sends the farewell.
      scene.send(scene.router, scene.router.disconnectMsg(T0 + 502, ROUTER_SOCKET, '0x0080000001'));
      const s = scene.sweep(T0 + 800);
      const unknown = s.nodes.filter((n) => n.unknown).map((n) => n.name);
      if (handover) {
        assert.deepEqual(unknown, [], 'no unknown peer for a connection the ROUTER handed over');
        assert.equal(s.collector?.discarded?.['handed-over'], 1, 'counted, not dropped silently');
      } else {
        assert.deepEqual(unknown, ['unknown peer 0x0080000001'], 'without handover such an id is a peer the ROUTER never read from');
      }
      assert.equal(s.edges.filter((e) => e.from === worker.socketId(2) && e.state === 'connected').length, 1, 'the new socket\'s edge is untouched');
    }
  });

  test('a worker that replaced its socket at once, whose new connection the ROUTER never reads: refused, by the ROUTER\'s silence; read, it is not', () => {
    for (const read of [false, true]) {
      const scene = new Scene();
      const worker = scene.dealer('worker', T0 + 100);
      scene.send(scene.router, scene.router.heartbeats(T0 + 150, ROUTER_SOCKET, { peer: 'worker' }));
      // The new socket's handshake comes after the old one closed (by both stamps): no overlap to see.
      scene.clock.now = T0 + 500;
      scene.send(worker, worker.close(T0 + 500, DEALER_SOCKET), worker.socket(T0 + 501, 2, 'DEALER', 'worker'), worker.connect(T0 + 501, 2, ENDPOINT),
        worker.event(T0 + 501, 2, 'connect', ENDPOINT), worker.event(T0 + 502, 2, 'handshake', ENDPOINT));
      scene.clock.now = T0 + 700;
      scene.send(worker, worker.heartbeats(T0 + 700, 2));
      if (read) scene.send(scene.router, scene.router.heartbeats(T0 + 705, ROUTER_SOCKET, { peer: 'worker' }));
      const newEdge = (s: TopologySnapshot) => s.edges.find((e) => e.from === worker.socketId(2))!;
      // Not yet: the ROUTER's agent has not spoken since the send.
      assert.equal(newEdge(scene.sweep(T0 + 800)).routingIdClash, undefined, 'no judgement before the ROUTER reported');
      scene.clock.now = T0 + 2000;
      scene.send(scene.router, scene.router.heartbeats(T0 + 2000, ROUTER_SOCKET, { peer: 'someone-else' }));
      let s = scene.sweep(T0 + 2000);
      if (!read) {
        assert.deepEqual(newEdge(s).routingIdClash, { with: [s.edges.find((e) => e.from === worker.socketId(DEALER_SOCKET))!.id], serves: false, handover: false });
        assert.equal(newEdge(s).state, 'connected', 'both monitors say so: the mark is what tells');
        // The ROUTER reads it after all (it was only slow): served.
        scene.clock.now = T0 + 2100;
        scene.send(scene.router, scene.router.heartbeats(T0 + 2100, ROUTER_SOCKET, { peer: 'worker' }));
        s = scene.sweep(T0 + 2200);
      }
      assert.equal(newEdge(s).routingIdClash, undefined, read ? 'read: no clash' : 'read at last: no longer refused');
    }
  });

  test('one socket with a routing id connected to two endpoints of one ROUTER clashes with itself', () => {
    const scene = new Scene({ endpoints: ['tcp://0.0.0.0:5555', 'tcp://0.0.0.0:5556'] });
    const dealer = scene.dealer('worker', T0 + 100, [ENDPOINT, 'tcp://localhost:5556']);
    const s = scene.sweep(T0 + 800);
    const edges = s.edges.filter((e) => e.from === dealer.socketId(DEALER_SOCKET));
    assert.equal(edges.length, 2);
    assert.deepEqual(edges.map((e) => e.routingIdClash?.serves).sort(), [false, true]);
  });

  test('a worker that replaced its socket (the old one closed) is no clash', () => {
    const scene = new Scene();
    const worker = scene.dealer('worker', T0 + 100);
    scene.clock.now = T0 + 500;
    scene.send(worker, worker.close(T0 + 500, DEALER_SOCKET), worker.socket(T0 + 500, 2, 'DEALER', 'worker'), worker.connect(T0 + 500, 2, ENDPOINT),
      worker.event(T0 + 500, 2, 'connect', ENDPOINT), worker.event(T0 + 500, 2, 'handshake', ENDPOINT));
    const s = scene.sweep(T0 + 800);
    assert.deepEqual(s.edges.filter((e) => e.routingIdClash).map((e) => e.id), []);
  });
});
