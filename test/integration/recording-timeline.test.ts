/**
 * The host side of the timeline (issue 16) on a real system: the demo (a ROUTER broker with
 * ZMQ_DISCONNECT_MSG "WORKER_GONE", anonymous DEALER workers) instrumented against a real collector
 * whose store the extension's Recordings taps (the live ring, and a file recording started while the
 * system already runs). worker-1 is killed with SIGKILL. The TimelineService, driven as the webview
 * drives it (seek, compare, play), shows worker-1's connection up before the kill and gone after it
 * with its disconnect message, from the ring, from the recording, and from the ring saved to a file.
 * Damaged files give a clear message with how much was read.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Collector } from '../../src/collector/collector';
import { Recordings } from '../../src/host/recordings';
import { openReplay, replaySource, ringSource, TimelineService, type TimelineOutput } from '../../src/host/timeline';
import { DEFAULT_STORE_OPTIONS, TopologyStore } from '../../src/model/store';
import type { EdgeView, TopologySnapshot } from '../../src/shared/snapshot';
import type { Comparison, TimelineView } from '../../src/shared/timeline';
import { ROOT } from '../helpers/system';

const CLI = path.join(ROOT, 'out', 'src', 'cli', 'bin.js');
const DEMO = path.join(ROOT, 'examples', 'demo', 'run.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zmqrec-timeline-'));
const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const f of cleanup.reverse()) await f();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function freePortBase(): Promise<number> {
  for (;;) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const ok = await Promise.all([0, 1, 2].map((i) => new Promise<boolean>((resolve) => {
      const server = net.createServer().once('error', () => resolve(false)).listen(base + i, '127.0.0.1', () => server.close(() => resolve(true)));
    })));
    if (ok.every(Boolean)) return base;
  }
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nodeNamed = (s: TopologySnapshot, name: string) => s.nodes.find((n) => n.name === name && !n.unknown);
function workerEdge(s: TopologySnapshot, name: string): EdgeView | undefined {
  const node = nodeNamed(s, name);
  const socket = node && s.sockets.find((x) => x.nodeId === node.id && x.type === 'DEALER');
  return socket && s.edges.find((e) => e.from === socket.id);
}

/** What the webview would receive. */
function webview() {
  const got = { views: [] as TimelineView[], snapshots: [] as TopologySnapshot[], comparisons: [] as Comparison[], follows: 0, errors: [] as string[] };
  const out: TimelineOutput = {
    timeline: (v) => got.views.push(v),
    snapshot: (s) => got.snapshots.push(s),
    comparison: (c) => got.comparisons.push(c),
    follow: () => got.follows++,
    error: (m) => got.errors.push(m),
  };
  return { got, out, last: () => got.snapshots[got.snapshots.length - 1]! };
}

/** Seek before and after the kill through `service`; the edge's state and disconnect message follow. */
function checkBeforeAfter(what: string, service: TimelineService, w: ReturnType<typeof webview>, before: number, afterKill: number, pid: number): void {
  service.seek(before);
  const b = w.last();
  assert.equal(b.takenAt, before, `${what}: the snapshot is taken at the instant sought`);
  assert.equal(nodeNamed(b, 'worker-1')?.pid, pid, `${what}: worker-1 is there before the kill`);
  assert.equal(nodeNamed(b, 'worker-1')?.state, 'live');
  assert.equal(workerEdge(b, 'worker-1')?.state, 'connected', `${what}: connected before the kill`);
  assert.ok(!workerEdge(b, 'worker-1')?.timeline.some((t) => t.event === 'disconnect-msg'));
  service.seek(afterKill);
  const a = w.last();
  assert.equal(nodeNamed(a, 'worker-1')?.state, 'exited', `${what}: worker-1 exited after the kill`);
  const edge = workerEdge(a, 'worker-1')!;
  assert.equal(edge.state, 'disconnected', `${what}: disconnected after the kill`);
  assert.equal(edge.lastDisconnect?.reason, 'peer process exited');
  assert.ok(edge.timeline.some((t) => t.event === 'disconnect-msg' && t.detail === 'WORKER_GONE'), `${what}: the broker's ZMQ_DISCONNECT_MSG is on the edge: ${JSON.stringify(edge.timeline)}`);
  assert.equal(w.got.views[w.got.views.length - 1]!.at, afterKill, `${what}: the timeline view says where it is`);
  // And back: the order of seeks changes nothing.
  service.seek(before);
  assert.equal(workerEdge(w.last(), 'worker-1')?.state, 'connected');
  service.compare(before, afterKill);
  const changes = w.got.comparisons[w.got.comparisons.length - 1]!.changes;
  assert.ok(changes.some((c) => c.id === edge.id && c.change === 'state' && / → disconnected \(WORKER_GONE\)$/.test(c.text)), `${what}: compare lists the edge: ${changes.map((c) => c.text).join('; ')}`);
  assert.ok(changes.some((c) => c.id === nodeNamed(a, 'worker-1')!.id && /live → exited$/.test(c.text)));
  const markers = w.got.views[w.got.views.length - 1]!.markers;
  assert.ok(markers.some((m) => m.kind === 'exit' && m.id === nodeNamed(a, 'worker-1')!.id && m.at > before && m.at <= afterKill), `${what}: an exit marker`);
  assert.ok(markers.some((m) => m.kind === 'disconnect' && m.id === edge.id && m.text.endsWith('⊘ WORKER_GONE')), `${what}: a disconnect marker with the message`);
  assert.deepEqual(w.got.errors, []);
}

test('seek and compare over the live ring, a recording started while the system ran, and the saved ring: worker-1 before and after kill -9', async (t) => {
  const store = new TopologyStore();
  store.start();
  cleanup.push(() => store.dispose());
  const collector = new Collector(store, { port: 0 });
  // Store copies every second (the run is ~4 s), so seeks start from copies of the live store (its own sweep entries included).
  const recordings = new Recordings({ ringMinutes: 10, storeOptions: { ...DEFAULT_STORE_OPTIONS }, producer: 'integration test', ringCheckpointEveryMs: 1000 });
  recordings.attach(store, (tap) => (collector.frameTap = tap));
  cleanup.push(() => recordings.dispose());
  const endpoint = await collector.start();
  cleanup.push(() => collector.stop());
  const ringStart = Date.now();
  const demo = spawn(process.execPath, [CLI, 'run', '--endpoint', endpoint, '--', process.execPath, DEMO], {
    cwd: ROOT, env: { ...process.env, ZMQ_DEMO_PORT: String(await freePortBase()), ZMQ_DEMO_QUIET: '1' }, stdio: 'ignore',
  });
  cleanup.push(() => stopProcess(demo));

  await until('worker-1 connected to the broker with its routing id attributed', () => {
    const e = workerEdge(store.snapshot(), 'worker-1');
    return e && e.state === 'connected' && e.routingId && e.attribution !== 'unknown';
  });
  // The file recording starts while the system runs: the ring's inputs go first, so it shows the processes.
  const file = path.join(dir, 'live.zmqrec');
  recordings.startRecording(file, undefined, (reason) => assert.fail(`the recording stopped by itself: ${reason}`));
  await sleep(1500);
  const before = Date.now();
  const pid = nodeNamed(store.snapshot(), 'worker-1')!.pid;
  await sleep(300);
  process.kill(pid, 'SIGKILL');
  await until('the live store saw worker-1 exit with WORKER_GONE on its edge', () => {
    const s = store.snapshot();
    return nodeNamed(s, 'worker-1')?.state === 'exited' && workerEdge(s, 'worker-1')?.timeline.some((x) => x.detail === 'WORKER_GONE');
  });
  const afterKill = Date.now();
  const liveAfter = store.snapshot();
  await sleep(1200);
  const stopped = await recordings.stopRecording();
  assert.ok(stopped && stopped.bytes > 0 && stopped.records > 0);

  // 1. The live ring (what the graph panel drives).
  const ring = recordings.ring!;
  assert.ok(ring.stats.checkpoints >= 3, `${ring.stats.checkpoints} copies of the live store`);
  const w1 = webview();
  const live = new TimelineService(ringSource(ring, 10), w1.out);
  assert.equal(live.at, null, 'a live timeline follows the live graph until told otherwise');
  checkBeforeAfter('ring', live, w1, before, afterKill, pid);
  const ringAfter = ring.snapshotAt(liveAfter.takenAt);
  assert.equal(workerEdge(ringAfter, 'worker-1')?.state, workerEdge(liveAfter, 'worker-1')?.state, 'the ring at an instant shows what the live store showed then');
  assert.deepEqual(workerEdge(ringAfter, 'worker-1')?.lastDisconnect, workerEdge(liveAfter, 'worker-1')?.lastDisconnect);
  live.seek(null);
  assert.equal(live.at, null);
  assert.equal(w1.got.follows, 1, 'seek(null) hands the graph back to the live store');
  const minutes = (Date.now() - ringStart) / 60_000;
  t.diagnostic(`ring: ${ring.stats.windowBytes} bytes for ${(minutes * 60).toFixed(1)} s of the demo = ${Math.round(ring.stats.windowBytes / minutes / 1024)} KiB/min, ${ring.stats.checkpoints} store copies`);

  // 2. The file recording, opened as the custom editor opens it.
  const opened = openReplay(file);
  assert.equal(opened.problem, undefined);
  assert.ok(opened.replay.startAt > before - 3000 && opened.replay.startAt < before, 'instant 0 is when Start Recording was pressed');
  const w2 = webview();
  const fromFile = new TimelineService(replaySource(opened.replay, 'live.zmqrec'), w2.out);
  checkBeforeAfter('recording', fromFile, w2, before, afterKill, pid);

  // 3. The ring saved to a file (Save Last N Minutes).
  const saved = path.join(dir, 'ring.zmqrec');
  const info = await recordings.saveRing(saved);
  assert.equal(info.bytes, fs.statSync(saved).size);
  assert.ok(info.startAt <= ringStart + 100);
  const w3 = webview();
  const fromRing = new TimelineService(replaySource(openReplay(saved).replay, 'ring.zmqrec'), w3.out);
  checkBeforeAfter('saved ring', fromRing, w3, before, afterKill, pid);

  // Play: at most ~10 snapshots a second, in time order, ending at the end of the recording.
  const w4 = webview();
  const player = new TimelineService(replaySource(opened.replay, 'live.zmqrec'), w4.out);
  player.seek(opened.replay.startAt);
  const from = w4.got.snapshots.length;
  player.play(10);
  await sleep(600);
  const played = w4.got.snapshots.slice(from);
  assert.ok(played.length >= 3 && played.length <= 8, `${played.length} snapshots in 600 ms`);
  for (let i = 1; i < played.length; i++) assert.ok(played[i]!.takenAt > played[i - 1]!.takenAt);
  const advanced = played[played.length - 1]!.takenAt - opened.replay.startAt;
  assert.ok(advanced > 3000 && advanced < 9000, `10× for ~0.6 s moved ${advanced} ms`);
  player.play(100);
  await until('play stops at the end of the recording', () => player.playing === 0);
  assert.equal(player.at, opened.replay.endAt);
  assert.equal(w4.got.views[w4.got.views.length - 1]!.speed, 0);
  player.dispose();

  // Damaged files: a clear message with how much was read, the readable part still shown.
  const whole = fs.readFileSync(file);
  const cut = path.join(dir, 'cut.zmqrec');
  fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.8)));
  const partial = openReplay(cut);
  assert.match(partial.problem ?? '', /^recording truncated at byte \d+ of \d+ \(.*\): read \d+ bytes, \d+ records, up to \+\d+\.\d{3}s/);
  const w5 = webview();
  const damaged = new TimelineService(replaySource(partial.replay, 'cut.zmqrec'), w5.out);
  damaged.seek(partial.replay.endAt);
  assert.ok(nodeNamed(w5.last(), 'broker'), 'the readable part replays');
  const notOne = path.join(dir, 'not.zmqrec');
  fs.writeFileSync(notOne, 'hello');
  assert.throws(() => openReplay(notOne), /not a zmq-topology recording/);
});

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(timer);
}
