/**
 * Peers without an agent on sockets that give no other sign of them. A PUB, a PUSH and a bound PULL
 * have no routing ids, and a process without an agent reports nothing: before the binders' agents
 * counted their accepted connections, such peers were simply not in the graph. Held against the
 * kernel's connection table (which process holds each connection) and the processes the test kills.
 *
 * (ac) zguide's weather server (pyzmq PUB) with an instrumented SUB and three without an agent (two
 * pyzmq, one zeromq.js); the divide-and-conquer ventilator and sink (zeromq.js PUSH / PULL) with an
 * instrumented worker and two without. kill -9 of some of those without an agent, then of the rest.
 * (ad) zguide's Hello World over ipc: a pyzmq REP (no routing ids the app sees), an instrumented REQ
 * and two without an agent; one of those is done after 3 requests and exits by itself, as zguide's does.
 * The one left is named from the host's unix socket table (`ss -xn`) and /proc.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Child } from '../helpers/system';
import { eventually, Scenario, SnapshotIndex } from '../helpers/truth';
import type { EdgeView, TopologySnapshot } from '../../src/shared/snapshot';
import { KernelPeerWatcher } from '../../src/collector/kernelPeers';

const THRESHOLDS = { warnAfterMs: 1500, deadAfterMs: 3000 };

/** The edge of peers without an agent into the process `pid`'s socket, if drawn. */
function unseenInto(s: TopologySnapshot, pid: number): EdgeView | undefined {
  const index = new SnapshotIndex(s);
  return s.edges.find((e) => e.connections !== undefined && index.pidOf(e.to) === pid);
}

describe('(ac) a pyzmq PUB, a zeromq.js PUSH and PULL, each with peers without an agent beside instrumented ones', () => {
  let sc: Scenario;
  let server: Child;
  let ventilator: Child;
  let sink: Child;
  let withAgent: Child[];
  let subsWithout: Child[];
  let workersWithout: Child[];
  /** Polled by hand: a reading whenever a test asks. */
  let watcher: KernelPeerWatcher;
  before(async () => {
    sc = await Scenario.start('ac', THRESHOLDS);
    let port = 0;
    let ventPort = 0;
    let sinkPort = 0;
    ({ child: server, port } = await sc.bound((p) => sc.python('wuserver.py', [`tcp://*:${p}`], 'weather-server')));
    ({ child: sink, port: sinkPort } = await sc.bound((p) => sc.node('tasksink.js', [`tcp://*:${p}`], 'sink')));
    ({ child: ventilator, port: ventPort } = await sc.bound((p) => sc.node('taskvent.js', [`tcp://*:${p}`], 'ventilator')));
    const weather = `tcp://localhost:${port}`;
    const work = [`tcp://localhost:${ventPort}`, `tcp://127.0.0.1:${sinkPort}`];
    withAgent = await Promise.all([sc.python('wuclient.py', [weather], 'sub-with-agent'), sc.node('taskwork.js', work, 'worker-with-agent')]);
    subsWithout = await Promise.all([
      sc.plainPython('wuclient.py', [weather], 'sub-plain-1'),
      sc.plainPython('wuclient.py', [weather], 'sub-plain-2'),
      sc.plainNode('wuclient.js', [weather], 'sub-plain-node'),
    ]);
    workersWithout = await Promise.all([sc.plainPython('taskwork.py', work, 'worker-plain-1'), sc.plainNode('taskwork.js', work, 'worker-plain-2')]);
    watcher = new KernelPeerWatcher(sc.system.store);
  });
  after(() => sc.stop());

  /** The instrumented clients' edges: each must stay connected whatever the others do. */
  const instrumentedStates = (s: TopologySnapshot): string[] => {
    const index = new SnapshotIndex(s);
    const pids = new Set(withAgent.map((c) => c.process.pid!));
    return s.edges.filter((e) => pids.has(index.pidOf(e.from))).map((e) => `${index.edgeLabel(e)}${e.lastDisconnect ? ` lastDisconnect ${JSON.stringify(e.lastDisconnect)}` : ''}`);
  };

  test('the graph matches the kernel: 3 instrumented connections, and 3 + 2 + 2 from processes without an agent, counted on one edge per binder', async () => {
    const r = await sc.converge('peers without an agent', { allowUnknown: true });
    assert.equal(r.counts.unseen, 7, r.diff);
    assert.equal(r.counts.matched, 3, r.diff);
    const s = sc.snapshot();
    assert.equal(unseenInto(s, server.process.pid!)?.connections, 3);
    assert.equal(unseenInto(s, ventilator.process.pid!)?.connections, 2);
    assert.equal(unseenInto(s, sink.process.pid!)?.connections, 2);
    const unknown = s.nodes.filter((n) => n.unknown);
    assert.deepEqual(unknown.map((n) => n.name), ['peers without an agent', 'peers without an agent', 'peers without an agent'], 'no other placeholder');
    for (const line of instrumentedStates(s)) assert.match(line, /\[connected/, line);
  });

  /** Each binder's edge of peers without an agent, as the pids the kernel table names on it. */
  const namedPids = async () => {
    await watcher.poll();
    const s = sc.snapshot();
    return [server, ventilator, sink].map((b) => (unseenInto(s, b.process.pid!)?.kernelPeers ?? []).map((p) => p.pid ?? -1).sort((x, y) => x - y));
  };
  const pidsOf = (children: Child[]) => children.map((c) => c.process.pid!).sort((x, y) => x - y);

  test('the host\'s kernel table names them: on each binder exactly the processes started without an agent, none with one, with their command lines', async () => {
    const expected = [pidsOf(subsWithout), pidsOf(workersWithout), pidsOf(workersWithout)];
    await eventually(async () => {
      const named = await namedPids();
      return { ok: JSON.stringify(named) === JSON.stringify(expected), diff: `named ${JSON.stringify(named)}, started without an agent ${JSON.stringify(expected)}` };
    }, 5000, { label: 'the processes without an agent, named' });
    const subs = unseenInto(sc.snapshot(), server.process.pid!)!.kernelPeers!;
    for (const p of subs) assert.match(p.command ?? '', /wuclient\.(py|js)/, JSON.stringify(p));
    assert.ok(subs.every((p) => /^127\.0\.0\.1:\d+$/.test(p.address)), JSON.stringify(subs));
  });

  test('kill -9 of one SUB and one worker without an agent: the counts drop, the instrumented clients\' edges stay up; then the rest: their edges go disconnected', async () => {
    const killedAt = Date.now();
    subsWithout[0].process.kill('SIGKILL');
    workersWithout[0].process.kill('SIGKILL');
    const r = await sc.converge('some peers without an agent killed', { allowUnknown: true });
    assert.equal(r.counts.unseen, 4, r.diff);
    const s = sc.snapshot();
    assert.equal(unseenInto(s, server.process.pid!)?.connections, 2);
    assert.equal(unseenInto(s, ventilator.process.pid!)?.connections, 1);
    for (const line of instrumentedStates(s)) {
      assert.match(line, /\[connected/, line);
      assert.doesNotMatch(line, /lastDisconnect/, `a peer without an agent leaving took an instrumented edge down: ${line}`);
    }
    console.log(`[truth] ac: kill -9 of 2 peers without an agent → counts 3/2/2 → 2/1/1 within ${Date.now() - killedAt} ms (kernel agreed)`);
    // The table names only those left.
    const left = [pidsOf(subsWithout.slice(1)), pidsOf(workersWithout.slice(1)), pidsOf(workersWithout.slice(1))];
    await eventually(async () => {
      const named = await namedPids();
      return { ok: JSON.stringify(named) === JSON.stringify(left), diff: `named ${JSON.stringify(named)}, left ${JSON.stringify(left)}` };
    }, 5000, { label: 'the killed ones no longer named' });

    for (const c of [...subsWithout.slice(1), ...workersWithout.slice(1)]) c.process.kill('SIGKILL');
    await eventually(() => {
      const now = sc.snapshot();
      const edges = [server, ventilator, sink].map((b) => unseenInto(now, b.process.pid!));
      const ok = edges.every((e) => e?.state === 'disconnected' && e.connections === 0 && e.lastDisconnect !== null);
      return { ok, diff: edges.map((e) => `${e?.id}: ${e?.state}, ${e?.connections}`).join('; ') };
    }, 5000, { label: 'every peer without an agent gone' });
    const end = await sc.converge('only instrumented clients left', { allowUnknown: true });
    assert.equal(end.counts.unseen, 0, end.diff);
    assert.equal(end.counts.matched, 3, end.diff);
  });
});

describe('(ad) Hello World over ipc: a pyzmq REP with an instrumented REQ and two without an agent, one of which finishes', () => {
  let sc: Scenario;
  let server: Child;
  let endless: Child;
  let finishing: Child;
  const file = path.join(os.tmpdir(), `zmq-truth-${process.pid}-${Math.random().toString(36).slice(2)}.ipc`);
  before(async () => {
    sc = await Scenario.start('ad', THRESHOLDS);
    server = await sc.python('hwserver.py', [`ipc://${file}`, '0.05'], 'hwserver');
    [, endless, finishing] = await Promise.all([
      sc.node('req-client.js', [`ipc://${file}`], 'req-with-agent'),
      sc.plainPython('req_client.py', [`ipc://${file}`], 'req-plain-endless'),
      sc.plainPython('req_client.py', [`ipc://${file}`, '20'], 'req-plain-done'), // ~7 s of requests
    ]);
  });
  after(async () => {
    await sc.stop();
    fs.rmSync(file, { force: true });
  });

  test('the graph matches the kernel: the REP\'s peers without an agent go from 2 to 1 when the finished client exits', async () => {
    const exited = new Promise((resolve) => finishing.process.once('exit', resolve));
    const both = await sc.converge('REP over ipc, two clients without an agent', { allowUnknown: true });
    assert.equal(both.counts.unseen, 2, both.diff);
    await exited;
    const r = await sc.converge('REP over ipc, one client without an agent finished', { allowUnknown: true });
    assert.equal(r.counts.unseen, 1, r.diff);
    assert.equal(r.counts.matched, 1, r.diff);
    const edge = unseenInto(sc.snapshot(), server.process.pid!);
    assert.equal(edge?.connections, 1);
    assert.ok(edge.endpoint.startsWith('ipc://'), edge.endpoint);
  });

  test('the host\'s unix socket table names the one left: the endless client\'s pid and command, not the instrumented REQ', async () => {
    const watcher = new KernelPeerWatcher(sc.system.store);
    await eventually(async () => {
      await watcher.poll();
      const named = (unseenInto(sc.snapshot(), server.process.pid!)?.kernelPeers ?? []).map((p) => p.pid ?? -1);
      return { ok: JSON.stringify(named) === JSON.stringify([endless.process.pid]), diff: `named ${JSON.stringify(named)}, the client without an agent still running ${endless.process.pid}` };
    }, 5000, { label: 'the ipc client without an agent, named' });
    const [peer] = unseenInto(sc.snapshot(), server.process.pid!)!.kernelPeers!;
    assert.match(peer.command ?? '', /req_client\.py/, JSON.stringify(peer));
    assert.match(peer.address, /^socket:\[\d+\]$/, JSON.stringify(peer));
    watcher.dispose();
  });
});
