/**
 * The sidebar tree built from real TopologyStore snapshots (synthetic telemetry): grouping, ages in
 * descriptions, icons and colours by state, unknown peers, exited processes, escaped tooltips.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TopologyStore } from '../../src/model/store';
import type { TopologySnapshot } from '../../src/shared/snapshot';
import { buildTopologyTree, shortEndpoint, treeViewDescription, walkTree, worstState, STATE_COLORS, type TreeItemDescriptor } from '../../src/views/topologyTree';
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
      assert.match(child.label, /^← worker-\d$/);
      assert.match(child.description ?? '', /^connected · ♥ 0\.0s · DEALER worker-\d \(pid 20\d\)$/);
      assert.equal(child.endpoint, 'tcp://0.0.0.0:5555');
      assert.match(child.contextValue, /\brouting[Ii]d\b/);
    }
    const worker = tree.find((d) => d.graphId === dealers.get('worker-2')!.nodeId)!;
    const dealerSocket = worker.children[0];
    assert.equal(dealerSocket.label, 'DEALER worker-2');
    assert.equal(dealerSocket.routingId, 'worker-2');
    assert.equal(dealerSocket.children.length, 1);
    assert.equal(dealerSocket.children[0].label, '→ broker');
    assert.equal(dealerSocket.children[0].description, 'connected · ♥ 0.0s · ROUTER (pid 100)');
    assert.equal(dealerSocket.description, 'connected · ♥ 0.0s · → localhost:5555');
    assert.equal(routerSocket.description, '*:5555 · 3 connections · ♥ 0.0s', 'a bound socket starts with its endpoint');
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
    assert.match(edge.description ?? '', /^connected · ♥ 0\.0s/);
    assert.deepEqual(edge.icon, { id: 'pass', color: STATE_COLORS.connected });

    clock.now = T0 + 4000;
    edge = edgeOf(store.snapshot());
    assert.match(edge.description ?? '', /^late · ♥ 4\.0s/);
    assert.deepEqual(edge.icon, { id: 'watch', color: 'charts.yellow' });

    clock.now = T0 + 20_000;
    edge = edgeOf(store.snapshot());
    assert.match(edge.description ?? '', /^dead · ♥ 20s/);
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
    assert.match(edge.description ?? '', /^\w+ · traffic 0\.0s/);
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

  test('peers without an agent on a PUB: one row under the PUB saying how many, and one under "Unknown peers" saying what they are', () => {
    const { store, clock } = newStore();
    const pub = new FakeAgent({ pid: 100 });
    const pk = agentKeyOf(pub);
    for (const m of [pub.hello(T0), pub.socket(T0, 1, 'PUB'), pub.bind(T0, 1, 'tcp://*:6000', 'tcp://0.0.0.0:6000'),
      pub.accepted(T0, 1, 'accept', 'tcp://127.0.0.1:6000', 1), pub.accepted(T0, 1, 'accept', 'tcp://127.0.0.1:6000', 2)]) store.apply(pk, viaWire(m), T0);
    for (clock.now = T0; clock.now <= T0 + 3500; clock.now += 250) store.apply(pk, viaWire(pub.beat(clock.now)), clock.now);
    const tree = buildTopologyTree(store.snapshot());
    const edge = find(tree, (d) => d.kind === 'edge' && d.id.includes(pub.socketId(1)));
    assert.equal(edge.label, '← 2 connections without an agent');
    assert.match(edge.tooltip ?? '', /no instrumented process accounts for/);
    const group = tree.find((d) => d.kind === 'orphans')!;
    assert.equal(group.children[0].label, 'peers without an agent');
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

  test('a socket passed to a proxy says why it shows no traffic (the agent reports it proxied; it was not, before)', () => {
    const { store } = newStore();
    const server = new FakeAgent({ pid: 43, node: 'async-server' });
    const key = agentKeyOf(server);
    const router = server.socket(T0, 1, 'ROUTER');
    for (const m of [server.hello(T0), router, server.bind(T0, 1, 'tcp://*:5570', 'tcp://0.0.0.0:5570')]) store.apply(key, viaWire(m), T0);
    const tooltip = () => find(buildTopologyTree(store.snapshot()), (d) => d.kind === 'socket').tooltip;
    assert.doesNotMatch(tooltip(), /proxy/);
    store.apply(key, viaWire({ ...router, seq: 99, proxied: true } as typeof router), T0);
    assert.equal(store.snapshot().sockets[0].proxied, true);
    assert.match(tooltip(), /Traffic.*forwarded by a proxy in native code/);
  });

  test('a bind that failed shows on its socket and process, with the error, the count and who holds the port', () => {
    const { store } = newStore();
    const first = new FakeAgent({ pid: 42, node: 'server' });
    for (const m of [first.hello(T0), first.socket(T0, 1, 'ROUTER'), first.bind(T0, 1, 'tcp://*:5555', 'tcp://0.0.0.0:5555')]) store.apply(agentKeyOf(first), viaWire(m), T0);
    const second = new FakeAgent({ pid: 43, node: 'server' });
    const key = agentKeyOf(second);
    for (const m of [second.hello(T0), second.socket(T0, 1, 'ROUTER'), second.failed(T0, 1, 'bind', 'tcp://*:5555', 'Address already in use'),
      second.failed(T0 + 1, 1, 'bind', 'tcp://*:5555', 'Address already in use')]) store.apply(key, viaWire(m), T0);
    const tree = buildTopologyTree(store.snapshot());
    const socket = find(tree, (d) => d.kind === 'socket' && d.socketId === second.socketId(1));
    assert.deepEqual(socket.icon, { id: 'error', color: 'errorForeground' });
    assert.match(socket.description ?? '', /^bind failed/);
    assert.ok(socket.tooltip.includes(escapeMarkdown('✖ bind tcp://*:5555 failed: Address already in use (2 times)')), socket.tooltip);
    assert.equal(socket.expanded, true);
    const failure = socket.children[0];
    assert.equal(failure.label, 'bind tcp://*:5555 failed');
    assert.equal(failure.description, 'Address already in use · 2 times · bound by ROUTER in server (pid 42)');
    assert.deepEqual(failure.icon, { id: 'error', color: 'errorForeground' });
    assert.equal(failure.endpoint, 'tcp://*:5555', 'Copy Endpoint works on it');
    assert.match(find(tree, (d) => d.graphId === second.nodeId).description ?? '', /✖ bind\/connect failed/);
    assert.doesNotMatch(find(tree, (d) => d.graphId === first.nodeId).description ?? '', /failed/, 'the holder is fine');

    store.apply(key, viaWire(second.bind(T0 + 2, 1, 'tcp://*:5555', 'tcp://0.0.0.0:5555')), T0 + 2);
    const after = find(buildTopologyTree(store.snapshot()), (d) => d.kind === 'socket' && d.socketId === second.socketId(1));
    assert.notEqual(after.icon.id, 'error', 'a bind that later worked is no failure');
    assert.ok(!after.children.some((c) => c.id.startsWith('failed:')));
  });

  test('a PUSH connected to a PUB by mistake: its row leads with the refusal, its tooltip says why and what a PUSH talks to', () => {
    const { store } = newStore();
    const publisher = new FakeAgent({ pid: 42, node: 'publisher' });
    for (const m of [publisher.hello(T0), publisher.socket(T0, 1, 'PUB'), publisher.bind(T0, 1, 'tcp://*:5560', 'tcp://0.0.0.0:5560')]) store.apply(agentKeyOf(publisher), viaWire(m), T0);
    const pusher = new FakeAgent({ pid: 43, node: 'pusher' });
    for (const m of [pusher.hello(T0), pusher.socket(T0, 1, 'PUSH'), pusher.connect(T0, 1, 'tcp://localhost:5560')]) store.apply(agentKeyOf(pusher), viaWire(m), T0);
    const row = find(buildTopologyTree(store.snapshot()), (d) => d.kind === 'edge' && d.id.startsWith(`edge:${pusher.socketId(1)}:`));
    assert.match(row.description ?? '', /^⚠ refused: PUSH ↛ PUB · /);
    assert.ok(row.tooltip.includes(escapeMarkdown('A PUSH talks to PULL.')), row.tooltip);
  });

  test('a routing id the ROUTER only sent to: the made-up peer\'s row leads with "never heard from", its tooltip says the sends were likely dropped', () => {
    const { store } = newStore();
    const router = new FakeAgent({ pid: 42, node: 'server' });
    const key = agentKeyOf(router);
    for (const m of [router.hello(T0), router.socket(T0, 1, 'ROUTER'), router.bind(T0, 1, 'tcp://*:5555', 'tcp://0.0.0.0:5555'),
      router.heartbeats(T0, 1, { peer: 'request', inbound: false, count: 4, heartbeat: false })]) store.apply(key, viaWire(m), T0);
    const row = find(buildTopologyTree(store.snapshot()), (d) => d.kind === 'edge' && d.id.startsWith(`edge:${router.socketId(1)}:`));
    assert.match(row.description ?? '', /^⚠ never heard from · /);
    assert.match(row.tooltip, /drops messages to a routing id it has no connection for/);
  });

  test('a SUB subscribed to nothing: its row leads with the warning, its tooltip says why it receives nothing', () => {
    const { store } = newStore();
    const app = new FakeAgent({ pid: 44, node: 'listener' });
    const sub = app.socket(T0, 1, 'SUB');
    for (const m of [app.hello(T0), { ...sub, options: { ...(sub as { options: object }).options, subscriptions: 0 } } as typeof sub, app.connect(T0, 1, 'tcp://localhost:5556')]) store.apply(agentKeyOf(app), viaWire(m), T0);
    const row = find(buildTopologyTree(store.snapshot()), (d) => d.kind === 'socket' && d.socketId === app.socketId(1));
    assert.match(row.description ?? '', /^⚠ no subscription/);
    assert.deepEqual(row.icon, { id: 'warning', color: 'editorWarning.foreground' });
    assert.match(row.tooltip, /filters out every message/);
  });

  test('two workers with one routing id: the refused connection says so in its row and tooltip, naming the other (both said connected, before)', () => {
    const { store, clock } = newStore();
    const { router } = routerWithDealers(store, T0, ['worker']);
    clock.now = T0 + 500;
    const twin = new FakeAgent({ pid: 300, node: 'worker-copy' });
    const tk = agentKeyOf(twin);
    for (const m of [twin.hello(T0 + 500), twin.socket(T0 + 500, DEALER_SOCKET, 'DEALER', 'worker'), twin.connect(T0 + 500, DEALER_SOCKET, 'tcp://localhost:5555'),
      twin.event(T0 + 500, DEALER_SOCKET, 'connect', 'tcp://localhost:5555'), twin.event(T0 + 500, DEALER_SOCKET, 'handshake', 'tcp://localhost:5555')]) store.apply(tk, viaWire(m), T0 + 500);
    store.sweep(T0 + 600);
    const tree = buildTopologyTree(store.snapshot());
    const refused = find(tree, (d) => d.kind === 'edge' && d.id.startsWith(`edge:${twin.socketId(DEALER_SOCKET)}:`));
    assert.match(refused.description ?? '', /⚠ refused: routing id in use/);
    assert.match(refused.tooltip, /never reads this connection/);
    assert.match(refused.tooltip, /worker \\\(pid 200\\\)/, 'names the connection that holds the id');
    const served = find(tree, (d) => d.kind === 'edge' && d.id.startsWith(`edge:${router.socketId(ROUTER_SOCKET)}:`) && !d.id.endsWith(refused.graphId!));
    assert.match(served.description ?? '', /⚠ routing id shared/);
    assert.match(served.tooltip, /serves this one \\\(the first\\\)/);
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

  test('a process whose telemetry arrives late says by how much, in its row and its tooltip', () => {
    const { store } = newStore();
    const slow = new FakeAgent({ pid: 502, node: 'far-behind' });
    store.apply(agentKeyOf(slow), viaWire(slow.hello(T0)), T0);
    store.apply(agentKeyOf(slow), viaWire(slow.beat(T0 + 500)), T0 + 4000);
    const row = find(buildTopologyTree(store.snapshot()), (d) => d.kind === 'node' && d.label.includes('far-behind'));
    assert.match(row.description ?? '', /· 3\.5s behind/);
    assert.match(row.tooltip, /Telemetry arrives:\*\* 3\\\.5s late\\: its connections are shown as of then/);
  });
});

/**
 * The demo's shape, with the names a real system has: a broker with a ROUTER frontend (5555), a
 * ROUTER backend (5556) and a PUB (5557); a worker with a long name and one with an automatic id on
 * the backend; a client with traffic but no heartbeats on the frontend; a worker that exited; an
 * unknown peer; a worker gone quiet (late); a SUB whose connect never went through.
 */
function demoLikeSnapshot(): TopologySnapshot {
  const { store, clock } = newStore();
  const apply = (agent: FakeAgent, msgs: ReturnType<FakeAgent['hello']>[], at = clock.now) => {
    for (const m of msgs) store.apply(agentKeyOf(agent), viaWire(m), at);
  };
  const broker = new FakeAgent({ pid: 100, node: 'broker' });
  apply(broker, [broker.hello(T0), broker.socket(T0, 1, 'ROUTER'), broker.bind(T0, 1, 'tcp://*:5555', 'tcp://0.0.0.0:5555'),
    broker.socket(T0, 2, 'ROUTER'), broker.bind(T0, 2, 'tcp://*:5556', 'tcp://0.0.0.0:5556'),
    broker.socket(T0, 3, 'PUB'), broker.bind(T0, 3, 'tcp://127.0.0.1:5557')]);
  const dealer = (pid: number, name: string, port: number, routingId: string | undefined, heartbeat: boolean): FakeAgent => {
    const agent = new FakeAgent({ pid, node: name });
    const ep = `tcp://localhost:${port}`;
    apply(agent, [agent.hello(T0), agent.socket(T0, 1, 'DEALER', routingId), agent.connect(T0, 1, ep),
      agent.event(T0, 1, 'connect', ep), agent.event(T0, 1, 'handshake', ep), agent.heartbeats(T0, 1, { heartbeat })]);
    if (routingId) apply(broker, [broker.heartbeats(T0, port === 5556 ? 2 : 1, { peer: routingId, heartbeat })]);
    return agent;
  };
  const long = dealer(200, 'worker-with-a-name-much-longer-than-any-sidebar', 5556, 'worker-with-a-name-much-longer-than-any-sidebar', true);
  const quiet = dealer(201, 'worker-2', 5556, 'worker-2', true);
  dealer(300, 'client-1', 5555, 'client-1', false);
  const gone = dealer(202, 'worker-3', 5556, 'worker-3', true);
  const sub = new FakeAgent({ pid: 400, node: 'monitor' });
  apply(sub, [sub.hello(T0), sub.socket(T0, 1, 'SUB'), sub.connect(T0, 1, 'tcp://localhost:6999')]);
  apply(broker, [broker.heartbeats(T0, 2, { peer: 'ghost', count: 2 })]);
  // Time passes: the long-named worker keeps beating, worker-2 and the client go quiet, worker-3 exits.
  clock.now = T0 + 4000;
  for (const agent of [broker, sub, long]) apply(agent, [agent.beat(clock.now)]);
  apply(long, [long.heartbeats(clock.now, 1)]);
  apply(broker, [broker.heartbeats(clock.now, 2, { peer: 'worker-with-a-name-much-longer-than-any-sidebar' })]);
  store.agentGone(agentKeyOf(gone), 'telemetry connection lost', clock.now);
  void quiet;
  return store.snapshot();
}

const STATES = '(connecting|connected|quiet|late|dead|retrying|disconnected)';
/** What fits at the default sidebar width after the label, for a row three levels deep (measured in docs/E2E.md). */
const SEEN = 24;

describe('a narrow sidebar still shows what matters', () => {
  test('every row says its state, age or endpoint within its first characters, with a short label', () => {
    const tree = buildTopologyTree(demoLikeSnapshot());
    const rows = [...walkTree(tree)];
    const kinds = new Set(rows.map((d) => d.kind));
    assert.deepEqual([...kinds].sort(), ['edge', 'endpoint', 'node', 'orphans', 'socket'], 'every kind of row is checked');
    for (const d of rows) {
      const seen = Array.from(d.description ?? '').slice(0, SEEN).join('');
      const where = `${d.kind} "${d.label}" — "${d.description ?? ''}"`;
      if (d.kind === 'edge' || d.kind === 'socket') assert.ok(Array.from(d.label).length <= 26, `a short label: ${where}`);
      switch (d.kind) {
        case 'edge':
          // A gone edge leads with its state's glyph and why (its disconnect message, cut to 24), then its state; any other with its state and age.
          if (/^(disconnected|dead)$/.test(/\*\*\S+ (\w+)\*\*/.exec(d.tooltip)?.[1] ?? '') && /Last disconnect/.test(d.tooltip)) {
            assert.match(d.description ?? '', new RegExp(`^[⊘✕] [^·]{1,24} · ${STATES} · `), `state glyph, message and state first: ${where}`);
          } else {
            assert.match(seen, new RegExp(`^${STATES} · (♥ \\d|traffic \\d|no traffic)`), `state and age first: ${where}`);
          }
          break;
        case 'socket': {
          if (/Binds/.test(d.tooltip)) {
            const port = /:(\d+)/.exec(d.endpoint ?? '')?.[1];
            assert.ok(port && seen.includes(`:${port}`), `a bound socket's endpoint first: ${where}`);
          } else {
            assert.match(seen, new RegExp(`^(closed · )?(${STATES} · (♥ \\d|traffic \\d|no traffic)|no connection yet)`), `state and age first: ${where}`);
          }
          break;
        }
        case 'node':
          assert.match(seen, /^(beat \d+(\.\d)?s ago|stale · beat \d|exited( \d|$))/, `liveness first: ${where}`);
          break;
        case 'endpoint':
          assert.match(d.label, /^(bound|connecting to) tcp:\/\//, `the endpoint is the label: ${where}`);
          break;
        case 'orphans':
          assert.match(seen, /^\d+/, where);
          break;
      }
    }
    const lateEdge = rows.find((d) => d.kind === 'edge' && d.label === '← worker-2');
    assert.match(lateEdge?.description ?? '', /^late · ♥ 4\.0s · DEALER worker-2 \(pid 201\)$/);
    const longName = rows.find((d) => d.kind === 'edge' && d.label.startsWith('← worker-with'));
    assert.equal(longName?.label, '← worker-with-a-nam…', 'a long peer name is cut in the label');
    assert.match(longName?.description ?? '', /^connected · ♥ 0\.0s · DEALER worker-with-a-name-much-longer-than-any-sidebar \(pid 200\)$/,
      'and given whole after the state');
    const gone = rows.find((d) => d.kind === 'edge' && d.label === '← worker-3');
    assert.match(gone?.description ?? '', /^⊘ peer process exited · disconnected · ♥ 4\.0s · DEALER worker-3 \(pid 202\)$/,
      'why it went first, then the state and age');
  });

  test('the broker\'s two ROUTERs are told apart by their bound endpoints', () => {
    const tree = buildTopologyTree(demoLikeSnapshot());
    const broker = tree.find((d) => d.label === 'broker (pid 100)');
    assert.ok(broker);
    assert.deepEqual(broker.children.map((d) => `${d.label}: ${d.description ?? ''}`), [
      'ROUTER: *:5555 · 1 connection · traffic 4.0s',
      'ROUTER: *:5556 · 4 connections · ♥ 0.0s',
      'PUB: 127.0.0.1:5557 · 0 connections',
    ]);
  });

  test('endpoints are shortened without losing what tells them apart', () => {
    assert.equal(shortEndpoint('tcp://0.0.0.0:5555'), '*:5555');
    assert.equal(shortEndpoint('tcp://*:5556'), '*:5556');
    assert.equal(shortEndpoint('tcp://[::]:7000'), '*:7000');
    assert.equal(shortEndpoint('tcp://127.0.0.1:5557'), '127.0.0.1:5557');
    assert.equal(shortEndpoint('tcp://localhost:5556'), 'localhost:5556');
    assert.equal(shortEndpoint('inproc://jobs'), 'inproc://jobs');
    assert.equal(shortEndpoint('ipc:///run/user/1000/app/some/deep/folder/backend.sock'), 'ipc://…p/folder/backend.sock');
    assert.equal(shortEndpoint('tcp://10.0.0.1:5555\u202e'), 'tcp://10.0.0.1:5555\ufffd', 'outside text stays text');
  });
});

describe('the tree says how many processes it shows', () => {
  test('the view header counts processes as the status bar and the graph do (running, exited; unknown peers apart)', () => {
    const snapshot = demoLikeSnapshot();
    assert.equal(treeViewDescription(snapshot), '5 processes running, 1 exited');
    assert.equal(snapshot.nodes.filter((n) => n.unknown).length > 0, true, 'the unknown peer is a node of the store, not counted');
    const { store } = newStore();
    assert.equal(treeViewDescription(store.snapshot()), undefined, 'nothing said while there is nothing');
  });
});
