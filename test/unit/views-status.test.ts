/**
 * Status bar text, tooltip and severity, and the context keys, from real store snapshots.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TopologyStore } from '../../src/model/store';
import { statusSummary } from '../../src/views/statusBar';
import { contextKeyValues } from '../../src/views/contextKeys';
import { treeViewDescription } from '../../src/views/topologyTree';
import { renderTable } from '../../src/cli/table';
import { processCountText, processCounts } from '../../src/shared/format';
import { FakeAgent, agentKeyOf, routerWithDealers, viaWire } from '../fixtures/collector/telemetry';

const T0 = 1_700_000_000_000;

function newStore(): { store: TopologyStore; clock: { now: number } } {
  const clock = { now: T0 };
  return { store: new TopologyStore({ now: () => clock.now, warnAfterMs: 2500, deadAfterMs: 6000 }), clock };
}

test('all healthy: "$(pulse) ZMQ 4 processes", no warning background', () => {
  const { store } = newStore();
  routerWithDealers(store, T0, ['w1', 'w2', 'w3']);
  const s = statusSummary(store.snapshot(), 'running', 'tcp://127.0.0.1:5599');
  assert.equal(s.text, '$(pulse) ZMQ 4 processes');
  assert.equal(s.severity, 'ok');
  assert.match(s.tooltip, /collector on tcp:\/\/127\.0\.0\.1:5599/);
  assert.match(s.tooltip, /3 connections: 3 connected, 0 connecting, 0 quiet, 0 late, 0 dead\/retrying\/disconnected/);
});

test('a late edge, then a dead one and an exited process: counts and warning severity', () => {
  const { store, clock } = newStore();
  const { router, dealers } = routerWithDealers(store, T0, ['w1', 'w2', 'w3']);
  // w1 and w2 keep beating; w3 goes quiet.
  const beat = (at: number, ids: string[]) => {
    for (const id of ids) {
      const d = dealers.get(id)!;
      store.apply(agentKeyOf(d), viaWire(d.heartbeats(at, 7)), at);
      store.apply(agentKeyOf(d), viaWire(d.beat(at)), at);
      store.apply(agentKeyOf(router), viaWire(router.heartbeats(at, 1, { peer: id })), at);
    }
    store.apply(agentKeyOf(router), viaWire(router.beat(at)), at);
  };
  clock.now = T0 + 3000;
  beat(clock.now, ['w1', 'w2']);
  let s = statusSummary(store.snapshot(), 'running', 'tcp://127.0.0.1:5599');
  assert.equal(s.text, '$(pulse) ZMQ 4 processes · 1 late');
  assert.equal(s.severity, 'ok');

  clock.now = T0 + 7000;
  beat(clock.now, ['w1', 'w2']);
  s = statusSummary(store.snapshot(), 'running', 'tcp://127.0.0.1:5599');
  assert.match(s.text, / · 1 down$/);
  assert.equal(s.severity, 'warning');

  store.agentGone(agentKeyOf(dealers.get('w2')!), 'telemetry connection lost', clock.now);
  s = statusSummary(store.snapshot(), 'running', 'tcp://127.0.0.1:5599');
  assert.equal(s.counts.exited, 1);
  assert.equal(s.counts.down, 2);
  assert.match(s.text, /^\$\(pulse\) ZMQ 3 processes · (1|2) late · 2 down$/);
  assert.match(s.tooltip, /3 processes running.*, 1 exited/);
});

test('unknown peers are not counted as processes', () => {
  const { store } = newStore();
  const router = new FakeAgent({ pid: 100 });
  const rk = agentKeyOf(router);
  for (const m of [router.hello(T0), router.socket(T0, 1, 'ROUTER'), router.bind(T0, 1, 'tcp://127.0.0.1:6000')]) store.apply(rk, viaWire(m), T0);
  store.apply(rk, viaWire(router.heartbeats(T0, 1, { peer: 'ghost' })), T0);
  const s = statusSummary(store.snapshot(), 'running', 'tcp://127.0.0.1:1');
  assert.equal(s.text, '$(pulse) ZMQ 1 process');
  assert.match(s.tooltip, /1 socket, 1 unknown peer/);
});

test('collector phases: stopped, starting and failed say so; failed is an error', () => {
  const empty = new TopologyStore().snapshot();
  assert.equal(statusSummary(empty, 'stopped').text, '$(debug-disconnect) ZMQ collector stopped');
  assert.equal(statusSummary(undefined, 'starting').text, '$(debug-disconnect) ZMQ starting…');
  const failed = statusSummary(undefined, 'failed', undefined, 'Could not load the zeromq native module');
  assert.equal(failed.severity, 'error');
  assert.match(failed.tooltip, /Could not load the zeromq native module/);
  assert.equal(statusSummary(empty, 'running', 'tcp://127.0.0.1:5599').text, '$(pulse) ZMQ 0 processes');
});

test('context keys follow the collector, the topology and the pause switch', () => {
  const { store, clock } = newStore();
  assert.deepEqual(contextKeyValues(store.snapshot(), 'stopped', false), {
    'zmqTopology.collectorRunning': false, 'zmqTopology.collectorState': 'stopped', 'zmqTopology.hasNodes': false,
    'zmqTopology.hasSockets': false, 'zmqTopology.hasExited': false, 'zmqTopology.paused': false,
  });
  const { dealers } = routerWithDealers(store, T0, ['w1']);
  let keys = contextKeyValues(store.snapshot(), 'running', true);
  assert.equal(keys['zmqTopology.collectorRunning'], true);
  assert.equal(keys['zmqTopology.hasNodes'], true);
  assert.equal(keys['zmqTopology.hasSockets'], true);
  assert.equal(keys['zmqTopology.hasExited'], false);
  assert.equal(keys['zmqTopology.paused'], true);
  store.agentGone(agentKeyOf(dealers.get('w1')!), 'gone', clock.now);
  keys = contextKeyValues(store.snapshot(), 'running', false);
  assert.equal(keys['zmqTopology.hasExited'], true);
  store.clearExited();
  assert.equal(contextKeyValues(store.snapshot(), 'running', false)['zmqTopology.hasExited'], false);
});

test('refused agents and discarded telemetry are counted in the text and explained in the tooltip', () => {
  const { store } = newStore();
  routerWithDealers(store, T0, ['w1']);
  store.setCollectorStatus({
    endpoint: 'tcp://0.0.0.0:5599', listening: true, malformed: {}, agents: 2, curve: true, refused: 3,
    lastRefused: { at: T0, address: '10.0.0.7', reason: 'client key not allowed' }, discarded: { 'before-hello': 2, 'cap:edges': 1 },
  });
  const s = statusSummary(store.snapshot(), 'running', 'tcp://0.0.0.0:5599');
  assert.equal(s.text, '$(pulse) ZMQ 2 processes · 3 refused');
  assert.equal(s.severity, 'warning');
  assert.equal(s.counts.discarded, 3);
  assert.match(s.tooltip, /3 agent connections refused by CURVE authentication \(latest from 10\.0\.0\.7: client key not allowed\)/);
  assert.match(s.tooltip, /3 telemetry records discarded by the collector \(before-hello 2, cap:edges 1\)/);
});

test('telemetry arriving late is said in the text and the tooltip (its connections are shown as of then); on time, nothing is', () => {
  const { store, clock } = newStore();
  const { dealers } = routerWithDealers(store, T0, ['w1', 'w2']);
  const w1 = dealers.get('w1')!;
  clock.now = T0 + 2400;
  store.apply(agentKeyOf(w1), viaWire(w1.beat(T0 + 100)), clock.now);
  const behind = statusSummary(store.snapshot(), 'running', 'tcp://127.0.0.1:5599');
  assert.equal(behind.text, '$(pulse) ZMQ 3 processes · 2.3s behind');
  assert.equal(behind.severity, 'ok', 'late telemetry is no fault of the system watched');
  assert.match(behind.tooltip, /Telemetry arrives up to 2\.3s late \(the collector or an agent is behind\): connections are shown as of then/);
  store.apply(agentKeyOf(w1), viaWire(w1.beat(clock.now - 900)), clock.now);
  const onTime = statusSummary(store.snapshot(), 'running', 'tcp://127.0.0.1:5599');
  assert.equal(onTime.text, '$(pulse) ZMQ 3 processes', 'under a second is delivery\'s jitter');
  assert.doesNotMatch(onTime.tooltip, /late \(the collector/);
});

test('one process count: the status bar, the tree header and the CLI table count the same processes and say what they count', () => {
  const { store, clock } = newStore();
  const { router, dealers } = routerWithDealers(store, T0, ['w1', 'w2', 'w3']);
  store.apply(agentKeyOf(router), viaWire(router.heartbeats(T0, 1, { peer: 'ghost' })), T0);
  clock.now = T0 + 500;
  store.agentGone(agentKeyOf(dealers.get('w3')!), 'telemetry connection lost', clock.now);
  const snapshot = store.snapshot();
  assert.deepEqual(processCounts(snapshot.nodes), { running: 3, exited: 1 }, 'the unknown peer is no process of ours');
  const said = processCountText(processCounts(snapshot.nodes));
  assert.equal(said, '3 processes running, 1 exited');

  const status = statusSummary(snapshot, 'running', 'tcp://127.0.0.1:5599');
  assert.match(status.text, /^\$\(pulse\) ZMQ 3 processes\b/);
  assert.ok(status.tooltip.split('\n').includes(said), `the status tooltip says what it counts:\n${status.tooltip}`);
  assert.equal(treeViewDescription(snapshot), said);
  const table = renderTable(snapshot, { width: 200, color: false });
  assert.ok(table.split('\n')[0]!.includes(` · ${said} · `), `the table's header: ${table.split('\n')[0]}`);
  assert.match(table.split('\n')[0]!, / · 1 unknown peer · /);
  const processRows = table.split('\n').slice(3).filter((line) => /^\S+\s+\d+\s+node /.test(line));
  assert.equal(processRows.length, 4, `the table lists the 4 processes, not the unknown peer:\n${table}`);
});
