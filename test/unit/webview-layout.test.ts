import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipToBox, groupBox, groupHeight, layeredLayout, SOCKET_HEIGHT, SOCKET_WIDTH } from '../../webview/layout';

const groups = [
  { id: 'client-1', socketIds: ['c1/1'], sortKey: 'client-1' },
  { id: 'broker', socketIds: ['b/1', 'b/2'], sortKey: 'broker' },
  { id: 'worker-1', socketIds: ['w1/1'], sortKey: 'worker-1' },
  { id: 'worker-2', socketIds: ['w2/1'], sortKey: 'worker-2' },
  { id: 'lonely', socketIds: [], sortKey: 'lonely' },
];
const edges = [
  { from: 'c1/1', to: 'b/1' },
  { from: 'w1/1', to: 'b/2' },
  { from: 'w2/1', to: 'b/2' },
];

test('layered layout puts connectors left of the sockets they connect to', () => {
  const layout = layeredLayout(groups, edges);
  for (const edge of edges) {
    const from = layout.sockets.get(edge.from);
    const to = layout.sockets.get(edge.to);
    assert.ok(from && to);
    assert.ok(from.x < to.x, `${edge.from} (x=${from.x}) is left of ${edge.to} (x=${to.x})`);
  }
  assert.equal(layout.layers.get('broker'), 1);
  assert.equal(layout.layers.get('client-1'), 0);
  assert.equal(layout.layers.get('lonely'), 0);
});

test('chains get one layer per hop, and cycles still get a layer', () => {
  const chain = layeredLayout(
    [{ id: 'a', socketIds: ['a/1'], sortKey: 'a' }, { id: 'b', socketIds: ['b/1', 'b/2'], sortKey: 'b' }, { id: 'c', socketIds: ['c/1'], sortKey: 'c' }],
    [{ from: 'a/1', to: 'b/1' }, { from: 'b/2', to: 'c/1' }],
  );
  assert.deepEqual(['a', 'b', 'c'].map((id) => chain.layers.get(id)), [0, 1, 2]);
  const cycle = layeredLayout(
    [{ id: 'a', socketIds: ['a/1', 'a/2'], sortKey: 'a' }, { id: 'b', socketIds: ['b/1', 'b/2'], sortKey: 'b' }],
    [{ from: 'a/1', to: 'b/1' }, { from: 'b/2', to: 'a/2' }],
  );
  assert.equal(cycle.layers.size, 2);
  assert.equal(cycle.sockets.size, 4);
});

test('sockets of one process stack inside it without overlapping, and groups in a column do not overlap', () => {
  const layout = layeredLayout(groups, edges);
  const b1 = layout.sockets.get('b/1');
  const b2 = layout.sockets.get('b/2');
  assert.ok(b1 && b2);
  assert.equal(b1.x, b2.x);
  assert.ok(Math.abs(b1.y - b2.y) >= SOCKET_HEIGHT);
  const column = ['client-1', 'worker-1', 'worker-2', 'lonely'].map((id) => ({ id, top: layout.groups.get(id)?.y ?? NaN, height: groupHeight(groups.find((g) => g.id === id)?.socketIds.length ?? 0) }));
  column.sort((a, b) => a.top - b.top);
  for (let i = 1; i < column.length; i++) {
    assert.ok(column[i].top >= column[i - 1].top + column[i - 1].height, `${column[i].id} starts below ${column[i - 1].id}`);
  }
});

test('same input, same layout (no dependence on arrival order)', () => {
  const a = layeredLayout(groups, edges);
  const b = layeredLayout([...groups].reverse(), [...edges].reverse());
  assert.deepEqual([...a.sockets.entries()].sort(), [...b.sockets.entries()].sort());
});

test('group boxes contain their sockets; edges end on the socket border', () => {
  const box = groupBox([{ x: 0, y: 0 }, { x: 0, y: 50 }], { x: 0, y: 0 });
  assert.ok(box.x <= -SOCKET_WIDTH / 2 && box.x + box.width >= SOCKET_WIDTH / 2);
  assert.ok(box.y <= -SOCKET_HEIGHT / 2 && box.y + box.height >= 50 + SOCKET_HEIGHT / 2);
  const end = clipToBox({ x: -1000, y: 0 }, { x: 0, y: 0 }, 0);
  assert.deepEqual(end, { x: -SOCKET_WIDTH / 2, y: 0 });
  const top = clipToBox({ x: 0, y: -1000 }, { x: 0, y: 0 }, 0);
  assert.deepEqual(top, { x: 0, y: -SOCKET_HEIGHT / 2 });
});
