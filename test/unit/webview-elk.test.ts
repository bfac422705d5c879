/**
 * The layered layout by ELK (webview/elkLayout.ts), run through the real ELK in Node (elkjs's bundled
 * build; the webview runs the same ELK in a worker), then through the webview's own geometry and
 * scene: ports where the sockets are, routes from socket border to socket border, orthogonal, around
 * other processes, labels in their own room.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge } from 'elkjs/lib/elk-api';
import type { TopologySnapshot } from '../../src/shared/snapshot';
import { buildScene } from '../../webview/canvasScene';
import { buildElkGraph, labelSize, readElkLayout, ELK_MAX_EDGES, type LayeredResult } from '../../webview/elkLayout';
import { fillSlots, layeredCenters, socketCenter, GROUP_WIDTH } from '../../webview/geometry';
import { NO_FILTERS, visibleGraph } from '../../webview/graphModel';
import { createGraphState, indexVisible } from '../../webview/graphState';
import { groupHeight, SOCKET_HEIGHT, SOCKET_WIDTH, type Box, type Point } from '../../webview/layout';
import { GroupSimulation } from '../../webview/simulation';
import { parseViewState } from '../../webview/viewState';
import { brokerTiers } from '../browser/topologies';

const FIXTURE = path.resolve(__dirname, '../../../test/fixtures/webview/snapshot.json');
const recorded = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { snapshot: TopologySnapshot };

function stateOf(snapshot: TopologySnapshot): ReturnType<typeof createGraphState> {
  const state = createGraphState(parseViewState({ layout: 'layered' }));
  state.model.applySnapshot(structuredClone(snapshot));
  state.visible = visibleGraph(state.model, NO_FILTERS);
  state.index = indexVisible(state.visible);
  fillSlots(state.slots, state.visible.groups);
  return state;
}

const overlaps = (a: Box, b: Box): boolean => Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x) > 0.5 && Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y) > 0.5;

/** Whether the segment a–b (horizontal or vertical) passes through the inside of `box`. */
function crosses(a: Point, b: Point, box: Box): boolean {
  const x0 = Math.min(a.x, b.x);
  const x1 = Math.max(a.x, b.x);
  const y0 = Math.min(a.y, b.y);
  const y1 = Math.max(a.y, b.y);
  return x1 > box.x + 1 && x0 < box.x + box.width - 1 && y1 > box.y + 1 && y0 < box.y + box.height - 1;
}

test('ELK\'s input: one process node per group, a port per socket side used, at the socket\'s height; a label room per edge', () => {
  const state = stateOf(recorded.snapshot);
  const graph = buildElkGraph(state.visible, state.slots);
  assert.equal(graph.children?.length, state.visible.groups.length);
  assert.equal(graph.edges?.length, state.visible.edges.length);
  const ports = new Map((graph.children ?? []).flatMap((child) => (child.ports ?? []).map((port) => [port.id, { port, child }] as const)));
  for (const edge of state.visible.edges) {
    const elkEdge: ElkExtendedEdge | undefined = graph.edges?.find((e) => e.id.endsWith(edge.id));
    assert.ok(elkEdge);
    const from = ports.get(elkEdge.sources[0]);
    const to = ports.get(elkEdge.targets[0]);
    assert.ok(from && to, 'both ends are ports');
    assert.equal(from.port.layoutOptions?.['elk.port.side'], 'EAST', 'the connecting socket leaves eastwards');
    assert.equal(from.port.x, GROUP_WIDTH);
    assert.equal(to.port.layoutOptions?.['elk.port.side'], 'WEST', 'the bound socket is entered from the west');
    assert.equal(to.port.x, 0);
    assert.equal(to.port.y, (state.slots.get(edge.to)?.top ?? NaN) + SOCKET_HEIGHT / 2, 'at the bound socket\'s height');
    assert.equal(to.child.height, groupHeight(state.visible.groups.find((g) => g.socketIds.includes(edge.to))?.socketIds.length ?? 0));
    assert.deepEqual({ width: elkEdge.labels?.[0].width, height: elkEdge.labels?.[0].height }, labelSize(edge));
  }
});

for (const [name, snapshot] of [['the recorded demo', recorded.snapshot], ['a 200-socket broker graph', brokerTiers(200, 8, 1_000_000)]] as const) {
  test(`ELK lays out ${name}: routes from socket border to socket border, orthogonal, around other processes; labels apart`, { timeout: 60_000 }, async () => {
    const state = stateOf(snapshot);
    const result: LayeredResult = readElkLayout(await new ELK().layout(buildElkGraph(state.visible, state.slots)));
    const simulation = new GroupSimulation();
    assert.equal(simulation.place({ visible: state.visible, slots: state.slots, layout: 'layered', saved: {} }), 'elk', 'placed for now, ELK asked');
    simulation.applyLayered(result, state.slots, state.visible);
    const bodies = simulation.bodies;
    const boxes = new Map([...bodies].map(([id, body]) => [id, { x: body.x - GROUP_WIDTH / 2, y: body.y - body.height / 2, width: GROUP_WIDTH, height: body.height }]));
    const labels: { id: string; box: Box }[] = [];
    for (const edge of state.visible.edges) {
      const route = simulation.routes.get(edge.id);
      assert.ok(route, `${edge.id} is routed`);
      const points = route.points;
      const from = socketCenter(state.slots, bodies, edge.from);
      const to = socketCenter(state.slots, bodies, edge.to);
      assert.ok(from && to);
      assert.deepEqual(points[0], { x: from.x + SOCKET_WIDTH / 2, y: from.y }, 'starts on the connecting socket\'s east border');
      assert.deepEqual(points.at(-1), { x: to.x - SOCKET_WIDTH / 2, y: to.y }, 'ends on the bound socket\'s west border');
      const own = new Set([state.slots.get(edge.from)?.groupId, state.slots.get(edge.to)?.groupId]);
      for (let i = 1; i < points.length; i++) {
        const [a, b] = [points[i - 1], points[i]];
        assert.ok(Math.abs(a.x - b.x) < 0.01 || Math.abs(a.y - b.y) < 0.01, `${edge.id} is orthogonal`);
        for (const [id, box] of boxes) {
          assert.ok(own.has(id) || !crosses(a, b, box), `${edge.id} does not cross ${id}`);
        }
      }
      assert.ok(route.label, 'its label has room');
      labels.push({ id: edge.id, box: route.label });
      for (const [id, box] of boxes) {
        assert.ok(!overlaps(route.label, box), `${edge.id}'s label is off ${id}`);
      }
    }
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        assert.ok(!overlaps(labels[i].box, labels[j].box), `${labels[i].id} and ${labels[j].id} labels are apart`);
      }
    }
    // The canvas renderer draws the same routes and anchors the labels in the same rooms.
    const scene = buildScene(state, bodies, simulation.routes);
    for (const edge of scene.edges) {
      const route = simulation.routes.get(edge.id);
      assert.deepEqual([edge.curve.start, ...(edge.curve.via ?? []), edge.curve.end], route?.points);
      assert.ok(route?.label && edge.label.y > route.label.y && edge.label.y < route.label.y + route.label.height);
    }
    // A dragged process's edges fall back to curves; the others keep their routes.
    const [firstGroup] = bodies.keys();
    const moved = bodies.get(firstGroup);
    assert.ok(moved);
    moved.x += 50;
    const touching = state.visible.edges.filter((e) => state.slots.get(e.from)?.groupId === firstGroup || state.slots.get(e.to)?.groupId === firstGroup).map((e) => e.id);
    for (const edge of buildScene(state, bodies, simulation.routes).edges) {
      assert.equal(edge.curve.via === undefined, touching.includes(edge.id), edge.id);
    }
  });
}

test('the same structure again is placed from ELK\'s earlier answer at once', async () => {
  const state = stateOf(recorded.snapshot);
  const simulation = new GroupSimulation();
  assert.equal(simulation.place({ visible: state.visible, slots: state.slots, layout: 'layered', saved: {} }), 'elk');
  simulation.applyLayered(readElkLayout(await new ELK().layout(buildElkGraph(state.visible, state.slots))), state.slots, state.visible);
  const before = new Map([...simulation.bodies].map(([id, b]) => [id, { x: b.x, y: b.y }]));
  const all = state.visible;
  state.visible = visibleGraph(state.model, { ...NO_FILTERS, text: 'worker-1' });
  fillSlots(state.slots, state.visible.groups);
  assert.equal(simulation.place({ visible: state.visible, slots: state.slots, layout: 'layered', saved: {} }), 'elk', 'a new structure needs ELK');
  state.visible = all;
  fillSlots(state.slots, state.visible.groups);
  assert.equal(simulation.place({ visible: state.visible, slots: state.slots, layout: 'layered', saved: {} }), 'layered', 'known: placed at once');
  assert.deepEqual(new Map([...simulation.bodies].map(([id, b]) => [id, { x: b.x, y: b.y }])), before);
  simulation.place({ visible: state.visible, slots: state.slots, layout: 'force', saved: {} });
  assert.equal(simulation.routes.size, 0, 'the force layout has no routes');
});

test('a graph with more edges than ELK takes is laid out by the built-in layering as a whole, without stale routes', async () => {
  const small = stateOf(recorded.snapshot);
  const simulation = new GroupSimulation();
  assert.equal(simulation.place({ visible: small.visible, slots: small.slots, layout: 'layered', saved: {} }), 'elk');
  simulation.applyLayered(readElkLayout(await new ELK().layout(buildElkGraph(small.visible, small.slots))), small.slots, small.visible);
  assert.ok(simulation.routes.size > 0);
  const big = stateOf(brokerTiers(1100, 8, 1_000_000));
  assert.ok(big.visible.edges.length > ELK_MAX_EDGES);
  assert.equal(simulation.place({ visible: big.visible, slots: big.slots, layout: 'layered', saved: {} }), 'placed');
  assert.equal(simulation.routes.size, 0);
  const seeds = layeredCenters(big.visible);
  for (const [id, body] of simulation.bodies) {
    assert.deepEqual({ x: body.x, y: body.y }, seeds.get(id), `${id} where the built-in layering puts it`);
  }
});
