/**
 * What an edge and a socket say in the graph (webview/itemText.ts): quiet labels, width by traffic,
 * bound endpoints in the socket box.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EdgeView, SocketView } from '../../src/shared/snapshot';
import { GraphModel, NO_FILTERS, visibleGraph } from '../../webview/graphModel';
import { findMatches } from '../../webview/find';
import { ageLabel, badgeText, edgeClass, groupTitle, groupTooltip, socketEndpointText, socketFailing, socketTooltip, trafficWidth } from '../../webview/itemText';
import type { GroupView } from '../../webview/graphModel';

const edge = (patch: Partial<EdgeView>): EdgeView => ({
  id: 'e', from: 'a', to: 'b', endpoint: 'tcp://127.0.0.1:5555', state: 'connected', heartbeatAgeMs: 800, trafficAgeMs: 100, rates: { out: 0, in: 0 },
  messageTypes: {}, lastDisconnect: null, retryStorm: false, timeline: [], ...patch,
});

function labelOf(item: EdgeView, now = 1000): string {
  const model = new GraphModel();
  model.applySnapshot({ schema: 1, takenAt: 1000, nodes: [], sockets: [], edges: [item] });
  return ageLabel(model, item.id, now);
}

test('an edge label is the age and msg/s; the state shows as a glyph only when not connected', () => {
  assert.equal(labelOf(edge({})), '♥ 0.8s', 'connected, idle: the age alone');
  assert.equal(labelOf(edge({ rates: { out: 3, in: 2.5 } })), '♥ 0.8s · 5.5/s', 'both directions counted');
  assert.equal(labelOf(edge({ rates: { out: 3, in: 2.5 } }), 2000), '♥ 1.8s · 5.5/s', 'the age ticks');
  assert.equal(labelOf(edge({ state: 'late', heartbeatAgeMs: 3000 })), '◔ ♥ 3.0s');
  assert.equal(labelOf(edge({ state: 'connecting', heartbeatAgeMs: null, trafficAgeMs: null })), '… no traffic yet');
  assert.equal(labelOf(edge({ heartbeatAgeMs: null, rates: { out: 40, in: 0 } })), 'traffic 0.1s · 40/s');
  assert.equal(labelOf(edge({ state: 'disconnected', lastDisconnect: { at: 500, message: 'BYE', reason: 'peer process exited' } })), '⊘ disconnected 0.5s ago');
  assert.equal(ageLabel(new GraphModel(), 'gone', 0), '', 'an edge no longer in the model says nothing');
});

test('the edge of peers without an agent says how many connections its one line stands for', () => {
  assert.equal(labelOf(edge({ connections: 3, heartbeatAgeMs: null, rates: { out: 200, in: 0 } })), '×3 · traffic 0.1s · 200/s');
  assert.equal(labelOf(edge({ connections: 0, state: 'disconnected', lastDisconnect: { at: 500, message: null, reason: 'disconnect event' } })), '⊘ disconnected 0.5s ago');
  const placeholder: SocketView = { id: 's', nodeId: 'n', type: 'UNKNOWN', name: 'peers without an agent', options: { disconnectMsg: false }, binds: [], connects: [], closed: false, unknown: true };
  assert.ok(socketTooltip(placeholder).includes('Processes without an agent, counted by the socket they connect to.'), socketTooltip(placeholder).join('\n'));
  // Its process box: named for what it is, not "unknown peer".
  const model = new GraphModel();
  const node = { id: 'n', pid: 0, host: 'h', name: 'peers without an agent', title: 'unknown peer', runtime: { name: 'unknown', version: '', binding: '', libzmq: '', disconnectMsg: false },
    agent: { name: 'none', version: '' }, state: 'live' as const, unknown: true as const, startedAt: 0, lastSeenAt: 0, dropped: 0, malformed: 0 };
  model.applySnapshot({ schema: 1, takenAt: 1000, nodes: [node], sockets: [placeholder], edges: [] });
  const group = { id: 'n', node, socketIds: ['s'] } as unknown as GroupView;
  assert.equal(groupTitle(model, group), 'peers without an agent');
  assert.match(groupTooltip(model, group).join('\n'), /without the agent/);
  // Named once the host's kernel table names them.
  const named = edge({ id: 'u', from: 's', to: 'b', connections: 2, kernelPeers: [{ address: '127.0.0.1:50000', pid: 4242, command: '/usr/bin/python3 wuclient.py' }, { address: '10.0.0.7:1' }] });
  model.applySnapshot({ schema: 1, takenAt: 1000, nodes: [node], sockets: [placeholder], edges: [named] });
  assert.equal(groupTitle(model, group), 'no agent: wuclient.py +1');
  assert.ok(groupTooltip(model, group).includes('pid 4242 /usr/bin/python3 wuclient.py (from 127.0.0.1:50000)'), groupTooltip(model, group).join('\n'));
  // The text filter finds the placeholder by those names and pids.
  const bound: SocketView = { ...placeholder, id: 'b', nodeId: 'm', type: 'PUB', name: undefined, binds: ['tcp://0.0.0.0:5556'], unknown: undefined };
  model.applySnapshot({ schema: 1, takenAt: 1000, nodes: [node], sockets: [placeholder, bound], edges: [named] });
  for (const text of ['wuclient', '4242']) {
    assert.ok(visibleGraph(model, { ...NO_FILTERS, text }).sockets.some((s) => s.id === 's'), `filtering by ${text}`);
  }
  assert.ok(!visibleGraph(model, { ...NO_FILTERS, text: 'nothing-like-it' }).sockets.some((s) => s.id === 's'));
  assert.deepEqual(findMatches(model, 'wuclient'), ['s'], 'and Ctrl+F finds it');
  const ghost = { ...placeholder, id: 'g', routingId: { hex: '00' } };
  model.applySnapshot({ schema: 1, takenAt: 1000, nodes: [node], sockets: [ghost], edges: [] });
  assert.equal(groupTitle(model, { ...group, socketIds: ['g'] }), 'unknown peer (no agent)', 'an unknown peer R stays one');
});

test('edge width grows with the log of msg/s, clamped, in half steps', () => {
  assert.equal(trafficWidth(edge({})), 0);
  assert.equal(trafficWidth(edge({ rates: { out: NaN, in: 0 } })), 0);
  const widths = [1, 10, 100, 1000, 10_000].map((rate) => trafficWidth(edge({ rates: { out: rate, in: 0 } })));
  assert.deepEqual(widths, [...widths].sort((a, b) => a - b), 'more traffic, never thinner');
  assert.ok(widths[0] < widths[4] && widths.every((w) => w * 2 === Math.round(w * 2)), JSON.stringify(widths));
  assert.equal(trafficWidth(edge({ rates: { out: 1e9, in: 1e9 } })), widths[4], 'clamped at 10k msg/s');
});

test('a bound socket shows its endpoints short; connecting sockets and unknown peers show none', () => {
  const socket = (binds: string[], unknown = false, type: SocketView['type'] = 'ROUTER'): SocketView => ({ id: 's', nodeId: 'n', type, options: { disconnectMsg: false }, binds, connects: [], closed: false, unknown });
  assert.equal(socketEndpointText(socket(['tcp://0.0.0.0:5555'])), ':5555');
  assert.equal(socketEndpointText(socket(['tcp://*:5556'])), ':5556');
  assert.equal(socketEndpointText(socket(['tcp://127.0.0.1:5557'])), ':5557', 'loopback: the port tells the sockets apart');
  assert.equal(socketEndpointText(socket(['tcp://10.1.2.3:5557'])), '10.1.2.3:5557');
  assert.equal(socketEndpointText(socket(['tcp://*:5555', 'ipc:///tmp/a'])), ':5555 ipc://…', 'cut to the room the type leaves');
  assert.equal(socketEndpointText(socket(['tcp://*:5555'], false, 'PUB')), ':5555');
  assert.ok(socketEndpointText(socket(['tcp://host.example.org:5555'], false, 'PUB')).length > socketEndpointText(socket(['tcp://host.example.org:5555'])).length, 'a shorter type leaves more room');
  assert.equal(socketEndpointText(socket(['tcp://*:5555'], false, 'SERVER')), '', 'no room beside "SERVER (draft)": the tooltip and details have it');
  assert.equal(socketEndpointText(socket([])), '');
  assert.equal(socketEndpointText(socket(['tcp://*:5555'], true)), '', 'an unknown peer says where it was seen in its name line');
});

test('a socket whose bind failed shows the port it meant, marked, in its box and the error in its tooltip', () => {
  const failure = { op: 'bind' as const, endpoint: 'tcp://*:5555', error: 'Address already in use', at: 0, times: 3 };
  const socket: SocketView = { id: 's', nodeId: 'n', type: 'ROUTER', options: { disconnectMsg: false }, binds: [], connects: [], closed: false, failed: [failure] };
  assert.equal(socketEndpointText(socket), '✖:5555');
  assert.equal(socketEndpointText({ ...socket, binds: ['tcp://0.0.0.0:6000'] }), ':6000 ✖:5555');
  assert.ok(socketFailing(socket));
  assert.ok(!socketFailing({ ...socket, failed: undefined }));
  assert.ok(socketTooltip(socket).includes('✖ bind tcp://*:5555 failed: Address already in use (3 times)'), socketTooltip(socket).join('\n'));
  assert.equal(socketEndpointText({ ...socket, failed: [{ ...failure, op: 'connect' }] }), '', 'a failed connect is no place the socket is bound');
});

test('an edge between types that cannot talk carries the refusal as its badge, before any disconnect message', () => {
  const refused = edge({ incompatible: { from: 'PUSH', to: 'PUB' }, state: 'disconnected', lastDisconnect: { at: 0, message: 'BYE', reason: 'disconnect event' } });
  assert.equal(badgeText(refused), '⚠ refused: PUSH ↛ PUB');
  assert.match(edgeClass(refused, 'edge', null), /\btypes-refused\b/);
  assert.equal(badgeText(edge({ state: 'disconnected', lastDisconnect: { at: 0, message: 'BYE', reason: 'disconnect event' } })), '⊘ BYE');
});

test('an unknown peer the ROUTER only sent to carries "never heard from" as its badge, faded', () => {
  const unheard = edge({ unheard: true, state: 'connecting' });
  assert.equal(badgeText(unheard), '⚠ never heard from');
  assert.match(edgeClass(unheard, 'edge', null), /\bunheard\b/);
});

test('a SUB subscribed to nothing is outlined and its tooltip says why it receives nothing; one with a subscription, or an old agent\'s (no count), is not', () => {
  const sub = (subscriptions: number | undefined): SocketView => ({ id: 's', nodeId: 'n', type: 'SUB', options: { disconnectMsg: false, ...(subscriptions !== undefined ? { subscriptions } : {}) }, binds: [], connects: ['tcp://h:1'], closed: false });
  assert.ok(socketFailing(sub(0)));
  assert.ok(socketTooltip(sub(0)).some((line) => line.startsWith('⚠ no subscription')));
  assert.ok(!socketFailing(sub(1)));
  assert.ok(!socketFailing(sub(undefined)));
  assert.ok(!socketFailing({ ...sub(0), closed: true }));
});
