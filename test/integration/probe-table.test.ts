/**
 * The evidence for docs/PROBES.md: for every stable remote socket type, a real socket of that type and
 * a probe against it end exactly as probeSocketTypeFor() says (handshake or refusal).
 */
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as zmq from 'zeromq';
import type { SocketType } from '../../src/protocol/types';
import { ProbeManager, probeSocketTypeFor } from '../../src/probe';
import { Recorder, unusedPort, waitFor } from '../fixtures/probe/harness';

const REMOTES: [SocketType, new (options: { linger: number }) => zmq.Socket][] = [
  ['PAIR', zmq.Pair], ['PUB', zmq.Publisher], ['SUB', zmq.Subscriber], ['REQ', zmq.Request], ['REP', zmq.Reply],
  ['DEALER', zmq.Dealer], ['ROUTER', zmq.Router], ['PULL', zmq.Pull], ['PUSH', zmq.Push],
  ['XPUB', zmq.XPublisher], ['XSUB', zmq.XSubscriber],
];

describe('probe socket type table, checked against real sockets', () => {
  const recorder = new Recorder();
  const probes = new ProbeManager(recorder.sink, { reconnectIntervalMs: 100, recheckIntervalMs: 200, heartbeatIntervalMs: 200, heartbeatTimeoutMs: 600 });
  const sockets: zmq.Socket[] = [];
  after(async () => {
    await probes.dispose();
    for (const socket of sockets) socket.close();
  });
  const status = (id: string) => probes.list().find((p) => p.id === id);

  for (const [remoteType, Remote] of REMOTES) {
    const plan = probeSocketTypeFor(remoteType);
    assert.ok(plan.probeType !== null);
    const outcome = plan.expect === 'handshake' ? 'connected' : 'reachable';
    it(`${remoteType} → ${plan.probeType}: ${outcome}`, async () => {
      const remote = new Remote({ linger: 0 });
      sockets.push(remote);
      await remote.bind('tcp://127.0.0.1:*');
      const id = probes.add({ endpoint: remote.lastEndpoint!, socketType: remoteType });
      await waitFor(outcome, () => status(id)?.state === outcome);
      const events = recorder.events(`probe:${id}`).map((e) => e.event);
      if (plan.expect === 'handshake') {
        assert.ok(events.includes('handshake'));
      } else {
        // Refused: the probe never got a handshake, named the refusal itself and checks again.
        assert.ok(!events.includes('handshake'));
        await waitFor('a second check', () => recorder.events(`probe:${id}`).filter((e) => e.event === 'handshake:error:protocol').length >= 2);
        assert.match(status(id)?.lastError ?? '', /socket-type mismatch.*as intended/);
        // Once the endpoint goes, the refused probe reports retrying like any other.
        remote.close();
        await waitFor('retrying after the remote closed', () => status(id)?.state === 'retrying', 3000);
      }
      await probes.remove(id);
    });
  }

  it('a mislabelled endpoint (PUSH given as ROUTER) is reported as a failed handshake, never connected', async () => {
    const remote = new zmq.Push({ linger: 0 });
    sockets.push(remote);
    await remote.bind('tcp://127.0.0.1:*');
    const id = probes.add({ endpoint: remote.lastEndpoint!, socketType: 'ROUTER' });
    try {
      await waitFor('failed', () => status(id)?.state === 'failed');
      assert.match(status(id)?.lastError ?? '', /probably not a ROUTER/);
    } finally {
      await probes.remove(id);
    }
  });

  it('refuses what cannot be probed safely', async () => {
    const port = await unusedPort();
    assert.throws(() => probes.add({ endpoint: `tcp://127.0.0.1:${port}`, socketType: 'STREAM' }), /STREAM.*raw TCP/);
    assert.throws(() => probes.add({ endpoint: `tcp://127.0.0.1:${port}`, socketType: 'DGRAM' }), /UDP/);
    assert.throws(() => probes.add({ endpoint: 'inproc://jobs' }), /tcp:\/\/host:port or ipc:\/\/path/);
    assert.throws(() => probes.add({ endpoint: 'tcp://127.0.0.1' }), /tcp:\/\/host:port/);
    assert.throws(() => probes.add({ endpoint: `tcp://127.0.0.1:${port}`, heartbeatTimeoutMs: 0 }), /positive integer/);
    assert.deepEqual(probes.list(), []);
  });

  it('defaults to an inert PUB when the remote type is not given', () => {
    const plan = probeSocketTypeFor('UNKNOWN');
    assert.equal(plan.probeType, 'PUB');
    assert.equal(probeSocketTypeFor('SERVER').probeType, 'PUB');
  });
});
