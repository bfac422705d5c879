/**
 * A mixed system through the real collector: a Node ROUTER broker with Python DEALER workers.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { FIXTURES, System } from '../helpers/system';
import { python } from '../helpers/python';
import type { EdgeView, TopologySnapshot } from '../../src/shared/snapshot';

let system: System;
after(() => system?.stop());

function workerEdge(s: TopologySnapshot, name: string): EdgeView | undefined {
  const node = s.nodes.find((n) => n.name === name);
  const socket = node && s.sockets.find((k) => k.nodeId === node.id && k.type === 'DEALER');
  return socket && s.edges.find((e) => e.from === socket.id);
}

test('Node broker + Python workers: the right edges, heartbeat ages, and a disconnect on kill -9', async () => {
  system = await System.start();
  const broker = system.spawnNode(path.join(FIXTURES, 'system', 'router.js'), [], { name: 'node-broker' });
  const endpoint = await broker.firstLine;
  const workers = ['py-1', 'py-2'].map((name) =>
    system.spawnPython(python(), path.join(FIXTURES, 'python', 'worker.py'), [name, endpoint], name));

  const s = await system.waitFor('two connected Python edges with heartbeats', (snap) => {
    const edges = ['py-1', 'py-2'].map((n) => workerEdge(snap, n));
    return edges.every((e) => e?.state === 'connected' && e.heartbeatAgeMs !== null && e.heartbeatAgeMs < 2000) ? snap : undefined;
  }, 10_000);
  const router = s.sockets.find((k) => k.type === 'ROUTER' && s.nodes.find((n) => n.id === k.nodeId)?.name === 'node-broker');
  assert.ok(router);
  for (const name of ['py-1', 'py-2']) {
    const edge = workerEdge(s, name)!;
    assert.equal(edge.to, router.id, `${name} connects to the Node ROUTER`);
    assert.equal(edge.routingId?.text, name);
    assert.equal(s.nodes.find((n) => n.name === name)?.runtime.name, 'python');
  }

  const victim = workerEdge(s, 'py-2')!;
  const killedAt = Date.now();
  workers[1]!.process.kill('SIGKILL');
  const gone = await system.waitFor('py-2 disconnected', (snap) => {
    const e = snap.edges.find((x) => x.id === victim.id);
    return e?.state === 'disconnected' ? e : undefined;
  }, 3000);
  console.log(`python worker kill -9 → disconnected in ${Date.now() - killedAt} ms (${gone.lastDisconnect?.reason})`);
  assert.ok(Date.now() - killedAt < 1000);
  assert.equal(workerEdge(system.store.snapshot(), 'py-1')?.state, 'connected', 'the other worker is untouched');
});
