/**
 * Collector and extension-host restarts mid-run, with real instrumented processes. A collector
 * restart keeps the store (the extension restarts its collector); an extension-host restart starts a
 * new store too. Either way the picture is rebuilt from the agents' hello + snapshot within 2 s, with
 * no duplicated nodes or edges. A process that exited before the restart stays exited in a kept
 * store; a new store never saw it and cannot know it (docs/RELIABILITY.md). And a server that died
 * before any collector listened: its clients' edges say what happened, from the events their agents kept.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { Collector } from '../../src/collector/collector';
import { TopologyStore } from '../../src/model/store';
import type { TopologySnapshot } from '../../src/shared/snapshot';
import { FIXTURES, System, portOf } from '../helpers/system';
import { python } from '../helpers/python';

const fixture = (name: string) => path.join(FIXTURES, 'system', name);
const WORKERS = ['worker-1', 'worker-2', 'worker-3'];

/** The full live picture: router + workers live, one connected edge per worker, nothing duplicated. */
function complete(s: TopologySnapshot): boolean {
  const live = s.nodes.filter((n) => n.state === 'live').map((n) => n.name).sort();
  if (JSON.stringify(live) !== JSON.stringify(['router', ...WORKERS])) return false;
  const connected = s.edges.filter((e) => e.state === 'connected' && !e.exited).map((e) => e.routingId?.text).sort();
  return JSON.stringify(connected) === JSON.stringify(WORKERS);
}

function assertNoDuplicates(s: TopologySnapshot): void {
  for (const [what, ids] of [['node', s.nodes.map((n) => n.id)], ['socket', s.sockets.map((k) => k.id)], ['edge', s.edges.map((e) => e.id)]] as const) {
    assert.equal(new Set(ids).size, ids.length, `duplicated ${what} ids`);
  }
  // One edge per (connecting socket, bound socket) pair, and one node per process run.
  const pairs = s.edges.map((e) => `${e.from}->${e.to}`);
  assert.equal(new Set(pairs).size, pairs.length, 'two edges for one connection');
  const runs = s.nodes.map((n) => `${n.host}:${n.pid}`);
  assert.equal(new Set(runs).size, runs.length, 'two nodes for one process');
}

describe('collector and extension host restart mid-run', { timeout: 60_000 }, () => {
  let system: System;
  let port: number;
  before(async () => {
    system = await System.start({ warnAfterMs: 1500, deadAfterMs: 4000 });
    port = portOf(system.endpoint);
    const router = system.spawnNode(fixture('router.js'), [], { name: 'router' });
    const endpoint = await router.firstLine;
    for (const id of [...WORKERS, 'worker-gone']) system.spawnNode(fixture('dealer.js'), [id, endpoint], { name: id });
    await system.waitFor('four connected edges', (s) => s.edges.filter((e) => e.state === 'connected').length === 4, 10_000);
    // One worker exits before any restart: the picture must keep it exited.
    const gone = [...system.children].find((c) => c.spawnargs.includes('worker-gone'))!;
    gone.kill('SIGKILL');
    await system.waitFor('worker-gone exited', (s) => s.nodes.find((n) => n.name === 'worker-gone')?.state === 'exited', 5000);
  });
  after(() => system.stop());

  test('collector restart (store kept): agents report again within 2 s, exited stays exited, no duplicates', async () => {
    const before = system.store.snapshot();
    const t0 = Date.now();
    await system.restartCollector(port);
    const restartedAt = Date.now();
    const s = await system.waitFor('every agent back on the new collector', (snap) =>
      snap.collector?.agents === 4 && snap.nodes.filter((n) => n.state === 'live').every((n) => n.lastSeenAt >= restartedAt) && complete(snap) && snap, 5000);
    const ms = Date.now() - restartedAt;
    console.log(`# collector restart: stop+start ${restartedAt - t0} ms, all 4 agents reported again ${ms} ms after the new collector listened`);
    assert.ok(ms < 2000, `rebuilt after ${ms} ms`);
    assertNoDuplicates(s);
    assert.deepEqual(s.nodes.map((n) => n.id).sort(), before.nodes.map((n) => n.id).sort(), 'the same nodes, none new');
    assert.deepEqual(s.edges.map((e) => e.id).sort(), before.edges.map((e) => e.id).sort(), 'the same edges, none new');
    const gone = s.nodes.find((n) => n.name === 'worker-gone');
    assert.equal(gone?.state, 'exited');
    assert.ok(s.edges.some((e) => e.routingId?.text === 'worker-gone' && e.exited && e.state === 'disconnected'));
  });

  test('extension host restart (new store): the live picture is rebuilt from snapshots within 2 s', async () => {
    await system.collector.stop();
    system.store.dispose();
    const store = new TopologyStore({ sweepIntervalMs: 50, notifyIntervalMs: 50, warnAfterMs: 1500, deadAfterMs: 4000 });
    store.start();
    const collector = new Collector(store, { port, fallbackToFreePort: false });
    try {
      await collector.start();
      const t0 = Date.now();
      let s: TopologySnapshot;
      for (;;) {
        s = store.snapshot();
        if (complete(s) || Date.now() - t0 > 5000) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const ms = Date.now() - t0;
      console.log(`# extension host restart: full picture (4 nodes, 3 connected edges with routing ids) ${ms} ms after the new collector listened`);
      assert.ok(complete(s), `incomplete picture: ${JSON.stringify(s).slice(0, 2000)}`);
      assert.ok(ms < 2000, `rebuilt after ${ms} ms`);
      assertNoDuplicates(s);
      assert.equal(s.nodes.length, 4, 'only what the agents reported');
      assert.equal(s.edges.length, 3);
      // Never seen by this store: a process that exited before it started is not in the picture.
      assert.equal(s.nodes.find((n) => n.name === 'worker-gone'), undefined);
      // Traffic resumes on the rebuilt picture: heartbeat ages stay fresh.
      await new Promise((r) => setTimeout(r, 600));
      const later = store.snapshot();
      assert.ok(later.edges.every((e) => e.heartbeatAgeMs !== null && e.heartbeatAgeMs < 1500), JSON.stringify(later.edges.map((e) => e.heartbeatAgeMs)));
    } finally {
      await collector.stop();
      store.dispose();
    }
  });
});

describe('a server that died before the collector listened (the usual order: the system broke, then VS Code)', { timeout: 30_000 }, () => {
  let system: System;
  let listenedAt: number;
  before(async () => {
    system = await System.start({ warnAfterMs: 1500, deadAfterMs: 4000 });
    const port = portOf(system.endpoint);
    await system.collector.stop();
    const server = system.spawnNode(fixture('router.js'), [], { name: 'server' });
    const endpoint = (await server.firstLine).trim();
    const clients = [
      system.spawnNode(path.join(FIXTURES, 'realapps', 'dealer-client.js'), [endpoint, '1', '100'], { name: 'client-node' }),
      system.spawnPython(python(), path.join(FIXTURES, 'realapps', 'dealer_client.py'), [endpoint, '1', '100'], 'client-py'),
    ];
    await Promise.all(clients.map((c) => c.firstLine));
    await new Promise((r) => setTimeout(r, 500)); // connected, talking, with no collector
    server.process.kill('SIGKILL');
    await server.exited;
    await new Promise((r) => setTimeout(r, 500)); // the clients saw it go and retry
    await system.restartCollector(port);
    listenedAt = Date.now();
  });
  after(() => system.stop());

  test('each client\'s edge is retrying and says the connection was lost, when, and why: its handshake and disconnect from before are on its timeline', async () => {
    const edges = await system.waitFor('both clients\' edges with their loss', (s) => {
      const found = ['client-node', 'client-py'].map((name) => {
        const node = s.nodes.find((n) => n.name === name);
        const socket = s.sockets.find((k) => k.nodeId === node?.id && k.type === 'DEALER');
        return s.edges.find((e) => e.from === socket?.id && e.state === 'retrying' && e.lastDisconnect !== null);
      });
      return found.every((e) => e !== undefined) && found;
    }, 5000);
    for (const edge of edges) {
      assert.equal(edge!.lastDisconnect!.reason, 'disconnect event');
      assert.ok(edge!.lastDisconnect!.at < listenedAt, `lost before the collector listened (${listenedAt - edge!.lastDisconnect!.at} ms)`);
      const before = edge!.timeline.filter((t) => t.at < listenedAt).map((t) => t.event);
      assert.ok(before.includes('handshake') && before.indexOf('disconnect') > before.indexOf('handshake'), `timeline before the collector: ${before.join(', ')}`);
    }
  });
});
