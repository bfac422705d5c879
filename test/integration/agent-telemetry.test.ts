/**
 * Telemetry never costs the app anything: with nobody listening the app does its work and ends by
 * itself, and what was lost is counted; a collector restarted on the same port gets hello and
 * snapshot again at once.
 */
import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import * as net from 'node:net';
import { FakeCollector, freePort, killAll, sleep, startApp } from '../fixtures/agent/harness';

const collectors: FakeCollector[] = [];
after(async () => {
  await killAll();
  for (const c of collectors) await c.stop();
});

test('with no collector listening the app completes and ends by itself; a late collector gets the events of that time, after the snapshot', async () => {
  const port = await freePort();
  const endpoint = `tcp://127.0.0.1:${port}`;
  // Without the agent, for the comparison of run times.
  const plainStart = Date.now();
  const plain = startApp('work-app.js', [], { env: { STAY_MS: '0' } });
  assert.deepEqual(await plain.exited, { code: 0, signal: null });
  const plainMs = Date.now() - plainStart;

  const quickStart = Date.now();
  const quick = startApp('work-app.js', [], { endpoint, env: { STAY_MS: '0' } });
  assert.equal(await quick.line(), 'done');
  assert.deepEqual(await quick.exited, { code: 0, signal: null });
  // The agent may add its exit check (50 ms) on top of the app's own run time, nothing like a hang.
  assert.ok(Date.now() - quickStart < plainMs + 1500, `instrumented run took ${Date.now() - quickStart} ms, plain ${plainMs} ms`);

  const slow = startApp('work-app.js', [], { endpoint, env: { STAY_MS: '4000' } });
  assert.equal(await slow.line(), 'done');
  // The agent reads monitor events on the event loop, so one can be stamped a few ms after the app's
  // "done" line (20 round trips in ~15 ms): the collector starts well after, and "before" means before it.
  await sleep(300);
  const listenedAt = Date.now();
  const collector = await FakeCollector.start(endpoint);
  collectors.push(collector);
  const pid = slow.process.pid!;
  const snapshot = await collector.waitFor('snapshot', () => true, { pid });
  // Monitor events (listening, accept, handshakes) happened with nobody listening: kept, and sent
  // after the snapshot with the times they happened, so the timeline has them; none missed or dropped.
  await collector.waitFor('event', (e) => e.event === 'handshake' && e.address?.startsWith('tcp://127.0.0.1:') === true, { pid });
  const sequence = collector.messages(pid).map((m) => (m.t === 'event' ? `${m.event}${m.at < listenedAt ? ' (before)' : ''}` : m.t));
  const afterSnapshot = sequence.slice(sequence.indexOf('snapshot') + 1).filter((t) => t !== 'beat' && t !== 'traffic');
  for (const kept of ['bind (before)', 'connect (before)', 'accept (before)', 'handshake (before)']) {
    assert.ok(afterSnapshot.includes(kept), `${kept} after the snapshot: ${sequence.join(', ')}`);
  }
  assert.ok(afterSnapshot.filter((t) => t === 'handshake (before)').length === 2, `both ends' handshakes: ${sequence.join(', ')}`);
  assert.equal(sequence.indexOf('hello'), 0, 'hello first');
  assert.equal(snapshot.missed ?? 0, 0, 'nothing beyond what is kept (the newest 1,000 events)');
  assert.equal(snapshot.dropped, 0, 'nothing was lost while a collector listened');
  const peers = snapshot.sockets.flatMap((s) => s.peers);
  assert.equal(peers.reduce((n, p) => n + p.msgsIn, 0), 40, 'the snapshot still carries all traffic (20 jobs + 20 replies)');
  const beat = await collector.waitFor('beat', () => true, { pid, timeoutMs: 3000 });
  assert.equal(beat.dropped, snapshot.dropped);
  assert.equal(beat.missed, snapshot.missed);
  assert.deepEqual(await slow.exited, { code: 0, signal: null });
});

test('a collector restarted on the same port receives hello and snapshot again within 2 s', async () => {
  const first = await FakeCollector.start();
  const app = startApp('router-app.js', [], { endpoint: first.endpoint });
  const pid = app.process.pid!;
  const hello = await first.waitFor('hello', () => true, { pid });
  await first.waitFor('snapshot', () => true, { pid });
  await first.stop();
  await sleep(300);

  const second = await FakeCollector.start(first.endpoint);
  collectors.push(second);
  const restartedAt = Date.now();
  const again = await second.waitFor('hello', () => true, { pid, timeoutMs: 2000 });
  const snapshot = await second.waitFor('snapshot', () => true, { pid, timeoutMs: 2000 - (Date.now() - restartedAt) });
  assert.equal(again.instance, hello.instance, 'the same process start, reconnected');
  assert.deepEqual(snapshot.sockets.map((s) => s.type), ['ROUTER']);
  assert.equal(snapshot.sockets[0].endpoints[0].op, 'bind');
  assert.equal(second.messages(pid)[0].t, 'hello', 'hello comes first');
});

test('a bind that failed before any collector listened reaches it in the snapshot; SUB subscriptions counted as libzmq counts them', async () => {
  const held = net.createServer();
  await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
  try {
    const heldPort = (held.address() as net.AddressInfo).port;
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const app = startApp('bind-fail-app.js', [String(heldPort)], { endpoint, env: { STAY_MS: '4000' } });
    assert.match(await app.line(), /^failed .*in use/i);
    await sleep(200);
    const collector = await FakeCollector.start(endpoint);
    collectors.push(collector);
    const snapshot = await collector.waitFor('snapshot', () => true, { pid: app.process.pid! });
    const router = snapshot.sockets.find((s) => s.type === 'ROUTER')!;
    assert.deepEqual(router.endpoints, [], 'nothing bound');
    assert.equal(router.failed?.length, 1);
    assert.deepEqual({ ...router.failed![0], error: undefined, at: undefined }, { op: 'bind', requested: `tcp://127.0.0.1:${heldPort}`, error: undefined, at: undefined, times: 1 });
    assert.match(router.failed![0].error, /in use/i);
    assert.deepEqual(snapshot.sockets.filter((s) => s.type === 'SUB').map((s) => s.options.subscriptions), [1, 0]);
    assert.deepEqual(await app.exited, { code: 0, signal: null });
  } finally {
    held.close();
  }
});
