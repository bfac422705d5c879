/**
 * Many anonymous peers at once, held against the kernel's own connection table
 * (test/helpers/truth.ts): (e) 50 Node DEALERs in one process + 10 pyzmq DEALERs in another, all
 * connecting and saying hello at the same moment; (g) Node `cluster.fork` workers, whose pids are
 * found through /proc (they are not children this test spawned); (m) pyzmq workers forked by
 * multiprocessing from a master that opened its own DEALER first.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Child } from '../helpers/system';
import { Scenario, SnapshotIndex, descendantPids, eventually, liveEdges } from '../helpers/truth';

describe('(e) 50 anonymous Node DEALERs + 10 anonymous pyzmq DEALERs connecting at once', () => {
  let sc: Scenario;
  let router: Child;
  before(async () => {
    sc = await Scenario.start('e');
    let port = 0;
    ({ child: router, port } = await sc.bound((p) => sc.node('echo-router.js', [`tcp://*:${p}`], 'router')));
    await Promise.all([
      sc.node('dealer-client.js', [`tcp://127.0.0.1:${port}`, '50', '500', 'HEARTBEAT'], 'node-50'),
      sc.python('dealer_client.py', [`tcp://127.0.0.1:${port}`, '10', '500', 'HEARTBEAT'], 'py-10'),
    ]);
  });
  after(() => sc.stop());

  test('the graph matches the kernel: 60 connections, 60 edges', async () => {
    const r = await sc.converge('60 DEALERs', { timeoutMs: 15_000 });
    assert.equal(r.counts.kernel, 60);
  });

  test('60 connected edges into the ROUTER, each with a distinct routing id', async () => {
    const routerPid = router.process.pid!;
    const r = await eventually(() => {
      const s = sc.snapshot();
      const index = new SnapshotIndex(s);
      const into = s.edges.filter((e) => ['connected', 'late'].includes(e.state) && index.pidOf(e.to) === routerPid);
      const ids = into.map((e) => e.routingId?.hex);
      const distinct = new Set(ids.filter((x) => x !== undefined));
      const withoutId = ids.filter((x) => x === undefined).length;
      const fromUnknown = into.filter((e) => index.pidOf(e.from) === 0).length;
      const ok = into.length === 60 && distinct.size === 60 && fromUnknown === 0;
      return { ok, diff: `${into.length} live edges into the ROUTER (want 60), ${distinct.size} distinct routing ids (want 60), `
        + `${withoutId} without a routing id, ${fromUnknown} from unknown peers`, count: into.length };
    }, 10_000, { stableMs: 1000, label: 'e: 60 distinct routing ids' });
    assert.equal(r.count, 60);
  });
});

describe('(g) cluster.fork workers, each with an anonymous DEALER to a broker in another process', () => {
  let sc: Scenario;
  let primary: Child;
  before(async () => {
    sc = await Scenario.start('g');
    const { port } = await sc.bound((p) => sc.node('echo-router.js', [`tcp://*:${p}`], 'broker'));
    primary = await sc.node('cluster-dealers.js', [`tcp://127.0.0.1:${port}`, '3'], 'cluster-app');
    sc.adopt(descendantPids(primary.process.pid!));
  });
  after(() => sc.stop());

  test('the forked workers are found through /proc, and the graph matches the kernel', async () => {
    const workers = [...sc.adopted];
    console.log(`[truth] g: primary ${primary.process.pid}, forked workers found in /proc: ${workers.join(', ')}`);
    assert.equal(workers.length, 3, 'three forked workers');
    const r = await sc.converge('3 cluster workers');
    assert.equal(r.counts.kernel, 3);
    const s = r.snapshot;
    for (const pid of workers) assert.ok(s.nodes.some((n) => n.pid === pid && n.state === 'live'), `worker ${pid} reports as a node`);
  });
});

describe('(m) a pyzmq app forking its workers with multiprocessing, the master\'s DEALER opened before the fork', () => {
  let sc: Scenario;
  let broker: Child;
  let master: Child;
  before(async () => {
    sc = await Scenario.start('m');
    let port = 0;
    ({ child: broker, port } = await sc.bound((p) => sc.python('echo_router.py', [`tcp://*:${p}`], 'py-broker')));
    master = await sc.python('mp_workers.py', [`tcp://127.0.0.1:${port}`, '3'], 'mp-app');
    sc.adopt(descendantPids(master.process.pid!));
  });
  after(() => sc.stop());

  test('the forked workers report as processes of their own, and the graph matches the kernel', async () => {
    const workers = [...sc.adopted];
    console.log(`[truth] m: master ${master.process.pid}, forked workers found in /proc: ${workers.join(', ')}`);
    assert.ok(workers.length >= 3, 'three forked workers (and multiprocessing\'s own helpers, if any)');
    const r = await sc.converge('a master and 3 forked workers');
    assert.equal(r.counts.kernel, 4);
    const s = r.snapshot;
    for (const pid of [master.process.pid!, ...workers.filter((pid) => liveEdges(s, pid, broker.process.pid!).length > 0)]) {
      assert.equal(liveEdges(s, pid, broker.process.pid!).length, 1, `pid ${pid}: one edge to the broker, from its own node`);
    }
  });

  test('each edge\'s routing id is the one the broker uses for that process\'s connection (ZMQ_SRCFD)', async () => {
    await sc.routingIdsMatch('m', broker.process.pid!, 4);
  });
});
