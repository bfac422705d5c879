/**
 * The timeline's model side (issue 16, docs/RECORDING.md "Timeline"): TopologyStore.clone() is an exact
 * copy that goes on independently; TopologyStore.sweep(now) writes the live sweep's entries on any
 * clock; a replay runs those sweeps on the recording's clock (equal to a live store swept on the same
 * schedule); markers (disconnects, late edges, exits, retry storms), next/previous marker, and
 * compareSnapshots.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TopologyStore } from '../../src/model/store';
import type { TelemetryMsg } from '../../src/protocol/types';
import { Recorder } from '../../src/recording/recorder';
import { Replay, SweepClock } from '../../src/recording/replay';
import { tapStore } from '../../src/recording/tap';
import { MarkerCollector, compareSnapshots, nextMarker, previousMarker } from '../../src/recording/timeline';
import { demoTelemetry } from '../../bench/lib/demoRecording';
import type { EdgeView, TopologySnapshot } from '../../src/shared/snapshot';
import type { TimelineMarker } from '../../src/shared/timeline';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zmqrec-timeline-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const START = Date.UTC(2026, 5, 1);
/** The demo's worker-1 (anonymous): its agent is the second launched, its automatic id at the broker follows. */
const WORKER1_PEER = `00${(0x6b8b4500 + 2).toString(16)}`;
const HANG = { from: START + 20_000, to: START + 30_000 };

type Input = { kind: 'telemetry'; key: string; msg: TelemetryMsg; at: number } | { kind: 'gone'; key: string; reason: string; at: number };

/**
 * The demo's inputs for `durationMs`, with worker-1 hung during HANG (SIGSTOP-like: neither it nor the
 * broker reports traffic on that connection), so the edge goes late, dead, and recovers.
 */
function demoInputs(durationMs: number): Input[] {
  const inputs: Input[] = [];
  let worker1: string | undefined;
  demoTelemetry({
    telemetry: (key, msg, at) => {
      if (msg.t === 'hello' && msg.node === 'worker-1') worker1 = key;
      const hung = at >= HANG.from && at < HANG.to;
      if (hung && key === worker1 && msg.t === 'traffic') return;
      if (hung && msg.t === 'traffic') msg = { ...msg, peers: msg.peers.filter((p) => p.peer?.hex !== WORKER1_PEER) };
      inputs.push({ kind: 'telemetry', key, msg, at });
    },
    agentGone: (key, reason, at) => inputs.push({ kind: 'gone', key, reason, at }),
  }, START, durationMs);
  return inputs;
}

function feed(store: TopologyStore, input: Input): void {
  if (input.kind === 'telemetry') store.apply(input.key, input.msg, input.at);
  else store.agentGone(input.key, input.reason, input.at);
}

function workerEdge(s: TopologySnapshot, name: string): EdgeView | undefined {
  const node = s.nodes.find((n) => n.name === name && n.state !== 'exited');
  const socket = node && s.sockets.find((x) => x.nodeId === node.id && x.type === 'DEALER');
  return socket && s.edges.find((e) => e.from === socket.id);
}

/** A store driven as the live one is, on a clock the test moves: inputs, and the sweeps the timer would run. */
function sweptStore(inputs: Input[], until: number, checks: number[], setup?: (store: TopologyStore) => void) {
  let clock = START;
  const store = new TopologyStore({ now: () => clock });
  setup?.(store);
  const sweeps = new SweepClock(START);
  const seen = new Map<number, string>();
  const pending = [...checks].sort((a, b) => a - b);
  const check = (before: number) => {
    while (pending.length > 0 && pending[0]! < before) {
      const t = pending.shift()!;
      sweeps.runUntil(store, t, true, (at) => (clock = at));
      clock = t;
      seen.set(t, JSON.stringify(store.snapshot()));
    }
  };
  for (const input of inputs) {
    if (input.at > until) break;
    check(input.at);
    sweeps.runUntil(store, input.at, false, (at) => (clock = at));
    clock = input.at;
    feed(store, input);
  }
  check(Infinity);
  return { store, seen, setClock: (t: number) => (clock = t) };
}

test('clone() is an exact copy: its state deep-equals the original, and fed the same inputs it gives the same snapshots', () => {
  const inputs = demoInputs(60_000);
  let clock = START;
  const original = new TopologyStore({ now: () => clock });
  const copies: { at: number; index: number; store: TopologyStore }[] = [];
  inputs.forEach((input, i) => {
    clock = input.at;
    if (i > 0 && i % 200 === 0) {
      const copy = original.clone();
      // Every field, map and set of the internal state, references remapped (a missed field fails here).
      assert.deepStrictEqual((copy as unknown as { st: unknown }).st, (original as unknown as { st: unknown }).st);
      copies.push({ at: input.at, index: i, store: copy });
    }
    feed(original, input);
  });
  assert.ok(copies.length >= 5);
  clock = START + 60_000;
  const expected = JSON.stringify(original.snapshot());
  for (const c of copies) {
    for (let i = c.index; i < inputs.length; i++) {
      clock = inputs[i]!.at;
      feed(c.store, inputs[i]!);
    }
    clock = START + 60_000;
    assert.ok(JSON.stringify(c.store.snapshot()) === expected, `the copy made at +${c.at - START} ms went on differently`);
  }
});

test('clone() goes on independently: what the copy is given does not reach the original, and the reverse', () => {
  const inputs = demoInputs(30_000);
  let clock = START;
  const original = new TopologyStore({ now: () => clock });
  for (const input of inputs.slice(0, inputs.length >> 1)) {
    clock = input.at;
    feed(original, input);
  }
  const before = JSON.stringify(original.snapshot());
  let copyClock = clock;
  const copy = original.clone({ now: () => copyClock });
  // The copy hears a disconnect message, a process exit, a retry storm and the rest of the run.
  for (const input of inputs.slice(inputs.length >> 1)) {
    copyClock = input.at;
    feed(copy, input);
  }
  const broker = copy.snapshot().nodes.find((n) => n.name === 'broker')!;
  for (const n of copy.snapshot().nodes) if (n.id !== broker.id && !n.unknown) copy.agentGone(`gone-${n.id}`, 'x', copyClock);
  copy.clearExited();
  assert.ok(JSON.stringify(original.snapshot()) === before, 'the original is unchanged');
  assert.equal(copy.snapshot().takenAt, copyClock, 'the copy reads its own clock');
  // And the original going on does not change the copy.
  const copyBefore = JSON.stringify(copy.snapshot());
  for (const input of inputs.slice(inputs.length >> 1)) {
    clock = input.at;
    feed(original, input);
  }
  assert.ok(JSON.stringify(copy.snapshot()) === copyBefore);
});

test('sweep(now) writes heartbeat-late, heartbeat-dead and recovered at the instants they are due, and says when the next is', () => {
  const inputs = demoInputs(40_000);
  const { store, setClock } = sweptStore(inputs, START + 40_000, []);
  setClock(START + 40_000);
  const edge = workerEdge(store.snapshot(), 'worker-1')!;
  const events = edge.timeline.map((t) => t.event).filter((e) => e === 'heartbeat-late' || e === 'heartbeat-dead' || e === 'recovered');
  assert.deepEqual(events, ['heartbeat-late', 'heartbeat-dead', 'recovered']);
  const late = edge.timeline.find((t) => t.event === 'heartbeat-late')!;
  const dead = edge.timeline.find((t) => t.event === 'heartbeat-dead')!;
  // The last heartbeat came just before the hang; the entries are stamped when the age crossed 2.5 s and 6 s.
  assert.ok(late.at > HANG.from - 600 + 2500 && late.at <= HANG.from + 2500 + 1, `late at +${late.at - START}`);
  assert.equal(dead.at - late.at, 6000 - 2500);
  assert.match(late.detail ?? '', /heartbeat age 2501 ms/);

  // A bare store: sweep returns the due instant; nothing changes before it.
  let clock = START;
  const bare = new TopologyStore({ now: () => clock });
  for (const input of inputs.filter((x) => x.at < START + 5000)) {
    clock = input.at;
    feed(bare, input);
  }
  const lateEntries = () => bare.snapshot().edges.flatMap((e) => e.timeline.filter((t) => t.event === 'heartbeat-late' || t.event === 'heartbeat-dead'));
  const due = bare.sweep(clock);
  assert.ok(Number.isFinite(due) && due > clock && due <= clock + 2501, `due ${due - clock} ms ahead`);
  const lateBefore = lateEntries().length;
  assert.equal(bare.sweep(due - 1), due, 'not yet due: same answer');
  assert.equal(lateEntries().length, lateBefore, 'and nothing written');
  clock = due;
  bare.sweep(due);
  assert.ok(lateEntries().some((t) => t.at === due), 'late (or dead) at the instant it was due');
});

test('a replay runs the live sweeps on the recording\'s clock: it equals a live store swept on that schedule, at every instant and through checkpoints', async () => {
  const inputs = demoInputs(50_000);
  const checks = [START + 21_000, START + 22_600, START + 24_000, START + 26_300, START + 29_000, START + 30_400, START + 33_000, START + 49_000];
  const file = path.join(dir, 'swept.zmqrec');
  const recorder = new Recorder({ path: file, producer: 'unit', now: () => START, flushMs: 3_600_000 });
  let tap: ReturnType<typeof tapStore> | undefined;
  const live = sweptStore(inputs, START + 50_000, checks, (store) => (tap = tapStore(store, recorder)));
  await recorder.stop();
  tap?.dispose();
  const replay = Replay.open(file, { checkpointEveryMs: 5_000 });
  for (const t of checks) {
    assert.ok(JSON.stringify(replay.snapshotAt(t)) === live.seen.get(t), `replay at +${t - START} ms differs from the swept live store`);
    assert.ok(JSON.stringify(Replay.snapshotOnce(replay.recording, t).snapshot) === live.seen.get(t), `one pass at +${t - START} ms differs`);
  }
  const during = workerEdge(replay.snapshotAt(START + 27_000), 'worker-1')!;
  assert.equal(during.state, 'dead');
  assert.deepEqual(during.timeline.filter((t) => t.event.startsWith('heartbeat')).map((t) => t.event), ['heartbeat-late', 'heartbeat-dead']);
});

test('markers: a disconnect message, a process exit, a late edge and a retry storm, once each, with the id to reveal', () => {
  const inputs = demoInputs(40_000);
  // worker-3 retries (its broker gone, say) 6 times 400 ms apart at +35 s: a storm by the default rule (5 in 10 s).
  let worker3: string | undefined;
  for (const x of inputs) if (x.kind === 'telemetry' && x.msg.t === 'hello' && x.msg.node === 'worker-3') worker3 = x.key;
  for (let k = 0; k < 6; k++) {
    const at = START + 35_000 + 400 * k;
    inputs.push({ kind: 'telemetry', key: worker3!, msg: { v: 1, seq: 100_000 + k, at, t: 'event', socket: 1, event: 'connect:retry', address: 'tcp://127.0.0.1:5556', interval: 100 } as TelemetryMsg, at });
  }
  inputs.sort((a, b) => a.at - b.at);
  const file = path.join(dir, 'markers.zmqrec');
  let clock = START;
  const recorder = new Recorder({ path: file, producer: 'unit', now: () => clock, flushMs: 3_600_000 });
  const store = new TopologyStore({ now: () => clock });
  const tap = tapStore(store, recorder);
  for (const x of inputs) {
    clock = x.at;
    feed(store, x);
  }
  clock = START + 40_000;
  return recorder.stop().then(() => {
    tap.dispose();
    const replay = Replay.open(file, { markers: true });
    const markers = replay.markers;
    const s = replay.snapshotAt(START + 40_000);
    const w1 = workerEdge(s, 'worker-1')!;
    const w3 = workerEdge(s, 'worker-3')!;
    const of = (kind: TimelineMarker['kind']) => markers.filter((m) => m.kind === kind);
    assert.ok(of('disconnect').some((m) => m.text.includes('⊘ WORKER_GONE') && m.at > START + 22_000 && m.at < START + 22_100), 'the flaky worker\'s disconnect message');
    const exits = of('exit');
    assert.equal(exits.length, 1, 'one exit (the flaky worker, killed at +22 s)');
    assert.match(exits[0]!.text, /^worker-flaky \(pid \d+\) exited$/);
    const w1Late = of('late').filter((m) => m.id === w1.id);
    assert.deepEqual(w1Late.map((m) => m.text.split(': ')[1]!.split(' ')[0]), ['late', 'dead'], 'the hung worker-1: late, then dead, once each');
    assert.match(w1Late[0]!.text, /^worker-1 → broker: late \(heartbeat age 2501 ms\)$/);
    const storms = of('retry-storm');
    assert.equal(storms.length, 1, 'one storm marker for six retries in a row');
    assert.equal(storms[0]!.id, w3.id);
    assert.equal(storms[0]!.at, START + 35_000 + 400 * 4, 'at the fifth retry within 10 s');
    assert.deepEqual(markers.map((m) => m.at), markers.map((m) => m.at).sort((a, b) => a - b), 'sorted by time');
    // Next / previous from an instant.
    assert.equal(nextMarker(markers, exits[0]!.at)!.at > exits[0]!.at, true);
    assert.equal(previousMarker(markers, exits[0]!.at + 0.5), markers.filter((m) => m.at <= exits[0]!.at).at(-1));
    assert.equal(nextMarker(markers, markers.at(-1)!.at), undefined);
    assert.equal(previousMarker(markers, markers[0]!.at), undefined);
  });
});

test('the marker list is bounded: the latest are kept', () => {
  const c = new MarkerCollector({ count: 5, windowMs: 10_000 }, 10);
  const edges: EdgeView[] = [{
    id: 'a->b', from: 'a/1', to: 'b/1', endpoint: 'tcp://x:1', state: 'disconnected', heartbeatAgeMs: null, trafficAgeMs: null, rates: { out: 0, in: 0 },
    messageTypes: {}, lastDisconnect: null, retryStorm: false,
    timeline: Array.from({ length: 50 }, (_, i) => ({ at: i, event: 'disconnect' as const })),
  }];
  c.observe({ schema: 1, takenAt: 50, nodes: [], sockets: [], edges } as unknown as TopologySnapshot);
  c.observe({ schema: 1, takenAt: 51, nodes: [], sockets: [], edges } as unknown as TopologySnapshot);
  assert.deepEqual(c.list().map((m) => m.at), [40, 41, 42, 43, 44, 45, 46, 47, 48, 49], 'each entry once, the latest 10');
});

test('markers are told by content: an entry moved to another edge is not new; three edges disconnected at one instant are three', () => {
  const c = new MarkerCollector({ count: 5, windowMs: 10_000 });
  const edge = (id: string, timeline: EdgeView['timeline']): EdgeView => ({
    id, from: `${id}/1`, to: 'b/1', endpoint: 'tcp://x:1', state: 'disconnected', heartbeatAgeMs: null, trafficAgeMs: null, rates: { out: 0, in: 0 },
    messageTypes: {}, lastDisconnect: null, retryStorm: false, timeline,
  });
  const snapshot = (takenAt: number, edges: EdgeView[]) => ({ schema: 1, takenAt, nodes: [], sockets: [], edges }) as unknown as TopologySnapshot;
  const bye = { at: 10, event: 'disconnect-msg' as const, detail: 'BYE' };
  // A provisional edge (to an unknown peer) carries the disconnect message; then it is merged into the real edge.
  c.observe(snapshot(11, [edge('unknown->b', [{ ...bye }])]));
  c.observe(snapshot(12, [edge('worker->b', [{ at: 5, event: 'handshake' }, { ...bye }])]));
  assert.deepEqual(c.list().map((m) => `${m.kind}@${m.at} ${m.id}`), ['disconnect@10 unknown->b'], 'the moved entry is not a second marker');
  // The same entry built afresh for the next snapshot (views are) is not new either.
  c.observe(snapshot(13, [edge('worker->b', [{ at: 5, event: 'handshake' }, { ...bye }])]));
  const gone = { at: 20, event: 'disconnect' as const, detail: 'peer process exited' };
  c.observe(snapshot(21, ['w1', 'w2', 'w3'].map((w) => edge(`${w}->b`, [{ ...gone }]))));
  assert.deepEqual(c.list().filter((m) => m.at === 20).map((m) => m.id), ['w1->b', 'w2->b', 'w3->b'], 'one marker per edge');
});

test('compareSnapshots: processes and connections added and gone, state changes with the disconnect message', () => {
  const replayInputs = demoInputs(30_000);
  let clock = START;
  const store = new TopologyStore({ now: () => clock });
  let next = 0;
  const at = (t: number) => {
    for (; next < replayInputs.length && replayInputs[next]!.at <= t; next++) {
      clock = replayInputs[next]!.at;
      feed(store, replayInputs[next]!);
    }
    clock = t;
    return store.snapshot();
  };
  const before = at(START + 21_000);
  const after = at(START + 25_000); // the flaky worker killed at +22 s, its successor started at +24 s
  const c = compareSnapshots(before, after);
  assert.equal(c.from, START + 21_000);
  assert.equal(c.to, START + 25_000);
  const texts = c.changes.map((x) => `${x.change} ${x.text}`);
  assert.ok(texts.some((t) => /^state worker-flaky \(pid \d+\): live → exited$/.test(t)), texts.join('\n'));
  assert.ok(texts.some((t) => /^state worker-flaky → broker: connected → disconnected \(peer process exited\)$/.test(t)), texts.join('\n'));
  // The broker's ZMQ_DISCONNECT_MSG names the connection it ended (here the peer the synthetic broker saw).
  assert.ok(texts.some((t) => /^state .* → broker: connected → disconnected \(WORKER_GONE\)$/.test(t)), texts.join('\n'));
  assert.ok(texts.some((t) => /^added worker-flaky \(pid \d+\): new process \(live\)$/.test(t)));
  assert.ok(texts.some((t) => /^added worker-flaky → broker: new connection/.test(t)));
  const changedIds = new Set(c.changes.map((x) => x.id));
  for (const e of after.edges) if (!changedIds.has(e.id)) assert.equal(before.edges.find((b) => b.id === e.id)?.state, e.state, 'an edge not listed did not change');
  assert.deepEqual(compareSnapshots(after, after).changes, [], 'nothing changed between an instant and itself');
  const cleared = structuredClone(after);
  cleared.nodes = cleared.nodes.filter((n) => n.name !== 'client-2');
  const gone = compareSnapshots(after, cleared).changes;
  assert.deepEqual(gone.map((x) => x.change), ['removed']);
  assert.equal(compareSnapshots(before, after, 2).changes.length, 2, 'bounded');
});
