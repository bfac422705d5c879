import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { EdgeView, SocketView, TopologyDiff, TopologySnapshot } from '../../src/shared/snapshot';
import { CollectorClock, edgeAgesAt, GraphModel, NO_FILTERS, visibleGraph, kindOf } from '../../webview/graphModel';
import { layoutOf, parseViewState } from '../../webview/viewState';

const FIXTURE = path.resolve(__dirname, '../../../test/fixtures/webview/snapshot.json');
const recorded = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { snapshot: TopologySnapshot; diffs: TopologyDiff[] };

function loaded(): GraphModel {
  const model = new GraphModel();
  model.applySnapshot(structuredClone(recorded.snapshot));
  return model;
}

function ids<T extends { id: string }>(items: Iterable<{ item: T }>): string[] {
  return [...items].map(({ item }) => item.id).sort();
}

test('a snapshot replaces the model, and every diff adds, updates and removes by id', () => {
  const model = loaded();
  assert.equal(model.nodes.size, recorded.snapshot.nodes.length);
  assert.equal(model.sockets.size, recorded.snapshot.sockets.length);
  assert.equal(model.edges.size, recorded.snapshot.edges.length);

  const [addAndUpdate, remove] = recorded.diffs;
  model.applyDiff(addAndUpdate);
  assert.ok(model.nodes.has('devbox:4204:w4'), 'new process added');
  assert.ok(model.sockets.has('devbox:4204:w4/1'), 'new socket added');
  const updated = model.edges.get(recorded.snapshot.edges[1].id);
  assert.equal(updated?.item.state, 'connected', 'changed edge sent whole replaces the old one');
  assert.equal(updated?.observedAt, addAndUpdate.takenAt);

  model.applyDiff(remove);
  assert.equal(model.edges.has(recorded.snapshot.edges[6].id), false, 'removed edge is gone');
  model.applyDiff({ takenAt: remove.takenAt + 1, removedNodes: ['devbox:4204:w4'], removedSockets: ['devbox:4204:w4/1'] });
  assert.equal(model.nodes.has('devbox:4204:w4'), false);
  assert.equal(model.sockets.has('devbox:4204:w4/1'), false);

  model.applySnapshot({ schema: 1, takenAt: 5, nodes: [], sockets: [], edges: [] });
  assert.equal(model.nodes.size + model.sockets.size + model.edges.size, 0, 'a new snapshot starts from scratch');
});

test('diffs about different items give the same model in any order; a late diff never overwrites newer data', () => {
  const edges = recorded.snapshot.edges;
  const t0 = recorded.snapshot.takenAt;
  const a: TopologyDiff = { takenAt: t0 + 10, edges: [{ ...edges[0], state: 'late' }] };
  const b: TopologyDiff = { takenAt: t0 + 11, sockets: [recorded.snapshot.sockets[0]], removedEdges: [edges[1].id] };
  const c: TopologyDiff = { takenAt: t0 + 12, nodes: [{ ...recorded.snapshot.nodes[0], name: 'renamed' }] };
  const orders = [[a, b, c], [c, b, a], [b, a, c]];
  const results = orders.map((order) => {
    const model = loaded();
    for (const diff of order) {
      model.applyDiff(diff);
    }
    return { nodes: ids(model.nodes.values()), sockets: ids(model.sockets.values()), edges: ids(model.edges.values()), state: model.edges.get(edges[0].id)?.item.state, name: model.nodes.get(recorded.snapshot.nodes[0].id)?.item.name, takenAt: model.takenAt };
  });
  assert.deepEqual(results[1], results[0]);
  assert.deepEqual(results[2], results[0]);
  assert.equal(results[0].state, 'late');
  assert.equal(results[0].name, 'renamed');
  assert.ok(!results[0].edges.includes(edges[1].id));

  const model = loaded();
  model.applyDiff({ takenAt: t0 + 20, edges: [{ ...edges[0], state: 'dead' }] });
  model.applyDiff({ takenAt: t0 + 15, edges: [{ ...edges[0], state: 'connected' }] });
  assert.equal(model.edges.get(edges[0].id)?.item.state, 'dead');
});

test('an edge whose sockets have not arrived yet is held, and drawn once they do', () => {
  const model = new GraphModel();
  const edge: EdgeView = { ...recorded.snapshot.edges[0] };
  model.applyDiff({ takenAt: 1, edges: [edge] });
  assert.equal(visibleGraph(model, NO_FILTERS).edges.length, 0);
  const [from, to] = [edge.from, edge.to].map((id) => recorded.snapshot.sockets.find((s) => s.id === id));
  assert.ok(from && to);
  model.applyDiff({ takenAt: 2, sockets: [from, to] });
  const graph = visibleGraph(model, NO_FILTERS);
  assert.deepEqual(graph.edges.map((e) => e.id), [edge.id]);
  assert.ok(graph.groups.every((g) => g.node === undefined), 'sockets without their process are grouped by nodeId');
});

test('filters: text keeps matches and their peers, type and state narrow, hide disconnected drops gone edges', () => {
  const model = loaded();
  const all = visibleGraph(model, NO_FILTERS);
  assert.equal(all.edges.length, recorded.snapshot.edges.length);
  assert.equal(all.groups.length, recorded.snapshot.nodes.length, 'every process, the unknown peer included, is a group');
  assert.ok(all.groups.some((g) => g.node?.unknown === true && g.socketIds.length === 1));

  const worker = visibleGraph(model, { ...NO_FILTERS, text: 'WORKER-1' });
  assert.deepEqual([...worker.matched], ['devbox:4201:w1/1']);
  assert.deepEqual(worker.sockets.map((s) => s.id).sort(), ['devbox:4100:a1/2', 'devbox:4201:w1/1'], 'the broker backend is shown as its peer');
  assert.equal(worker.edges.length, 1);

  const byPid = visibleGraph(model, { ...NO_FILTERS, text: '4100' });
  assert.ok(byPid.matched.has('devbox:4100:a1/1') && byPid.matched.has('devbox:4100:a1/3'), 'process pid matches its sockets');

  const subs = visibleGraph(model, { ...NO_FILTERS, socketType: 'SUB' });
  assert.deepEqual(subs.sockets.map((s) => s.type).sort(), ['PUB', 'SUB']);

  const late = visibleGraph(model, { ...NO_FILTERS, state: 'late' });
  assert.deepEqual(late.edges.map((e) => e.state), ['late']);
  assert.equal(late.sockets.length, 2, 'a state filter shows only the sockets of matching edges');

  const live = visibleGraph(model, { ...NO_FILTERS, hideDisconnected: true });
  assert.ok(live.edges.every((e) => e.state !== 'disconnected'));
  assert.equal(live.edges.length, recorded.snapshot.edges.length - 1);

  const none = visibleGraph(model, { ...NO_FILTERS, text: 'no-such-thing' });
  assert.equal(none.groups.length + none.sockets.length + none.edges.length, 0);
});

test('ages tick locally from the update that carried them', () => {
  const clock = new CollectorClock();
  clock.sync(1_000_000, 5_000);
  assert.equal(clock.now(5_000), 1_000_000);
  assert.equal(clock.now(5_750), 1_000_750);

  const model = new GraphModel();
  model.applyDiff({ takenAt: 1_000_000, edges: [{ ...recorded.snapshot.edges[0], heartbeatAgeMs: 800, trafficAgeMs: null }] });
  const observed = model.edges.get(recorded.snapshot.edges[0].id);
  assert.ok(observed);
  assert.deepEqual(edgeAgesAt(observed, clock.now(5_000)), { heartbeatAgeMs: 800, trafficAgeMs: null });
  assert.deepEqual(edgeAgesAt(observed, clock.now(6_200)), { heartbeatAgeMs: 2000, trafficAgeMs: null });
  assert.deepEqual(edgeAgesAt(observed, clock.now(4_000)), { heartbeatAgeMs: 800, trafficAgeMs: null }, 'never ticks backwards');
});

test('kindOf names what an id refers to', () => {
  const model = loaded();
  assert.equal(kindOf(model, recorded.snapshot.edges[0].id), 'edge');
  assert.equal(kindOf(model, 'devbox:4100:a1/1'), 'socket');
  assert.equal(kindOf(model, 'devbox:4100:a1'), 'node');
  assert.equal(kindOf(model, 'nope'), undefined);
});

test('saved view state is parsed, not trusted', () => {
  assert.deepEqual(parseViewState(undefined).filters, NO_FILTERS);
  const parsed = parseViewState({
    layout: 'layered', transform: { x: 1, y: 2, k: 0.5 }, selection: 'x',
    filters: { text: 'a', socketType: 'ROUTER', state: 'late', hideDisconnected: true },
    positions: { g: [1, 2], bad: [1, 'x'], worse: 'no' }, legendOpen: true,
  });
  assert.equal(parsed.layout, 'layered');
  assert.deepEqual(parsed.transform, { x: 1, y: 2, k: 0.5 });
  assert.deepEqual(parsed.positions, { g: [1, 2] });
  assert.deepEqual(parsed.filters, { text: 'a', socketType: 'ROUTER', state: 'late', hideDisconnected: true });
  const hostile = parseViewState({ layout: 'x', transform: { x: NaN, y: 0, k: 1 }, filters: { socketType: '<b>', state: 'weird', text: 5 }, selection: 3 });
  assert.equal(hostile.layout, 'auto', 'an unknown layout is no choice: the topology decides');
  assert.equal(hostile.transform, null);
  assert.deepEqual(hostile.filters, NO_FILTERS);
  assert.equal(hostile.selection, null);
  assert.equal(parseViewState({ layout: 'force' }).layout, 'force', 'a chosen layout stays chosen');
});

test('the layout not chosen is layered when the topology has a ROUTER, else force', () => {
  const model = new GraphModel();
  const socket = (id: string, type: SocketView['type']): SocketView => ({ id, nodeId: 'n', type, options: { disconnectMsg: false }, binds: [], connects: [], closed: false });
  model.applySnapshot({ schema: 1, takenAt: 1, nodes: [], sockets: [socket('a', 'DEALER')], edges: [] });
  assert.equal(layoutOf({ layout: 'auto' }, model), 'force');
  model.applySnapshot({ schema: 1, takenAt: 2, nodes: [], sockets: [socket('a', 'DEALER'), socket('b', 'ROUTER')], edges: [] });
  assert.equal(layoutOf({ layout: 'auto' }, model), 'layered');
  assert.equal(layoutOf({ layout: 'force' }, model), 'force', 'the user\'s choice wins');
});
