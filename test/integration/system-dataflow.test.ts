/**
 * The data path end to end with real processes: instrumented apps → agent → collector → model.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { FIXTURES, System, portOf, type Child } from '../helpers/system';
import type { EdgeView, SocketView, TopologySnapshot } from '../../src/shared/snapshot';

const fixture = (name: string) => path.join(FIXTURES, 'system', name);

function socketOf(s: TopologySnapshot, nodeName: string, type: string): SocketView | undefined {
  const node = s.nodes.find((n) => n.name === nodeName && n.state !== 'exited');
  return node && s.sockets.find((k) => k.nodeId === node.id && k.type === type);
}

function edgeFrom(s: TopologySnapshot, nodeName: string): EdgeView | undefined {
  const from = socketOf(s, nodeName, 'DEALER');
  return from && s.edges.find((e) => e.from === from.id);
}

async function startRouter(system: System, env: Record<string, string> = {}): Promise<{ child: Child; endpoint: string }> {
  const child = system.spawnNode(fixture('router.js'), [], { name: 'router', env });
  return { child, endpoint: await child.firstLine };
}

describe('ROUTER with three DEALER processes', () => {
  let system: System;
  let endpoint: string;
  const dealers = new Map<string, Child>();

  before(async () => {
    system = await System.start({ warnAfterMs: 800, deadAfterMs: 2500 });
    ({ endpoint } = await startRouter(system));
    for (const id of ['worker-1', 'worker-2', 'worker-3']) {
      dealers.set(id, system.spawnNode(fixture('dealer.js'), [id, endpoint], { name: id }));
    }
  });
  after(() => system.stop());

  test('three edges, from each DEALER to the ROUTER, with the right routing ids', async () => {
    const edges = await system.waitFor('3 connected edges', (s) => {
      const found = ['worker-1', 'worker-2', 'worker-3'].map((n) => edgeFrom(s, n));
      return found.every((e) => e?.state === 'connected') && found.length === 3 ? { s, found: found as EdgeView[] } : undefined;
    }, 8000);
    const router = socketOf(edges.s, 'router', 'ROUTER');
    assert.ok(router, 'the ROUTER socket is in the picture');
    assert.deepEqual(edges.found.map((e) => e.to), [router.id, router.id, router.id]);
    assert.deepEqual(edges.found.map((e) => e.routingId?.text).sort(), ['worker-1', 'worker-2', 'worker-3']);
    assert.equal(edges.s.edges.length, 3, 'no extra edges (the agents\' own telemetry sockets never appear)');
    assert.ok(router.binds.includes(endpoint) || router.binds.some((b) => portOf(b) === portOf(endpoint)), 'the bound endpoint is resolved');
  });

  test('heartbeat ages stay under 2 s while heartbeats flow, and grow when they stop', async () => {
    await system.waitFor('heartbeats seen on every edge', (s) => ['worker-1', 'worker-2', 'worker-3'].every((n) => {
      const age = edgeFrom(s, n)?.heartbeatAgeMs;
      return age !== null && age !== undefined && age < 2000;
    }));
    // Sample for a while: the ages must stay low the whole time.
    for (let i = 0; i < 10; i++) {
      const s = system.store.snapshot();
      for (const n of ['worker-1', 'worker-2', 'worker-3']) {
        const age = edgeFrom(s, n)?.heartbeatAgeMs;
        assert.ok(age !== null && age !== undefined && age < 2000, `${n} heartbeat age ${age}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    dealers.get('worker-2')!.process.stdin!.write('stop-heartbeats\n');
    const late = await system.waitFor('worker-2 late', (s) => {
      const e = edgeFrom(s, 'worker-2');
      return e && e.state === 'late' ? e : undefined;
    }, 4000);
    assert.ok(late.heartbeatAgeMs! >= 800, `age ${late.heartbeatAgeMs} past the warn threshold`);
    assert.ok(late.trafficAgeMs! < 800, 'traffic still flows: only the heartbeat is late');
    assert.equal(edgeFrom(system.store.snapshot(), 'worker-1')?.state, 'connected');
  });

  test('kill -9 of one DEALER process: that edge alone shows disconnected within 1 s, with a reason', async () => {
    const victim = dealers.get('worker-3')!;
    const before = system.store.snapshot();
    const edgeId = edgeFrom(before, 'worker-3')!.id;
    const killedAt = Date.now();
    victim.process.kill('SIGKILL');
    const gone = await system.waitFor('worker-3 edge disconnected', (s) => {
      const e = s.edges.find((x) => x.id === edgeId);
      return e && e.state === 'disconnected' ? e : undefined;
    }, 3000);
    const latency = Date.now() - killedAt;
    console.log(`kill -9 → disconnected in ${latency} ms`);
    assert.ok(latency < 1000, `took ${latency} ms`);
    assert.ok(gone.lastDisconnect, 'lastDisconnect is set');
    assert.equal(gone.lastDisconnect.message, null, 'the app set no disconnect message');
    assert.ok(gone.lastDisconnect.reason.length > 0);
    const s = system.store.snapshot();
    assert.equal(edgeFrom(s, 'worker-1')?.state, 'connected', 'the other edges are untouched');
    assert.ok(['connected', 'late'].includes(edgeFrom(s, 'worker-2')!.state));
  });
});

describe('the app\'s own disconnect message', () => {
  let system: System;
  after(() => system.stop());

  test('is the edge\'s disconnect message when the DEALER process is killed', async () => {
    system = await System.start();
    const { endpoint } = await startRouter(system, { ROUTER_DISCONNECT_MSG: 'WORKER_GONE' });
    const dealer = system.spawnNode(fixture('dealer.js'), ['w-msg', endpoint], { name: 'w-msg' });
    const edge = await system.waitFor('connected edge', (s) => {
      const e = edgeFrom(s, 'w-msg');
      return e?.state === 'connected' ? e : undefined;
    }, 8000);
    dealer.process.kill('SIGKILL');
    const gone = await system.waitFor('disconnected with WORKER_GONE', (s) => {
      const e = s.edges.find((x) => x.id === edge.id);
      return e?.state === 'disconnected' && e.lastDisconnect?.message === 'WORKER_GONE' ? e : undefined;
    }, 2000);
    assert.equal(gone.lastDisconnect?.message, 'WORKER_GONE');
  });
});

describe('a DEALER connecting to nothing', () => {
  let system: System;
  after(() => system.stop());

  test('shows as retrying, and many retries are flagged as a retry storm', async () => {
    system = await System.start({ retryStorm: { count: 3, windowMs: 10_000 } });
    // A port that was free a moment ago: take one from a short-lived ROUTER.
    const { child, endpoint } = await startRouter(system);
    child.process.kill('SIGKILL');
    await child.exited;
    system.spawnNode(fixture('dealer.js'), ['lonely', endpoint], { name: 'lonely', env: { HEARTBEAT_MS: '1000' } });
    const edge = await system.waitFor('retrying edge with a retry storm', (s) => {
      const e = edgeFrom(s, 'lonely');
      return e?.state === 'retrying' && e.retryStorm ? e : undefined;
    }, 8000);
    assert.equal(edge.endpoint.endsWith(`:${portOf(endpoint)}`), true);
    assert.ok(edge.timeline.some((t) => t.event === 'connect:retry'), 'retries are on the timeline');
  });
});

describe('collector restart', () => {
  let system: System;
  after(() => system.stop());

  test('the full picture is back within 2 s, without duplicates', async () => {
    system = await System.start();
    const { endpoint } = await startRouter(system);
    for (const id of ['r-1', 'r-2']) system.spawnNode(fixture('dealer.js'), [id, endpoint], { name: id });
    await system.waitFor('2 connected edges', (s) => s.edges.filter((e) => e.state === 'connected').length === 2, 8000);
    const port = portOf(system.endpoint);
    await system.collector.stop();
    // A new extension host: a new, empty store and collector on the same port.
    const fresh = await System.start({}, port);
    try {
      const t0 = Date.now();
      const s = await fresh.waitFor('picture rebuilt', (snap) =>
        snap.edges.filter((e) => e.state === 'connected').length === 2 && snap.nodes.length === 3 ? snap : undefined, 4000);
      const took = Date.now() - t0;
      console.log(`picture rebuilt in ${took} ms`);
      assert.ok(took < 2000, `took ${took} ms`);
      assert.equal(s.edges.length, 2);
      assert.equal(new Set(s.nodes.map((n) => n.id)).size, 3);
    } finally {
      await fresh.stop();
    }
  });
});

describe('other module styles', () => {
  let system: System;
  after(() => system.stop());

  test('a zeromq/v5-compat app and an ESM app are instrumented', async () => {
    system = await System.start();
    const { endpoint } = await startRouter(system);
    system.spawnNode(fixture('dealer-v5.js'), ['v5', endpoint], { name: 'v5' });
    system.spawnNode(fixture('dealer-esm.mjs'), ['esm', endpoint], { name: 'esm' });
    const s = await system.waitFor('v5 and esm edges', (snap) =>
      edgeFrom(snap, 'v5')?.state === 'connected' && edgeFrom(snap, 'esm')?.state === 'connected' ? snap : undefined, 8000);
    assert.equal(edgeFrom(s, 'v5')?.routingId?.text, 'v5');
    assert.equal(edgeFrom(s, 'esm')?.routingId?.text, 'esm');
  });
});
