/**
 * Many anonymous peers at once, held against the kernel's own connection table
 * (test/helpers/truth.ts): (e) 50 Node DEALERs in one process + 10 pyzmq DEALERs in another, all
 * connecting and saying hello at the same moment; (g) Node `cluster.fork` workers, whose pids are
 * found through /proc (they are not children this test spawned); (m) pyzmq workers forked by
 * multiprocessing from a master that opened its own DEALER first; (s) zeromq.js worker threads, left
 * uninstrumented by default (a terminated worker must not take the process down), and (s2) with an
 * agent in each thread when asked.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Child } from '../helpers/system';
import { Scenario, SnapshotIndex, descendantPids, eventually, liveEdges, nodeOfPid } from '../helpers/truth';

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
      const into = s.edges.filter((e) => ['connected', 'quiet', 'late'].includes(e.state) && index.pidOf(e.to) === routerPid);
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

describe('(s) zeromq.js in worker threads, by default: the workers run uninstrumented, so a pool that terminates them keeps running', () => {
  let sc: Scenario;
  let app: Child;
  before(async () => {
    sc = await Scenario.start('s');
    ({ child: app } = await sc.bound((p) => sc.node('thread-dealers.js', [`tcp://127.0.0.1:${p}`, '2'], 'threads')));
  });
  after(() => sc.stop());

  test('the main thread reports; the workers\' DEALERs show as its ROUTER\'s unknown peers; worker.terminate() does not take the process down', async () => {
    const pid = app.process.pid!;
    const seen = await eventually(() => {
      const s = sc.snapshot();
      const index = new SnapshotIndex(s);
      const nodes = s.nodes.filter((n) => n.pid === pid).map((n) => `${n.name} ${n.state}`);
      const router = s.sockets.find((x) => x.type === 'ROUTER' && index.nodeOf(x.id)?.pid === pid);
      const fromUnknown = s.edges.filter((e) => e.to === router?.id && index.nodeOf(e.from)?.unknown === true && e.state === 'connected').length;
      return { ok: nodes.join() === 'threads live' && fromUnknown === 2, diff: `nodes ${nodes.join(', ')}; connected edges from unknown peers ${fromUnknown}` };
    }, 8000, { label: 's: the main thread and two unknown peers' });
    assert.ok(seen.ok);
    app.process.stdin!.write('stop 1\n');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(app.process.exitCode, null, 'the process runs on after a worker thread is terminated (with the agent in the workers, zeromq.js aborted it)');
    assert.equal(nodeOfPid(sc.snapshot(), pid)?.state, 'live');
  });
});

describe('(s2) zeromq.js in worker threads with ZMQ_TOPOLOGY_WORKER_THREADS=1: an agent in each thread of one process', () => {
  let sc: Scenario;
  let app: Child;
  before(async () => {
    sc = await Scenario.start('s2');
    ({ child: app } = await sc.bound((p) => sc.node('thread-dealers.js', [`tcp://127.0.0.1:${p}`, '2'], 'threads', { ZMQ_TOPOLOGY_WORKER_THREADS: '1' })));
  });
  after(() => sc.stop());

  test('each thread is a node of its own with the process\'s pid, none taken for a restarted process; the graph matches the kernel', async () => {
    const pid = app.process.pid!;
    const r = await sc.converge('2 worker threads on the main thread\'s ROUTER');
    assert.equal(r.counts.kernel, 2);
    const nodes = r.snapshot.nodes.filter((n) => n.pid === pid);
    assert.deepEqual(nodes.map((n) => `${n.name} ${n.state}`).sort(), ['threads [thread 1] live', 'threads [thread 2] live', 'threads live']);
    const index = new SnapshotIndex(r.snapshot);
    const router = r.snapshot.sockets.find((x) => x.type === 'ROUTER' && index.nodeOf(x.id)?.pid === pid)!;
    const edges = r.snapshot.edges.filter((e) => e.to === router.id);
    assert.deepEqual(edges.map((e) => `${index.nodeOf(e.from)?.name} ${e.state} ${e.routingId ? 'with' : 'without'} routing id`).sort(),
      ['threads [thread 1] connected with routing id', 'threads [thread 2] connected with routing id']);
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
