/**
 * The .zmqrec format (docs/RECORDING.md): what the Recorder writes reads back the same; a file cut at
 * any byte or with any byte flipped is read up to its last good block with a problem that says how
 * much was read, and never throws past the header; the size cap stops the recording with an End
 * record; flushes are timed; instants parse as offsets or epoch milliseconds.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Recorder } from '../../src/recording/recorder';
import { readRecording, readRecordingFile, RecordingError } from '../../src/recording/reader';
import { Kind, type Entry } from '../../src/recording/format';
import { parseInstant } from '../../src/recording/summary';
import { Replay } from '../../src/recording/replay';
import { encode } from '../../src/protocol/codec';
import type { TelemetryMsg } from '../../src/protocol/types';
import type { CollectorStatus } from '../../src/shared/snapshot';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zmqrec-unit-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const T0 = 1_790_000_000_000;

const hello = (seq: number, at: number): TelemetryMsg => ({
  v: 1, t: 'hello', seq, at, instance: 'i1', pid: 42, host: 'h', title: 'node', node: 'worker', argv: ['node', 'w.js'],
  runtime: { name: 'node', version: '20', binding: 'zeromq.js 6.8.0', libzmq: '4.3.5', disconnectMsg: true }, agent: { name: 'a', version: '0.1.0' }, startedAt: at,
});
const beat = (seq: number, at: number): TelemetryMsg => ({ v: 1, t: 'beat', seq, at, dropped: 0, queued: 0 });
const status = (agents: number): CollectorStatus => ({ endpoint: 'tcp://127.0.0.1:5599', listening: true, malformed: { 'not-json': 1 }, agents });

/** Writes a recording with several blocks (a flush every 10 records) and returns its file and what went in. */
async function sample(name: string, records = 60): Promise<{ file: string; inputs: Entry[] }> {
  const file = path.join(dir, name);
  let clock = T0;
  const rec = new Recorder({ path: file, producer: 'unit', now: () => clock, flushMs: 3_600_000 });
  const inputs: Entry[] = [];
  rec.collectorStatus(status(0));
  inputs.push({ kind: Kind.CollectorStatus, at: T0, status: status(0) });
  for (let i = 1; i <= records; i++) {
    clock = T0 + i * 100;
    const msg = i === 1 ? hello(1, clock - 3) : beat(i, clock - 3);
    if (i % 2 === 0) rec.telemetryFrame('aa01', encode(msg), msg, clock);
    else rec.telemetry('aa01', msg, clock);
    inputs.push({ kind: Kind.Telemetry, at: clock, agentKey: 'aa01', msg });
    if (i % 10 === 0) rec.flush();
  }
  clock += 5;
  rec.malformed('aa01', 'not-json', 'Unexpected token');
  inputs.push({ kind: Kind.Malformed, at: clock, agentKey: 'aa01', reason: 'not-json', detail: 'Unexpected token' });
  rec.agentGone('aa01', 'telemetry connection lost', clock + 1);
  inputs.push({ kind: Kind.AgentGone, at: clock + 1, agentKey: 'aa01', reason: 'telemetry connection lost' });
  rec.kernelPeers(new Map([['e1', [{ address: '127.0.0.1:40000', pid: 7, command: 'python3 client.py' }, { address: '10.0.0.2:1234' }]]]));
  inputs.push({ kind: Kind.KernelPeers, at: clock, found: [['e1', [{ address: '127.0.0.1:40000', pid: 7, command: 'python3 client.py' }, { address: '10.0.0.2:1234' }]]] });
  clock += 10;
  rec.clearExited();
  inputs.push({ kind: Kind.ClearExited, at: clock });
  await rec.stop();
  inputs.push({ kind: Kind.End, at: clock, reason: 'stopped' });
  return { file, inputs };
}

test('what the recorder writes reads back the same, frames and serialised messages alike', async () => {
  const { file, inputs } = await sample('roundtrip.zmqrec');
  const rec = readRecordingFile(file);
  assert.equal(rec.problem, undefined);
  assert.equal(rec.version, '2.0');
  assert.equal(rec.header.producer, 'unit');
  assert.equal(rec.startAt, T0);
  assert.deepEqual(rec.end, { at: inputs[inputs.length - 1]!.at, reason: 'stopped' });
  assert.deepEqual(rec.entries, inputs);
});

test('times are recorded as given (an arrival time is an input); replay places each input at the latest time seen so far', async () => {
  const file = path.join(dir, 'clock.zmqrec');
  const rec = new Recorder({ path: file, producer: 'unit', now: () => T0 });
  rec.telemetry('k', hello(1, T0), T0 + 500);
  rec.telemetry('k', beat(2, T0), T0 + 499); // stamped a millisecond before the record ahead of it
  await rec.stop();
  const read = readRecordingFile(file);
  assert.deepEqual(read.entries.map((e) => e.at), [T0 + 500, T0 + 499, T0 + 500]);
  assert.equal(read.endAt, T0 + 500);
  const replay = new Replay(read, { checkpointEveryMs: 0 });
  assert.equal(replay.indexAt(T0 + 499), 0, 'the second input is not applied before the first');
  assert.equal(replay.indexAt(T0 + 500), 3);
});

test('a file cut at any byte reads up to its last whole block, says how much, and never throws past the header', async () => {
  const { file, inputs } = await sample('cut.zmqrec', 30);
  const whole = fs.readFileSync(file);
  const headerEnd = 12 + whole.readUInt32LE(8); // "ZMQREC", major, minor, u32 length, JSON
  let seenProblems = 0;
  for (let cut = 0; cut < whole.length; cut++) {
    const part = whole.subarray(0, cut);
    if (cut < headerEnd) {
      assert.throws(() => readRecording(part), RecordingError, `cut at ${cut}`);
      continue;
    }
    const rec = readRecording(part);
    assert.deepEqual(rec.entries, inputs.slice(0, rec.entries.length), `cut at ${cut}: a prefix of what was recorded`);
    if (rec.problem) {
      seenProblems++;
      assert.equal(rec.problem.kind, 'truncated');
      assert.equal(rec.problem.records, rec.entries.length);
      assert.ok(rec.problem.bytesRead <= cut);
      assert.match(rec.problem.message, new RegExp(`truncated at byte \\d+ of ${cut} .*read ${rec.problem.bytesRead} bytes, ${rec.entries.length} records, up to \\+\\d+\\.\\d{3}s`));
    } else {
      assert.equal(rec.end, undefined, 'no End record in a cut file');
    }
  }
  assert.ok(seenProblems > whole.length / 2, 'most cuts fall inside a block');
});

test('a flipped byte anywhere after the header is caught: what precedes its block is replayed, never a crash', async () => {
  const { file, inputs } = await sample('flip.zmqrec', 30);
  const whole = fs.readFileSync(file);
  const headerEnd = 12 + whole.readUInt32LE(8); // "ZMQREC", major, minor, u32 length, JSON
  for (let at = headerEnd; at < whole.length; at++) {
    for (const mask of [0x01, 0x80, 0xff]) {
      const bad = Buffer.from(whole);
      bad[at]! ^= mask;
      const rec = readRecording(bad);
      assert.ok(rec.problem, `a flip at ${at} (mask ${mask}) is noticed`);
      assert.ok(rec.problem.bytesRead <= at, `nothing from the damaged block is replayed (flip at ${at})`);
      assert.deepEqual(rec.entries, inputs.slice(0, rec.entries.length));
      assert.match(rec.problem.message, /(corrupted|truncated) at byte \d+ .*read \d+ bytes, \d+ records, up to \+/);
    }
  }
});

test('a damaged header, another format or a newer major version is a clear RecordingError', () => {
  assert.throws(() => readRecording(Buffer.from('hello world, not a recording')), /not a zmq-topology recording/);
  assert.throws(() => readRecording(Buffer.from('ZMQ')), /truncated at byte 3: not even its header/);
  const newer = Buffer.concat([Buffer.from('ZMQREC'), Buffer.from([3, 0]), Buffer.alloc(4)]);
  assert.throws(() => readRecording(newer), /format 3\.0 is not one this zmq-topology reads \(1\.x, 2\.x; it writes 2\.x\)/);
  const badJson = Buffer.concat([Buffer.from('ZMQREC'), Buffer.from([1, 0, 3, 0, 0, 0]), Buffer.from('{x}')]);
  assert.throws(() => readRecording(badJson), /header corrupted/);
});

test('a format 1 recording (before kernel peers were recorded) still reads', async () => {
  const { file, inputs } = await sample('format1.zmqrec', 12);
  const whole = fs.readFileSync(file);
  whole[6] = 1; // the major version byte; the blocks' checksums do not cover the file header
  const rec = readRecording(whole);
  assert.equal(rec.problem, undefined);
  assert.equal(rec.version, '1.0');
  assert.deepEqual(rec.entries, inputs);
});

test('recorded kernel peers are data from outside too: the wrong shape stops the reading there, long strings are cut', async () => {
  const file = path.join(dir, 'kernel-peers.zmqrec');
  const rec = new Recorder({ path: file, producer: 'unit', now: () => T0 });
  rec.kernelPeers(new Map([['e1', [{ address: '127.0.0.1:1', command: 'x'.repeat(400) }]]]));
  rec.flush();
  await rec.drained();
  rec.kernelPeers(new Map([['e2', [{ pid: 9 } as never]]]));
  await rec.stop();
  const read = readRecordingFile(file);
  assert.equal(read.entries.length, 1);
  const first = read.entries[0]!;
  assert.ok(first.kind === Kind.KernelPeers);
  assert.equal(first.found[0]![1][0]!.command!.length, 160);
  assert.equal(read.problem?.kind, 'corrupted');
  assert.match(read.problem!.message, /a kernel peer has no address/);
});

test('telemetry in a recording is validated again as the collector does (a hand-made file is data too)', async () => {
  const file = path.join(dir, 'invalid.zmqrec');
  const rec = new Recorder({ path: file, producer: 'unit', now: () => T0 });
  rec.telemetry('k', hello(1, T0), T0 + 1);
  rec.flush();
  await rec.drained();
  rec.telemetryFrame('k', Buffer.from('{"v":1,"t":"beat","seq":"x"}'), beat(2, T0), T0 + 2);
  await rec.stop();
  const read = readRecordingFile(file);
  assert.equal(read.entries.length, 1);
  assert.equal(read.problem?.kind, 'corrupted');
  assert.match(read.problem!.message, /telemetry record refused \(bad-field/);
});

test('the size cap stops the recording with an End record saying so, and the file stays readable', async () => {
  const file = path.join(dir, 'cap.zmqrec');
  let stopped: string | undefined;
  const rec = new Recorder({ path: file, producer: 'unit', maxBytes: 4096, compress: false, onStopped: (reason) => (stopped = reason) });
  for (let i = 1; i <= 200 && rec.active; i++) {
    rec.telemetry('k', i === 1 ? hello(1, T0) : beat(i, T0 + i), T0 + i);
    if (i % 20 === 0) {
      rec.flush();
      await rec.drained();
    }
  }
  await rec.stop();
  assert.equal(stopped, 'size cap of 4096 bytes reached');
  assert.equal(rec.active, false);
  assert.ok(fs.statSync(file).size <= 4096);
  const read = readRecordingFile(file);
  assert.equal(read.problem, undefined);
  assert.equal(read.end?.reason, 'size cap of 4096 bytes reached');
  assert.ok(read.entries.length > 20 && read.entries.length < 200);
});

test('a file that cannot be written is a clear error at once', () => {
  assert.throws(() => new Recorder({ path: path.join(dir, 'no', 'such', 'dir', 'x.zmqrec'), producer: 'unit' }), /cannot write the recording .*x\.zmqrec: ENOENT/);
});

test('blocks are flushed by the timer: a recording still open is readable up to its last flush', async () => {
  const file = path.join(dir, 'timer.zmqrec');
  const rec = new Recorder({ path: file, producer: 'unit', flushMs: 50 });
  rec.telemetry('k', hello(1, Date.now()), Date.now());
  await new Promise((r) => setTimeout(r, 200));
  await rec.drained();
  const read = readRecordingFile(file);
  assert.equal(read.problem, undefined);
  assert.equal(read.end, undefined);
  assert.equal(read.entries.length, 1);
  await rec.stop();
});

test('instants: offsets from the start or epoch milliseconds, and clear errors otherwise', () => {
  const rec = { startAt: T0, endAt: T0 + 60_000 };
  assert.equal(parseInstant('12.5s', rec), T0 + 12_500);
  assert.equal(parseInstant('1500ms', rec), T0 + 1500);
  assert.equal(parseInstant('+1m', rec), T0 + 60_000);
  assert.equal(parseInstant(String(T0 + 7), rec), T0 + 7);
  assert.throws(() => parseInstant('1500', rec), /not an instant: give an offset .* or epoch milliseconds/);
  assert.throws(() => parseInstant('soon', rec), /not an instant/);
  assert.throws(() => parseInstant('61s', rec), /outside the recording, which covers \+0\.000s to \+60\.000s/);
  assert.throws(() => parseInstant(String(T0 - 1), rec), /outside the recording/);
});
