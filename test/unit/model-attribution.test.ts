/**
 * Pairing a ROUTER's anonymous peers with connecting sockets' connections from the first messages
 * both ends logged (src/model/attribution.ts), and the shared message fingerprint.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compatible, pairPeers, type ConnectionEvidence, type PeerEvidence, type Stamp } from '../../src/model/attribution';
import { fingerprint } from '../../src/protocol/fingerprint';

const T = 1_796_000_000_000;
const fp = (...frames: string[]) => fingerprint(frames.map((f) => Buffer.from(f, 'latin1')), 'dealer');
const stamps = (...pairs: [number, string][]): Stamp[] => pairs.map(([t, f]) => [T + t, f]);
const peer = (key: string, inbound: Stamp[], out: Stamp[] = []): PeerEvidence => ({ key, in: inbound, out });
const conn = (key: string, out: Stamp[], inbound: Stamp[] = []): ConnectionEvidence => ({ key, out, in: inbound });

describe('the message fingerprint', () => {
  const b = (s: string) => Buffer.from(s, 'latin1');
  test('matches the vectors the Python agent is tested against', () => {
    assert.equal(fingerprint([b('hello')], 'dealer'), 'dce96df7');
    assert.equal(fingerprint([b('\x00\x6b\x8b\x45\x67'), b(''), b('hello')], 'router'), 'dce96df7');
    assert.equal(fingerprint([b(''), b('MDPW01'), b('\x02'), b('a much longer frame than sixteen bytes')], 'dealer'), '49710501');
    assert.equal(fingerprint([], 'dealer'), '050c5d1f');
    assert.equal(fingerprint([b('\x00\x6b\x8b\x45\x67'), b('\x00\x00\x00\x01'), b(''), b('hello')], 'router'), 'dce96df7');
    assert.equal(fingerprint([b('hello')], 'request'), 'dce96df7');
    assert.equal(fingerprint([b('hop'), b(''), b('hello')], 'dealer'), 'dce96df7');
  });

  test('is the same at both ends, whatever envelope one end sees and the other does not', () => {
    const routerId = Buffer.from([0, 1, 2, 3, 4]);
    const body = [b('job'), b(''), b('42')];
    const atRequest = fingerprint(body, 'request');
    assert.equal(fingerprint([routerId, b(''), ...body], 'router'), atRequest, 'a REQ\'s delimiter');
    assert.equal(fingerprint([routerId, b('\x12\x34\x56\x78'), b(''), ...body], 'router'), atRequest, 'ZMQ_REQ_CORRELATE adds a request id');
    assert.equal(fingerprint([b(''), ...body], 'dealer'), atRequest, 'a DEALER speaking to a REP');
    assert.equal(fingerprint([routerId, b(''), ...body], 'router'), fingerprint([b(''), ...body], 'dealer'));
    assert.notEqual(fingerprint([b('job'), b(''), b('43')], 'request'), atRequest, 'a different body differs');
  });
});

describe('pairing anonymous peers with connections', () => {
  test('different first messages pair each peer with its own connection, by content', () => {
    const pairs = pairPeers(
      [peer('r1', stamps([1.2, fp('READY', 'a')])), peer('r2', stamps([1.1, fp('READY', 'b')]))],
      [conn('a', stamps([1.0, fp('READY', 'a')])), conn('b', stamps([1.0, fp('READY', 'b')]))],
    );
    assert.deepEqual(pairs.get('r1'), { connection: 'a', how: 'content' });
    assert.deepEqual(pairs.get('r2'), { connection: 'b', how: 'content' });
  });

  test('a replaced REQ (lazy pirate): the same request twice is told apart by when each was sent', () => {
    const req = fp('1');
    const peers = [peer('old', stamps([0.3, req])), peer('new', stamps([1001.4, req]))];
    const conns = [conn('req-1', stamps([0, req])), conn('req-2', stamps([1001, req]))];
    assert.equal(compatible(peers[0], conns[1]), false, 'a message cannot arrive a second before it was sent');
    assert.equal(compatible(peers[1], conns[0]), true, 'causality alone allows it');
    const pairs = pairPeers(peers, conns);
    assert.deepEqual(pairs.get('old'), { connection: 'req-1', how: 'content' });
    assert.deepEqual(pairs.get('new'), { connection: 'req-2', how: 'content' }, 'the other peer took req-1');
  });

  test('identical messages sent close together pair in the order they travelled, and say so', () => {
    const hello = fp('hello');
    const conns = [0, 1, 2].map((i) => conn(`d${i}`, stamps([i * 0.01, hello])));
    const peers = [2, 0, 1].map((i) => peer(`r${i}`, stamps([0.5 + i * 0.01, hello])));
    const pairs = pairPeers(peers, conns);
    for (const i of [0, 1, 2]) assert.deepEqual(pairs.get(`r${i}`), { connection: `d${i}`, how: 'timing' });
  });

  test('a first message that waited for its connection arrives out of order; the messages after it tell who is who', () => {
    // A sent "hello" at 0 but connected only at 8; B sent at 3 and connected at 4. Then each sent
    // "request 0" 300 ms after its hello, on a live connection: a fraction of a millisecond.
    const [hello, req] = [fp('hello'), fp('request 0')];
    const a = conn('A', stamps([0, hello], [300, req]));
    const b = conn('B', stamps([3, hello], [303, req]));
    const first = peer('first', stamps([4.1, hello], [303.2, req]));
    const second = peer('second', stamps([8.2, hello], [300.3, req]));
    assert.ok(compatible(first, a) && compatible(first, b) && compatible(second, a) && compatible(second, b), 'causality alone cannot decide');
    const pairs = pairPeers([first, second], [a, b]);
    assert.deepEqual(pairs.get('first'), { connection: 'B', how: 'timing' });
    assert.deepEqual(pairs.get('second'), { connection: 'A', how: 'timing' });
  });

  test('more peers than connections (and the reverse): each connection to one peer at most', () => {
    const hello = fp('hello');
    const pairs = pairPeers([peer('p1', stamps([1, hello])), peer('p2', stamps([1.1, hello])), peer('p3', stamps([1.2, hello]))], [conn('c1', stamps([0.9, hello])), conn('c2', stamps([1.0, hello]))]);
    assert.equal(pairs.size, 2);
    assert.equal(new Set([...pairs.values()].map((p) => p.connection)).size, 2);
  });

  test('what the ROUTER sent back tells peers apart when what they sent does not', () => {
    const ready = fp('READY');
    const peers = [peer('r1', stamps([1, ready]), stamps([2, fp('job', 'x')])), peer('r2', stamps([1, ready]), stamps([2, fp('job', 'y')]))];
    const conns = [conn('a', stamps([0.5, ready]), stamps([2.2, fp('job', 'y')])), conn('b', stamps([0.5, ready]), stamps([2.2, fp('job', 'x')]))];
    const pairs = pairPeers(peers, conns);
    assert.deepEqual(pairs.get('r1'), { connection: 'b', how: 'content' });
    assert.deepEqual(pairs.get('r2'), { connection: 'a', how: 'content' });
  });

  test('a first message the connection logged before its previous connection went is passed over', () => {
    const beat = fp('\x02');
    // Sent at 0 on the old connection (the disconnect event came later), delivered on the new one.
    const p = peer('r', stamps([500, beat], [1000.4, beat]));
    assert.equal(compatible(p, conn('c2', stamps([1000, beat]))), true);
    assert.equal(compatible(peer('r', stamps([500, beat])), conn('c2', stamps([1000, beat]))), false, 'nothing after it to match: no evidence');
  });

  test('contradicting logs pair nothing, and a connection given elsewhere is not offered', () => {
    assert.equal(pairPeers([peer('r', stamps([1, fp('a')]))], [conn('c', stamps([0, fp('b')]))]).size, 0);
    const p = peer('r', stamps([1, fp('a')]));
    assert.equal(pairPeers([p], [conn('c', stamps([0, fp('a')]))], new Set(['c'])).size, 0);
    assert.equal(compatible(peer('r', []), conn('c', [])), false, 'empty logs are no evidence');
  });
});
