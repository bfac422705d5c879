/**
 * DEALERs and REQs that set no routing id (most real apps): the ROUTER knows them by libzmq's auto
 * ids, which no connecting agent can report. Each must still be one edge, carrying the ROUTER's id,
 * tied to its socket by the first messages both ends logged; never a twin "unknown peer".
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TopologyStore, type StoreOptions } from '../../src/model/store';
import type { TopologySnapshot } from '../../src/shared/snapshot';
import { fingerprint } from '../../src/protocol/fingerprint';
import { FakeAgent, agentKeyOf, viaWire } from '../fixtures/collector/telemetry';

const T0 = 1_796_000_000_000;
const fp = (text: string) => fingerprint([Buffer.from(text)], 'dealer');
const autoId = (n: number) => `006b8b45${(0x67 + n).toString(16).padStart(2, '0')}`;

class World {
  clock = T0;
  readonly store: TopologyStore;
  readonly router = new FakeAgent({ pid: 100, node: 'broker' });

  constructor(options: Partial<StoreOptions> = {}) {
    this.store = new TopologyStore({ now: () => this.clock, ...options });
    this.send(this.router, this.router.hello(T0), this.router.socket(T0, 1, 'ROUTER'), this.router.bind(T0, 1, 'tcp://*:5555', 'tcp://0.0.0.0:5555'));
  }

  send(agent: FakeAgent, ...msgs: ReturnType<FakeAgent['hello']>[]): void {
    for (const m of msgs) this.store.apply(agentKeyOf(agent), viaWire(m), this.clock);
  }

  dealer(pid: number, options: { skewMs?: number; type?: 'DEALER' | 'REQ' } = {}): FakeAgent {
    const d = new FakeAgent({ pid, node: `client-${pid}`, ...(options.skewMs !== undefined ? { skewMs: options.skewMs } : {}) });
    this.send(d, d.hello(this.clock), d.socket(this.clock, 1, options.type ?? 'DEALER'), d.connect(this.clock, 1, 'tcp://localhost:5555'),
      d.event(this.clock, 1, 'connect', 'tcp://localhost:5555'), d.event(this.clock, 1, 'handshake', 'tcp://localhost:5555'));
    return d;
  }

  snapshot(): TopologySnapshot {
    return this.store.snapshot();
  }
}

function edgeFrom(s: TopologySnapshot, agent: FakeAgent) {
  const edges = s.edges.filter((e) => e.from === agent.socketId(1));
  assert.equal(edges.length, 1, `one edge from ${agent.nodeId}: ${JSON.stringify(s.edges.map((e) => [e.from, e.routingId?.hex]))}`);
  return edges[0];
}

describe('anonymous DEALERs on one ROUTER', () => {
  test('three clients sending the same request at different times: three edges with the ROUTER\'s ids, no unknown peer', () => {
    const w = new World();
    const clients = [0, 1, 2].map((i) => w.dealer(200 + i));
    // The ROUTER reports first (its flush came earlier): unknown peers for a moment.
    clients.forEach((_, i) => w.send(w.router, w.router.logged(w.clock, 1, { peerHex: autoId(i), in: [[T0 + 100 * i + 0.4, fp('req 0')]] })));
    assert.equal(w.snapshot().nodes.filter((n) => n.unknown).length, 3, 'before the clients report, their peers are unknown');
    clients.forEach((c, i) => w.send(c, c.logged(w.clock, 1, { conn: 1, out: [[T0 + 100 * i, fp('req 0')]] })));
    const s = w.snapshot();
    assert.equal(s.edges.length, 3, JSON.stringify(s.edges.map((e) => e.id)));
    assert.equal(s.nodes.filter((n) => n.unknown).length, 0, 'the unknown peers were merged into the real edges');
    clients.forEach((c, i) => {
      const edge = edgeFrom(s, c);
      assert.equal(edge.routingId?.hex, autoId(i));
      // Client 0 reported alone first, and all three peers fit its connection: the closest got it, by
      // timing. Each later connection re-decides such pairs; with all three in, causality alone decides.
      assert.equal(edge.attribution, 'content');
      assert.equal(edge.state, 'connected');
    });
  });

  test('on one host the stamps are compared as they are, however late each agent\'s telemetry arrived', () => {
    const w = new World();
    const [a, b] = [w.dealer(200), w.dealer(201)];
    // a's telemetry reaches a busy collector 300 ms late: its clock offset estimate is 300 ms off b's
    // and the ROUTER's, which says nothing about the clocks (one host, one clock).
    for (const m of [a.hello(w.clock), a.logged(w.clock, 1, { conn: 1, out: [[T0, fp('same')], [T0 + 500, fp('beat')]] })]) {
      w.store.apply(agentKeyOf(a), viaWire(m), w.clock + 300);
    }
    w.send(b, b.logged(w.clock, 1, { conn: 1, out: [[T0 + 0.5, fp('same')], [T0 + 520, fp('beat')]] }));
    w.send(w.router, w.router.logged(w.clock, 1, { peerHex: autoId(0), in: [[T0 + 0.2, fp('same')], [T0 + 500.3, fp('beat')]] }));
    w.send(w.router, w.router.logged(w.clock, 1, { peerHex: autoId(1), in: [[T0 + 0.7, fp('same')], [T0 + 520.3, fp('beat')]] }));
    const s = w.snapshot();
    assert.equal(edgeFrom(s, a).routingId?.hex, autoId(0));
    assert.equal(edgeFrom(s, b).routingId?.hex, autoId(1));
  });

  test('on two hosts, monotonic stamps are compared through each agent\'s offset; a wall clock that is off plays no part', () => {
    const store = new TopologyStore({ now: () => T0 });
    const send = (agent: FakeAgent, ...msgs: ReturnType<FakeAgent['hello']>[]) => msgs.forEach((m) => store.apply(agentKeyOf(agent), viaWire(m), T0));
    // The ROUTER's host booted 5,000 s after the clients' (its monotonic clock reads far less), and the clients' wall clocks are 300 ms off.
    const router = new FakeAgent({ pid: 100, node: 'broker', host: 'h1', monoZero: T0 - 1_000 });
    send(router, router.hello(T0), router.socket(T0, 1, 'ROUTER'), router.bind(T0, 1, 'tcp://*:5555', 'tcp://0.0.0.0:5555'));
    const clients = [0, 1].map((i) => new FakeAgent({ pid: 200 + i, node: `client-${i}`, host: 'h2', skewMs: 300, monoZero: T0 - 5_001_000 }));
    for (const [i, c] of clients.entries()) {
      send(c, c.hello(T0), c.socket(T0, 1, 'DEALER'), c.connect(T0, 1, 'tcp://h1:5555'), c.event(T0, 1, 'handshake', 'tcp://h1:5555'));
      send(c, c.logged(T0, 1, { conn: 1, out: [[T0 + 100 * i, fp('HELLO')]] }));
    }
    // Read raw, every arrival would precede its sending by 5,000 s: no pair.
    send(router, router.logged(T0, 1, { peerHex: autoId(0), in: [[T0 + 0.4, fp('HELLO')]] }));
    send(router, router.logged(T0, 1, { peerHex: autoId(1), in: [[T0 + 100.4, fp('HELLO')]] }));
    const s = store.snapshot();
    clients.forEach((c, i) => assert.equal(s.edges.find((e) => e.from === c.socketId(1))?.routingId?.hex, autoId(i), `client ${i}`));
    assert.equal(s.nodes.filter((x) => x.unknown).length, 0);
  });

  test('clients connected to two servers (messages dealt round-robin, logged together): each server\'s peers on the right client', () => {
    const store = new TopologyStore({ now: () => T0 });
    const send = (agent: FakeAgent, ...msgs: ReturnType<FakeAgent['hello']>[]) => msgs.forEach((m) => store.apply(agentKeyOf(agent), viaWire(m), T0));
    const servers = [5555, 5556].map((port, k) => {
      const server = new FakeAgent({ pid: 100 + k, node: `server-${k}` });
      send(server, server.hello(T0), server.socket(T0, 1, 'ROUTER'), server.bind(T0, 1, `tcp://*:${port}`, `tcp://0.0.0.0:${port}`));
      return server;
    });
    // Each client's log: hello, r0, r1, r2 — to server 0, 1, 0, 1 in turn; client 1 runs 40 ms behind client 0.
    const messages = ['hello', 'r0', 'r1', 'r2'].map((m) => fp(m));
    const clients = [0, 1].map((i) => {
      const c = new FakeAgent({ pid: 200 + i, node: `client-${i}` });
      send(c, c.hello(T0), c.socket(T0, 1, 'DEALER'), c.connect(T0, 1, 'tcp://localhost:5555'), c.connect(T0, 1, 'tcp://localhost:5556'));
      send(c, c.logged(T0, 1, { conn: 1, out: messages.map((f, k): [number, string] => [T0 + 40 * i + 300 * k, f]) }));
      return c;
    });
    servers.forEach((server, k) => clients.forEach((_, i) => {
      const got = messages.map((f, n): [number, string] => [T0 + 40 * i + 300 * n + 0.3, f]).filter((_m, n) => n % 2 === k);
      send(server, server.logged(T0, 1, { peerHex: autoId(2 * k + i), in: got }));
    }));
    const s = store.snapshot();
    assert.equal(s.nodes.filter((x) => x.unknown).length, 0, 'no unknown twin');
    servers.forEach((server, k) => clients.forEach((c, i) => {
      const edge = s.edges.find((e) => e.from === c.socketId(1) && e.to === server.socketId(1));
      assert.equal(edge?.routingId?.hex, autoId(2 * k + i), `client ${i} on server ${k}`);
    }));
  });

  test('a client without logs (older agent) next to clients with them is the only candidate left', () => {
    const w = new World();
    const logged = w.dealer(200);
    const silent = w.dealer(201);
    w.send(logged, logged.logged(w.clock, 1, { conn: 1, out: [[T0, fp('a')]] }));
    w.send(w.router, w.router.logged(w.clock, 1, { peerHex: autoId(0), in: [[T0 + 1, fp('a')]] }));
    w.send(w.router, w.router.heartbeats(w.clock, 1, { peer: '\x00kxyz' }));
    const s = w.snapshot();
    assert.equal(edgeFrom(s, logged).attribution, 'content');
    assert.equal(edgeFrom(s, silent).attribution, 'only-candidate');
    assert.equal(s.nodes.filter((n) => n.unknown).length, 0);
  });

  test('a peer whose messages fit no instrumented socket stays an unknown peer (a process without an agent)', () => {
    const w = new World();
    const c = w.dealer(200);
    w.send(c, c.logged(w.clock, 1, { conn: 1, out: [[T0, fp('mine')]] }));
    w.send(w.router, w.router.logged(w.clock, 1, { peerHex: autoId(0), in: [[T0 + 1, fp('mine')]] }));
    w.send(w.router, w.router.logged(w.clock, 1, { peerHex: autoId(1), in: [[T0 + 2, fp('someone else')]] }));
    const s = w.snapshot();
    assert.equal(edgeFrom(s, c).routingId?.hex, autoId(0));
    const unknown = s.edges.filter((e) => e.attribution === 'unknown');
    assert.equal(unknown.length, 1);
    assert.equal(unknown[0].routingId?.hex, autoId(1));
  });

  test('kill -9 of one client: its disconnect message goes down on its own edge, the others stay up', () => {
    const w = new World();
    const clients = [0, 1].map((i) => w.dealer(200 + i));
    clients.forEach((c, i) => {
      w.send(c, c.logged(w.clock, 1, { conn: 1, out: [[T0 + i, fp('READY')]] }));
      w.send(w.router, w.router.logged(w.clock, 1, { peerHex: autoId(i), in: [[T0 + i + 0.3, fp('READY')]] }));
    });
    w.clock += 1000;
    w.send(w.router, w.router.disconnectMsg(w.clock, 1, `0x${autoId(1)}`));
    const s = w.snapshot();
    assert.equal(edgeFrom(s, clients[1]).state, 'disconnected');
    assert.equal(edgeFrom(s, clients[1]).lastDisconnect?.reason, 'ZMQ_DISCONNECT_MSG from peer');
    assert.equal(edgeFrom(s, clients[0]).state, 'connected');
    assert.equal(s.nodes.filter((n) => n.unknown).length, 0);
  });

  test('clients without agents that come and go (a retrying client, a script): each is gone with its connection, and gone ones make room at the cap', () => {
    const w = new World({ limits: { unknownPeers: 2 } });
    const placeholder = (s: TopologySnapshot, i: number) => s.nodes.find((n) => n.name === `unknown peer 0x${autoId(i)}`);
    for (const i of [0, 1]) w.send(w.router, w.router.logged(w.clock, 1, { peerHex: autoId(i), in: [[T0 + i, fp(`request ${i}`)]] }));
    w.clock += 1000;
    w.send(w.router, w.router.disconnectMsg(w.clock, 1, `0x${autoId(0)}`));
    let s = w.snapshot();
    assert.equal(placeholder(s, 0)?.state, 'exited', 'libzmq never gives that id again: the peer is gone, not live');
    assert.equal(placeholder(s, 0)?.exitedAt, w.clock);
    assert.equal(s.edges.find((e) => e.routingId?.hex === autoId(0))?.state, 'disconnected');
    assert.equal(placeholder(s, 1)?.state, 'live', 'the other one still talks');
    // At the cap the gone one makes room for a newcomer, counted; a live one is never pushed out.
    w.send(w.router, w.router.logged(w.clock, 1, { peerHex: autoId(2), in: [[T0 + 2000, fp('request 2')]] }));
    s = w.snapshot();
    assert.deepEqual([0, 1, 2].map((i) => placeholder(s, i)?.state), [undefined, 'live', 'live']);
    assert.equal(s.collector?.discarded?.['cap:evicted-gone-peers'], 1);
    w.send(w.router, w.router.logged(w.clock, 1, { peerHex: autoId(3), in: [[T0 + 2001, fp('request 3')]] }));
    s = w.snapshot();
    assert.equal(placeholder(s, 3), undefined, 'with none gone, the cap holds');
    assert.ok((s.collector?.discarded?.['cap:unknown-peers'] ?? 0) > 0, 'and says so');
    // Clear Exited takes the gone ones too.
    w.send(w.router, w.router.disconnectMsg(w.clock, 1, `0x${autoId(1)}`));
    w.store.clearExited();
    s = w.snapshot();
    assert.deepEqual([1, 2].map((i) => placeholder(s, i)?.state), [undefined, 'live']);
    assert.equal(s.edges.filter((e) => e.routingId?.hex === autoId(1)).length, 0);
  });

  test('clients without agents: a ROUTER monitor disconnect that names its peer (ZMQ_SRCFD) takes down that peer\'s edge only; one that does not names no edge', () => {
    const w = new World();
    [0, 1, 2].forEach((i) => w.send(w.router, w.router.logged(w.clock, 1, { peerHex: autoId(i), in: [[T0 + i, fp(`hello ${i}`)]] })));
    const edgeOf = (s: TopologySnapshot, i: number) => s.edges.find((e) => e.routingId?.hex === autoId(i));
    w.clock += 1000;
    w.send(w.router, w.router.event(w.clock, 1, 'disconnect', 'tcp://0.0.0.0:5555'));
    assert.deepEqual([0, 1, 2].map((i) => edgeOf(w.snapshot(), i)?.state), ['connected', 'connected', 'connected'], 'three peers on the endpoint: the bare event cannot say whose connection closed');
    w.send(w.router, { ...w.router.event(w.clock, 1, 'disconnect', 'tcp://0.0.0.0:5555'), peer: { hex: autoId(1) } } as ReturnType<FakeAgent['hello']>);
    const s = w.snapshot();
    assert.deepEqual([0, 1, 2].map((i) => edgeOf(s, i)?.state), ['connected', 'disconnected', 'connected']);
    assert.equal(edgeOf(s, 1)?.lastDisconnect?.reason, 'disconnect event');
    assert.deepEqual([0, 1, 2].map((i) => s.nodes.find((n) => n.name === `unknown peer 0x${autoId(i)}`)?.state), ['live', 'exited', 'live'], 'the peer whose connection the event named is gone');
  });

  test('a connecting ROUTER\'s disconnect goes to the edge of the endpoint it names, whatever peer it names too', () => {
    const w = new World();
    const client = new FakeAgent({ pid: 300, node: 'freelance-client' });
    w.send(client, client.hello(w.clock), client.socket(w.clock, 1, 'ROUTER'), client.connect(w.clock, 1, 'tcp://localhost:5555'),
      client.event(w.clock, 1, 'connect', 'tcp://localhost:5555'), client.event(w.clock, 1, 'handshake', 'tcp://localhost:5555'));
    w.clock += 1000;
    w.send(client, { ...client.event(w.clock, 1, 'disconnect', 'tcp://localhost:5555'), peer: { hex: Buffer.from('server-1').toString('hex') } } as ReturnType<FakeAgent['hello']>);
    const edge = w.snapshot().edges.find((e) => e.from === client.socketId(1));
    assert.equal(edge?.state, 'disconnected');
  });

  test('a reconnect (new auto id, connection 2) is the same edge, carrying the new id', () => {
    const w = new World();
    const c = w.dealer(200);
    w.send(c, c.logged(w.clock, 1, { conn: 1, out: [[T0, fp('\x02')]] }));
    w.send(w.router, w.router.logged(w.clock, 1, { peerHex: autoId(0), in: [[T0 + 0.2, fp('\x02')]] }));
    w.clock += 5000;
    w.send(c, c.event(w.clock, 1, 'disconnect', 'tcp://localhost:5555'), c.event(w.clock, 1, 'handshake', 'tcp://localhost:5555'));
    w.send(c, c.logged(w.clock, 1, { conn: 2, out: [[w.clock, fp('\x02')]] }));
    w.send(w.router, w.router.logged(w.clock, 1, { peerHex: autoId(1), in: [[w.clock + 0.3, fp('\x02')]] }));
    const s = w.snapshot();
    const edge = edgeFrom(s, c);
    assert.equal(edge.routingId?.hex, autoId(1));
    assert.equal(edge.state, 'connected');
    assert.equal(s.nodes.filter((n) => n.unknown).length, 0);
  });

  test('a peer first paired on too little evidence moves when the rest arrives', () => {
    const w = new World();
    const [a, b] = [w.dealer(200), w.dealer(201)];
    // Both send "hello"; only a's log has come when the ROUTER's peers are first paired.
    w.send(a, a.logged(w.clock, 1, { conn: 1, out: [[T0 + 10, fp('hello')]] }));
    w.send(w.router, w.router.logged(w.clock, 1, { peerHex: autoId(0), in: [[T0 + 0.5, fp('hello')]] }));
    w.send(w.router, w.router.logged(w.clock, 1, { peerHex: autoId(1), in: [[T0 + 10.5, fp('hello')]] }));
    w.send(b, b.logged(w.clock, 1, { conn: 1, out: [[T0, fp('hello')]] }));
    const s = w.snapshot();
    assert.equal(edgeFrom(s, b).routingId?.hex, autoId(0), 'b sent before a; only b can be the peer heard at +0.5 ms');
    assert.equal(edgeFrom(s, a).routingId?.hex, autoId(1));
    assert.equal(s.nodes.filter((n) => n.unknown).length, 0);
  });

  test('a peer left unknown because standing pairings hold every connection is paired by the sweep\'s full re-pairing', () => {
    const w = new World();
    const [a, b] = [w.dealer(200), w.dealer(201)];
    const [p0, p1, x] = [autoId(0), autoId(1), autoId(2)]; // P0 is a's connection, P1 b's, X a process without an agent
    w.send(b, b.logged(w.clock, 1, { conn: 1, out: [[T0, fp('hello')]] }));
    // P0 (a's, sent at +10) is heard before a reports: b's connection is the only one it fits.
    w.send(w.router, w.router.logged(w.clock, 1, { peerHex: p0, in: [[T0 + 10.5, fp('hello')]] }));
    w.send(a, a.logged(w.clock, 1, { conn: 1, out: [[T0 + 10, fp('hello')]] }));
    // X's message fits a's connection, the only free one, if 4 ms late.
    w.send(w.router, w.router.logged(w.clock, 1, { peerHex: x, in: [[T0 + 14, fp('hello')]] }));
    // P1 fits only b's connection, which P0 holds; none is free, and no log will change again.
    w.send(w.router, w.router.logged(w.clock, 1, { peerHex: p1, in: [[T0 + 0.5, fp('hello')]] }));
    let s = w.snapshot();
    assert.ok(s.edges.some((e) => e.routingId?.hex === p1 && e.attribution === 'unknown'),
      'the state this test is about: P1 unknown beside its own connection (if pairing now avoids it, this test needs a new way in)');

    w.clock += 1000;
    w.store.sweep(w.clock);
    s = w.snapshot();
    assert.equal(edgeFrom(s, a).routingId?.hex, p0, 'a: P0, whose message took 0.5 ms (X\'s would have taken 4)');
    assert.equal(edgeFrom(s, b).routingId?.hex, p1);
    const unknown = s.edges.filter((e) => e.attribution === 'unknown');
    assert.deepEqual(unknown.map((e) => e.routingId?.hex), [x], 'X alone is an unknown peer');
  });

  test('a ROUTER with over 100 peers is re-paired for its clients\' logs by the sweep, never by a read (a replay cannot know when the live store was read)', () => {
    const w = new World();
    const n = 101;
    const id = (i: number) => `00${(0x10000000 + i).toString(16)}`;
    const clients = Array.from({ length: n }, (_, i) => w.dealer(1000 + i));
    const peers = Array.from({ length: n }, (_, i) => w.router.logged(w.clock, 1, { peerHex: id(i), in: [[T0 + 10 * i + 0.3, fp('HELLO')]] }));
    w.send(w.router, { ...peers[0], peers: peers.flatMap((m) => (m.t === 'traffic' ? m.peers : [])) } as typeof peers[0]);
    clients.forEach((c, i) => w.send(c, c.logged(w.clock, 1, { conn: 1, out: [[T0 + 10 * i, fp('HELLO')]] })));
    const unknown = (s: TopologySnapshot) => s.nodes.filter((x) => x.unknown).length;
    assert.equal(unknown(w.snapshot()), n, 'the clients\' logs are in, their ROUTER not yet re-paired');
    assert.equal(unknown(w.snapshot()), n, 'a second read changes nothing');
    w.store.sweep(w.clock);
    const s = w.snapshot();
    assert.equal(unknown(s), 0);
    assert.equal(clients.filter((c, i) => edgeFrom(s, c).routingId?.hex !== id(i)).length, 0, 'each client on its own edge');
  });

  test('200 DEALERs meeting the ROUTER at once, reported as a real hub reports them (peers in batches, logs growing, the two sides apart): each on its own edge', () => {
    const w = new World();
    const n = 200;
    const id = (i: number) => `00${(0x10000000 + i).toString(16)}`;
    const clients = Array.from({ length: n }, (_, i) => w.dealer(1000 + i));
    // Client i says HELLO at +3i ms, queued until its connection is up (it arrives 5-45 ms later, out
    // of order), then HEARTBEAT every second, each arriving 0.3 ms after it went.
    const sent = (i: number, k: number) => T0 + 3 * i + 1000 * k;
    const arrived = (i: number, k: number) => sent(i, k) + (k === 0 ? 5 + ((i * 37) % 41) : 0.3);
    const message = (k: number) => fp(k === 0 ? 'HELLO' : 'HEARTBEAT');
    const out = (i: number, count: number): [number, string][] => Array.from({ length: count }, (_, k) => [sent(i, k), message(k)]);
    const inbound = (i: number, count: number): [number, string][] => Array.from({ length: count }, (_, k) => [arrived(i, k), message(k)]);
    const routerBatch = (from: number, count: number) => {
      const msgs = Array.from({ length: 50 }, (_, j) => w.router.logged(w.clock, 1, { peerHex: id(from + j), in: inbound(from + j, count) }));
      return { ...msgs[0], peers: msgs.flatMap((m) => (m.t === 'traffic' ? m.peers : [])) } as typeof msgs[0];
    };
    // The agents flush apart: a third of the clients' logs run one message ahead of the rest.
    const clientCount = (i: number, round: number) => Math.min(4, i % 3 === 0 ? round : Math.max(1, round - 1));
    for (let round = 1; round <= 5; round++) {
      w.clock = T0 + 1000 * (round - 1) + 800;
      for (let from = 0; from < n; from += 50) {
        // Half of this batch's clients report before the ROUTER, half after (telemetry travels apart).
        for (let i = from; i < from + 25; i++) w.send(clients[i], clients[i].logged(w.clock, 1, { conn: 1, out: out(i, clientCount(i, round)) }));
        w.send(w.router, routerBatch(from, Math.min(4, round)));
        for (let i = from + 25; i < from + 50; i++) w.send(clients[i], clients[i].logged(w.clock, 1, { conn: 1, out: out(i, clientCount(i, round)) }));
      }
      if (round < 4) continue; // a HELLO alone, sent in one burst, may well be paired wrong
      // A ROUTER this big is re-paired for its clients' logs by the sweep (within 250 ms when live).
      w.store.sweep(w.clock);
      const s = w.snapshot();
      const wrong = clients.filter((c, i) => edgeFrom(s, c).routingId?.hex !== id(i)).length;
      assert.equal(wrong, 0, `round ${round}: ${wrong} of ${n} clients carry another's routing id`);
      assert.equal(s.nodes.filter((x) => x.unknown).length, 0, `round ${round}: no unknown peer`);
      assert.equal(s.edges.length, n);
    }
  });

  test('a pair first chosen by timing is chosen again with the others as logs grow, never called certain because its rival was kept (truth (a2), recorded)', () => {
    // Stamps from a failed run of truth (a2): node-a's hello echo was read 7.8 ms late, so with the
    // hellos alone the peers fit the wrong processes best. Each log then grows on its own; re-paired
    // alone against the one connection a kept guess had not taken, a peer was called 'content' and
    // kept the other process's routing id for good.
    const w = new World();
    const [hello, r0] = [fp('hello'), fp('req 0')];
    const nodeA = w.dealer(14822);
    const pyB = w.dealer(14825);
    const at = (t: number) => T0 + t;
    const peer68 = { in: [[at(633.1), hello], [at(932.7), r0]], out: [[at(633.3), hello], [at(932.8), r0]] } as const;
    const peer69 = { in: [[at(634.0), hello], [at(931.6), r0]], out: [[at(634.2), hello], [at(931.7), r0]] } as const;
    const nodeALog = { out: [[at(631.0), hello], [at(932.3), r0]], in: [[at(641.1), hello], [at(933.0), r0]] } as const;
    const pyBLog = { out: [[at(628.9), hello], [at(931.1), r0]], in: [[at(634.3), hello], [at(933.1), r0]] } as const;
    const first = (n: number, log: { in: readonly (readonly [number, string])[]; out: readonly (readonly [number, string])[] }) =>
      ({ in: log.in.slice(0, n).map(([t, f]) => [t, f] as [number, string]), out: log.out.slice(0, n).map(([t, f]) => [t, f] as [number, string]) });
    w.send(w.router, w.router.logged(w.clock, 1, { peerHex: '006b8b4568', ...first(1, peer68) }));
    w.send(w.router, w.router.logged(w.clock, 1, { peerHex: '006b8b4569', ...first(1, peer69) }));
    w.send(nodeA, nodeA.logged(w.clock, 1, { conn: 1, ...first(1, nodeALog) }));
    w.send(pyB, pyB.logged(w.clock, 1, { conn: 1, ...first(1, pyBLog) }));
    for (const e of [edgeFrom(w.snapshot(), nodeA), edgeFrom(w.snapshot(), pyB)]) assert.equal(e.attribution, 'timing', 'the hellos alone are a guess');
    w.send(w.router, w.router.logged(w.clock, 1, { peerHex: '006b8b4568', ...first(2, peer68) }));
    w.send(w.router, w.router.logged(w.clock, 1, { peerHex: '006b8b4569', ...first(2, peer69) }));
    w.send(nodeA, nodeA.logged(w.clock, 1, { conn: 1, ...first(2, nodeALog) }));
    let s = w.snapshot();
    assert.equal(edgeFrom(s, nodeA).routingId?.hex, '006b8b4568', 'node-a\'s second request cannot have reached the ROUTER before node-a sent it');
    w.send(pyB, pyB.logged(w.clock, 1, { conn: 1, ...first(2, pyBLog) }));
    s = w.snapshot();
    assert.equal(edgeFrom(s, nodeA).routingId?.hex, '006b8b4568');
    assert.equal(edgeFrom(s, pyB).routingId?.hex, '006b8b4569');
  });
});
