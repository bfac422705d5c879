import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { NodeView } from '../../src/shared/snapshot';
import { instrumentedNodeName, nodesOfSession, processEventPid, sessionOfNode, type SessionLink } from '../../src/launch/debugSessions';

const HOST = 'devbox';
const node = (over: Partial<NodeView>): NodeView => ({
  id: `${over.host ?? HOST}:${over.pid ?? 1}:i`, pid: 1, host: HOST, name: 'broker', title: 'node', state: 'live',
  runtime: { name: 'node', version: 'v20', binding: 'zeromq.js', libzmq: '4.3.5', disconnectMsg: true },
  agent: { name: 'zmq-topology-node', version: '0.1.0' }, startedAt: 10_000, lastSeenAt: 10_000, dropped: 0, malformed: 0,
  ...over,
} as NodeView);
const link = (over: Partial<SessionLink>): SessionLink => ({ sessionId: 's1', nodeName: 'broker', pids: [], startedAt: 9_000, ...over });

describe('debug session ↔ node', () => {
  it('a pid from the adapter\'s process event is the exact match, whatever the name', () => {
    const mine = node({ pid: 42, name: 'renamed-by-app' });
    const other = node({ pid: 43, name: 'broker' });
    assert.deepEqual(nodesOfSession(link({ pids: [42] }), [other, mine], HOST), [mine]);
    assert.equal(sessionOfNode(mine, [link({ sessionId: 'a', pids: [42] }), link({ sessionId: 'b' })], HOST)?.sessionId, 'a');
  });

  it('without a pid: the name, live before exited, newest first, never older than the session', () => {
    const old = node({ pid: 1, startedAt: 1_000 });
    const exited = node({ pid: 2, startedAt: 12_000, state: 'exited' });
    const live = node({ pid: 3, startedAt: 11_000 });
    assert.deepEqual(nodesOfSession(link({}), [old, exited, live], HOST).map((n) => n.pid), [3, 2]);
  });

  it('a node goes to the latest session with its name started before it (F5 twice)', () => {
    const links = [link({ sessionId: 'first', startedAt: 1_000 }), link({ sessionId: 'second', startedAt: 9_000 }), link({ sessionId: 'later', startedAt: 50_000 })];
    assert.equal(sessionOfNode(node({ startedAt: 10_000 }), links, HOST)?.sessionId, 'second');
    assert.equal(sessionOfNode(node({ startedAt: 2_000 }), links, HOST)?.sessionId, 'first');
  });

  it('probes, unknown peers and other hosts are never a session\'s node', () => {
    const links = [link({ pids: [1] })];
    assert.equal(sessionOfNode(node({ probe: true }), links, HOST), undefined);
    assert.equal(sessionOfNode(node({ unknown: true }), links, HOST), undefined);
    assert.equal(sessionOfNode(node({ host: 'elsewhere' }), links, HOST), undefined, 'pid 1 on another host is another process');
    assert.deepEqual(nodesOfSession(link({}), [node({ host: 'elsewhere' })], HOST), []);
  });

  it('reads the pid of a DAP process event and nothing else', () => {
    assert.equal(processEventPid({ type: 'event', event: 'process', body: { name: 'w.py', systemProcessId: 4321, startMethod: 'launch' } }), 4321);
    for (const m of [
      { type: 'event', event: 'process', body: { name: 'x' } },
      { type: 'event', event: 'output', body: { systemProcessId: 1 } },
      { type: 'response', event: 'process', body: { systemProcessId: 1 } },
      { type: 'event', event: 'process', body: { systemProcessId: -1 } },
      null, 'process',
    ]) assert.equal(processEventPid(m), undefined, JSON.stringify(m));
  });

  it('knows an instrumented configuration by the variables the provider set', () => {
    assert.equal(instrumentedNodeName({ ZMQ_TOPOLOGY_ENDPOINT: 'tcp://127.0.0.1:5599', ZMQ_TOPOLOGY_NODE: 'worker-1' }), 'worker-1');
    assert.equal(instrumentedNodeName({ ZMQ_TOPOLOGY_NODE: 'worker-1' }), undefined);
    assert.equal(instrumentedNodeName(undefined), undefined);
  });
});
