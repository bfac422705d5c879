/**
 * The extension's probe wiring (ProbeService): ProbeManager's sink feeds the TopologyStore as agent
 * `probe:<id>`, and removing the probe marks its node exited. Real sockets, real store.
 */
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as zmq from 'zeromq';
import { ProbeManager } from '../../src/probe';
import { TopologyStore } from '../../src/model/store';
import type { TopologySnapshot } from '../../src/shared/snapshot';

async function until<T>(what: string, fn: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = fn();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('probe → store, as the extension wires it', () => {
  const store = new TopologyStore({ notifyIntervalMs: 50 });
  store.start();
  const probes = new ProbeManager((agentKey, msg) => store.apply(agentKey, msg, Date.now()), { beatIntervalMs: 100, heartbeatIntervalMs: 200, heartbeatTimeoutMs: 600 });
  const app = new zmq.Router({ linger: 0 });

  after(async () => {
    await probes.dispose();
    app.close();
    store.dispose();
  });

  it('shows the probe as a probe process connected to the endpoint; removed, it is exited', async () => {
    await app.bind('tcp://127.0.0.1:*');
    const endpoint = app.lastEndpoint ?? '';
    const id = probes.add({ endpoint, socketType: 'ROUTER' });
    const node = await until('the probe node', () => store.snapshot().nodes.find((n) => n.probe && n.name === `probe ${endpoint}`));
    assert.equal(node.state, 'live');
    const socket = (s: TopologySnapshot) => s.sockets.find((k) => k.nodeId === node.id);
    assert.equal(socket(store.snapshot())?.type, 'DEALER');
    assert.deepEqual(socket(store.snapshot())?.connects, [endpoint]);
    await until('connected', () => probes.list().find((p) => p.id === id)?.state === 'connected');
    assert.equal(await probes.remove(id), true);
    await until('the probe node exited', () => store.snapshot().nodes.find((n) => n.id === node.id)?.state === 'exited');
  });
});
