/**
 * A probe reports reachability from real sockets: connected, retrying, a killed peer and a frozen
 * peer (detected by the ZMTP heartbeat timeout). Every message it emits is valid telemetry.
 */
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as zmq from 'zeromq';
import { decode, encode } from '../../src/protocol/codec';
import { ProbeManager } from '../../src/probe';
import { Recorder, killApp, sleep, startRouterApp, unusedPort, waitFor, type AppProcess } from '../fixtures/probe/harness';

const HEARTBEAT = { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 600 };

describe('probe reachability', () => {
  const recorder = new Recorder();
  const probes = new ProbeManager(recorder.sink, { reconnectIntervalMs: 100, beatIntervalMs: 100, ...HEARTBEAT });
  const apps: AppProcess[] = [];
  const sockets: zmq.Socket[] = [];

  after(async () => {
    await probes.dispose();
    await Promise.all(apps.map(killApp));
    for (const socket of sockets) socket.close();
  });

  const status = (id: string) => probes.list().find((p) => p.id === id);

  it('reports a listening ROUTER as connected, as a process of its own, with valid telemetry', async () => {
    const app = new zmq.Router({ linger: 0 });
    sockets.push(app);
    await app.bind('tcp://127.0.0.1:*');
    const endpoint = app.lastEndpoint!;

    const id = probes.add({ endpoint, socketType: 'ROUTER' });
    const probe = await waitFor('handshake', () => (status(id)?.state === 'connected' ? status(id) : undefined));
    assert.equal(probe.probeType, 'DEALER');
    assert.match(probe.routingId ?? '', /^zmq-topology-probe-[0-9a-f]{12}$/);
    await waitFor('a beat', () => recorder.all.some((r) => r.agentKey === `probe:${id}` && r.msg.t === 'beat'));

    const mine = recorder.all.filter((r) => r.agentKey === `probe:${id}`).map((r) => r.msg);
    assert.deepEqual(mine.slice(0, 4).map((m) => m.t), ['hello', 'snapshot', 'socket', 'endpoint']);
    const hello = mine[0];
    assert.ok(hello.t === 'hello');
    assert.equal(hello.runtime.name, 'probe');
    assert.equal(hello.pid, process.pid);
    assert.equal(hello.node, `probe ${endpoint}`);
    const socket = mine[2];
    assert.ok(socket.t === 'socket');
    assert.equal(socket.name, `probe ${endpoint}`);
    assert.equal(socket.routingId?.text, probe.routingId);
    assert.deepEqual(
      recorder.events(`probe:${id}`).map((e) => e.event),
      ['connect:delay', 'connect', 'handshake'],
    );
    assert.deepEqual(mine.map((m) => m.seq), mine.map((_, i) => i + 1), 'seq counts up from 1');
    for (const msg of mine) {
      const decoded = decode(encode(msg));
      assert.ok(decoded.ok, `${msg.t} must pass the collector's validator: ${decoded.ok ? '' : decoded.detail}`);
      assert.deepEqual(decoded.msg, msg);
    }

    assert.equal(await probes.remove(id), true);
    const last = recorder.all.filter((r) => r.agentKey === `probe:${id}`).slice(-2).map((r) => r.msg.t);
    assert.deepEqual(last, ['close', 'bye']);
    assert.equal(status(id), undefined);
  });

  it('reports an endpoint nobody listens on as retrying, counting the retries', async () => {
    const endpoint = `tcp://127.0.0.1:${await unusedPort()}`;
    const id = probes.add({ endpoint, socketType: 'ROUTER' });
    const probe = await waitFor('3 retries', () => ((status(id)?.retries ?? 0) >= 3 ? status(id) : undefined));
    assert.equal(probe.state, 'retrying');
    const events = recorder.events(`probe:${id}`);
    assert.ok(events.filter((e) => e.event === 'connect:retry').length >= 3);
    assert.ok(events.every((e) => e.event !== 'handshake' && e.event !== 'connect'));
    assert.ok(events.some((e) => e.event === 'connect:retry' && typeof e.interval === 'number'));
    await probes.remove(id);
  });

  it('sees a SIGKILLed peer process disconnect at once, then retries', async (t) => {
    const app = await startRouterApp();
    apps.push(app);
    const id = probes.add({ endpoint: app.endpoint, socketType: 'ROUTER', ...HEARTBEAT });
    await waitFor('handshake', () => status(id)?.state === 'connected');

    const killedAt = Date.now();
    app.process.kill('SIGKILL');
    const gone = await waitFor('disconnect', () => recorder.events(`probe:${id}`, killedAt).find((e) => e.event === 'disconnect'), 3000);
    const detectMs = gone.receivedAt - killedAt;
    t.diagnostic(`killed peer detected after ${detectMs} ms`);
    assert.ok(detectMs < HEARTBEAT.heartbeatTimeoutMs, `a closed TCP connection is seen before any heartbeat timeout (${detectMs} ms)`);
    await waitFor('retrying', () => status(id)?.state === 'retrying');
    await probes.remove(id);
  });

  it('sees a frozen (SIGSTOPped) peer disconnect by the ZMTP heartbeat timeout, and reconnect when it resumes', async (t) => {
    const app = await startRouterApp();
    apps.push(app);
    const id = probes.add({ endpoint: app.endpoint, socketType: 'ROUTER', ...HEARTBEAT });
    await waitFor('handshake', () => status(id)?.state === 'connected');
    // Heartbeats flow for a while: a live peer is not dropped.
    await sleep(3 * HEARTBEAT.heartbeatTimeoutMs);
    assert.equal(status(id)?.state, 'connected');
    assert.ok(!recorder.events(`probe:${id}`).some((e) => e.event === 'disconnect'));

    const stoppedAt = Date.now();
    app.process.kill('SIGSTOP');
    const gone = await waitFor('disconnect', () => recorder.events(`probe:${id}`, stoppedAt).find((e) => e.event === 'disconnect'), 5000);
    const detectMs = gone.receivedAt - stoppedAt;
    t.diagnostic(`frozen peer detected after ${detectMs} ms (heartbeat ${HEARTBEAT.heartbeatIntervalMs}/${HEARTBEAT.heartbeatTimeoutMs} ms)`);
    // TCP stays open to a stopped process: only the missing PONG can tell, so not before the timeout.
    assert.ok(detectMs >= HEARTBEAT.heartbeatTimeoutMs - HEARTBEAT.heartbeatIntervalMs, `not before the heartbeat timeout (${detectMs} ms)`);
    assert.ok(detectMs <= HEARTBEAT.heartbeatTimeoutMs + 2 * HEARTBEAT.heartbeatIntervalMs + 300, `within the heartbeat timeout (${detectMs} ms)`);
    assert.notEqual(status(id)?.state, 'connected');

    // The kernel still accepts TCP for the frozen process, but the handshake limit ends each attempt.
    const attempt = await waitFor('a reconnect that never completes its handshake', () => {
      const after = recorder.events(`probe:${id}`, gone.receivedAt);
      const connect = after.find((e) => e.event === 'connect');
      const ended = connect && after.find((e) => e.event === 'disconnect' && e.receivedAt >= connect.receivedAt);
      return connect && ended ? { connect, ended } : undefined;
    }, 5000);
    assert.ok(attempt.ended.receivedAt - attempt.connect.receivedAt >= HEARTBEAT.heartbeatTimeoutMs / 2);
    assert.ok(!recorder.events(`probe:${id}`, stoppedAt).some((e) => e.event === 'handshake'));
    assert.match(status(id)?.lastError ?? '', /handshake did not complete/);

    const resumedAt = Date.now();
    app.process.kill('SIGCONT');
    await waitFor('handshake after SIGCONT', () => recorder.events(`probe:${id}`, resumedAt).some((e) => e.event === 'handshake'), 5000);
    t.diagnostic(`reconnected ${Date.now() - resumedAt} ms after SIGCONT`);
    assert.equal(status(id)?.state, 'connected');
    await probes.remove(id);
  });
});
