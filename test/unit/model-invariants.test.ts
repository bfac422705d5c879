/**
 * Random telemetry sequences (fast-check): the store never throws, the picture stays consistent
 * (every edge joins two known sockets, every socket is in a known node, ids unique, caps kept),
 * and a replica built only from the diffs has exactly the snapshot's nodes, sockets and edges.
 */
import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TopologyStore } from '../../src/model/store';
import type { TopologyDiff, TopologySnapshot } from '../../src/shared/snapshot';
import { toBin } from '../../src/protocol/bin';
import type { SocketType, TelemetryMsg } from '../../src/protocol/types';
import { FakeAgent } from '../fixtures/collector/telemetry';

const T0 = 1_700_000_000_000;
const ENDPOINTS = ['tcp://127.0.0.1:5000', 'tcp://localhost:5000', 'tcp://*:5001', 'tcp://127.0.0.1:5001', 'ipc:///tmp/a', 'inproc://x'];
const TYPES: SocketType[] = ['ROUTER', 'DEALER', 'PUB', 'SUB'];
const IDS = ['a', 'b', 'c'];

const often = 4;
const op = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hello' as const), agent: fc.nat(3), instance: fc.nat(1) }) },
  { weight: often, arbitrary: fc.record({ kind: fc.constant('socket' as const), agent: fc.nat(3), socket: fc.nat(3), type: fc.constantFrom(...TYPES), id: fc.option(fc.constantFrom(...IDS)) }) },
  { weight: often, arbitrary: fc.record({ kind: fc.constant('bind' as const), agent: fc.nat(3), socket: fc.nat(3), endpoint: fc.constantFrom(...ENDPOINTS) }) },
  { weight: often, arbitrary: fc.record({ kind: fc.constant('connect' as const), agent: fc.nat(3), socket: fc.nat(3), endpoint: fc.constantFrom(...ENDPOINTS) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('event' as const), agent: fc.nat(3), socket: fc.nat(3), event: fc.constantFrom('handshake', 'disconnect', 'connect:retry', 'accept') as fc.Arbitrary<'handshake'>, endpoint: fc.constantFrom(...ENDPOINTS) }) },
  { weight: often, arbitrary: fc.record({ kind: fc.constant('traffic' as const), agent: fc.nat(3), socket: fc.nat(3), peer: fc.option(fc.constantFrom(...IDS, 'ghost')) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dmsg' as const), agent: fc.nat(3), socket: fc.nat(3), peer: fc.constantFrom(...IDS, 'ghost') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), agent: fc.nat(3), socket: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('gone' as const), agent: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 3000 }) }) },
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

let clock: { now: number };
beforeEach(() => {
  clock = { now: T0 };
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
});
afterEach(() => mock.timers.reset());

function checkConsistent(s: TopologySnapshot): void {
  const nodes = new Set(s.nodes.map((n) => n.id));
  const sockets = new Set(s.sockets.map((k) => k.id));
  assert.equal(nodes.size, s.nodes.length, 'node ids unique');
  assert.equal(sockets.size, s.sockets.length, 'socket ids unique');
  assert.equal(new Set(s.edges.map((e) => e.id)).size, s.edges.length, 'edge ids unique');
  for (const k of s.sockets) assert.ok(nodes.has(k.nodeId), `socket ${k.id} in a known node`);
  for (const e of s.edges) {
    assert.ok(sockets.has(e.from) && sockets.has(e.to), `edge ${e.id} joins known sockets`);
    assert.ok(e.timeline.length <= 8);
    if (e.exited) assert.equal(e.state, 'disconnected');
  }
  for (const n of s.nodes.filter((x) => x.unknown)) {
    const own = s.sockets.filter((k) => k.nodeId === n.id);
    assert.ok(own.length === 1 && own[0].unknown, 'an unknown node holds its one unknown socket');
    assert.ok(s.edges.some((e) => e.from === own[0].id || e.to === own[0].id), 'unknown peers exist only with an edge');
  }
  assert.ok(s.sockets.length <= 12 && s.edges.length <= 16);
  JSON.stringify(s);
}

test('random telemetry: never throws, stays consistent, and the diffs add up to the snapshot', () => {
  fc.assert(fc.property(fc.array(op, { minLength: 10, maxLength: 80 }), (ops: Op[]) => {
    clock.now = T0;
    const store = new TopologyStore({ now: () => clock.now, timelineLength: 8, notifyIntervalMs: 100, limits: { sockets: 12, edges: 16, unknownPeers: 4 } });
    store.start();
    const replica = { nodes: new Set<string>(), sockets: new Set<string>(), edges: new Set<string>() };
    const apply = (d: TopologyDiff) => {
      for (const id of d.removedNodes ?? []) replica.nodes.delete(id);
      for (const id of d.removedSockets ?? []) replica.sockets.delete(id);
      for (const id of d.removedEdges ?? []) replica.edges.delete(id);
      for (const n of d.nodes ?? []) replica.nodes.add(n.id);
      for (const k of d.sockets ?? []) replica.sockets.add(k.id);
      for (const e of d.edges ?? []) replica.edges.add(e.id);
    };
    store.onDiff(apply);
    const agents = [0, 1, 2, 3].map((i) => [new FakeAgent({ pid: i + 1, instance: 'i0' }), new FakeAgent({ pid: i + 1, instance: 'i1' })]);
    const current = [0, 0, 0, 0];
    for (let a = 0; a < 4; a++) store.apply(`k${a}`, agents[a][0].hello(clock.now), clock.now);
    const send = (a: number, make: (agent: FakeAgent) => TelemetryMsg) => store.apply(`k${a}`, make(agents[a][current[a]]), clock.now);
    try {
      for (const o of ops) {
        const t = clock.now;
        switch (o.kind) {
          case 'hello': current[o.agent] = o.instance; send(o.agent, (a) => a.hello(t)); break;
          case 'socket': send(o.agent, (a) => a.socket(t, o.socket, o.type, o.id ?? undefined)); break;
          case 'bind': send(o.agent, (a) => a.bind(t, o.socket, o.endpoint)); break;
          case 'connect': send(o.agent, (a) => a.connect(t, o.socket, o.endpoint)); break;
          case 'event': send(o.agent, (a) => a.event(t, o.socket, o.event, o.endpoint, 10)); break;
          case 'traffic': send(o.agent, (a) => a.heartbeats(t, o.socket, o.peer === null ? {} : { peer: o.peer })); break;
          case 'dmsg': send(o.agent, (a) => a.disconnectMsg(t, o.socket, o.peer, toBin('bye'))); break;
          case 'close': send(o.agent, (a) => a.close(t, o.socket)); break;
          case 'gone': store.agentGone(`k${o.agent}`, 'test', t); break;
          case 'clear': store.clearExited(); break;
          case 'tick': clock.now += o.ms; mock.timers.tick(o.ms); break;
        }
        checkConsistent(store.snapshot());
      }
      clock.now += 1000;
      mock.timers.tick(1000);
      const s = store.snapshot();
      assert.deepEqual([...replica.nodes].sort(), s.nodes.map((n) => n.id).sort(), 'nodes from diffs');
      assert.deepEqual([...replica.sockets].sort(), s.sockets.map((k) => k.id).sort(), 'sockets from diffs');
      assert.deepEqual([...replica.edges].sort(), s.edges.map((e) => e.id).sort(), 'edges from diffs');
    } finally {
      store.dispose();
    }
  }), { numRuns: 200, seed: 42 });
});
