import { test } from 'node:test';
import assert from 'node:assert/strict';
import { edgeAgeLabel, formatAge, renderTable, terminalSafe } from '../../src/cli/table';
import type { TopologySnapshot } from '../../src/shared/snapshot';

const runtime = { name: 'node', version: '20.20.2', binding: 'zeromq.js 6.8.0', libzmq: '4.3.5', disconnectMsg: true };
const agent = { name: 'zmq-topology-node', version: '0.1.0' };

function snapshot(): TopologySnapshot {
  const node = (id: string, name: string, state: 'live' | 'exited') => ({
    id, pid: 100, host: 'h', name, title: 'node', runtime, agent, state, startedAt: 0, lastSeenAt: 0, dropped: 0, malformed: 0,
  });
  const socket = (id: string, nodeId: string, type: 'ROUTER' | 'DEALER', name?: string) => ({
    id, nodeId, type, name, options: { disconnectMsg: false }, binds: [], connects: [], closed: false,
  });
  return {
    schema: 1, takenAt: 1000,
    collector: { endpoint: 'tcp://127.0.0.1:5599', listening: true, malformed: { 'not-json': 2 }, agents: 2 },
    nodes: [node('b', 'broker', 'live'), node('w', 'worker-1', 'exited')],
    sockets: [socket('b/1', 'b', 'ROUTER', 'backend'), socket('w/1', 'w', 'DEALER')],
    edges: [{
      id: 'e1', from: 'w/1', to: 'b/1', endpoint: 'tcp://127.0.0.1:5556', routingId: { hex: '77', text: 'w' },
      state: 'disconnected', heartbeatAgeMs: 800, trafficAgeMs: 100, rates: { out: 1, in: 1 }, messageTypes: {},
      lastDisconnect: { at: 900, message: 'WORKER_GONE\u001b[31m', reason: 'peer process exited' }, retryStorm: false, timeline: [],
    }],
  };
}

test('ages read as a person reads them', () => {
  assert.equal(formatAge(null), '—');
  assert.equal(formatAge(830), '0.8s');
  assert.equal(formatAge(45_200), '45s');
  assert.equal(formatAge(600_000), '10m');
  assert.equal(edgeAgeLabel({ heartbeatAgeMs: 800, trafficAgeMs: 10 }), '♥ 0.8s');
  assert.equal(edgeAgeLabel({ heartbeatAgeMs: null, trafficAgeMs: 3200 }), 'traffic 3.2s');
  assert.equal(edgeAgeLabel({ heartbeatAgeMs: null, trafficAgeMs: null }), '—');
});

test('the table lists processes and connections with state, age and the disconnect message', () => {
  const text = renderTable(snapshot(), { width: 200, color: false });
  assert.match(text, / · 1 process running, 1 exited · 2 sockets · 1 connections · 0 late · 1 down · 2 malformed frames/);
  assert.match(text, /^broker\s+100\s+node 20\.20\.2\s+live/m);
  assert.match(text, /^worker-1\s+100\s+node 20\.20\.2\s+exited/m);
  assert.match(text, /worker-1\/DEALER\s+broker\/ROUTER\(backend\)\s+tcp:\/\/127\.0\.0\.1:5556\s+disconnected\s+gone 0\.1s/);
  assert.match(text, /WORKER_GONE\\x1b\[31m \(peer process exited\)/);
});

test('a connection the ROUTER never reads (its routing id held by another) says so in its state', () => {
  const s = snapshot();
  s.edges[0] = { ...s.edges[0], state: 'connected', lastDisconnect: null, routingIdClash: { with: ['e2'], serves: false, handover: false } };
  assert.match(renderTable(s, { width: 200, color: false }), /connected ⚠\s+♥ 0\.8s\s+1\.0\/1\.0\s+refused: routing id in use$/m);
});

test('untrusted text never reaches the terminal as an escape sequence', () => {
  assert.equal(terminalSafe('a\u001b[2Jb\u0007'), 'a\\x1b[2Jb\\x07');
  const text = renderTable(snapshot(), { width: 200, color: false });
  assert.equal(text.includes('\u001b'), false);
});

test('a narrow terminal shrinks the columns but keeps the whole disconnect text', () => {
  const wide = renderTable(snapshot(), { width: 200, color: false }).split('\n').find((l) => l.includes('disconnected'));
  const narrow = renderTable(snapshot(), { width: 80, color: false }).split('\n').find((l) => l.includes('disconnected'));
  assert.ok(wide && narrow);
  assert.ok(narrow.length < wide.length, 'columns shrink on a narrow terminal');
  assert.match(narrow, /\(peer process exited\)$/);
});

test('a bind that failed is listed under the table with its error and who held the port', () => {
  const s = snapshot();
  s.sockets[1] = { ...s.sockets[1], failed: [{ op: 'bind', endpoint: 'tcp://*:5556', error: 'Address already in use', at: 900, times: 3, heldBy: 'b/1' }] };
  const text = renderTable(s, { width: 200, color: false });
  assert.match(text, /✖ worker-1\/DEALER: bind tcp:\/\/\*:5556 failed: Address already in use \(3 times\) — bound by ROUTER backend in broker \(pid 100\)/);
  assert.doesNotMatch(renderTable(snapshot(), { width: 200, color: false }), /✖/);
});

test('a SUB subscribed to nothing is listed under the table', () => {
  const s = snapshot();
  s.sockets[1] = { ...s.sockets[1], type: 'SUB', options: { disconnectMsg: false, subscriptions: 0 } };
  assert.match(renderTable(s, { width: 200, color: false }), /⚠ worker-1\/SUB: no subscription: /);
});
