/**
 * The host side of the timeline, in plain Node (issue 16): the TimelineService's seek/play/compare on
 * a clock the test moves (at most one snapshot per 100 ms tick, the view at most once a second while
 * playing, the end of a recording, a live timeline handing back to the live graph); the live ring
 * (InputRing) equals the live store at every instant of its window, stays bounded, and saves a file
 * that replays; Recordings feeds the ring and a file from one tap; the ring setting.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TimelineService, type TimelineClock, type TimelineOutput, type TimelineSource } from '../../src/host/timeline';
import { formatSize, Recordings } from '../../src/host/recordings';
import { readSettings, SETTING_DEFAULTS } from '../../src/host/settings';
import { DEFAULT_STORE_OPTIONS, TopologyStore } from '../../src/model/store';
import { Replay, SweepClock } from '../../src/recording/replay';
import { InputRing } from '../../src/recording/ring';
import { demoTelemetry } from '../../bench/lib/demoRecording';
import type { TopologySnapshot } from '../../src/shared/snapshot';
import type { Comparison, TimelineMarker, TimelineView } from '../../src/shared/timeline';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zmq-host-timeline-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const START = Date.UTC(2026, 5, 1);

function fakeClock() {
  let now = 0;
  let tick: (() => void) | undefined;
  let intervals = 0;
  const clock: TimelineClock = {
    now: () => now,
    setInterval: (f, ms) => {
      assert.equal(ms, 100, 'play ticks every 100 ms');
      tick = f;
      intervals++;
      return intervals;
    },
    clearInterval: () => (tick = undefined),
  };
  return {
    clock,
    advance(ms: number) {
      for (let t = 0; t < ms; t += 100) {
        now += 100;
        tick?.();
      }
    },
    get running() {
      return tick !== undefined;
    },
  };
}

function output() {
  const got = { views: [] as TimelineView[], snapshots: [] as number[], comparisons: [] as Comparison[], follows: 0, errors: [] as string[] };
  const out: TimelineOutput = {
    timeline: (v) => got.views.push(v),
    snapshot: (s) => got.snapshots.push(s.takenAt),
    comparison: (c) => got.comparisons.push(c),
    follow: () => got.follows++,
    error: (m) => got.errors.push(m),
  };
  return { got, out };
}

const MARKERS: TimelineMarker[] = [2000, 5000, 9000].map((at) => ({ at, kind: 'disconnect', text: `m${at}`, id: 'e' }));

function source(kind: 'live' | 'recording', endAt = 11_000): TimelineSource & { endAt: number } {
  return {
    source: kind, title: kind, startAt: 1000, endAt,
    snapshotAt: (t) => {
      if (t === 7777) throw new Error('block 3 does not decode');
      return { schema: 1, takenAt: t, nodes: [], sockets: [], edges: [] } as unknown as TopologySnapshot;
    },
    markers: () => MARKERS,
  };
}

test('a recording opens at its end; seek clamps to its span and shows the picture there', () => {
  const { got, out } = output();
  const s = new TimelineService(source('recording'), out, fakeClock().clock);
  assert.equal(s.at, 11_000);
  assert.equal(s.view().at, 11_000);
  s.seek(3000);
  s.seek(50_000);
  s.seek(0);
  assert.deepEqual(got.snapshots, [3000, 11_000, 1000]);
  assert.deepEqual(got.views.map((v) => v.at), [3000, 11_000, 1000]);
  s.seek(null);
  assert.equal(s.at, 1000, 'a recording has no live graph to follow: null goes to its start');
  assert.equal(got.follows, 0);
});

test('play: one snapshot per 100 ms tick at speed × elapsed, the view at most once a second, stopping at the end', () => {
  const f = fakeClock();
  const { got, out } = output();
  const s = new TimelineService(source('recording'), out, f.clock);
  s.seek(1000);
  got.snapshots.length = 0;
  got.views.length = 0;
  s.play(10);
  assert.equal(got.views.at(-1)!.speed, 10);
  f.advance(500);
  assert.deepEqual(got.snapshots, [1000, 2000, 3000, 4000, 5000, 6000], 'the start, then one per tick');
  f.advance(500);
  assert.ok(got.views.length <= 2, `${got.views.length} views in a second of play`);
  s.play(0);
  assert.equal(f.running, false, 'pause stops the timer');
  assert.equal(s.playing, 0);
  const paused = got.snapshots.length;
  f.advance(1000);
  assert.equal(got.snapshots.length, paused);
  s.play(100);
  f.advance(300);
  assert.equal(s.at, 11_000, 'stopped at the end');
  assert.equal(s.playing, 0);
  assert.equal(f.running, false);
  assert.equal(got.views.at(-1)!.speed, 0);
  assert.equal(got.views.at(-1)!.at, 11_000);
  s.play(1);
  assert.equal(got.snapshots.at(-1), 1000, 'play at the end starts over');
  s.dispose();
  assert.equal(f.running, false);
});

test('a live timeline follows the live graph, shows the past when told, and hands back when play reaches now', () => {
  const f = fakeClock();
  const { got, out } = output();
  const src = source('live');
  const s = new TimelineService(src, out, f.clock);
  assert.equal(s.at, null);
  assert.equal(s.view().at, null);
  assert.equal(s.view().source, 'live');
  s.seek(10_000);
  assert.deepEqual(got.snapshots, [10_000]);
  s.play(10);
  f.advance(200);
  assert.equal(s.at, null, 'reaching now follows live again');
  assert.equal(got.follows, 1);
  assert.equal(f.running, false);
  s.seek(4000);
  s.seek(null);
  assert.equal(got.follows, 2);
  assert.equal(got.views.at(-1)!.at, null);
});

test('next and previous event, compare in either order, and errors told rather than thrown', () => {
  const { got, out } = output();
  const s = new TimelineService(source('recording'), out, fakeClock().clock);
  s.seek(3000);
  assert.equal(s.jump(1), true);
  assert.equal(s.at, 5000);
  assert.equal(s.jump(-1), true);
  assert.equal(s.at, 2000);
  assert.equal(s.jump(-1), false, 'nothing before the first marker');
  assert.equal(s.at, 2000);
  s.seek(9000);
  assert.equal(s.jump(1), false);
  s.compare(9000, 2000);
  assert.equal(got.comparisons.length, 1);
  assert.equal(got.comparisons[0]!.from, 2000);
  assert.equal(got.comparisons[0]!.to, 9000);
  s.seek(7777);
  assert.match(got.errors[0]!, /^cannot show .*: block 3 does not decode$/);
  s.compare(7777, 9000);
  assert.match(got.errors[1]!, /^cannot compare: block 3 does not decode$/);
});

/** The demo's inputs fed to a live store (swept as its timer would) and to a ring on the same clock. */
function liveWithRing(durationMs: number, ringOptions: { windowMs: number; checkpointEveryMs: number; preludeMaxBytes?: number; maxWindowBytes?: number; maxCopyBytes?: number }, checks: number[]) {
  let clock = START;
  const live = new TopologyStore({ now: () => clock });
  const ring = new InputRing(live, { ...ringOptions, storeOptions: { ...DEFAULT_STORE_OPTIONS }, now: () => clock, timer: false });
  const recordings = new Recordings({ ringMinutes: 0, storeOptions: { ...DEFAULT_STORE_OPTIONS }, producer: 'unit' });
  const sweeps = new SweepClock(START);
  const seen = new Map<number, string>();
  const pending = [...checks].sort((a, b) => a - b);
  let nextCut = START + 1000;
  const upTo = (at: number) => {
    for (;;) {
      const t = Math.min(nextCut, pending[0] ?? Infinity);
      if (t >= at) break;
      sweeps.runUntil(live, t, true, (c) => (clock = c));
      clock = t;
      if (t === nextCut) {
        ring.cut();
        nextCut += 1000;
      } else {
        seen.set(t, JSON.stringify(live.snapshot()));
        pending.shift();
      }
    }
    sweeps.runUntil(live, at, false, (c) => (clock = c));
    clock = at;
  };
  // The ring hears the inputs as the store tap gives them (written first, then applied).
  demoTelemetry({
    telemetry: (key, msg, at) => {
      upTo(at);
      ring.telemetry(key, msg, at);
      live.apply(key, msg, at);
    },
    agentGone: (key, reason, at) => {
      upTo(at);
      ring.agentGone(key, reason, at);
      live.agentGone(key, reason, at);
    },
  }, START, durationMs);
  upTo(START + durationMs + 1);
  return { ring, live, seen, recordings, setClock: (t: number) => (clock = t) };
}

test('the ring equals the live store at every instant of its window, through copies of the live store', () => {
  const checks = [START + 95_000, START + 101_500, START + 110_250, START + 112_010, START + 119_900];
  const { ring, seen } = liveWithRing(120_000, { windowMs: 30_000, checkpointEveryMs: 5000 }, checks);
  assert.ok(ring.startAt >= START + 120_000 - 30_000 - 5000 && ring.startAt <= START + 90_000, `window starts at +${ring.startAt - START}`);
  for (const t of checks) assert.ok(JSON.stringify(ring.snapshotAt(t)) === seen.get(t), `the ring at +${t - START} ms differs from the live store then`);
  assert.ok(JSON.stringify(ring.snapshotAt(START + 110_250)) === seen.get(START + 110_250), 'a second seek to the same instant agrees');
  assert.equal(ring.snapshotAt(START).takenAt, ring.startAt, 'before the window: its first instant');
});

test('the ring is bounded: store copies by the window, old inputs compressed within the prelude cap', async () => {
  const { ring } = liveWithRing(300_000, { windowMs: 60_000, checkpointEveryMs: 10_000, preludeMaxBytes: 40_000 }, []);
  const stats = ring.stats;
  assert.ok(stats.checkpoints <= 60_000 / 10_000 + 2, `${stats.checkpoints} store copies`);
  assert.ok(stats.preludeBytes <= 40_000, `prelude ${stats.preludeBytes} bytes`);
  assert.ok(stats.preludeDropped > 0, 'the cap dropped the oldest');
  const perMinute = stats.windowBytes / ((ring.endAt - ring.startAt) / 60_000);
  assert.ok(perMinute > 10_000 && perMinute < 1_000_000, `${Math.round(perMinute)} bytes a minute for the demo-like run`);
});

test('the ring is bounded by bytes too: a busy window starts later, copies thin out, and what it shows is still the live store', () => {
  const checks = [START + 112_000, START + 116_500, START + 119_900];
  const probe = liveWithRing(120_000, { windowMs: 60_000, checkpointEveryMs: 5000 }, []);
  const unbounded = probe.ring.stats;
  const perCopy = unbounded.copyBytes / unbounded.checkpoints;
  const maxWindowBytes = Math.round(unbounded.windowBytes / 4);
  const maxCopyBytes = Math.round(perCopy * 3.5);
  const { ring, seen } = liveWithRing(120_000, { windowMs: 60_000, checkpointEveryMs: 5000, maxWindowBytes, maxCopyBytes }, checks);
  const stats = ring.stats;
  // One second of inputs may wait in the writer beyond the blocks the cap counts.
  const secondOfInputs = unbounded.windowBytes / 60;
  assert.ok(stats.windowBytes <= maxWindowBytes + 2 * secondOfInputs, `window ${stats.windowBytes} bytes, cap ${maxWindowBytes}`);
  assert.ok(ring.startAt > START + 120_000 - 60_000 + 5000, `the window starts later (+${ring.startAt - START} ms) rather than growing`);
  assert.ok(stats.checkpoints <= 3 && stats.copyBytes <= maxCopyBytes, `${stats.checkpoints} copies, ${stats.copyBytes} bytes (cap ${maxCopyBytes}; unbounded ${unbounded.checkpoints})`);
  for (const t of checks) {
    assert.ok(t >= ring.startAt, `check +${t - START} ms is inside the window`);
    assert.ok(JSON.stringify(ring.snapshotAt(t)) === seen.get(t), `the ring at +${t - START} ms differs from the live store then`);
  }
  probe.ring.dispose();
  ring.dispose();
});

test('a saved ring replays: its instant 0 is the window start, the processes started before it are there', async () => {
  const { ring, live, setClock } = liveWithRing(150_000, { windowMs: 60_000, checkpointEveryMs: 10_000 }, []);
  await new Promise((r) => setTimeout(r, 50)); // the prelude's compression runs in libuv's pool
  const file = path.join(dir, 'ring.zmqrec');
  const saved = await ring.saveTo(file, 'unit');
  assert.equal(saved.bytes, fs.statSync(file).size);
  const replay = Replay.open(file);
  assert.equal(replay.recording.problem, undefined);
  assert.equal(replay.startAt, ring.startAt);
  assert.equal(replay.recording.end?.reason, 'saved from the live ring');
  setClock(saved.endAt);
  const a = replay.snapshotAt(saved.endAt);
  const b = live.snapshot();
  const states = (s: TopologySnapshot) => JSON.stringify({
    nodes: s.nodes.map((n) => [n.id, n.name, n.state]).sort(),
    edges: s.edges.map((e) => [e.id, e.state, e.lastDisconnect]).sort(),
  });
  assert.equal(states(a), states(b), 'the saved ring ends where the live store is');
  assert.ok(a.nodes.some((n) => n.name === 'broker' && n.startedAt < replay.startAt), 'the broker, started before the window');
});

test('Recordings: one tap feeds the ring and a file; a recording started late begins with the ring\'s inputs', async () => {
  let clock = START;
  const store = new TopologyStore({ now: () => clock });
  const recordings = new Recordings({ ringMinutes: 5, storeOptions: { ...DEFAULT_STORE_OPTIONS }, producer: 'unit', ringTimer: false, now: () => clock });
  let frameTap: unknown;
  recordings.attach(store, (tap) => (frameTap = tap));
  assert.equal(typeof frameTap, 'function', 'the collector gets a frame tap');
  const changes: string[] = [];
  recordings.onDidChange(() => changes.push(recordings.recording ? 'recording' : 'idle'));
  const file = path.join(dir, 'late.zmqrec');
  let started = false;
  demoTelemetry({
    telemetry: (key, msg, at) => {
      clock = at;
      if (!started && at > START + 20_000) {
        recordings.startRecording(file, undefined, () => assert.fail('stopped by itself'));
        started = true;
      }
      store.apply(key, msg, at);
    },
    agentGone: (key, reason, at) => {
      clock = at;
      store.agentGone(key, reason, at);
    },
  }, START, 30_000);
  assert.throws(() => recordings.startRecording(file, undefined, () => undefined), /already recording/);
  assert.ok(recordings.recording!.bytes > 0);
  const done = await recordings.stopRecording();
  assert.equal(done?.path, file);
  const replay = Replay.open(file);
  assert.ok(replay.startAt > START + 20_000, 'instant 0 is when recording started');
  const s = replay.snapshotAt(START + 25_000);
  assert.ok(s.nodes.some((n) => n.name === 'worker-1' && n.state === 'live'), 'processes started before the recording are in it');
  recordings.setRingMinutes(0);
  assert.equal(recordings.ring, undefined);
  await assert.rejects(recordings.saveRing(path.join(dir, 'x.zmqrec')), /the live ring is off/);
  await recordings.detach();
  assert.equal(frameTap, undefined, 'the frame tap is removed');
  assert.ok(!Object.prototype.hasOwnProperty.call(store, 'apply'), 'the store tap is removed');
  assert.ok(changes.includes('recording') && changes.at(-1) === 'idle');
});

test('the ring setting: default 10 minutes, 0 turns it off, clamped to 120, declared in package.json', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { default?: unknown; minimum?: number; maximum?: number }> }; customEditors: { viewType: string; selector: { filenamePattern: string }[] }[] };
  };
  const prop = pkg.contributes.configuration.properties['zmqTopology.recording.ringMinutes']!;
  assert.equal(prop.default, SETTING_DEFAULTS.ringMinutes);
  assert.equal(readSettings(() => undefined).ringMinutes, 10);
  assert.equal(readSettings((k) => (k === 'recording.ringMinutes' ? 0 : undefined)).ringMinutes, 0);
  const clamped = readSettings((k) => (k === 'recording.ringMinutes' ? 500 : undefined));
  assert.equal(clamped.ringMinutes, prop.maximum);
  assert.match(clamped.warnings[0]!, /ringMinutes = 500 is outside 0…120/);
  assert.ok(pkg.contributes.customEditors.some((e) => e.viewType === 'zmqTopology.recording' && e.selector.some((s) => s.filenamePattern === '*.zmqrec')));
  assert.deepEqual([formatSize(900), formatSize(50_000), formatSize(3_500_000)], ['900 B', '49 KiB', '3.3 MiB']);
});
