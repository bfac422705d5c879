/**
 * Replay (docs/RECORDING.md "Replay"): a store tapped by a recorder and the replay of its file agree at
 * every instant; a seek through checkpoints (store copies) gives exactly what one pass from the start
 * gives, in any order of seeks; two replays of a file are identical; a damaged file replays its
 * readable part.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TopologyStore } from '../../src/model/store';
import { Recorder } from '../../src/recording/recorder';
import { readRecording, readRecordingFile } from '../../src/recording/reader';
import { Replay, SweepClock } from '../../src/recording/replay';
import { tapStore } from '../../src/recording/tap';
import { summarize } from '../../src/recording/summary';
import { demoTelemetry, writeDemoRecording } from '../../bench/lib/demoRecording';
import type { TopologySnapshot } from '../../src/shared/snapshot';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zmqrec-replay-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const START = Date.UTC(2026, 5, 1);

/** Deterministic instants spread over [from, to]. */
function instants(n: number, from: number, to: number): number[] {
  let x = 7;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return Math.round(from + (x / 2 ** 31) * (to - from));
  });
}

test('a live store tapped by a recorder and the replay of its file agree at every instant', async () => {
  const file = path.join(dir, 'tap.zmqrec');
  let clock = START;
  const live = new TopologyStore({ now: () => clock });
  const recorder = new Recorder({ path: file, producer: 'unit', now: () => clock, flushMs: 3_600_000 });
  const tap = tapStore(live, recorder);
  live.setCollectorStatus({ endpoint: 'tcp://127.0.0.1:5599', listening: true, malformed: {}, agents: 0 });
  const checks = [...new Set(instants(12, START + 1000, START + 90_000))].sort((a, b) => a - b);
  const seen = new Map<number, string>();
  // The live store's sweep timer, on the test's clock (a replay runs the same sweeps on the file's).
  const sweeps = new SweepClock(START);
  const upTo = (at: number) => {
    for (const t of checks) {
      if (t < at && !seen.has(t)) {
        sweeps.runUntil(live, t, true, (c) => (clock = c));
        clock = t;
        seen.set(t, JSON.stringify(live.snapshot()));
      }
    }
    sweeps.runUntil(live, at, false, (c) => (clock = c));
    clock = at;
  };
  demoTelemetry({
    telemetry: (key, msg, at) => {
      upTo(at);
      live.apply(key, msg, at);
    },
    agentGone: (key, reason, at) => {
      upTo(at);
      live.agentGone(key, reason, at);
    },
  }, START, 95_000);
  await recorder.stop();
  tap.dispose();
  assert.equal(Object.prototype.hasOwnProperty.call(live, 'apply'), false, 'dispose puts the store\'s own methods back');
  const replay = Replay.open(file);
  assert.ok(seen.size >= 10);
  for (const [t, snapshot] of seen) assert.ok(JSON.stringify(replay.snapshotAt(t)) === snapshot, `snapshot at +${t - START} ms differs from the live store's`);
  const summary = summarize(replay.recording);
  assert.ok(summary.markers.some((m) => m.kind === 'process-gone' && m.who.startsWith('worker-flaky')), 'the flaky worker\'s exit is a marker');
  assert.ok(summary.markers.some((m) => m.kind === 'disconnect-msg' && m.text.includes('WORKER_GONE')));
});

test('a seek through checkpoints equals one pass from the start, whatever the order of seeks', async () => {
  const file = path.join(dir, 'seek.zmqrec');
  await writeDemoRecording(file, 180_000, START);
  const rec = readRecordingFile(file);
  const replay = new Replay(rec, { checkpointEveryMs: 10_000 });
  assert.ok(replay.checkpointCount >= 17);
  const times = [...instants(25, rec.startAt, rec.endAt), rec.startAt, rec.endAt, rec.startAt + 10_000, rec.startAt + 10_001];
  const expected = new Map(times.map((t) => [t, JSON.stringify(Replay.snapshotOnce(rec, t).snapshot)]));
  for (const t of [...times, ...times.slice().reverse()]) assert.ok(JSON.stringify(replay.snapshotAt(t)) === expected.get(t), `seek to +${t - rec.startAt} ms differs from one pass`);
  assert.equal(replay.failures, 0);
});

test('replaying a file twice gives identical snapshots (the clock is the recording\'s, not the wall\'s)', async () => {
  const file = path.join(dir, 'twice.zmqrec');
  await writeDemoRecording(file, 60_000, START);
  const at = START + 40_250; // the flaky worker was killed at +22 s and came back at +24 s
  const a = Replay.open(file).snapshotAt(at);
  await new Promise((r) => setTimeout(r, 20));
  const b = Replay.open(file).snapshotAt(at);
  assert.deepEqual(a, b);
  assert.equal(a.takenAt, at);
  const flaky = a.nodes.filter((n: TopologySnapshot['nodes'][number]) => n.name === 'worker-flaky');
  assert.ok(flaky.some((n) => n.state === 'exited') && flaky.some((n) => n.state === 'live'), 'a killed flaky worker and its successor');
});

test('a damaged recording replays what was readable, up to the time the problem says', async () => {
  const file = path.join(dir, 'damaged.zmqrec');
  await writeDemoRecording(file, 30_000, START);
  const whole = fs.readFileSync(file);
  const rec = readRecording(whole.subarray(0, Math.floor(whole.length * 0.6)));
  assert.equal(rec.problem?.kind, 'truncated');
  const upTo = rec.problem!.upTo;
  assert.ok(upTo > START && upTo < START + 30_000);
  const replay = new Replay(rec);
  const snapshot = replay.snapshotAt(upTo);
  assert.equal(snapshot.takenAt, upTo);
  assert.ok(snapshot.nodes.some((n) => n.name === 'broker'));
  assert.equal(replay.endAt, upTo);
});
