import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { probeStateMessages, probeSyncPlan, socketTypeChoices, withoutProbe, withProbe } from '../../src/host/probes';
import { probeEndpointProblem, readProbeSettings } from '../../src/host/settings';
import { probeSocketTypeFor } from '../../src/probe/probeType';

describe('probeEndpointProblem (the input box of Probe Endpoint…)', () => {
  it('accepts tcp://host:port and ipc://path', () => {
    for (const ok of ['tcp://127.0.0.1:5556', ' tcp://broker.local:1 ', 'tcp://[::1]:5555', 'ipc:///tmp/app.sock']) {
      assert.equal(probeEndpointProblem(ok), undefined, ok);
    }
  });
  it('says what is wrong otherwise', () => {
    const cases: [string, RegExp][] = [
      ['', /Give the endpoint/],
      ['inproc://jobs', /inside one process/],
      ['udp://127.0.0.1:5555', /Only tcp:\/\/ and ipc:\/\//],
      ['127.0.0.1:5555', /tcp:\/\/host:port/],
      ['tcp://127.0.0.1', /tcp:\/\/host:port/],
      ['tcp://127.0.0.1:0', /port must be 1…65535/],
      ['tcp://127.0.0.1:70000', /port must be 1…65535/],
      ['tcp://*:5555', /needs a host/],
      [`ipc:///${'x'.repeat(600)}`, /at most/],
    ];
    for (const [text, why] of cases) assert.match(probeEndpointProblem(text) ?? 'accepted', why, text);
  });
});

describe('readProbeSettings (zmqTopology.probes)', () => {
  it('reads entries, upper-cases types, defaults a missing type to UNKNOWN, drops duplicates', () => {
    const { probes, warnings } = readProbeSettings([
      { endpoint: 'tcp://127.0.0.1:5556', socketType: 'router' },
      { endpoint: 'tcp://127.0.0.1:5557' },
      { endpoint: ' tcp://127.0.0.1:5556 ', socketType: 'ROUTER' },
    ]);
    assert.deepEqual(probes, [
      { endpoint: 'tcp://127.0.0.1:5556', socketType: 'ROUTER' },
      { endpoint: 'tcp://127.0.0.1:5557', socketType: 'UNKNOWN' },
    ]);
    assert.deepEqual(warnings, ['zmqTopology.probes[2] repeats tcp://127.0.0.1:5556 (ROUTER); probed once']);
  });
  it('reports every entry it cannot probe, and probes the rest', () => {
    const { probes, warnings } = readProbeSettings([
      'tcp://127.0.0.1:1', { socketType: 'PUB' }, { endpoint: 'inproc://x' }, { endpoint: 'tcp://h:1', socketType: 'BANANA' },
      { endpoint: 'tcp://h:2', socketType: 'STREAM' }, { endpoint: 'tcp://h:3', socketType: 'PUB' },
    ]);
    assert.deepEqual(probes, [{ endpoint: 'tcp://h:3', socketType: 'PUB' }]);
    assert.equal(warnings.length, 5);
    assert.match(warnings[0], /\[0\] is not an object/);
    assert.match(warnings[1], /\[1\] has no "endpoint"/);
    assert.match(warnings[2], /\[2\]: "inproc:\/\/x" cannot be probed/);
    assert.match(warnings[3], /\[3\]: socketType "BANANA" is not a ZeroMQ socket type/);
    assert.match(warnings[4], /\[4\]: a STREAM endpoint cannot be probed/);
  });
  it('absent is empty, not a list is one warning', () => {
    assert.deepEqual(readProbeSettings(undefined), { probes: [], warnings: [] });
    assert.deepEqual(readProbeSettings({ endpoint: 'tcp://h:1' }).warnings, ['zmqTopology.probes is not a list; no probes started']);
  });
});

describe('probeSyncPlan (setting ↔ running probes)', () => {
  const a = { endpoint: 'tcp://h:1', socketType: 'ROUTER' as const };
  const b = { endpoint: 'tcp://h:2', socketType: 'PUB' as const };
  it('starts what is new, stops what is gone, leaves the rest running', () => {
    const plan = probeSyncPlan([a, b], [{ id: 'p1', endpoint: 'tcp://h:1', remoteType: 'ROUTER' }, { id: 'p9', endpoint: 'tcp://h:9', remoteType: 'SUB' }]);
    assert.deepEqual(plan, { add: [b], remove: ['p9'] });
  });
  it('a changed socket type on the same endpoint restarts the probe (a different probe type)', () => {
    assert.deepEqual(probeSyncPlan([{ ...a, socketType: 'REP' }], [{ id: 'p1', endpoint: 'tcp://h:1', remoteType: 'ROUTER' }]),
      { add: [{ ...a, socketType: 'REP' }], remove: ['p1'] });
  });
  it('an empty setting stops everything; nothing to do is nothing', () => {
    assert.deepEqual(probeSyncPlan([], [{ id: 'p1', endpoint: 'tcp://h:1', remoteType: 'ROUTER' }]), { add: [], remove: ['p1'] });
    assert.deepEqual(probeSyncPlan([a], [{ id: 'p1', endpoint: 'tcp://h:1', remoteType: 'ROUTER' }]), { add: [], remove: [] });
  });
  it('withProbe / withoutProbe edit the setting without duplicates', () => {
    assert.deepEqual(withProbe([a], b), [a, b]);
    assert.deepEqual(withProbe([a, b], { ...a }), [a, b]);
    assert.deepEqual(withoutProbe([a, b], { ...a }), [b]);
  });
});

describe('socketTypeChoices (the quick pick of Probe Endpoint…)', () => {
  it('explains, for every probeable type, the probe type probeSocketTypeFor chose and why', () => {
    const choices = socketTypeChoices();
    assert.equal(choices[0].socketType, 'UNKNOWN', '"Not sure" first');
    assert.equal(choices[0].label, 'Not sure');
    assert.deepEqual(choices.slice(1, 4).map((c) => c.label), ['ROUTER', 'REP', 'PUB']);
    for (const c of choices) {
      const plan = probeSocketTypeFor(c.socketType);
      assert.notEqual(plan.probeType, null);
      assert.ok(c.description.startsWith(`probe: ${plan.probeType}`), c.description);
      assert.equal(c.detail, plan.why);
    }
    const push = choices.find((c) => c.socketType === 'PUSH');
    assert.match(push?.description ?? '', /probe: PUB \(handshake refused on purpose/, 'never a PULL on a PUSH');
    assert.match(choices.find((c) => c.socketType === 'DEALER')?.description ?? '', /^probe: PUB/, 'never a DEALER probe on a DEALER');
    assert.ok(!choices.some((c) => c.socketType === 'STREAM' || c.socketType === 'DGRAM'), 'unprobeable types are not offered');
  });
});

describe('probeStateMessages (probe problems in the Output channel)', () => {
  const status = (state: string, lastError?: string) => ({ id: 'p1', endpoint: 'tcp://h:1', remoteType: 'ROUTER' as const, probeType: 'DEALER', state, retries: 0, ...(lastError ? { lastError } : {}) });
  it('reports each change once, problems marked, with the probe\'s own explanation', () => {
    let seen = new Map<string, string>();
    const step = (state: string, lastError?: string) => {
      const { lines, states } = probeStateMessages(seen, [status(state, lastError)]);
      seen = states;
      return lines;
    };
    assert.deepEqual(step('connecting'), ['Probe tcp://h:1 (ROUTER, probe DEALER): connecting']);
    assert.deepEqual(step('connecting'), []);
    assert.deepEqual(step('connected'), ['Probe tcp://h:1 (ROUTER, probe DEALER): connected, ZMTP heartbeats answered']);
    assert.deepEqual(step('disconnected', 'connection lost: heartbeat timeout'), ['PROBLEM Probe tcp://h:1 (ROUTER, probe DEALER): disconnected: connection lost: heartbeat timeout']);
    assert.deepEqual(step('retrying'), ['PROBLEM Probe tcp://h:1 (ROUTER, probe DEALER): nothing accepts connections there, retrying']);
    assert.deepEqual(step('retrying'), [], 'later retries of one outage are not repeated');
    assert.deepEqual(step('failed', 'the peer ended the handshake at once'), ['PROBLEM Probe tcp://h:1 (ROUTER, probe DEALER): handshake refused: the peer ended the handshake at once']);
  });
  it('a removed probe is forgotten', () => {
    const { states } = probeStateMessages(new Map([['gone', 'connected']]), []);
    assert.equal(states.size, 0);
  });
});
