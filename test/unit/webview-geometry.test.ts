/**
 * The webview's pure geometry and scene (webview/geometry.ts, canvasScene.ts): in Node, no DOM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { TopologyDiff, TopologySnapshot } from '../../src/shared/snapshot';
import { buildScene } from '../../webview/canvasScene';
import { curveMid } from '../../webview/canvasRenderer';
import {
  curvePath, edgeCurve, fillSlots, fitTransform, groupLinks, layeredCenters, savedPositions, socketCenter, sortedSocketIds, GROUP_WIDTH, type GroupBody,
} from '../../webview/geometry';
import { GraphModel, NO_FILTERS, visibleGraph } from '../../webview/graphModel';
import { createGraphState, indexVisible, type SocketSlot } from '../../webview/graphState';
import { groupHeight, GROUP_HEADER, GROUP_PADDING, SOCKET_GAP, SOCKET_HEIGHT } from '../../webview/layout';
import { MAX_SAVED_POSITIONS, parseViewState } from '../../webview/viewState';

const FIXTURE = path.resolve(__dirname, '../../../test/fixtures/webview/snapshot.json');
const recorded = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { snapshot: TopologySnapshot; diffs: TopologyDiff[] };

/** The recorded topology, visible, slotted, with each group's body at its layered center. */
function laidOut(): { state: ReturnType<typeof createGraphState>; bodies: Map<string, GroupBody> } {
  const state = createGraphState(parseViewState(undefined));
  state.model.applySnapshot(structuredClone(recorded.snapshot));
  state.visible = visibleGraph(state.model, NO_FILTERS);
  state.index = indexVisible(state.visible);
  fillSlots(state.slots, state.visible.groups);
  const bodies = new Map<string, GroupBody>();
  for (const [id, center] of layeredCenters(state.visible)) {
    const group = state.visible.groups[state.index.groups.get(id) as number];
    bodies.set(id, { id, x: center.x, y: center.y, height: groupHeight(group.socketIds.length) });
  }
  return { state, bodies };
}

test('sockets stack in their group in numeric id order, centred on the group', () => {
  const group = { id: 'g', node: undefined, socketIds: ['g/10', 'g/2', 'g/1'] };
  assert.deepEqual(sortedSocketIds(group), ['g/1', 'g/2', 'g/10']);
  const slots = new Map<string, SocketSlot>([['stale', { groupId: 'x', top: 0, dy: 0 }]]);
  fillSlots(slots, [group]);
  assert.equal(slots.has('stale'), false, 'refilled from scratch');
  const height = groupHeight(3);
  sortedSocketIds(group).forEach((id, index) => {
    const top = GROUP_HEADER + GROUP_PADDING + index * (SOCKET_HEIGHT + SOCKET_GAP);
    assert.deepEqual(slots.get(id), { groupId: 'g', top, dy: top + SOCKET_HEIGHT / 2 - height / 2 });
  });
  const bodies = new Map([['g', { id: 'g', x: 100, y: 50, height }]]);
  assert.deepEqual(socketCenter(slots, bodies, 'g/1'), { x: 100, y: 50 + (slots.get('g/1') as SocketSlot).dy });
  assert.equal(socketCenter(slots, bodies, 'nope'), undefined);
});

test('edge curves run between their sockets; links join groups, not sockets of one group', () => {
  const { state, bodies } = laidOut();
  for (const edge of state.visible.edges) {
    const curve = edgeCurve(state.slots, bodies, edge);
    assert.ok(curve, edge.id);
    assert.match(curvePath(curve), /^M-?\d+\.\d,-?\d+\.\d Q-?\d+\.\d,-?\d+\.\d -?\d+\.\d,-?\d+\.\d$/);
    const mid = curveMid(curve);
    assert.ok(Number.isFinite(mid.x) && Number.isFinite(mid.y));
  }
  const missing = { ...state.visible.edges[0], to: 'no-such-socket' };
  assert.equal(edgeCurve(state.slots, bodies, missing), undefined);
  const links = groupLinks(state.visible.edges, state.slots);
  for (const { source, target } of links.values()) {
    assert.notEqual(source, target);
  }
  assert.ok(links.size > 0 && links.size <= state.visible.edges.length);
});

test('fitTransform frames every group with a margin, never beyond 2× zoom', () => {
  assert.equal(fitTransform(new Map(), 800, 600), null);
  const bodies = new Map([
    ['a', { id: 'a', x: 0, y: 0, height: 100 }],
    ['b', { id: 'b', x: 1000, y: 400, height: 100 }],
  ]);
  const t = fitTransform(bodies, 800, 600);
  assert.ok(t);
  const screen = (x: number, y: number): [number, number] => [t.x + t.k * x, t.y + t.k * y];
  const [left, top] = screen(-GROUP_WIDTH / 2, -50);
  const [right, bottom] = screen(1000 + GROUP_WIDTH / 2, 450);
  assert.ok(left >= 39.99 && top >= 39.99 && right <= 760.01 && bottom <= 560.01, 'inside the 40 px margin');
  assert.ok(Math.abs(left - 40) < 0.01 || Math.abs(top - 40) < 0.01, 'and as large as fits');
  const one = fitTransform(new Map([['a', { id: 'a', x: 5, y: 5, height: 10 }]]), 800, 600);
  assert.equal(one?.k, 2);
});

test('savedPositions keeps drawn groups rounded, and hidden ones still in the model, within the bound', () => {
  const model = new GraphModel();
  model.applySnapshot(structuredClone(recorded.snapshot));
  const [first, second] = recorded.snapshot.nodes;
  const bodies = new Map([[first.id, { id: first.id, x: 1.4, y: 2.6, height: 10 }]]);
  const positions = savedPositions(bodies, model, { [second.id]: [7, 8], 'gone-from-model': [1, 1] });
  assert.deepEqual(positions, { [first.id]: [1, 3], [second.id]: [7, 8] });
  const many = new Map(Array.from({ length: MAX_SAVED_POSITIONS + 10 }, (_, i) => [`g${i}`, { id: `g${i}`, x: i, y: i, height: 1 }]));
  assert.equal(Object.keys(savedPositions(many, model, { [second.id]: [7, 8] })).length, MAX_SAVED_POSITIONS);
});

test('the canvas scene has every visible item where the SVG would draw it, marked like the SVG', () => {
  const { state, bodies } = laidOut();
  const edge = state.visible.edges.find((e) => e.state === 'disconnected' && e.lastDisconnect !== null);
  assert.ok(edge, 'fixture has a disconnected edge with a message');
  state.view.selection = edge.from;
  const scene = buildScene(state, bodies);
  assert.equal(scene.groups.length, state.visible.groups.length);
  assert.equal(scene.sockets.length, state.visible.sockets.length);
  assert.equal(scene.edges.length, state.visible.edges.length);
  const drawn = scene.edges.find((e) => e.id === edge.id);
  assert.ok(drawn);
  assert.equal(drawn.related, true, 'an edge of the selected socket is related');
  assert.match(drawn.badge ?? '', /^⊘ /);
  assert.equal(scene.sockets.find((s) => s.id === edge.from)?.selected, true);
  for (const group of scene.groups) {
    const body = bodies.get(group.id) as GroupBody;
    assert.deepEqual([group.x, group.y, group.width], [body.x - GROUP_WIDTH / 2, body.y - body.height / 2, GROUP_WIDTH]);
  }
  assert.equal(buildScene(state, new Map()).sockets.length, 0, 'nothing without bodies');
});
