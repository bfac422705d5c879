import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { ByteTable, hashBytes } from '../../src/agent/byteTable';
import { heartbeatKeys, parseHeartbeatPatterns, TYPE_BYTES } from '../../src/agent/frames';
import { monotonicMs } from '../../src/agent/clock';
import { PeerStats, SocketRecord } from '../../src/agent/records';
import { toBin } from '../../src/protocol/bin';
import type { ZmqSocket } from '../../src/agent/zmq';
import { python } from '../helpers/python';

const heartbeats = heartbeatKeys(parseHeartbeatPatterns(undefined));
const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function record(type: 'ROUTER' | 'DEALER'): SocketRecord {
  return new SocketRecord({} as ZmqSocket, { socket: 1, type, options: { disconnectMsg: false }, createdAt: 0 }, type === 'ROUTER' ? 'router' : 'dealer');
}

test('byte table: entries sharing a hash bucket are told apart by their bytes, and deleted one by one', () => {
  const table = new ByteTable<string>();
  // Same hash on purpose: the bucket chains, the byte comparison decides.
  table.add(b('abc'), 3, 7, 'abc');
  table.add(b('abd'), 3, 7, 'abd');
  table.add(b('ab'), 2, 7, 'ab');
  assert.equal(table.get(b('abc'), 3, 7), 'abc');
  assert.equal(table.get(b('abd'), 3, 7), 'abd');
  assert.equal(table.get(b('abcd'), 2, 7), 'ab', 'only the first n bytes are the key');
  assert.equal(table.get(b('abe'), 3, 7), undefined);
  table.delete(b('abd'), 3, 7);
  assert.equal(table.get(b('abd'), 3, 7), undefined);
  assert.equal(table.get(b('abc'), 3, 7), 'abc');
  assert.equal(table.size, 2);
  assert.equal(hashBytes(b('x'.repeat(40)), 32), hashBytes(b('x'.repeat(32)), 32));
  assert.ok(Number.isInteger(hashBytes(b('\xff'.repeat(32)), 32)) && hashBytes(b('\xff'.repeat(32)), 32) < 2 ** 30);
});

test('type counts: keyed by the first TYPE_BYTES bytes, strings as their UTF-8 bytes, the rest as (other)', () => {
  const stats = new PeerStats(undefined);
  stats.countType([b('READY')], 0, heartbeats);
  stats.countType(['READY'], 0, heartbeats);
  stats.countType([new Uint8Array(b('READY'))], 0, heartbeats);
  stats.countType([Buffer.concat([b('x'.repeat(TYPE_BYTES)), b('tail-1')])], 0, heartbeats);
  stats.countType([Buffer.concat([b('x'.repeat(TYPE_BYTES)), b('tail-2')])], 0, heartbeats);
  stats.countType([], 0, heartbeats);
  stats.countType(['é'], 0, heartbeats);
  stats.countType([Buffer.from('é')], 0, heartbeats);
  stats.msgsIn = 8;
  assert.deepEqual(stats.takeDelta(1).types, { READY: 3, ['x'.repeat(TYPE_BYTES)]: 2, '0x': 1, 'é': 2 });

  const many = new PeerStats(undefined);
  for (let i = 0; i < 40; i++) many.countType([b(`T${i}`)], 0, heartbeats);
  many.countType([b('T0')], 0, heartbeats);
  many.msgsIn = 41;
  const types = many.totals(1).types;
  assert.equal(Object.keys(types).length, 32, '31 types and (other)');
  assert.equal(types.T0, 2);
  assert.equal(types['(other)'], 9);
});

test('type counts: deltas per flush, totals for a snapshot, labels made once', () => {
  const stats = new PeerStats(undefined);
  stats.countType([b('A')], 0, heartbeats);
  stats.countType([b('\x01')], 0, heartbeats);
  stats.msgsOut = 2;
  assert.deepEqual(stats.takeDelta(1).types, { A: 1, '0x01': 1 });
  assert.equal(stats.changed, false);
  stats.countType([b('A')], 0, heartbeats);
  stats.msgsOut = 3;
  assert.equal(stats.changed, true);
  assert.deepEqual(stats.takeDelta(1).types, { A: 1 }, 'only what changed since the last flush');
  assert.deepEqual(stats.totals(1).types, { A: 2, '0x01': 1 });
});

test('heartbeats: only whole frames equal to a pattern, wherever the type lands', () => {
  const stats = new PeerStats(undefined);
  assert.equal(stats.countType([b('PING')], 0, heartbeats), true);
  assert.equal(stats.countType([b('PING')], 0, heartbeats), true, 'a known type keeps its heartbeat flag');
  assert.equal(stats.countType(['PING'], 0, heartbeats), true);
  assert.equal(stats.countType([b('PINGX')], 0, heartbeats), false);
  assert.equal(stats.countType([b('\x02')], 0, heartbeats), true);
  assert.equal(stats.countType([b('HUGZ'), b('\x00\x00\x00\x00\x00\x00\x00\x07'), b('')], 0, heartbeats), true, 'the Clone pattern\'s HUGZ (a kvmsg key)');
  const long = heartbeatKeys([{ type: b('h'.repeat(TYPE_BYTES)) }]);
  assert.equal(stats.countType([b('h'.repeat(TYPE_BYTES))], 0, long), true);
  assert.equal(stats.countType([b('h'.repeat(TYPE_BYTES + 1))], 0, long), false, 'a longer frame with the pattern as its prefix is no heartbeat');
  assert.equal(stats.countType(['h'.repeat(TYPE_BYTES + 1)], 0, long), false);
  // Past the type limit the frame is counted as (other) but still recognised as a heartbeat.
  const full = new PeerStats(undefined);
  for (let i = 0; i < 40; i++) full.countType([b(`T${i}`)], 0, heartbeats);
  assert.equal(full.countType([b('PONG')], 0, heartbeats), true);
  assert.equal(full.countType([b('PONGS')], 0, heartbeats), false);
});

test('two-frame heartbeats: a Majordomo worker\'s ["", "MDPW01", "\\x04"] is one, its requests under the same header are not', () => {
  const stats = new PeerStats(undefined);
  const mdp = (command: string, ...rest: string[]) => [b(''), b('MDPW01'), b(command), ...rest.map(b)];
  assert.equal(stats.countType(mdp('\x04'), 1, heartbeats), true);
  assert.equal(stats.countType(mdp('\x02', 'client', '', 'body'), 1, heartbeats), false, 'a request');
  assert.equal(stats.countType(mdp('\x04'), 1, heartbeats), true, 'a known type keeps its second-frame check');
  assert.equal(stats.countType(['', 'MDPW01', '\x04'], 1, heartbeats), true, 'string frames as zeromq.js sends them');
  assert.equal(stats.countType(mdp('\x04\x04'), 1, heartbeats), false, 'the second frame must be whole');
  assert.equal(stats.countType([b(''), b('MDPW01')], 1, heartbeats), false, 'no second frame');
  // Through a ROUTER (the broker's side): the routing id and delimiter first.
  const router = new PeerStats(undefined);
  assert.equal(router.countType([b('id'), b(''), b('MDPW01'), b('\x04')], 2, heartbeats), true);
  // Past the type limit, still recognised.
  const full = new PeerStats(undefined);
  for (let i = 0; i < 40; i++) full.countType([b(`T${i}`)], 0, heartbeats);
  assert.equal(full.countType(mdp('\x04'), 1, heartbeats), true);
  assert.equal(full.countType(mdp('\x03'), 1, heartbeats), false);
  stats.msgsOut = 6;
  assert.deepEqual(stats.takeDelta(1).types, { MDPW01: 6 }, 'types are still counted by the type frame');
});

test('the agent keeps copies: an app reusing its buffers does not change what was counted', () => {
  const rec = record('ROUTER');
  const id = b('peer-1');
  const type = b('WORK');
  rec.peerStats(id).countType([type], 0, heartbeats);
  id.write('peer-2');
  type.write('JUNK');
  rec.peerStats(b('peer-1')).countType([b('WORK')], 0, heartbeats);
  assert.deepEqual([...rec.peers.keys()], ['peer-1']);
  const stats = rec.peerStats(b('peer-1'));
  stats.msgsIn = 2;
  assert.deepEqual(stats.totals(1).types, { WORK: 2 });
  assert.deepEqual(stats.peer, { hex: b('peer-1').toString('hex'), text: 'peer-1' });
});

test('peers: found by routing id bytes; the oldest forgotten past 1024, from the index too', () => {
  const rec = record('ROUTER');
  const first = rec.peerStats(b('first'));
  assert.equal(rec.peerStats(Buffer.from('first')), first, 'another buffer with the same bytes is the same peer');
  for (let i = 0; i < 1024; i++) rec.peerStats(b(`p${i}`));
  assert.equal(rec.peers.size, 1024);
  assert.equal(rec.peers.has('first'), false);
  const again = rec.peerStats(b('first'));
  assert.notEqual(again, first, 'a forgotten peer starts afresh');
  assert.equal(rec.peers.size, 1024);
  // The oldest peer is also the last one counted (the one-peer fast path's): forgotten all the same.
  const oldest = rec.peerStats(b('p1'));
  rec.peerStats(b('newcomer'));
  assert.equal(rec.peers.has('p1'), false);
  assert.notEqual(rec.peerStats(b('p1')), oldest, 'the last peer counted, once forgotten, starts afresh too');
  const dealer = record('DEALER');
  assert.equal(dealer.peerStats(undefined), dealer.peerStats(undefined));
  assert.equal(dealer.peerStats(undefined).peer, undefined);
});

test('counting a known peer and type builds no string per message', () => {
  const rec = record('ROUTER');
  const id = b('\x00\x80\x00\x00\x01');
  const payload = Buffer.alloc(64, 0x61);
  rec.peerStats(id).countType([payload], 0, heartbeats);
  const toString = Buffer.prototype.toString;
  let calls = 0;
  Buffer.prototype.toString = function (this: Buffer, ...args: Parameters<Buffer['toString']>): string {
    calls++;
    return toString.apply(this, args);
  };
  try {
    for (let i = 0; i < 1000; i++) rec.peerStats(id).countType([payload], 0, heartbeats);
  } finally {
    Buffer.prototype.toString = toString;
  }
  assert.equal(calls, 0);
});

test('a send reads the clock before it only while it may be logged: a DEALER until its connection\'s log is full, again after a reconnect; a ROUTER always', () => {
  const dealer = record('DEALER');
  const stats = new PeerStats(undefined);
  for (let i = 0; i < 4; i++) {
    assert.equal(dealer.stampsSends, true, `send ${i + 1} may be among the first`);
    dealer.logFirst(stats, false, [b('HELLO')], i);
  }
  assert.equal(dealer.stampsSends, false, 'the log is full: sends cost no clock read');
  dealer.connectionLost();
  assert.equal(dealer.stampsSends, true, 'a new connection logs its first messages again');
  const router = record('ROUTER');
  const peer = new PeerStats(toBin(b('\x00abcd')));
  for (let i = 0; i < 6; i++) router.logFirst(peer, false, [b('\x00abcd'), b('HELLO')], i);
  assert.equal(router.stampsSends, true, 'its next send may go to a new peer');
});

test('the Python agent stamps sends by the same rule (record.py stamps_sends)', () => {
  const script = [
    'from zmq_topology.record import SocketRecord',
    'from zmq_topology.wire import parse_heartbeats',
    'd = SocketRecord(1, "DEALER", None, parse_heartbeats(None), lambda m: None)',
    'seen = [d.stamps_sends]',
    'for i in range(4): d.message(False, [b"HELLO"], 1.0 + i)',
    'seen.append(d.stamps_sends)',
    'd.connection_lost()',
    'seen.append(d.stamps_sends)',
    'r = SocketRecord(2, "ROUTER", None, parse_heartbeats(None), lambda m: None)',
    'for i in range(6): r.message(False, [b"\\x00abcd", b"HELLO"], 1.0 + i)',
    'seen.append(r.stamps_sends)',
    'print(seen)',
  ].join('\n');
  const run = spawnSync(python(), ['-c', script], { env: { ...process.env, PYTHONPATH: path.join(__dirname, '..', '..', '..', 'agents', 'python') }, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), '[True, False, True, True]');
});

test('both agents stamp first messages on the host\'s monotonic clock, which every process reads alike', () => {
  const dealer = record('DEALER');
  const stats = new PeerStats(undefined);
  const before = Number(process.hrtime.bigint()) / 1e6;
  dealer.logFirst(stats, false, [b('HELLO')]);
  const after = Number(process.hrtime.bigint()) / 1e6;
  const [nodeStamp] = stats.first!.out[0];
  assert.ok(nodeStamp >= before - 0.01 && nodeStamp <= after + 0.01, `Node stamp ${nodeStamp} outside [${before}, ${after}]`);
  // Another process, another runtime: its stamp falls between two readings of this one's clock.
  const script = [
    'from zmq_topology.record import SocketRecord',
    'from zmq_topology.wire import parse_heartbeats',
    'd = SocketRecord(1, "DEALER", None, parse_heartbeats(None), lambda m: None)',
    'd.message(False, [b"HELLO"])',
    'd.message(True, [b"WORLD"])',
    'print(d.peers[None].first_out[0][0], d.peers[None].first_in[0][0])',
  ].join('\n');
  const start = monotonicMs();
  const run = spawnSync(python(), ['-c', script], { env: { ...process.env, PYTHONPATH: path.join(__dirname, '..', '..', '..', 'agents', 'python') }, encoding: 'utf8' });
  const end = monotonicMs();
  assert.equal(run.status, 0, run.stderr);
  for (const stamp of run.stdout.trim().split(' ').map(Number)) {
    assert.ok(stamp > start && stamp < end, `Python stamp ${stamp} outside this process's [${start}, ${end}]`);
  }
});
