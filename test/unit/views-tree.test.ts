/**
 * The sidebar tree built from real TopologyStore snapshots (synthetic telemetry): grouping, ages in
 * descriptions, icons and colours by state, unknown peers, exited processes, escaped tooltips.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TopologyStore } from '../../src/model/store';
import type { TopologySnapshot } from '../../src/shared/snapshot';
import { buildTopologyTree, walkTree, worstState, STATE_COLORS, type TreeItemDescriptor } from '../../src/views/topologyTree';
import { escapeMarkdown } from '../../src/views/markdown';
import { DEALER_SOCKET, FakeAgent, ROUTER_SOCKET, agentKeyOf, routerWithDealers, viaWire } from '../fixtures/collector/telemetry';

const T0 = 1_700_000_000_000;

function newStore(): { store: TopologyStore; clock: { now: number } } {
  const clock = { now: T0 };
  return { store: new TopologyStore({ now: () => clock.now, warnAfterMs: 2500, deadAfterMs: 6000 }), clock };
}

function find(items: TreeItemDescriptor[], pred: (d: TreeItemDescriptor) => boolean): TreeItemDescriptor {
  for (const d of walkTree(items)) if (pred(d)) return d;
  assert.fail(`no tree item matched in ${JSON.stringify([...walkTree(items)].map((d) => d.id))}`);
}

function ids(items: TreeItemDescriptor[]): string[] {
  return [...walkTree(items)].map((d) => d.id);
}

describe('tree from a broker with three workers', () => {
  test('groups process → socket → connection, with both ends of every connection listed', () => {
    const { store } = newStore();
    const { router, dealers } = routerWithDealers(store, T0, ['worker-1', 'worker-2', 'worker-3']);
    const tree = buildTopologyTree(store.snapshot());

    assert.deepEqual(tree.map((d) => d.label).sort(), ['broker (pid 100)', 'worker-1 (pid 200)', 'worker-2 (pid 201)', 'worker-3 (pid 202)']);
    assert.ok(tree.every((d) => d.kind === 'node'));
    const broker = tree.find((d) => d.graphId === router.nodeId)!;
    assert.equal(broker.children.length, 1, 'one socket in the broker');
    const routerSocket = broker.children[0];
    assert.equal(routerSocket.kind, 'socket');
    assert.equal(routerSocket.socketId, router.socketId(ROUTER_SOCKET));
    assert.equal(routerSocket.label, 'ROUTER');
    assert.equal(routerSocket.children.length, 3, 'three connections on the ROUTER');
    for (const child of routerSocket.children) {
      assert.equal(child.kind, 'edge');
      assert.match(child.label, /^← worker-\d \(pid 20\d\) DEALER worker-\d$/);
      assert.equal(child.endpoint, 'tcp://0.0.0.0:5555');
      assert.match(child.contextValue, /\brouting[Ii]d\b/);
    }
    const worker = tree.find((d) => d.graphId === dealers.get('worker-2')!.nodeId)!;
    const dealerSocket = worker.children[0];
    assert.equal(dealerSocket.label, 'DEALER worker-2');
    assert.equal(dealerSocket.routingId, 'worker-2');
    assert.equal(dealerSocket.children.length, 1);
    assert.match(dealerSocket.children[0].label, /^→ broker \(pid 100\) ROUTER$/);
    // Ids are unique (VS Code requires it) and stable across rebuilds.
    const all = ids(tree);
    assert.equal(new Set(all).size, all.length);
    assert.deepEqual(ids(buildTopologyTree(store.snapshot())), all);
  });

  test('descriptions show the heartbeat age, and icons follow the state as the clock moves', () => {
    const { store, clock } = newStore();
    const { dealers } = routerWithDealers(store, T0, ['w1']);
    const dealer = dealers.get('w1')!;
    const edgeOf = (s: TopologySnapshot) => find(buildTopologyTree(s), (d) => d.kind === 'edge' && d.socketId !== dealer.socketId(DEALER_SOCKET));

    let edge = edgeOf(store.snapshot());
    assert.match(edge.description ?? '', /^♥ 0\.0s · connected/);
    assert.deepEqual(edge.icon, { id: 'pass', color: STATE_COLORS.connected });

    clock.now = T0 + 4000;
    edge = edgeOf(store.snapshot());
    assert.match(edge.description ?? '', /^♥ 4\.0s · late/);
    assert.deepEqual(edge.icon, { id: 'watch', color: 'charts.yellow' });

    clock.now = T0 + 20_000;
    edge = edgeOf(store.snapshot());
    assert.match(edge.description ?? '', /^♥ 20s · dead/);
    assert.deepEqual(edge.icon, { id: 'error', color: 'charts.red' });
    const socket = find(buildTopologyTree(store.snapshot()), (d) => d.socketId === dealer.socketId(DEALER_SOCKET) && d.kind === 'socket');
    assert.equal(socket.icon.id, 'error', 'a socket shows its worst connection');
    assert.equal(socket.expanded, true, 'a socket with a problem is expanded');
  });

  test('without heartbeats the age is the traffic age, labelled as such', () => {
    const { store } = newStore();
    const router = new FakeAgent({ pid: 100, node: 'broker' });
    const dealer = new FakeAgent({ pid: 300, node: 'client' });
    const rk = agentKeyOf(router);
    const dk = agentKeyOf(dealer);
    for (const m of [router.hello(T0), router.socket(T0, 1, 'ROUTER'), router.bind(T0, 1, 'tcp://127.0.0.1:6000')]) store.apply(rk, viaWire(m), T0);
    for (const m of [dealer.hello(T0), dealer.socket(T0, 1, 'DEALER', 'c1'), dealer.connect(T0, 1, 'tcp://127.0.0.1:6000'),
      dealer.event(T0, 1, 'connect', 'tcp://127.0.0.1:6000'), dealer.event(T0, 1, 'handshake', 'tcp://127.0.0.1:6000'),
      dealer.heartbeats(T0, 1, { heartbeat: false })]) store.apply(dk, viaWire(m), T0);
    const edge = find(buildTopologyTree(store.snapshot()), (d) => d.kind === 'edge');
    assert.match(edge.description ?? '', /^traffic 0\.0s · /);
  });
});

describe('tree edge cases', () => {
  test('an unknown peer is grouped under "Unknown peers" and named by its routing id', () => {
    const { store } = newStore();
    const router = new FakeAgent({ pid: 100 });
    const rk = agentKeyOf(router);
    for (const m of [router.hello(T0), router.socket(T0, 1, 'ROUTER'), router.bind(T0, 1, 'tcp://127.0.0.1:6000')]) store.apply(rk, viaWire(m), T0);
    store.apply(rk, viaWire(router.heartbeats(T0, 1, { peer: 'ghost', count: 2 })), T0);
    const tree = buildTopologyTree(store.snapshot());
    assert.equal(tree.length, 2, 'the router process and the unknown-peers group');
    const group = tree.find((d) => d.kind === 'orphans')!;
    assert.equal(group.label, 'Unknown peers');
    assert.equal(group.children.length, 1);
    assert.equal(group.children[0].label, 'unknown peer ghost');
    assert.doesNotMatch(group.children[0].contextValue, /\bsource\b/, 'nothing to open for a peer we know nothing of');
    const edge = find(tree, (d) => d.kind === 'edge' && d.id.includes(router.socketId(1)));
    assert.equal(edge.label, '← unknown peer ghost');
  });

  test('an exited process sorts last, is marked and greyed, and its connections show the disconnect', () => {
    const { store, clock } = newStore();
    const { dealers } = routerWithDealers(store, T0, ['w1', 'w2']);
    const w1 = dealers.get('w1')!;
    clock.now = T0 + 500;
    store.agentGone(agentKeyOf(w1), 'telemetry connection lost', clock.now);
    clock.now = T0 + 1500;
    const tree = buildTopologyTree(store.snapshot());
    const last = tree[tree.length - 1];
    assert.equal(last.graphId, w1.nodeId);
    assert.match(last.description ?? '', /^exited 1\.0s ago/);
    assert.deepEqual(last.icon, { id: 'circle-slash', color: 'disabledForeground' });
    assert.match(last.contextValue, /\bexited\b/);
    assert.equal(last.expanded, false);
    const edge = find(last.children, (d) => d.kind === 'edge');
    assert.match(edge.description ?? '', /disconnected/);
    assert.equal(edge.icon.id, 'debug-disconnect');

    store.clearExited();
    assert.ok(!ids(buildTopologyTree(store.snapshot())).some((id) => id.includes(w1.nodeId)), 'cleared exited processes are gone from the tree');
  });

  test('an endpoint with no connection yet is still listed under its socket', () => {
    const { store } = newStore();
    const lonely = new FakeAgent({ pid: 42, node: 'lonely' });
    const key = agentKeyOf(lonely);
    for (const m of [lonely.hello(T0), lonely.socket(T0, 1, 'PUB'), lonely.bind(T0, 1, 'tcp://*:7000', 'tcp://0.0.0.0:7000')]) store.apply(key, viaWire(m), T0);
    const socket = find(buildTopologyTree(store.snapshot()), (d) => d.kind === 'socket');
    assert.equal(socket.children.length, 1);
    assert.equal(socket.children[0].kind, 'endpoint');
    assert.equal(socket.children[0].label, 'bound tcp://0.0.0.0:7000');
    assert.equal(socket.endpoint, 'tcp://0.0.0.0:7000');
  });

  test('an empty snapshot gives no items (so the welcome view shows)', () => {
    const { store } = newStore();
    assert.deepEqual(buildTopologyTree(store.snapshot()), []);
  });

  test('hostile names and routing ids cannot inject markdown, links or HTML into tooltips', () => {
    const { store } = newStore();
    const evilName = 'x](command:workbench.action.terminal.new) <img src=x onerror=alert(1)> **b** http://evil.test';
    const router = new FakeAgent({ pid: 100, node: evilName });
    const rk = agentKeyOf(router);
    for (const m of [router.hello(T0), router.socket(T0, 1, 'ROUTER'), router.bind(T0, 1, 'tcp://127.0.0.1:6000')]) store.apply(rk, m, T0);
    const dealer = new FakeAgent({ pid: 300 });
    const dk = agentKeyOf(dealer);
    const id = '[a](javascript:alert(1))\n"\\';
    for (const m of [dealer.hello(T0), dealer.socket(T0, 1, 'DEALER', id), dealer.connect(T0, 1, 'tcp://127.0.0.1:6000')]) store.apply(dk, m, T0);
    const tree = buildTopologyTree(store.snapshot());
    for (const d of walkTree(tree)) {
      assert.doesNotMatch(d.tooltip, /(?<!\\)<img/, `${d.id}: raw HTML`);
      assert.doesNotMatch(d.tooltip, /(?<!\\)\]\((?:command|javascript):/, `${d.id}: a live link`);
      assert.doesNotMatch(d.tooltip, /(?<!\\)\*\*b(?<!\\)\*\*/, `${d.id}: outside text became bold`);
      assert.doesNotMatch(d.tooltip, /http:\/\//, `${d.id}: a bare URL would be autolinked`);
    }
    const node = tree.find((d) => d.graphId === router.nodeId)!;
    assert.ok(node.tooltip.includes(escapeMarkdown('x](command:workbench.action.terminal.new) <img')), 'the name is shown, escaped, not dropped');
  });
});

describe('pure helpers', () => {
  test('worstState ranks dead above retrying above late, and undefined for none', () => {
    assert.equal(worstState(['connected', 'late', 'dead', 'retrying']), 'dead');
    assert.equal(worstState(['connected', 'late']), 'late');
    assert.equal(worstState(['connected', 'disconnected']), 'disconnected');
    assert.equal(worstState([]), undefined);
  });

  test('escapeMarkdown escapes every markdown special and shows control characters', () => {
    assert.equal(escapeMarkdown('a*b_c[d](e)<f>`g`'), 'a\\*b\\_c\\[d\\]\\(e\\)\\<f\\>\\`g\\`');
    assert.equal(escapeMarkdown('line\nbreak'), 'line\ufffdbreak');
  });
});

describe('telemetry issues in the tree', () => {
  test('telemetry missed while no collector listened is a count in the tooltip, not a warning; dropped while one listened is', () => {
    const { store } = newStore();
    const quiet = new FakeAgent({ pid: 500, node: 'started-first' });
    const lossy = new FakeAgent({ pid: 501, node: 'overloaded' });
    store.apply(agentKeyOf(quiet), viaWire(quiet.hello(T0)), T0);
    store.apply(agentKeyOf(quiet), viaWire(quiet.msg({ t: 'beat', dropped: 0, missed: 7, queued: 0 }, T0)), T0);
    store.apply(agentKeyOf(lossy), viaWire(lossy.hello(T0)), T0);
    store.apply(agentKeyOf(lossy), viaWire(lossy.msg({ t: 'beat', dropped: 3, missed: 0, queued: 0 }, T0)), T0);
    const tree = buildTopologyTree(store.snapshot());
    const first = find(tree, (d) => d.kind === 'node' && d.label.includes('started-first'));
    assert.doesNotMatch(first.description ?? '', /telemetry issue/);
    assert.match(first.tooltip, /7 timeline entries/);
    const overloaded = find(tree, (d) => d.kind === 'node' && d.label.includes('overloaded'));
    assert.match(overloaded.description ?? '', /⚠ telemetry issue/);
  });
});
