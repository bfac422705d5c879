/**
 * The telemetry codec: every message type survives encode → decode unchanged, and every class of
 * bad input is refused with its reason (decode never throws).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, encode } from '../../src/protocol/codec';
import { binKey, binLabel, toBin } from '../../src/protocol/bin';
import { LIMITS, PROTOCOL_VERSION, TELEMETRY_TYPES, type DecodeErrorReason, type TelemetryMsg } from '../../src/protocol/types';
import { FakeAgent, RUNTIME } from '../fixtures/collector/telemetry';

const AT = 1_763_800_000_000;

function everyMessageType(): TelemetryMsg[] {
  const a = new FakeAgent({ pid: 4242, node: 'worker-1' });
  return [
    a.hello(AT),
    { ...a.socket(AT, 1, 'DEALER', 'worker-1'), name: 'jobs', site: { file: '/app/worker.js', line: 12, column: 18 } } as TelemetryMsg,
    a.bind(AT, 2, 'tcp://*:*', 'tcp://0.0.0.0:43121'),
    { v: 1, t: 'endpoint', seq: 9, at: AT, socket: 2, op: 'connect', requested: 'tcp://x:1', ok: false, error: 'EINVAL' },
    a.event(AT, 1, 'connect:retry', 'tcp://127.0.0.1:5555', 200),
    { v: 1, t: 'event', seq: 10, at: AT, socket: 1, event: 'handshake:error:protocol', error: 'bad greeting' },
    { v: 1, t: 'event', seq: 11, at: AT, socket: 1, event: 'disconnect', address: 'tcp://0.0.0.0:5555', peer: { hex: '006b8b4567' } },
    a.accepted(AT, 1, 'accept', 'tcp://127.0.0.1:5555', 3),
    a.heartbeats(AT, 1, { peer: 'w1', count: 3 }),
    a.disconnectMsg(AT, 1, 'w1', toBin('WORKER_GONE')),
    a.disconnectMsg(AT, 1, '\u0000\u0001'),
    a.close(AT, 1),
    a.beat(AT, 7),
    a.snapshot(AT, [{
      socket: 1, type: 'ROUTER', routingId: toBin('broker'), options: { disconnectMsg: true, heartbeatIvl: 1000, linger: 0 },
      createdAt: AT, closed: false, endpoints: [{ op: 'bind', requested: 'tcp://*:5555', resolved: 'tcp://0.0.0.0:5555', at: AT }],
      peers: [{ socket: 1, peer: toBin('w1'), msgsIn: 1, msgsOut: 2, bytesIn: 3, bytesOut: 4, types: { READY: 1, '0x02': 2 }, lastMessageIn: AT }],
      accepted: [{ address: 'tcp://127.0.0.1:5555', open: 2 }, { address: 'ipc:///tmp/broker', open: 1 }],
    }], 3),
    a.bye(AT, 'normal exit'),
  ];
}

test('every message type round-trips through encode/decode unchanged', () => {
  const messages = everyMessageType();
  assert.deepEqual(new Set(messages.map((m) => m.t)), new Set(TELEMETRY_TYPES), 'all types covered');
  for (const msg of messages) {
    const result = decode(encode(msg));
    assert.ok(result.ok, `${msg.t}: ${result.ok ? '' : `${result.reason} ${result.detail}`}`);
    // Compared as plain JSON: decode builds message-type maps without a prototype.
    assert.deepEqual(JSON.parse(JSON.stringify(result.msg)), msg);
  }
});

test('extra fields are dropped, not passed on', () => {
  const result = decode(Buffer.from(JSON.stringify({ ...new FakeAgent({ pid: 1 }).beat(AT), extra: '<script>' })));
  assert.ok(result.ok);
  assert.equal('extra' in result.msg, false);
});

function refused(input: Uint8Array | object, reason: DecodeErrorReason, detailPart?: string | RegExp): void {
  const frame = input instanceof Uint8Array ? input : Buffer.from(JSON.stringify(input));
  const result = decode(frame);
  assert.equal(result.ok, false, `accepted: ${Buffer.from(frame).toString('utf8').slice(0, 120)}`);
  if (result.ok) return;
  assert.equal(result.reason, reason, result.detail);
  if (detailPart !== undefined) assert.match(result.detail, typeof detailPart === 'string' ? new RegExp(escape(detailPart)) : detailPart);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const beat = { v: PROTOCOL_VERSION, t: 'beat', seq: 1, at: AT, dropped: 0, queued: 0 };

test('frame-level refusals: too-large, not-utf8, not-json, not-object', () => {
  refused(Buffer.alloc(LIMITS.frameBytes + 1, 0x20), 'too-large');
  refused(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'not-utf8');
  refused(Buffer.from('{"v":1,'), 'not-json');
  refused(Buffer.from(''), 'not-json');
  refused(Buffer.from('[1,2]'), 'not-object', 'an array');
  refused(Buffer.from('"hello"'), 'not-object', 'string');
  refused(Buffer.from('null'), 'not-object');
});

test('bad-version and unknown-type', () => {
  refused({ ...beat, v: 2 }, 'bad-version');
  refused({ ...beat, v: undefined }, 'bad-version');
  refused({ ...beat, t: 'shutdown' }, 'unknown-type');
  refused({ ...beat, t: 7 }, 'unknown-type');
});

test('bad-field: wrong type, for each kind of field', () => {
  refused({ ...beat, seq: '1' }, 'bad-field', 'seq');
  refused({ ...beat, at: 'now' }, 'bad-field', 'at');
  refused({ ...beat, seq: 1.5 }, 'bad-field', 'integer');
  refused({ ...beat, dropped: Number.NaN }, 'bad-field');
  const hello = everyMessageType()[0] as unknown as Record<string, unknown>;
  refused({ ...hello, runtime: { ...RUNTIME, disconnectMsg: 'yes' } }, 'bad-field', 'runtime.disconnectMsg');
  refused({ ...hello, argv: 'node app.js' }, 'bad-field', 'argv');
  refused({ ...hello, agent: null }, 'bad-field', 'agent');
  refused({ ...hello, thread: 0 }, 'bad-field', 'thread');
  refused({ ...hello, thread: 'worker' }, 'bad-field', 'thread');
  const threaded = decode(Buffer.from(JSON.stringify({ ...hello, thread: 3 })));
  assert.ok(threaded.ok && threaded.msg.t === 'hello' && threaded.msg.thread === 3, 'a worker thread\'s threadId is kept');
  refused({ v: 1, t: 'socket', seq: 1, at: AT, socket: 1, type: 'TOASTER', options: { disconnectMsg: false }, createdAt: AT }, 'bad-field', 'socket.type');
  refused({ v: 1, t: 'event', seq: 1, at: AT, socket: 1, event: 'explode' }, 'bad-field', 'event');
  refused({ v: 1, t: 'event', seq: 1, at: AT, socket: 1, event: 'disconnect', peer: '006b8b4567' }, 'bad-field', 'peer');
  refused({ v: 1, t: 'event', seq: 1, at: AT, socket: 1, event: 'accept', address: 'tcp://127.0.0.1:5555', accepted: -1 }, 'bad-field', 'accepted');
  refused({
    v: 1, t: 'snapshot', seq: 1, at: AT, dropped: 0, sockets: [{ socket: 1, type: 'PUB', options: { disconnectMsg: false }, createdAt: AT, closed: false,
      endpoints: [], peers: [], accepted: [{ address: 'tcp://127.0.0.1:5555', open: 'two' }] }],
  }, 'bad-field', 'sockets[0].accepted[0].open');
  refused({ v: 1, t: 'disconnect-msg', seq: 1, at: AT, socket: 1, peer: 'w1' }, 'bad-field', 'peer');
  refused({ v: 1, t: 'traffic', seq: 1, at: AT, peers: [{ socket: 1, msgsIn: 1, msgsOut: 0, bytesIn: 0, bytesOut: 0, types: { A: 'x' } }] }, 'bad-field', 'types');
});

test('bad-field: missing required fields', () => {
  refused({ v: 1, t: 'close', seq: 1, at: AT }, 'bad-field', 'socket');
  refused({ v: 1, t: 'bye', seq: 1, at: AT }, 'bad-field', 'reason');
});

test('bad-field: oversized strings', () => {
  refused({ v: 1, t: 'bye', seq: 1, at: AT, reason: 'x'.repeat(LIMITS.stringChars + 1) }, 'bad-field', 'longer than');
  refused({ v: 1, t: 'endpoint', seq: 1, at: AT, socket: 1, op: 'bind', requested: `tcp://${'h'.repeat(LIMITS.endpointChars)}:1`, ok: true },
    'bad-field', 'requested');
  refused({ v: 1, t: 'disconnect-msg', seq: 1, at: AT, socket: 1, peer: { hex: 'ab'.repeat(LIMITS.binBytes + 1) } }, 'bad-field', 'peer.hex');
  refused({ v: 1, t: 'disconnect-msg', seq: 1, at: AT, socket: 1, peer: { hex: 'ab' }, text: { hex: 'ab'.repeat(LIMITS.textBytes + 1) } }, 'bad-field', 'text.hex');
});

test('bad-field: bad hex', () => {
  for (const hex of ['ABCD', 'abc', 'zz', '0x61']) {
    refused({ v: 1, t: 'disconnect-msg', seq: 1, at: AT, socket: 1, peer: { hex } }, 'bad-field', 'hex');
  }
});

test('bad-field: out of range', () => {
  refused({ ...beat, seq: -1 }, 'bad-field', 'out of range');
  refused({ ...beat, at: 9e15 }, 'bad-field', 'out of range');
  refused({ ...beat, dropped: 2 ** 60 }, 'bad-field', 'out of range');
  const hello = everyMessageType()[0] as unknown as Record<string, unknown>;
  refused({ ...hello, pid: -5 }, 'bad-field', 'pid');
});

test('bad-field: too many items', () => {
  const hello = everyMessageType()[0] as unknown as Record<string, unknown>;
  refused({ ...hello, argv: Array.from({ length: 65 }, () => 'a') }, 'bad-field', 'more than 64');
  const peer = { socket: 1, msgsIn: 0, msgsOut: 0, bytesIn: 0, bytesOut: 0, types: {} };
  refused({ v: 1, t: 'traffic', seq: 1, at: AT, peers: Array.from({ length: LIMITS.peersPerTraffic + 1 }, () => peer) }, 'bad-field', 'more than');
  const types = Object.fromEntries(Array.from({ length: LIMITS.messageTypesPerPeer + 1 }, (_, i) => [`T${i}`, 1]));
  refused({ v: 1, t: 'traffic', seq: 1, at: AT, peers: [{ ...peer, types }] }, 'bad-field', 'message types');
  refused({ v: 1, t: 'snapshot', seq: 1, at: AT, dropped: 0, sockets: Array.from({ length: LIMITS.socketsPerSnapshot + 1 }, () => ({})) }, 'bad-field', 'more than');
});

test('decode never throws, whatever the bytes', () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const samples = everyMessageType().map((m) => encode(m));
  for (let i = 0; i < 2000; i++) {
    const base = Buffer.from(samples[i % samples.length]);
    for (let flips = 0; flips < 3; flips++) base[Math.floor(random() * base.length)] = Math.floor(random() * 256);
    assert.doesNotThrow(() => decode(base));
  }
});

test('Bin helpers: hex always, text only when printable; labels and keys', () => {
  assert.deepEqual(toBin('worker'), { hex: '776f726b6572', text: 'worker' });
  assert.deepEqual(toBin(Buffer.from([0, 0x6b, 0x8b, 0x45, 0x67])), { hex: '006b8b4567' });
  assert.deepEqual(toBin('a\u001b[31m'), { hex: '611b5b33316d' });
  assert.equal(toBin(Buffer.alloc(300, 0x61)).hex.length, LIMITS.binBytes * 2);
  assert.equal(binLabel({ hex: '00ff' }), '0x00ff');
  assert.equal(binLabel(toBin('WORKER_GONE')), 'WORKER_GONE');
  assert.equal(binKey(toBin('x')), '78');
});

test('first-messages logs: kept when well formed, refused as bad-field otherwise', () => {
  const peer = { socket: 1, msgsIn: 1, msgsOut: 1, bytesIn: 5, bytesOut: 5, types: {} };
  const first = { conn: 2, out: [[AT + 0.125, 'dce96df7']], in: [[AT + 1.5, '050c5d1f']] };
  const result = decode(Buffer.from(JSON.stringify({ v: 1, t: 'traffic', seq: 1, at: AT, peers: [{ ...peer, first }] })));
  assert.ok(result.ok && result.msg.t === 'traffic');
  assert.deepEqual(result.msg.peers[0].first, first, 'the microsecond fraction survives');
  const traffic = (f: unknown) => ({ v: 1, t: 'traffic', seq: 1, at: AT, peers: [{ ...peer, first: f }] });
  refused(traffic({ out: [[AT, 'DCE96DF7']], in: [] }), 'bad-field', 'hex');
  refused(traffic({ out: [[AT, 'dce96df7', 'x']], in: [] }), 'bad-field', 'more than 2');
  refused(traffic({ out: Array.from({ length: LIMITS.firstMessages + 1 }, () => [AT, 'dce96df7']), in: [] }), 'bad-field', 'more than');
  refused(traffic({ out: [], in: [], conn: 0 }), 'bad-field', 'conn');
  refused(traffic({ out: [['soon', 'dce96df7']], in: [] }), 'bad-field', 'first.out[0][0]');
});

test('mono, the clock of first-message stamps: kept on every message type that has it, refused when not a time', () => {
  const peer = { socket: 1, msgsIn: 1, msgsOut: 1, bytesIn: 5, bytesOut: 5, types: {} };
  for (const msg of [
    { v: 1, t: 'traffic', seq: 1, at: AT, mono: 33_326_884.781, peers: [peer] },
    { v: 1, t: 'beat', seq: 2, at: AT, mono: 33_326_884.781, dropped: 0, queued: 0 },
  ]) {
    const result = decode(Buffer.from(JSON.stringify(msg)));
    assert.ok(result.ok, msg.t);
    assert.equal(result.msg.mono, 33_326_884.781, `${msg.t}: the microsecond fraction survives`);
  }
  const without = decode(Buffer.from(JSON.stringify({ v: 1, t: 'traffic', seq: 1, at: AT, peers: [peer] })));
  assert.ok(without.ok && !('mono' in without.msg), 'absent stays absent: the stamps are wall-clock ms');
  refused({ v: 1, t: 'traffic', seq: 1, at: AT, mono: 'now', peers: [] }, 'bad-field', 'mono');
  refused({ v: 1, t: 'beat', seq: 1, at: AT, mono: -1, dropped: 0, queued: 0 }, 'bad-field', 'mono');
});

test('a socket passed to a proxy: proxied kept when true, left out when false, refused when not a boolean', () => {
  const socket = { v: 1, t: 'socket', seq: 1, at: AT, socket: 1, type: 'ROUTER', options: { disconnectMsg: false }, createdAt: AT };
  const yes = decode(Buffer.from(JSON.stringify({ ...socket, proxied: true })));
  assert.ok(yes.ok && yes.msg.t === 'socket' && yes.msg.proxied === true);
  const no = decode(Buffer.from(JSON.stringify({ ...socket, proxied: false })));
  assert.ok(no.ok && no.msg.t === 'socket' && !('proxied' in no.msg));
  refused({ ...socket, proxied: 'yes' }, 'bad-field', 'proxied');
});

test('a ROUTER\'s routerHandover option: kept when present, absent stays absent, refused when not a boolean', () => {
  const info = { socket: 1, type: 'ROUTER', options: { disconnectMsg: false }, createdAt: AT };
  const socket = { v: 1, t: 'socket', seq: 1, at: AT, ...info };
  for (const routerHandover of [true, false]) {
    const result = decode(Buffer.from(JSON.stringify({ ...socket, options: { disconnectMsg: false, routerHandover } })));
    assert.ok(result.ok && result.msg.t === 'socket' && result.msg.options.routerHandover === routerHandover);
  }
  const without = decode(Buffer.from(JSON.stringify(socket)));
  assert.ok(without.ok && without.msg.t === 'socket' && !('routerHandover' in without.msg.options));
  refused({ ...socket, options: { disconnectMsg: false, routerHandover: 1 } }, 'bad-field', 'socket.options.routerHandover');
  refused({ ...socket, options: { disconnectMsg: false, routerHandover: 'true' } }, 'bad-field', 'expected a boolean');
  const snapshot = {
    v: 1, t: 'snapshot', seq: 1, at: AT, dropped: 0,
    sockets: [{ ...info, options: { disconnectMsg: false, routerHandover: true }, closed: false, endpoints: [], peers: [] }],
  };
  const snap = decode(Buffer.from(JSON.stringify(snapshot)));
  assert.ok(snap.ok && snap.msg.t === 'snapshot' && snap.msg.sockets[0].options.routerHandover === true, 'in a snapshot too');
});
