/**
 * A probe never takes or disturbs the app's messages: real app sockets, real workers and subscribers,
 * every message counted. Each test also shows that its counting would catch a thief.
 */
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as zmq from 'zeromq';
import { ProbeManager } from '../../src/probe';
import { Recorder, sleep, waitFor } from '../fixtures/probe/harness';

describe('a probe never takes the app\'s messages', () => {
  const recorder = new Recorder();
  // Frequent rechecks: the refused probe knocks many times while the jobs flow.
  const probes = new ProbeManager(recorder.sink, { reconnectIntervalMs: 50, recheckIntervalMs: 50, heartbeatIntervalMs: 200, heartbeatTimeoutMs: 600 });
  const sockets: zmq.Socket[] = [];
  const own = <S extends zmq.Socket>(socket: S): S => {
    sockets.push(socket);
    return socket;
  };

  after(async () => {
    await probes.dispose();
    for (const socket of sockets) socket.close();
  });

  const status = (id: string) => probes.list().find((p) => p.id === id);

  async function pullAll(worker: zmq.Pull, into: string[]): Promise<void> {
    try {
      for await (const [job] of worker) into.push(job.toString());
    } catch {
      // closed
    }
  }

  it('PUSH app + PULL worker + probe: every job reaches the worker', async (t) => {
    const app = own(new zmq.Push({ linger: 0 }));
    await app.bind('tcp://127.0.0.1:*');
    const worker = own(new zmq.Pull({ linger: 0 }));
    worker.connect(app.lastEndpoint!);
    const got: string[] = [];
    const working = pullAll(worker, got);

    const id = probes.add({ endpoint: app.lastEndpoint!, socketType: 'PUSH' });
    await waitFor('the probe to find the PUSH reachable', () => status(id)?.state === 'reachable');

    const JOBS = 300;
    for (let i = 0; i < JOBS; i++) {
      await app.send(`job-${i}`);
      if (i % 20 === 0) await sleep(40); // spread the jobs over many probe checks
    }
    await waitFor(`${JOBS} jobs at the worker`, () => got.length >= JOBS);
    await sleep(200);
    assert.equal(got.length, JOBS);
    assert.deepEqual(got, Array.from({ length: JOBS }, (_, i) => `job-${i}`));
    const checks = recorder.events(`probe:${id}`).filter((e) => e.event === 'handshake:error:protocol').length;
    t.diagnostic(`${JOBS}/${JOBS} jobs reached the worker while the probe checked the endpoint ${checks} times`);
    assert.ok(checks >= 5, `the probe kept checking during the run (${checks})`);
    assert.equal(status(id)?.state, 'reachable');
    await probes.remove(id);

    // Control: a PULL on the same endpoint (what a naive probe would be) does take jobs.
    const thief = own(new zmq.Pull({ linger: 0 }));
    thief.connect(app.lastEndpoint!);
    const stolen: string[] = [];
    const stealing = pullAll(thief, stolen);
    await sleep(200);
    got.length = 0;
    for (let i = 0; i < 100; i++) await app.send(`more-${i}`);
    await waitFor('100 more jobs somewhere', () => got.length + stolen.length >= 100);
    assert.ok(stolen.length > 0 && got.length < 100, `a PULL peer takes a share (${stolen.length} of 100)`);
    worker.close();
    thief.close();
    await Promise.all([working, stealing]);
  });

  it('ROUTER app broadcasting to every peer it knows: the probe DEALER receives nothing unless addressed', async () => {
    const app = own(new zmq.Router({ linger: 0, mandatory: true }));
    await app.bind('tcp://127.0.0.1:*');
    const client = own(new zmq.Dealer({ linger: 0, routingId: 'client-1' }));
    client.connect(app.lastEndpoint!);

    const id = probes.add({ endpoint: app.lastEndpoint!, socketType: 'ROUTER' });
    await waitFor('the probe connected', () => status(id)?.state === 'connected');

    // The app learns its peers the only way a ROUTER can: from the messages they send.
    const known = new Set<string>();
    await client.send('HELLO');
    const [from] = await app.receive();
    known.add(from.toString());
    assert.deepEqual([...known], ['client-1'], 'the probe never introduced itself');

    const BROADCASTS = 50;
    for (let i = 0; i < BROADCASTS; i++) for (const peer of known) await app.send([peer, `news-${i}`]);
    for (let i = 0; i < BROADCASTS; i++) assert.equal((await client.receive())[0].toString(), `news-${i}`);
    await sleep(300);
    assert.equal(status(id)?.received, 0);

    // Only an explicit send to the probe's own routing id reaches it (and shows the counter works).
    const routingId = status(id)?.routingId;
    assert.ok(routingId);
    await app.send([routingId, 'addressed']);
    await waitFor('the addressed message at the probe', () => status(id)?.received === 1);
    await probes.remove(id);
  });

  it('PUB app (XPUB, to see subscriptions) + subscriber + probe: the probe receives nothing and subscribes to nothing', async () => {
    const app = own(new zmq.XPublisher({ linger: 0 }));
    await app.bind('tcp://127.0.0.1:*');
    const subscriptions: string[] = [];
    const watching = (async () => {
      try {
        for await (const [sub] of app) subscriptions.push(sub.toString('hex'));
      } catch {
        // closed
      }
    })();

    const id = probes.add({ endpoint: app.lastEndpoint!, socketType: 'XPUB' });
    await waitFor('the probe connected', () => status(id)?.state === 'connected');
    const subscriber = own(new zmq.Subscriber({ linger: 0 }));
    subscriber.connect(app.lastEndpoint!);
    subscriber.subscribe('');
    await waitFor('the subscriber\'s subscription', () => subscriptions.length >= 1);

    const MESSAGES = 50;
    for (let i = 0; i < MESSAGES; i++) await app.send(`tick-${i}`);
    for (let i = 0; i < MESSAGES; i++) assert.equal((await subscriber.receive())[0].toString(), `tick-${i}`);
    await sleep(300);
    assert.equal(status(id)?.received, 0);
    assert.deepEqual(subscriptions, ['01'], 'only the real subscriber subscribed (to everything)');
    await probes.remove(id);
    app.close();
    await watching;
  });
});
