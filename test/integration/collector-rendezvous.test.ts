/**
 * A reload never strands the agents: the new collector tries the taken port a while before falling
 * back, and when it does fall back, agents given the old port find it through its rendezvous note as
 * soon as the old collector is gone (Node and Python agents, real processes, real ports).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Collector } from '../../src/collector/collector';
import { TopologyStore } from '../../src/model/store';
import { findCollector } from '../../src/protocol/rendezvous';
import { FIXTURES, NODE_AGENT, ROOT } from '../helpers/system';
import { python } from '../helpers/python';
import { freePort } from '../helpers/truth';

async function until<T>(what: string, check: () => T | undefined | false, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function collectorOn(port: number, busyPortRetryMs = 0): { store: TopologyStore; collector: Collector } {
  const store = new TopologyStore({ sweepIntervalMs: 50, notifyIntervalMs: 50 });
  return { store, collector: new Collector(store, { port, fallbackToFreePort: true, busyPortRetryMs }) };
}

const names = (store: TopologyStore) => store.snapshot().nodes.filter((n) => n.state === 'live' && !n.unknown).map((n) => n.name).sort();

describe('a collector that comes back on another port', () => {
  const children: ChildProcess[] = [];
  const runtime = fs.mkdtempSync(path.join(os.tmpdir(), 'zmq-topology-rendezvous-'));
  const savedRuntime = process.env.XDG_RUNTIME_DIR;
  const stops: (() => Promise<void>)[] = [];

  before(() => {
    // The note goes to this test's own per-user folder, and the agents read it from there.
    process.env.XDG_RUNTIME_DIR = runtime;
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    for (const stop of stops) await stop().catch(() => undefined);
    if (savedRuntime === undefined) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = savedRuntime;
    fs.rmSync(runtime, { recursive: true, force: true });
  });

  test('waits for a port its owner is letting go of, instead of falling back', async () => {
    const port = await freePort();
    const old = collectorOn(port);
    await old.collector.start();
    const fresh = collectorOn(port, 3000);
    stops.push(() => fresh.collector.stop());
    let fellBack = false;
    fresh.collector.on('fallback', () => (fellBack = true));
    setTimeout(() => void old.collector.stop(), 600);
    const endpoint = await fresh.collector.start();
    assert.equal(endpoint, `tcp://127.0.0.1:${port}`);
    assert.equal(fellBack, false);
    await fresh.collector.stop();
  });

  test('falls back when the port stays taken, and the agents given that port move to it once the old collector is gone', async () => {
    const port = await freePort();
    const requested = `tcp://127.0.0.1:${port}`;
    const old = collectorOn(port);
    await old.collector.start();
    stops.push(() => old.collector.stop());
    const env = { ...process.env, ZMQ_TOPOLOGY_ENDPOINT: requested, PYTHONPATH: path.join(ROOT, 'agents', 'python'), PYTHONUNBUFFERED: '1' };
    const appPort = await freePort();
    const start = (cmd: string, args: string[], name: string) => {
      const child = spawn(cmd, args, { cwd: ROOT, env: { ...env, ZMQ_TOPOLOGY_NODE: name }, stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(child);
    };
    start(process.execPath, ['-r', NODE_AGENT, path.join(FIXTURES, 'realapps', 'echo-router.js'), `tcp://127.0.0.1:${appPort}`], 'node-router');
    start(python(), [path.join(FIXTURES, 'realapps', 'dealer_client.py'), `tcp://127.0.0.1:${appPort}`], 'py-dealer');
    await until('both apps on the old collector', () => names(old.store).length === 2, 15_000);

    const fresh = collectorOn(port, 500);
    stops.push(() => fresh.collector.stop());
    const fallbacks: string[] = [];
    fresh.collector.on('fallback', (_port: number, endpoint: string) => fallbacks.push(endpoint));
    const endpoint = await fresh.collector.start();
    assert.notEqual(endpoint, requested, 'the port stayed taken: a free one was bound');
    assert.deepEqual(fallbacks, [endpoint]);
    assert.equal(findCollector(requested), endpoint, 'the note says where the collector for that port is now');
    assert.deepEqual(names(fresh.store), [], 'while the old collector answers, the agents stay with it');

    const goneAt = Date.now();
    await old.collector.stop();
    await until('both apps on the new collector', () => names(fresh.store).length === 2, 10_000);
    console.log(`# agents found the fallback collector ${Date.now() - goneAt} ms after the old one stopped`);
    assert.deepEqual(names(fresh.store), ['node-router', 'py-dealer']);
    await until('the picture whole again: the DEALER\'s one edge into the ROUTER, connected, no unknown peer', () => {
      const s = fresh.store.snapshot();
      return s.edges.length === 1 && s.edges[0].state === 'connected' && !s.nodes.some((n) => n.unknown);
    }, 5_000);
  });
});
