/**
 * Start Demo twice must not break the first demo: the pure checks behind it (src/commands/demo.ts)
 * on real ports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { demoPortsFree, freeDemoBase, runningDemo } from '../../src/commands/demo';
import type { TopologySnapshot } from '../../src/shared/snapshot';

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function freeBase(): Promise<number> {
  const base = await freeDemoBase(20_000 + Math.floor(Math.random() * 20_000));
  assert.ok(base !== undefined);
  return base;
}

test('the demo\'s ports: free, one of them taken, and a free base found past the taken ones', async () => {
  const base = await freeBase();
  assert.equal(await demoPortsFree(base), true);
  const held = await listen(base + 2);
  try {
    assert.equal(await demoPortsFree(base), false, 'the status port taken is enough');
    const other = await freeDemoBase(base);
    assert.ok(other !== undefined && other > base + 2 - 3 && other !== base, `a base whose three ports avoid ${base + 2}: ${other}`);
    assert.equal(await demoPortsFree(other!), true);
  } finally {
    held.close();
  }
});

test('a demo already reporting here is found by the broker that binds its ports', () => {
  const node = (id: string, name: string, state: 'live' | 'exited') => ({
    id, pid: 1, host: 'h', name, title: name, runtime: { name: 'node', version: '', binding: '', libzmq: '', disconnectMsg: true },
    agent: { name: 'a', version: '0' }, state, startedAt: 0, lastSeenAt: 0, dropped: 0, malformed: 0,
  });
  const socket = (id: string, nodeId: string, binds: string[]) => ({ id, nodeId, type: 'ROUTER' as const, options: { disconnectMsg: false }, binds, connects: [], closed: false });
  const snapshot = (state: 'live' | 'exited'): TopologySnapshot => ({
    schema: 1, takenAt: 0, nodes: [node('n1', 'broker', state), node('n2', 'worker-1', 'live')],
    sockets: [socket('n1/1', 'n1', ['tcp://127.0.0.1:5556']), socket('n2/1', 'n2', [])], edges: [],
  } as unknown as TopologySnapshot);
  assert.equal(runningDemo(snapshot('live'), 5555)?.name, 'broker');
  assert.equal(runningDemo(snapshot('exited'), 5555), undefined, 'an exited broker is no running demo');
  assert.equal(runningDemo(snapshot('live'), 6555), undefined, 'another base');
});

test('a demo started on free ports is found too: the broker binding three ports in a row, wherever they start', () => {
  const node = (id: string, name: string) => ({
    id, pid: 7, host: 'h', name, title: name, runtime: { name: 'node', version: '', binding: '', libzmq: '', disconnectMsg: true },
    agent: { name: 'a', version: '0' }, state: 'live', startedAt: 0, lastSeenAt: 0, dropped: 0, malformed: 0,
  });
  const socket = (id: string, nodeId: string, bind: string) => ({ id, nodeId, type: 'ROUTER' as const, options: { disconnectMsg: false }, binds: [bind], connects: [], closed: false });
  const snapshot = (name: string, ports: number[]): TopologySnapshot => ({
    schema: 1, takenAt: 0, nodes: [node('n1', name)],
    sockets: ports.map((p, i) => socket(`n1/${i}`, 'n1', `tcp://127.0.0.1:${p}`)), edges: [],
  } as unknown as TopologySnapshot);
  assert.equal(runningDemo(snapshot('broker', [5655, 5656, 5657]))?.pid, 7);
  assert.equal(runningDemo(snapshot('broker', [5655, 5656, 5657]), 5555), undefined, 'not on the default ports');
  assert.equal(runningDemo(snapshot('broker', [5655, 5657, 5700])), undefined, 'no three ports in a row');
  assert.equal(runningDemo(snapshot('my-app', [5655, 5656, 5657])), undefined, 'not the demo\'s broker');
});
