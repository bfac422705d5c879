import { test } from 'node:test';
import assert from 'node:assert/strict';
import { curveBounds, curveMid, distanceToCurve, hitTest, screenDash, type CanvasScene } from '../../webview/canvasRenderer';
import { SOCKET_HEIGHT, SOCKET_WIDTH } from '../../webview/layout';

const curve = { start: { x: 0, y: 0 }, control: { x: 50, y: 0 }, end: { x: 100, y: 0 } };

test('distanceToCurve and curveMid follow the quadratic curve', () => {
  assert.deepEqual(curveMid(curve), { x: 50, y: 0 });
  assert.ok(distanceToCurve({ x: 30, y: 4 }, curve) <= 4.001);
  assert.ok(distanceToCurve({ x: 130, y: 0 }, curve) >= 29.9);
  const bent = { start: { x: 0, y: 0 }, control: { x: 50, y: 100 }, end: { x: 100, y: 0 } };
  assert.ok(distanceToCurve(curveMid(bent), bent) < 0.5, 'the midpoint lies on the curve');
});

test('a layered route is a polyline: its middle is half way along, its distance is to the nearest segment', () => {
  const route = { start: { x: 0, y: 0 }, control: { x: 100, y: 100 }, end: { x: 200, y: 100 }, via: [{ x: 100, y: 0 }, { x: 100, y: 100 }] };
  assert.deepEqual(curveMid(route), { x: 100, y: 50 }, '300 long: the middle is 150 along');
  assert.equal(distanceToCurve({ x: 110, y: 40 }, route), 10);
  assert.equal(distanceToCurve({ x: 50, y: 100 }, route), 50, 'not the straight line start → end');
  assert.deepEqual(curveBounds(route), { x0: 0, y0: 0, x1: 200, y1: 100 });
});

test('screenDash keeps patterns as they are zoomed in and stretches sub-pixel dashes zoomed out', () => {
  assert.deepEqual(screenDash([], 0.01), []);
  assert.deepEqual(screenDash([10, 4], 1), [10, 4]);
  const far = screenDash([10, 4], 0.05);
  assert.ok(Math.abs((far[0] + far[1]) * 0.05 - 8) < 1e-9, 'one period is 8 screen pixels');
  assert.ok(Math.abs(far[0] / far[1] - 10 / 4) < 1e-9, 'same on/off proportions, so states stay apart');
});

test('hitTest: edges (and their labels) above sockets above process boxes', () => {
  const scene: CanvasScene = {
    groups: [{ id: 'g', x: -100, y: -100, width: 400, height: 300, title: 'p', exited: false, stale: false, unknown: false, selected: false }],
    sockets: [{ id: 's', x: 0, y: 0, typeText: 'DEALER', nameText: 'w', endpointText: '', unknown: false, closed: false, failed: false, binder: false, matched: false, selected: false }],
    edges: [{ id: 'e', state: 'connected', curve: { start: { x: 0, y: 10 }, control: { x: 100, y: 10 }, end: { x: 200, y: 10 } }, exited: false, retryStorm: false, refused: false, selected: false, related: false, badge: null, label: { x: 100, y: 10 }, traffic: 0 }],
  };
  assert.deepEqual(hitTest(scene, { x: 60, y: 12 }, 4, false), { kind: 'edge', id: 'e' }, 'an edge over a socket wins');
  assert.deepEqual(hitTest(scene, { x: 0, y: -SOCKET_HEIGHT / 2 + 2 }, 4, false), { kind: 'socket', id: 's' });
  assert.deepEqual(hitTest(scene, { x: SOCKET_WIDTH, y: 150 }, 4, false), { kind: 'group', id: 'g' });
  assert.equal(hitTest(scene, { x: 500, y: 500 }, 4, false), null);
  assert.deepEqual(hitTest(scene, { x: 140, y: -2 }, 4, true), { kind: 'edge', id: 'e' }, 'the age label above the midpoint is the edge');
  assert.deepEqual(hitTest(scene, { x: 140, y: -2 }, 4, false), { kind: 'group', id: 'g' }, 'hidden labels are not hit');
});
