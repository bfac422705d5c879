/**
 * Pairing a ROUTER's anonymous peers with connecting sockets' connections from the first messages
 * both ends logged (src/model/attribution.ts), and the shared message fingerprint.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compatible, mostPairs, pairPeers, type ConnectionEvidence, type CostMatrix, type PeerEvidence, type Stamp } from '../../src/model/attribution';
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

  test('two peers that fit only the same connection (the other sender has not reported yet): the closer one gets it, by timing, not as certain', () => {
    const hello = fp('hello');
    const listedFirst = peer('listed-first', stamps([5.0, hello]));
    const closer = peer('closer', stamps([1.1, hello]));
    const pairs = pairPeers([listedFirst, closer], [conn('only', stamps([1.0, hello]))]);
    assert.deepEqual([...pairs], [['closer', { connection: 'only', how: 'timing' }]]);
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

describe('two DEALER processes whose hellos left 2 ms apart, one of them on a busy event loop (truth (a2), recorded)', () => {
  // Stamps from a failed run of truth (a2), ms on the host's monotonic clock. node-a's loop was busy
  // at its start: it read the echo of its hello 7.8 ms after the ROUTER sent it, so by delays alone its
  // hello fits py-b's peer better, and with two messages each the wrong pairs cost less in all. Only
  // on the later messages does the wrong pair show what cannot be: node-a's requests arriving at the
  // ROUTER up to 1.5 ms before node-a sent them.
  const [hello, r0, r1, r2] = [fp('hello'), fp('request', '0'), fp('request', '1'), fp('request', '2')];
  const s = (...pairs: [number, string][]): Stamp[] => pairs.map(([t, f]) => [t, f]);
  const peers = [
    peer('68', s([633.1, hello], [932.7, r0], [2232.8, r1], [2533.7, r2]), s([633.3, hello], [932.8, r0], [2232.9, r1], [2533.8, r2])),
    peer('69', s([634.0, hello], [931.6, r0], [2231.8, r1], [2531.7, r2]), s([634.2, hello], [931.7, r0], [2231.9, r1], [2531.8, r2])),
  ];
  const early: ConnectionEvidence[] = [
    { ...conn('node-a', s([631.0, hello]), s([641.1, hello])), oneClock: true },
    { ...conn('py-b', s([628.9, hello]), s([634.3, hello])), oneClock: true },
  ];
  const full: ConnectionEvidence[] = [
    { ...conn('node-a', s([631.0, hello], [932.3, r0], [2232.6, r1], [2533.2, r2]), s([641.1, hello], [933.0, r0], [2233.1, r1], [2533.9, r2])), oneClock: true },
    { ...conn('py-b', s([628.9, hello], [931.1, r0], [2231.1, r1], [2531.1, r2]), s([634.3, hello], [933.1, r0], [2232.2, r1], [2534.2, r2])), oneClock: true },
  ];

  test('with the first messages only, the pairing is a guess and says so', () => {
    for (const [key, pairing] of pairPeers(peers, early)) assert.equal(pairing.how, 'timing', key);
  });

  const firstTwo = (c: ConnectionEvidence): ConnectionEvidence => ({ ...c, out: c.out.slice(0, 2), in: c.in.slice(0, 2) });
  const twoPeers = peers.map((p) => ({ ...p, in: p.in.slice(0, 2), out: p.out.slice(0, 2) }));

  test('from the second message on, each peer goes to the process that holds its connection: the wrong pair has requests arriving before they were sent', () => {
    for (const evidence of [full, full.map(firstTwo)]) {
      const pairs = pairPeers(evidence === full ? peers : twoPeers, evidence);
      assert.equal(pairs.get('68')?.connection, 'node-a');
      assert.equal(pairs.get('69')?.connection, 'py-b');
    }
  });

  test('across clocks (an offset in between, with its error) an early arrival weighs as a late one: two messages each then favour the wrong pairs', () => {
    const acrossClocks = full.map(({ oneClock: _, ...c }) => firstTwo(c));
    assert.equal(pairPeers(twoPeers, acrossClocks).get('68')?.connection, 'py-b');
  });
});

describe('a socket connected to several endpoints (its messages dealt round-robin, logged together)', () => {
  const dealt = (key: string, out: Stamp[], inbound: Stamp[] = []): ConnectionEvidence => ({ key, out, in: inbound, dealt: true });
  const [hello, r0, r1, r2, r3] = ['hello', 'r0', 'r1', 'r2', 'r3'].map((m) => fp(m));

  test('each server\'s peer is a subsequence of the log, matched in order; what went past the log is no contradiction', () => {
    const log = dealt('c', stamps([0, hello], [300, r0], [600, r1], [900, r2]), stamps([300.6, r0], [600.6, r1]));
    // Server A got hello, r1, then r3 (past the log); server B r0, r2. Each replied with the same message.
    const a = peer('a', stamps([0.3, hello], [600.3, r1], [1200.3, r3]), stamps([600.4, r1]));
    const b = peer('b', stamps([300.3, r0], [900.3, r2]), stamps([300.4, r0]));
    assert.ok(compatible(a, log) && compatible(b, log));
    assert.equal(compatible(a, { key: 'c', out: log.out, in: log.in }), false, 'read as one connection\'s prefix, A\'s second message contradicts the log');
  });

  test('a peer whose messages all went past the log tells nothing; one that arrived before the sending does not fit', () => {
    const log = dealt('c', stamps([0, hello], [300, r0], [600, r1], [900, r2]));
    assert.equal(compatible(peer('late', stamps([1200.3, r3])), log), false, 'nothing matched: no evidence');
    assert.equal(compatible(peer('early', stamps([200, r0])), log), false, 'r0 arrived 100 ms before it was sent');
  });

  test('two clients dealing the same messages to two servers: each server\'s peers paired with the right client by timing', () => {
    const client = (key: string, at: number) => dealt(key, stamps([at, hello], [at + 300, r0], [at + 600, r1], [at + 900, r2]));
    const clients = [client('c1', 0), client('c2', 40)];
    // Server A got each client's hello and r1, server B each client's r0 and r2, 0.3 ms after they went.
    const serverA = [peer('a1', stamps([0.3, hello], [600.3, r1])), peer('a2', stamps([40.3, hello], [640.3, r1]))];
    const serverB = [peer('b1', stamps([300.3, r0], [900.3, r2])), peer('b2', stamps([340.3, r0], [940.3, r2]))];
    for (const peers of [serverA, serverB]) {
      const pairs = pairPeers(peers, clients);
      assert.deepEqual([...pairs].map(([k, p]) => [k, p.connection]).sort(), [[peers[0].key, 'c1'], [peers[1].key, 'c2']]);
    }
  });
});

describe('the most pairs the evidence allows (after the greedy pass for large sets)', () => {
  const matrix = (cells: (number | null)[][]): CostMatrix => ({
    rows: cells.length, cols: cells[0].length, at: (r, c) => cells[r][c] ?? NaN,
  });

  test('a row the cheapest pairs stranded gets a column: the row holding its only fit moves to a free one', () => {
    // A fits X and Y, B fits Y and Z, C fits X and Z; greedy takes A-X (0.01) and B-Z (0.02) and C has nothing left.
    const m = matrix([[0.01, 0.5, null], [null, 0.6, 0.02], [0.7, null, 0.8]]);
    const greedy: [number, number][] = [[0, 0], [1, 2]];
    const pairs = mostPairs(m, greedy).sort((a, b) => a[0] - b[0]);
    assert.equal(pairs.length, 3, 'every row paired');
    for (const [r, c] of pairs) assert.ok(!Number.isNaN(m.at(r, c)), `row ${r} only takes a column it fits`);
    assert.equal(new Set(pairs.map(([, c]) => c)).size, 3, 'no column twice');
  });

  test('nothing changes when no row can be given more, and a long alternating chain is followed without recursion', () => {
    const none = matrix([[0.1, null], [0.2, null]]);
    assert.deepEqual(mostPairs(none, [[0, 0]]), [[0, 0]], 'row 1 fits only the column row 0 holds, and row 0 has no other');
    // A chain of 5,000: row i fits columns i and i+1; greedy gave each row but the last column i+1, so the
    // last row's only column is held, and the path to the free column 0 runs through every row.
    const n = 5000;
    const chain: CostMatrix = { rows: n, cols: n, at: (r, c) => (c === r || c === r + 1 ? 1 : NaN) };
    const greedy: [number, number][] = [];
    for (let r = 0; r < n - 1; r++) greedy.push([r, r + 1]);
    const pairs = mostPairs(chain, greedy);
    assert.equal(pairs.length, n, 'the last row takes its column after every other row moves back one');
    assert.deepEqual(pairs.filter(([r, c]) => r !== c), [], 'each row on its own column');
  });
});
