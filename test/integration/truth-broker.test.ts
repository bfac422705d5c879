/**
 * Brokers the zguide way, held against the kernel's own connection table (test/helpers/truth.ts):
 * (c) a Majordomo-style broker with anonymous DEALER workers and REQ clients, their heartbeats
 * recognised under the protocol's header (the two-frame pattern `MDPW01|\x04`), (j) kill -9 of one
 * worker, (d) the lazy pirate client (REQ closed and reopened on timeout; (d2) without an agent), (f) the broker killed and
 * restarted on the same port while anonymous DEALERs reconnect on their own.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Child } from '../helpers/system';
import { LIVE, Scenario, SnapshotIndex, edgesFromPid, eventually, liveEdges, nodeOfPid } from '../helpers/truth';

describe('(c) Majordomo-style broker: anonymous DEALER workers and REQ clients on one ROUTER', () => {
  let sc: Scenario;
  let broker: Child;
  let workers: Child[];
  let clients: Child[];

  before(async () => {
    sc = await Scenario.start('c');
    let port = 0;
    ({ child: broker, port } = await sc.bound((p) => sc.node('mdp-broker.js', [`tcp://*:${p}`], 'mdp-broker')));
    const endpoint = `tcp://127.0.0.1:${port}`;
    workers = await Promise.all([
      sc.node('mdp-worker.js', [endpoint], 'node-worker'),
      sc.python('mdp_worker.py', [endpoint], 'py-worker'),
    ]);
    clients = await Promise.all([
      sc.node('mdp-client.js', [endpoint], 'node-client'),
      sc.python('mdp_client.py', [endpoint], 'py-client'),
    ]);
  });
  after(() => sc.stop());

  test('the graph matches the kernel: 2 workers + 2 clients, routing ids on every edge, no unknown peer', async () => {
    const r = await sc.converge('broker with 2 workers and 2 clients');
    assert.equal(r.counts.kernel, 4);
  });

  test('the workers\' edges show the age of their last Majordomo heartbeat (["", "MDPW01", "\\x04"] every second, both agents); the clients\' none', async () => {
    const brokerPid = broker.process.pid!;
    const ages = await eventually(() => {
      const s = sc.snapshot();
      const of = (c: Child) => liveEdges(s, c.process.pid!, brokerPid).map((e) => e.heartbeatAgeMs);
      const workerAges = workers.map(of);
      const clientAges = clients.map(of);
      const ok = workerAges.every((a) => a.length === 1 && a[0] !== null && a[0] < 2000) && clientAges.every((a) => a.length === 1 && a[0] === null);
      return { ok, diff: `workers ${JSON.stringify(workerAges)}, clients ${JSON.stringify(clientAges)}`, workerAges };
    }, 6000, { label: 'c: heartbeat ages on the workers\' edges' });
    console.log(`[truth] c: Majordomo heartbeat ages on the workers' edges: ${ages.workerAges.map((a) => `${a[0]} ms`).join(', ')}`);
  });

  test('(j) kill -9 of one worker: exactly its edge goes disconnected; the others stay connected', async () => {
    const brokerPid = broker.process.pid!;
    const peers = [...workers, ...clients].map((c) => c.process.pid!);
    const before = await eventually(() => {
      const s = sc.snapshot();
      const missing = peers.filter((pid) => liveEdges(s, pid, brokerPid).length !== 1);
      return { ok: missing.length === 0, diff: `no single live edge from pid(s) ${missing.join(', ')}`, s };
    }, 8000, { label: 'each worker and client has its edge' });
    const victimPid = workers[0].process.pid!;
    const victimEdges = liveEdges(before.s, victimPid, brokerPid).map((e) => e.id);
    const others = before.s.edges.filter((e) => LIVE.includes(e.state) && !victimEdges.includes(e.id));
    const index = new SnapshotIndex(before.s);
    const killedAt = Date.now();
    workers[0].process.kill('SIGKILL');

    await eventually(() => {
      const s = sc.snapshot();
      const problems: string[] = [];
      for (const id of victimEdges) {
        const e = s.edges.find((x) => x.id === id);
        if (!e) problems.push(`victim edge ${id} vanished`);
        else if (e.state !== 'disconnected') problems.push(`victim edge ${index.edgeLabel(e)} is ${e.state}`);
        else if (!e.lastDisconnect || e.lastDisconnect.at < killedAt - 1000) problems.push(`no fresh lastDisconnect: ${JSON.stringify(e.lastDisconnect)}`);
        else if (!e.timeline.some((t) => t.at >= killedAt - 1000 && /disconnect|close/.test(t.event))) problems.push('victim edge timeline shows no disconnect');
      }
      const node = nodeOfPid(s, victimPid);
      if (node?.state !== 'exited') problems.push(`victim node is ${node?.state ?? 'missing'}, not exited`);
      return { ok: problems.length === 0, diff: problems.join('\n') };
    }, 3000, { label: 'the worker\'s edge disconnected' });
    console.log(`[truth] c/j: kill -9 → worker edge disconnected in ${Date.now() - killedAt} ms`);

    await new Promise((r) => setTimeout(r, 1500));
    const s = sc.snapshot();
    const now = new SnapshotIndex(s);
    const current = others.map((o) => s.edges.find((e) => e.id === o.id) ?? o);
    const twinsDown = current.filter((e) => !LIVE.includes(e.state) && now.pidOf(e.from) === 0);
    if (twinsDown.length > 0) console.log(`[truth] c/j: unknown-peer edges that went down: ${twinsDown.map((e) => now.edgeLabel(e)).join('; ')}`);
    assert.deepEqual(current.filter((e) => !LIVE.includes(e.state) && now.pidOf(e.from) !== 0).map((e) => now.edgeLabel(e)), [],
      'only the killed worker\'s edge goes down');
    sc.pids.delete(victimPid);
    await sc.converge('after kill -9 of one worker');
  });
});

describe('(d) lazy pirate: a REQ closed (linger 0) and reopened on every 1 s timeout', () => {
  let sc: Scenario;
  let server: Child;
  let client: Child;
  before(async () => {
    sc = await Scenario.start('d');
    let port = 0;
    ({ child: server, port } = await sc.bound((p) => sc.node('lp-server.js', [`tcp://*:${p}`], 'lp-server')));
    client = await sc.python('lpclient.py', [`tcp://localhost:${port}`], 'lp-client');
  });
  after(() => sc.stop());

  test('never more than one connected edge from the client; closed sockets end disconnected; the graph matches the kernel', async () => {
    const clientPid = client.process.pid!;
    const serverPid = server.process.pid!;
    // Sample while the client times out and reconnects a few times (every 4th request is slow).
    const samples: number[] = [];
    let longestGap = 0;
    let gapSince: number | undefined;
    const overlaps: string[] = [];
    const end = Date.now() + 7000;
    while (Date.now() < end) {
      const s = sc.snapshot();
      const live = edgesFromPid(s, clientPid, LIVE);
      samples.push(live.length);
      if (live.length > 1) overlaps.push(live.map((e) => new SnapshotIndex(s).edgeLabel(e)).join(' | '));
      if (live.length === 0) {
        gapSince ??= Date.now();
        longestGap = Math.max(longestGap, Date.now() - gapSince);
      } else gapSince = undefined;
      await new Promise((r) => setTimeout(r, 50));
    }
    const s = sc.snapshot();
    const node = nodeOfPid(s, clientPid);
    const sockets = s.sockets.filter((k) => k.nodeId === node?.id && k.type === 'REQ');
    const closed = sockets.filter((k) => k.closed);
    console.log(`[truth] d: ${samples.length} samples, live edges from the client per sample: max ${Math.max(...samples)}, `
      + `${samples.filter((n) => n === 0).length} with none (longest gap ${longestGap} ms); REQ sockets ${sockets.length}, closed ${closed.length}`);
    assert.ok(closed.length >= 2, `the client reopened its REQ at least twice (saw ${closed.length} closed of ${sockets.length})`);
    assert.deepEqual(overlaps.slice(0, 5), [], 'never two live edges from the client at once');
    assert.ok(longestGap < 1000, `a gap of ${longestGap} ms without a live edge from the client`);
    const index = new SnapshotIndex(s);
    const notDown = s.edges.filter((e) => closed.some((k) => k.id === e.from) && e.state !== 'disconnected');
    assert.deepEqual(notDown.map((e) => index.edgeLabel(e)), [], 'every closed REQ\'s edge ends disconnected');
    await eventually(() => {
      const snap = sc.snapshot();
      const live = liveEdges(snap, clientPid, serverPid);
      return { ok: live.length === 1, diff: `${live.length} live edges from the client to the server` };
    }, 3000);
    await sc.converge('lazy pirate client', { stableMs: 0 });
  });
});

describe('(d2) lazy pirate without an agent: the instrumented server sees a new anonymous peer at every reopen', () => {
  let sc: Scenario;
  let client: Child;
  before(async () => {
    sc = await Scenario.start('d2');
    let port = 0;
    ({ port } = await sc.bound((p) => sc.node('lp-server.js', [`tcp://*:${p}`], 'lp-server')));
    client = await sc.plainPython('lpclient.py', [`tcp://localhost:${port}`], 'lp-client');
  });
  after(() => sc.stop());

  test('each closed REQ\'s unknown peer is gone with its connection; one stays live, and the kernel shows the client holding one', async () => {
    // The client reopens its REQ about once a second (every 4th request is answered past its 1 s timeout).
    await new Promise((r) => setTimeout(r, 5000));
    let gone: string[] = [];
    await eventually(() => {
      const s = sc.snapshot();
      const placeholders = s.nodes.filter((n) => n.unknown && n.name.startsWith('unknown peer 0x'));
      const live = placeholders.filter((n) => n.state !== 'exited').map((n) => n.name);
      gone = placeholders.filter((n) => n.state === 'exited').map((n) => n.name);
      const goneUp = s.edges.filter((e) => gone.some((name) => e.from.includes(name.slice('unknown peer 0x'.length))) && e.state !== 'disconnected');
      return { ok: live.length === 1 && gone.length >= 2 && goneUp.length === 0, diff: `live: ${live.join(', ')}; gone: ${gone.length}; gone but not disconnected: ${goneUp.length}` };
    }, 3000);
    console.log(`[truth] d2: ${gone.length} unknown peers gone with their REQ (client pid ${client.process.pid})`);
    const result = await sc.converge('lazy pirate without an agent', { allowUnknown: true, stableMs: 0 });
    assert.deepEqual([result.counts.kernel, result.counts.unseen], [1, 1], 'the kernel: the client holds one connection, which the graph counts as its one peer without an agent');
  });
});

describe('(f) broker restart: pyzmq ROUTER SIGKILLed, restarted on the same port, anonymous DEALERs reconnect by themselves', () => {
  let sc: Scenario;
  let port: number;
  let oldRouter: Child;
  let dealers: Child[];
  before(async () => {
    sc = await Scenario.start('f');
    // The pyzmq echo ROUTER reports each peer's routing id with its connection's fd (ZMQ_SRCFD), so the
    // routing id on each edge can be checked against the one router-2 really uses.
    ({ child: oldRouter, port } = await sc.bound((p) => sc.python('echo_router.py', [`tcp://*:${p}`], 'router-1')));
    dealers = await Promise.all([
      sc.node('dealer-client.js', [`tcp://127.0.0.1:${port}`], 'node-dealer'),
      sc.python('dealer_client.py', [`tcp://127.0.0.1:${port}`], 'py-dealer'),
    ]);
  });
  after(() => sc.stop());

  test('after the restart each DEALER has exactly one connected edge, to the new ROUTER, with the routing id the new ROUTER uses (ZMQ_SRCFD)', async () => {
    const oldPid = oldRouter.process.pid!;
    const pids = dealers.map((d) => d.process.pid!);
    const before = await eventually(() => {
      const s = sc.snapshot();
      const missing = pids.filter((pid) => liveEdges(s, pid, oldPid).length !== 1);
      return { ok: missing.length === 0, diff: `no single live edge to router-1 from pid(s) ${missing.join(', ')}`, s };
    }, 8000, { label: 'each DEALER on router-1' });
    // libzmq numbers anonymous peers from an unseeded rand() (0x6b8b4567 + n), so router-2 hands out
    // the very ids router-1 did: "the new routing id" cannot be told from the old one by value. What is
    // checked: the one live edge goes to router-2 and carries a routing id; the old edge is not live.
    const oldIds = pids.map((pid) => liveEdges(before.s, pid, oldPid)[0].routingId?.hex ?? '-');

    oldRouter.process.kill('SIGKILL');
    await oldRouter.exited;
    const newRouter = await sc.python('echo_router.py', [`tcp://*:${port}`], 'router-2');
    const newPid = newRouter.process.pid!;
    const restartedAt = Date.now();

    const done = await eventually(() => {
      const s = sc.snapshot();
      const index = new SnapshotIndex(s);
      const problems: string[] = [];
      const oldNode = nodeOfPid(s, oldPid);
      if (oldNode?.state !== 'exited') problems.push(`router-1 (pid ${oldPid}) is ${oldNode?.state ?? 'missing'}, not exited`);
      for (const pid of pids) {
        const live = edgesFromPid(s, pid, LIVE);
        const label = live.map((e) => index.edgeLabel(e)).join(' | ');
        if (live.length !== 1) problems.push(`pid ${pid}: ${live.length} live edges (${label})`);
        else if (index.pidOf(live[0].to) !== newPid) problems.push(`pid ${pid}: its live edge is not to router-2: ${label}`);
        else if (!live[0].routingId) problems.push(`pid ${pid}: no routingId on its edge to router-2: ${label}`);
      }
      return { ok: problems.length === 0, diff: problems.join('\n') };
    }, 8000, { stableMs: 1000, label: 'DEALERs on router-2' });
    assert.ok(done.ok);
    const truth = await eventually(() => sc.routingIdTruth(newPid), 5000, { label: 'f: routing ids are router-2\'s' });
    assert.equal(truth.checked, 2);
    const ids = pids.map((pid) => edgesFromPid(sc.snapshot(), pid, LIVE)[0]?.routingId?.hex ?? '-');
    console.log(`[truth] f: DEALERs settled on router-2 ${Date.now() - restartedAt} ms after it started; routing ids ${oldIds.join(',')} → ${ids.join(',')}`);
    await sc.converge('after the broker restart');
  });
});
