/**
 * The webview's pure control parts: what a diff redraws (drawQueue.ts), the toolbar's texts, the
 * items' texts and tooltips, the selection's subject and the host bridge, in Node without a DOM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { HostMessage, WebviewMessage } from '../../src/shared/messages';
import type { TopologyDiff, TopologySnapshot } from '../../src/shared/snapshot';
import { PendingDraw, planPatch, edgePassesOwnFilters } from '../../webview/drawQueue';
import { NO_FILTERS, visibleGraph } from '../../webview/graphModel';
import { createGraphState, indexVisible, replaceVisible, type GraphState } from '../../webview/graphState';
import { HostBridge, type VsCodeApi } from '../../webview/hostBridge';
import { ageLabel, badgeText, edgeClass, groupTitle, isRelated } from '../../webview/itemText';
import { selectedSubject } from '../../webview/selection';
import { emptyText, statusLine, typeOptions } from '../../webview/toolbar';
import { tooltipLines } from '../../webview/tooltips';
import { parseViewState, type ViewState } from '../../webview/viewState';

const FIXTURE = path.resolve(__dirname, '../../../test/fixtures/webview/snapshot.json');
const recorded = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { snapshot: TopologySnapshot; diffs: TopologyDiff[] };

function drawnState(): GraphState {
  const state = createGraphState(parseViewState(undefined));
  state.model.applySnapshot(structuredClone(recorded.snapshot));
  state.receivedAnything = true;
  state.visible = visibleGraph(state.model, state.view.filters);
  state.index = indexVisible(state.visible);
  return state;
}

test('a diff that only changes drawn items is a patch; removals, newcomers and moves need a full render', () => {
  const state = drawnState();
  const [edge] = recorded.snapshot.edges;
  const pending = new PendingDraw();
  const late: TopologyDiff = { takenAt: recorded.snapshot.takenAt + 1, edges: [{ ...edge, state: 'late' }], nodes: [recorded.snapshot.nodes[0]], sockets: [recorded.snapshot.sockets[0]] };
  state.model.applyDiff(late);
  pending.noteDiff(late);
  const plan = planPatch(pending, state);
  assert.ok(plan);
  assert.deepEqual(plan.edges.map((e) => e.state), ['late']);
  assert.equal(plan.groups.length, 1);
  assert.equal(plan.sockets.length, 1);
  replaceVisible(state.visible.edges, state.index.edges, plan.edges[0]);
  assert.equal(state.visible.edges[state.index.edges.get(edge.id) as number].state, 'late');

  pending.clear();
  const moved: TopologyDiff = { takenAt: late.takenAt + 1, edges: [{ ...edge, to: recorded.snapshot.sockets[0].id }] };
  state.model.applyDiff(moved);
  pending.noteDiff(moved);
  assert.equal(planPatch(pending, state), null, 'an edge that changed its ends moves');

  pending.clear();
  const named: TopologyDiff = { takenAt: moved.takenAt + 1, edges: [{ ...edge, kernelPeers: [{ address: '127.0.0.1:50000', pid: 4242, command: 'python3 wuclient.py' }] }] };
  const namedState = drawnState();
  namedState.model.applyDiff(named);
  pending.noteDiff(named);
  assert.equal(planPatch(pending, namedState), null, 'names from the kernel table retitle a placeholder box: full render');

  pending.clear();
  pending.noteDiff({ takenAt: 1, removedEdges: [edge.id], edges: [edge] });
  assert.equal(pending.full, true);
  assert.equal(pending.edges.size, 0, 'a full render needs no item list');

  pending.clear();
  pending.noteDiff(recorded.diffs[0]);
  const fresh = drawnState();
  fresh.model.applyDiff(recorded.diffs[0]);
  assert.equal(planPatch(pending, fresh), null, 'new sockets and processes are not drawn yet');

  const filtered = drawnState();
  filtered.view.filters = { ...NO_FILTERS, text: 'w' };
  const socketOnly = new PendingDraw();
  socketOnly.noteDiff({ takenAt: 1, sockets: [recorded.snapshot.sockets[0]] });
  assert.equal(planPatch(socketOnly, filtered), null, 'a text filter may now match or not: full render');
  assert.equal(edgePassesOwnFilters({ ...edge, state: 'disconnected' }, { ...NO_FILTERS, hideDisconnected: true }), false);
  assert.equal(edgePassesOwnFilters(edge, { ...NO_FILTERS, state: 'dead' }), false);
  assert.equal(edgePassesOwnFilters(edge, NO_FILTERS), true);
});

test('the status line, empty message and type options say what the state is', () => {
  const empty = createGraphState(parseViewState(undefined));
  assert.equal(emptyText(empty), 'Waiting for telemetry…');
  empty.receivedAnything = true;
  assert.equal(emptyText(empty), 'No ZeroMQ processes seen yet.');
  const state = drawnState();
  assert.equal(emptyText(state), 'Nothing matches the filters.');
  const { nodes, sockets, edges } = recorded.snapshot;
  // One definition of "processes" with the status bar and the tree: ours (not unknown peers), running or exited.
  const ours = nodes.filter((n) => !n.unknown);
  const running = ours.filter((n) => n.state !== 'exited').length;
  const exited = ours.length - running;
  assert.match(statusLine(state), new RegExp(`^${running} process(es)? running${exited ? `, ${exited} exited` : ''} · ${sockets.length} sockets · ${edges.length} connections`));
  assert.doesNotMatch(statusLine(state), /showing|paused/);
  state.view.filters = { ...NO_FILTERS, hideDisconnected: true };
  state.paused = true;
  state.heldUpdates = 3;
  assert.match(statusLine(state), /\(showing \d+ sockets, \d+ connections\).* · paused, 3 update\(s\) held$/);
  const types = typeOptions(state.model, '');
  assert.equal(types[0], '');
  assert.deepEqual(types.slice(1), [...new Set(sockets.map((s) => s.type))].sort());
  assert.deepEqual(typeOptions(empty.model, 'PUB'), ['', 'PUB'], 'the chosen type stays an option');
});

test('item texts: titles, badges, classes, ages and tooltips', () => {
  const state = drawnState();
  const gone = recorded.snapshot.edges.find((e) => e.state === 'disconnected' && e.lastDisconnect !== null);
  assert.ok(gone);
  assert.match(badgeText(gone) ?? '', /^⊘ /);
  assert.equal(badgeText({ ...gone, state: 'connected' }), null, 'a connected edge shows no badge');
  const refused = { ...gone, state: 'connected' as const, routingIdClash: { with: [gone.id], serves: false, handover: false } };
  assert.equal(badgeText(refused), '⚠ refused: routing id in use', 'a connection the ROUTER never reads says so on the graph');
  assert.match(edgeClass(refused, 'edge', null), /\brouting-id-refused\b/);
  assert.equal(badgeText({ ...refused, routingIdClash: { ...refused.routingIdClash, serves: true } }), '⚠ routing id shared');
  assert.equal(edgeClass(gone, 'edge', null).split(' ')[0], 'edge');
  assert.match(edgeClass(gone, 'edge', gone.from), /\brelated\b/);
  assert.doesNotMatch(edgeClass(gone, 'edge-label', gone.from), /\brelated\b/, 'labels are never "related"');
  assert.match(edgeClass(gone, 'edge-label', gone.id), /\bselected\b/);
  assert.equal(isRelated(gone, null), false);
  assert.notEqual(ageLabel(state.model, gone.id, state.model.takenAt), '');
  assert.equal(ageLabel(state.model, 'no-such-edge', 0), '');
  const group = state.visible.groups[0];
  assert.ok(groupTitle(state.model, group).length > 0);
  for (const kind of ['edge', 'socket', 'group'] as const) {
    const list = kind === 'edge' ? state.visible.edges : kind === 'socket' ? state.visible.sockets : state.visible.groups;
    for (const item of list) {
      assert.ok((tooltipLines(state, kind, item.id) ?? []).length >= 1, `${kind} ${item.id}`);
    }
    assert.equal(tooltipLines(state, kind, 'nothing'), undefined);
  }
  assert.equal(selectedSubject(state.model, null), null);
  assert.equal(selectedSubject(state.model, gone.id)?.item, state.model.edges.get(gone.id)?.item);
  assert.equal(selectedSubject(state.model, recorded.snapshot.nodes[0].id)?.item.id, recorded.snapshot.nodes[0].id);
});

test('the host bridge posts, saves the view state once per burst and passes on only host messages', () => {
  const posted: WebviewMessage[] = [];
  const saved: ViewState[] = [];
  const api: VsCodeApi = { postMessage: (m) => posted.push(m), getState: () => undefined, setState: (s) => saved.push(structuredClone(s)) };
  const view = parseViewState(undefined);
  const timers: Array<() => void> = [];
  const bridge = new HostBridge(api, view, (run) => timers.push(run));
  bridge.post({ type: 'ready' });
  assert.deepEqual(posted, [{ type: 'ready' }]);
  bridge.saveState();
  view.selection = 'x';
  bridge.saveState();
  assert.equal(timers.length, 1, 'one write for the burst');
  timers[0]();
  assert.deepEqual(saved.map((s) => s.selection), ['x'], 'the state as it is when written');
  bridge.saveState();
  assert.equal(timers.length, 2, 'a later change is written again');

  let listener: ((event: { data: unknown }) => void) | undefined;
  const target = { addEventListener: (_type: string, l: (event: { data: unknown }) => void) => { listener = l; } };
  const received: HostMessage[] = [];
  bridge.listen(target as unknown as Pick<Window, 'addEventListener'>, (m) => received.push(m));
  listener?.({ data: { type: 'paused', paused: true } });
  listener?.({ data: { type: 'requestSvg' } });
  listener?.({ data: 'junk' });
  assert.deepEqual(received, [{ type: 'paused', paused: true }]);
});
