/**
 * A probe on an instrumented app's ROUTER is one edge, tied by the probe's own routing id: the app's
 * agent sees the probe only when it goes (the ROUTER's disconnect message), and that must land on the
 * probe's edge, never make an "unknown peer" beside it. Real app process, real probe, one store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ProbeManager } from '../../src/probe';
import type { TopologySnapshot } from '../../src/shared/snapshot';
import { FIXTURES, System } from '../helpers/system';
import { freePort } from '../helpers/truth';

describe('a probe on an instrumented ROUTER', () => {
  let system: System;
  let probes: ProbeManager;
  let endpoint: string;

  before(async () => {
    system = await System.start();
    probes = new ProbeManager((agentKey, msg) => system.store.apply(agentKey, msg, Date.now()), { beatIntervalMs: 100, heartbeatIntervalMs: 200, heartbeatTimeoutMs: 600 });
    endpoint = `tcp://127.0.0.1:${await freePort()}`;
    await system.spawnNode(path.join(FIXTURES, 'realapps', 'echo-router.js'), [endpoint], { name: 'app' }).firstLine;
  });

  after(async () => {
    await probes.dispose();
    await system.stop();
  });

  const intoRouter = (s: TopologySnapshot) => {
    const router = s.sockets.find((k) => k.type === 'ROUTER' && s.nodes.find((n) => n.id === k.nodeId)?.name === 'app');
    return router ? s.edges.filter((e) => e.to === router.id) : [];
  };

  it('shows one edge from the probe, attributed by its routing id, and keeps it one after the probe goes', async () => {
    const id = probes.add({ endpoint, socketType: 'ROUTER' });
    const edges = await system.waitFor('the probe\'s edge into the app\'s ROUTER, connected', (s) => {
      const found = intoRouter(s);
      return found.length === 1 && found[0].state === 'connected' ? found : undefined;
    }, 10_000);
    const s = system.store.snapshot();
    const probeSocket = s.sockets.find((k) => k.id === edges[0].from);
    assert.ok(s.nodes.find((n) => n.id === probeSocket?.nodeId)?.probe, 'the edge starts at the probe');
    assert.equal(s.nodes.filter((n) => n.unknown).length, 0, 'no unknown peer');

    await probes.remove(id);
    const gone = await system.waitFor('the probe\'s edge down after it was removed', (s2) => {
      const found = intoRouter(s2);
      return found.length >= 1 && found.every((e) => e.state === 'disconnected') ? found : undefined;
    }, 10_000);
    // The app's ROUTER heard the probe go (its disconnect token): on the probe's edge, not beside it.
    await new Promise((r) => setTimeout(r, 600));
    const after = system.store.snapshot();
    assert.equal(intoRouter(after).length, 1, JSON.stringify(intoRouter(after).map((e) => e.id)));
    assert.match(gone[0].routingId?.text ?? '', /^zmq-topology-probe-/, 'the edge carries the probe\'s routing id');
    assert.equal(after.nodes.filter((n) => n.unknown).length, 0, 'still no unknown peer');
    const edge = intoRouter(after)[0];
    assert.ok(edge.attribution === 'routing-id' || edge.attribution === undefined, `attributed by its id, not guessed: ${edge.attribution}`);
  });
});
