import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EdgeState, TopologySnapshot } from '../../src/shared/snapshot';
import { GraphModel, NO_FILTERS, visibleGraph } from '../../webview/graphModel';
import { groupAlike, worstState } from '../../webview/grouping';
import { aggregateLabel } from '../../webview/itemText';
import { alikePeers as system } from '../browser/topologies';

function visibleOf(snapshot: TopologySnapshot): ReturnType<typeof visibleGraph> {
  const model = new GraphModel();
  model.applySnapshot(snapshot);
  return visibleGraph(model, NO_FILTERS);
}

test('more alike peers than the threshold on one bound socket become one group with one aggregate edge', () => {
  const states: EdgeState[] = ['connected', 'late', 'connected', 'retrying'];
  const visible = visibleOf(system(25, 3, (n) => states[n % states.length]));
  const grouped = groupAlike(visible, 20, new Set());
  const groups = grouped.groups.filter((g) => g.alike);
  assert.equal(groups.length, 1, 'the 25 workers, not the 3 clients');
  const [group] = groups;
  assert.equal(group.alike?.title, 'worker ×25');
  assert.deepEqual([...group.alike?.members ?? []].sort(), Array.from({ length: 25 }, (_, w) => `w${w}`).sort());
  assert.deepEqual(grouped.groups.map((g) => g.id).filter((id) => !id.startsWith('alike:')).sort(), ['b', 'c0', 'c1', 'c2']);
  const edges = grouped.edges.filter((e) => e.from === group.socketIds[0]);
  assert.equal(edges.length, 1);
  assert.equal(edges[0].to, 'b/back', 'it ends on the bound socket');
  assert.equal(edges[0].state, 'retrying', 'the worst state among the members');
  assert.deepEqual(edges[0].rates, { out: 50, in: 25 }, 'the members’ rates summed');
  assert.equal(aggregateLabel(edges[0]), '↻ Σ 75/s', 'its label: the summed msg/s, the worst state’s glyph');
  assert.equal(aggregateLabel({ ...edges[0], state: 'connected' }), 'Σ 75/s', 'no glyph when connected');
  assert.equal(grouped.edges.length, 1 + 3);
  const socket = grouped.sockets.find((s) => s.id === group.socketIds[0]);
  assert.equal(socket?.type, 'DEALER');
  assert.equal(socket?.nodeId, group.id);
  assert.equal(grouped.sockets.length, 2 + 1 + 3);
  assert.equal(visible.groups.length, 29, 'the input is not changed');
});

test('at or below the threshold, with a threshold of 0, or expanded, nothing is grouped', () => {
  const visible = visibleOf(system(20, 0));
  assert.equal(groupAlike(visible, 20, new Set()), visible, '20 is not above 20');
  const more = visibleOf(system(21, 0));
  assert.equal(groupAlike(more, 0, new Set()), more, '0 turns grouping off');
  const id = groupAlike(more, 20, new Set()).groups.find((g) => g.alike)?.id ?? '';
  assert.match(id, /^alike:/);
  assert.equal(groupAlike(more, 20, new Set([id])).groups.length, 22, 'an expanded group shows every peer');
});

test('a peer with more to show (a second socket or a second connection) is not collapsed; names and types split groups', () => {
  const snapshot = system(22, 0);
  snapshot.sockets.push({ ...snapshot.sockets[2], id: 'w0/2', name: 'w0/2' });
  snapshot.edges.push({ ...snapshot.edges[0], id: 'extra', from: 'w0/2' });
  snapshot.nodes[2] = { ...snapshot.nodes[2], name: 'worker-b' };
  const grouped = groupAlike(visibleOf(snapshot), 19, new Set());
  const group = grouped.groups.find((g) => g.alike);
  assert.equal(group?.alike?.title, 'worker ×20', 'w0 has two sockets, w1 another name');
  assert.ok(grouped.groups.some((g) => g.id === 'w0') && grouped.groups.some((g) => g.id === 'w1'));
});

test('the worst state: a silent (dead) connection is worse than a disconnected one, connected is the best', () => {
  assert.equal(worstState(['connected', 'connected']), 'connected');
  assert.equal(worstState(['late', 'connecting', 'connected']), 'late');
  assert.equal(worstState(['disconnected', 'dead', 'retrying']), 'dead');
  assert.equal(worstState(['disconnected', 'retrying']), 'disconnected');
});
