/**
 * Replay: a synthetic 30-minute recording shaped like the demo (bench/lib/demoRecording.ts) is written
 * through the real Recorder, then opened (read + checkpoints) and sought to random instants, each seek a
 * full snapshot at that instant (docs/RECORDING.md "Seeking"). Measured: file size per hour, open time,
 * seek time (target ≤ 100 ms), and the one-shot `replay --at` path (one pass from the start, no checkpoints).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeDemoRecording } from './lib/demoRecording';
import { readRecordingFile } from '../src/recording/reader';
import { Replay } from '../src/recording/replay';
import { atMost, isQuick, percentile, summarize, writeResult, type Row } from './lib/report';

const quick = isQuick();
const settings = quick ? { minutes: 5, seeks: 50, rounds: 1, onceSeeks: 3 } : { minutes: 30, seeks: 300, rounds: 3, onceSeeks: 10 };
const SEEK_TARGET_MS = 100;

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run with node --expose-gc (scripts/bench.js does)');
  collect();
  collect();
}

/** Deterministic instants (a fixed LCG), spread over the whole recording. */
function instants(n: number, start: number, end: number): number[] {
  let x = 12345;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return Math.round(start + (x / 2 ** 31) * (end - start));
  });
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zmqrec-bench-'));
  const file = path.join(dir, 'demo.zmqrec');
  try {
    const durationMs = settings.minutes * 60_000;
    const t0 = performance.now();
    const written = await writeDemoRecording(file, durationMs);
    const writeMs = performance.now() - t0;
    const rounds: { checkpointHeapMiB: number; readMs: number; openMs: number; seekP50: number; seekP99: number; seekMax: number; onceMedian: number; onceMax: number; checkpoints: number }[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      let t = performance.now();
      const rec = readRecordingFile(file);
      const readMs = performance.now() - t;
      t = performance.now();
      let replay: Replay | undefined = new Replay(rec);
      const openMs = performance.now() - t;
      const seeks: number[] = [];
      for (const at of instants(settings.seeks, rec.startAt, rec.endAt)) {
        t = performance.now();
        replay.snapshotAt(at);
        seeks.push(performance.now() - t);
      }
      const once: number[] = [];
      for (const at of instants(settings.onceSeeks, rec.startAt, rec.endAt)) {
        t = performance.now();
        Replay.snapshotOnce(rec, at);
        once.push(performance.now() - t);
      }
      const checkpoints = replay.checkpointCount;
      // The heap the checkpoints hold: with the replay alive, then without it (the entries stay).
      gc();
      const withReplay = process.memoryUsage().heapUsed;
      replay = undefined;
      gc();
      const checkpointHeapMiB = (withReplay - process.memoryUsage().heapUsed) / 1024 / 1024;
      rounds.push({
        checkpointHeapMiB, readMs, openMs, seekP50: percentile(seeks, 50), seekP99: percentile(seeks, 99), seekMax: Math.max(...seeks),
        onceMedian: percentile(once, 50), onceMax: Math.max(...once), checkpoints,
      });
      process.stderr.write(`replay: round ${round + 1}: open ${Math.round(readMs + openMs)} ms, seek p50 ${rounds[round]!.seekP50.toFixed(1)} ms, max ${rounds[round]!.seekMax.toFixed(1)} ms\n`);
    }
    const of = (f: (r: (typeof rounds)[number]) => number) => summarize(rounds.map(f));
    const group = `demo-like recording, ${settings.minutes} min, ${written.records} inputs`;
    const perHour = (written.bytes / durationMs) * 3_600_000 / 1024 / 1024;
    const seekMax = of((r) => r.seekMax);
    const rows: Row[] = [
      { group, metric: 'file size per hour of the demo', unit: 'MiB/h', value: summarize([perHour]) },
      { group, metric: 'writing it through the Recorder (generate + encode + deflate)', unit: 'ms', value: summarize([writeMs]) },
      { group, metric: 'read (checksums, inflate, validation)', unit: 'ms', value: of((r) => r.readMs) },
      { group, metric: 'open: checkpoints (one pass, a store copy every 10 s)', unit: 'ms', value: of((r) => r.openMs) },
      { group, metric: 'heap held by the replay (its checkpoints)', unit: 'MiB', value: of((r) => r.checkpointHeapMiB) },
      { group, metric: `seek to a random instant + snapshot, p50 (${settings.seeks} seeks)`, unit: 'ms', value: of((r) => r.seekP50) },
      { group, metric: 'seek p99', unit: 'ms', value: of((r) => r.seekP99) },
      { group, metric: 'seek max', unit: 'ms', value: seekMax, target: atMost(seekMax.max, SEEK_TARGET_MS) },
      { group, metric: 'one-shot replay --at (one pass from the start, no checkpoints), median', unit: 'ms', value: of((r) => r.onceMedian) },
    ];
    writeResult({
      benchmark: 'replay', mode: quick ? 'quick' : 'full', startedAt: new Date(startedAt).toISOString(), durationMs: Date.now() - startedAt, rows,
      notes: [
        'The recording is synthetic but shaped like examples/demo: 8 processes, a beat per second and traffic every 500 ms each, the flaky worker killed every 22 s and restarted 2 s later (about 25 telemetry messages a second, as `zmq-topology demo --record` writes).',
        'Seek = copy of the nearest checkpoint at or before T + the inputs up to T + TopologyStore.snapshot() at T; the snapshot is part of the figure.',
        `${settings.rounds} round(s): each reads and opens the file afresh, then ${settings.seeks} seeks to the same deterministic instants.`,
      ],
      raw: { settings, written, rounds },
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
