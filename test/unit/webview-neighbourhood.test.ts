import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { TopologySnapshot } from '../../src/shared/snapshot';
import { buildScene } from '../../webview/canvasScene';
import { fillSlots, layeredCenters, type GroupBody } from '../../webview/geometry';
import { GraphModel, NO_FILTERS, visibleGraph } from '../../webview/graphModel';
import { createGraphState } from '../../webview/graphState';
import { groupHeight } from '../../webview/layout';
import { neighbourhood } from '../../webview/neighbourhood';
import { parseViewState } from '../../webview/viewState';

const FIXTURE = path.resolve(__dirname, '../../../test/fixtures/webview/snapshot.json');
const recorded = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { snapshot: TopologySnapshot };

function visible(filters = NO_FILTERS): ReturnType<typeof visibleGraph> {
  const model = new GraphModel();
  model.applySnapshot(structuredClone(recorded.snapshot));
  return visibleGraph(model, filters);
}

const sorted = (set: Set<string> | undefined): string[] => [...set ?? []].sort();

test("a process's neighbourhood: its sockets, their edges, and the sockets and processes at the other ends", () => {
  const hood = neighbourhood(visible(), 'devbox:4201:w1');
  assert.deepEqual(sorted(hood?.groups), ['devbox:4100:a1', 'devbox:4201:w1']);
  assert.deepEqual(sorted(hood?.sockets), ['devbox:4100:a1/2', 'devbox:4201:w1/1'], "the broker's backend only, not its frontend or PUB");
  assert.deepEqual(sorted(hood?.edges), ['devbox:4201:w1/1->devbox:4100:a1/2#776f726b65722d31']);
});

test("the broker's neighbourhood is everything connected to any of its sockets, the unknown peer too", () => {
  const graph = visible();
  const hood = neighbourhood(graph, 'devbox:4100:a1');
  assert.equal(hood?.edges.size, graph.edges.length, 'every edge ends on the broker');
  assert.deepEqual(sorted(hood?.groups), graph.groups.map((g) => g.id).sort());
  assert.deepEqual(sorted(hood?.sockets), graph.sockets.map((s) => s.id).sort());
});

test("a socket's neighbourhood starts from that socket alone; its process stays lit as its frame", () => {
  const hood = neighbourhood(visible(), 'devbox:4100:a1/3');
  assert.deepEqual(sorted(hood?.groups), ['devbox:4100:a1', 'devbox:4400:m1']);
  assert.deepEqual(sorted(hood?.sockets), ['devbox:4100:a1/3', 'devbox:4400:m1/1']);
  assert.deepEqual(sorted(hood?.edges), ['devbox:4400:m1/1->devbox:4100:a1/3']);
});

test('only what is drawn counts: a filtered-out edge is not in the neighbourhood, an id not drawn has none', () => {
  const graph = visible({ ...NO_FILTERS, hideDisconnected: true });
  const hood = neighbourhood(graph, 'devbox:4203:w3');
  assert.deepEqual(sorted(hood?.edges), [], "worker-3's only edge is disconnected and hidden");
  assert.deepEqual(sorted(hood?.groups), ['devbox:4203:w3']);
  assert.equal(neighbourhood(graph, 'no-such-id'), null);
  assert.equal(neighbourhood(visible(), recorded.snapshot.edges[0].id), null, 'edges have no neighbourhood of their own');
});

test("the canvas scene draws a lit neighbourhood's edges as related, and no other", () => {
  const state = createGraphState(parseViewState(undefined));
  state.model.applySnapshot(structuredClone(recorded.snapshot));
  state.visible = visibleGraph(state.model, NO_FILTERS);
  fillSlots(state.slots, state.visible.groups);
  const bodies = new Map<string, GroupBody>();
  for (const [id, center] of layeredCenters(state.visible)) {
    const group = state.visible.groups.find((g) => g.id === id);
    bodies.set(id, { id, x: center.x, y: center.y, height: groupHeight(group?.socketIds.length ?? 0) });
  }
  const related = (lit: ReturnType<typeof neighbourhood>): string[] => buildScene(state, bodies, new Map(), lit).edges.filter((e) => e.related).map((e) => e.id).sort();
  assert.deepEqual(related(null), []);
  const lit = neighbourhood(state.visible, 'devbox:4100:a1/2');
  assert.deepEqual(related(lit), sorted(lit?.edges));
  assert.equal(lit?.edges.size, 4, "the backend's three workers and the unknown peer");
});
