import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { TopologySnapshot } from '../../src/shared/snapshot';
import { countText, findMatches, stepMatch } from '../../webview/find';
import { GraphModel } from '../../webview/graphModel';

const FIXTURE = path.resolve(__dirname, '../../../test/fixtures/webview/snapshot.json');
const recorded = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { snapshot: TopologySnapshot };

function loaded(): GraphModel {
  const model = new GraphModel();
  model.applySnapshot(structuredClone(recorded.snapshot));
  return model;
}

test('find matches process names, process by process, each followed by its sockets named so', () => {
  assert.deepEqual(findMatches(loaded(), 'WORKER'), [
    'devbox:4201:w1', 'devbox:4201:w1/1', 'devbox:4202:w2', 'devbox:4202:w2/1', 'devbox:4203:w3', 'devbox:4203:w3/1',
  ]);
  assert.deepEqual(findMatches(loaded(), 'broker'), ['devbox:4100:a1'], "a process's sockets do not match by its name");
});

test('find matches pids, socket types and names, endpoints (bound and connected) and routing ids', () => {
  const model = loaded();
  assert.deepEqual(findMatches(model, '4302'), ['devbox:4302:c2']);
  assert.deepEqual(findMatches(model, 'router'), ['devbox:4100:a1/1', 'devbox:4100:a1/2']);
  assert.deepEqual(findMatches(model, 'status'), ['devbox:4100:a1/3', 'devbox:4400:m1/1'], 'the PUB named status, the SUB named status-watch');
  assert.deepEqual(findMatches(model, ':5556'), ['devbox:4100:a1/2', 'devbox:4201:w1/1', 'devbox:4202:w2/1', 'devbox:4203:w3/1'], 'the binder and its connectors');
  assert.deepEqual(findMatches(model, 'ghost-7'), ['?peer:devbox:4100:a1/2:67686f73742d37', '?peer:devbox:4100:a1/2:67686f73742d37/0'], 'an unknown peer by its routing id');
  assert.deepEqual(findMatches(model, '<img'), ['devbox:4301:c1/1'], 'a routing id as text');
  assert.ok(!findMatches(model, '0').includes('?peer:devbox:4100:a1/2:67686f73742d37'), "an unknown peer's pid (0) is not a real one");
});

test('no query, no match; sockets of a process the model does not know come last', () => {
  const model = loaded();
  assert.deepEqual(findMatches(model, '   '), []);
  assert.deepEqual(findMatches(model, 'no such thing'), []);
  const socket = recorded.snapshot.sockets.find((s) => s.name === 'frontend');
  assert.ok(socket);
  model.applyDiff({ takenAt: recorded.snapshot.takenAt + 1, sockets: [{ ...socket, id: 'elsewhere:1/1', nodeId: 'elsewhere:1', name: 'frontend-2' }] });
  assert.deepEqual(findMatches(model, 'frontend'), ['devbox:4100:a1/1', 'elsewhere:1/1']);
});

test('Enter steps through the matches and wraps; Shift+Enter goes back; the box says n of m', () => {
  assert.equal(stepMatch(-1, 3, 1), 0);
  assert.equal(stepMatch(0, 3, 1), 1);
  assert.equal(stepMatch(2, 3, 1), 0, 'wraps');
  assert.equal(stepMatch(-1, 3, -1), 2);
  assert.equal(stepMatch(0, 3, -1), 2);
  assert.equal(stepMatch(5, 3, 1), 0, 'a stale position starts again');
  assert.equal(stepMatch(-1, 0, 1), -1);
  assert.equal(countText(1, 3, 'w'), '2 of 3');
  assert.equal(countText(-1, 3, 'w'), '3 matches');
  assert.equal(countText(-1, 1, 'w'), '1 match');
  assert.equal(countText(-1, 0, 'w'), 'no match');
  assert.equal(countText(-1, 0, ' '), '');
});
