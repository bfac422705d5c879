/**
 * Peers without an agent on a bound PUB (no routing ids): the binder's agent counts the connections
 * it accepted, and those no instrumented peer's edge accounts for are one edge from "peers without an
 * agent" carrying their number. Never drawn for an instrumented peer whose telemetry is merely late;
 * never taking an instrumented peer's edge down when one of them leaves.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TopologyStore } from '../../src/model/store';
import type { EdgeView, TopologySnapshot } from '../../src/shared/snapshot';
import { UNSEEN_GRACE_MS } from '../../src/model/store/unseen';
import { FakeAgent, agentKeyOf, viaWire } from '../fixtures/collector/telemetry';
import { buildTopologyTree, walkTree } from '../../src/views/topologyTree';
import { renderTable } from '../../src/cli/table';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Recorder } from '../../src/recording/recorder';
import { readRecordingFile } from '../../src/recording/reader';
import { Kind } from '../../src/recording/format';
import { Replay } from '../../src/recording/replay';
import { tapStore } from '../../src/recording/tap';

const T0 = 1_796_000_000_000;
const LOCAL = 'tcp://127.0.0.1:5556';

class World {
  clock = T0;
  readonly store = new TopologyStore({ now: () => this.clock });
  readonly pub = new FakeAgent({ pid: 100, node: 'publisher' });
  open = 0;

  /** `beforeInputs` sees the store before its first input (a recorder's tap, say). */
  constructor(beforeInputs?: (store: TopologyStore) => void) {
    beforeInputs?.(this.store);
    this.send(this.pub, this.pub.hello(T0), this.pub.socket(T0, 1, 'PUB'), this.pub.bind(T0, 1, 'tcp://*:5556', 'tcp://0.0.0.0:5556'));
  }

  send(agent: FakeAgent, ...msgs: ReturnType<FakeAgent['hello']>[]): void {
    for (const m of msgs) this.store.apply(agentKeyOf(agent), viaWire(m), this.clock);
  }

  /** The PUB's agent sees a connection accepted / closed. */
  accept(): void {
    this.send(this.pub, this.pub.accepted(this.clock, 1, 'accept', LOCAL, ++this.open));
  }

  closeOne(): void {
    this.send(this.pub, this.pub.accepted(this.clock, 1, 'disconnect', LOCAL, --this.open));
  }

  /** An instrumented SUB's telemetry: its socket, connect and handshake. */
  sub(pid: number): FakeAgent {
    const s = new FakeAgent({ pid, node: `sub-${pid}` });
    this.send(s, s.hello(this.clock), s.socket(this.clock, 1, 'SUB'), s.connect(this.clock, 1, 'tcp://127.0.0.1:5556'),
      s.event(this.clock, 1, 'connect', 'tcp://127.0.0.1:5556'), s.event(this.clock, 1, 'handshake', 'tcp://127.0.0.1:5556'));
    return s;
  }

  /**
   * Time passes as in a live system: the PUB's agent says something every 250 ms (flushes, beats: what
   * is drawn is decided at inputs, never by the sweep timer) and the sweep runs as the store's timer would.
   */
  advance(ms: number): void {
    for (let t = 0; t < ms; t += 250) {
      this.clock += Math.min(250, ms - t);
      this.send(this.pub, this.pub.beat(this.clock));
      this.store.sweep(this.clock);
    }
  }

  snapshot(): TopologySnapshot {
    return this.store.snapshot();
  }
}

function unseenEdges(s: TopologySnapshot): EdgeView[] {
  return s.edges.filter((e) => e.connections !== undefined);
}

function edgeOf(s: TopologySnapshot, agent: FakeAgent): EdgeView {
  const edge = s.edges.find((e) => e.from === agent.socketId(1));
  assert.ok(edge, `an edge from ${agent.nodeId}`);
  return edge;
}

describe('peers without an agent on a bound PUB', () => {
  test('two SUBs without an agent beside an instrumented one: one edge standing for two, after the grace period', () => {
    const w = new World();
    w.accept();
    const sub = w.sub(200);
    w.accept();
    w.accept();
    w.advance(UNSEEN_GRACE_MS - 250);
    assert.deepEqual(unseenEdges(w.snapshot()), [], 'not drawn before the grace period is over');
    w.advance(500);
    const s = w.snapshot();
    const [unseen] = unseenEdges(s);
    assert.equal(unseen?.connections, 2, JSON.stringify(s.edges.map((e) => [e.id, e.state, e.connections])));
    assert.equal(unseen.to, w.pub.socketId(1));
    assert.equal(unseen.endpoint, 'tcp://0.0.0.0:5556');
    assert.equal(unseen.state, 'connected');
    const node = s.nodes.find((n) => s.sockets.some((x) => x.id === unseen.from && x.nodeId === n.id));
    assert.equal(node?.unknown, true);
    assert.equal(node?.name, 'peers without an agent');
    assert.equal(edgeOf(s, sub).state, 'connected');
  });

  test('one of them leaves: the count drops at once, and the instrumented SUB\'s edge stays up (the bound-side disconnect is not its)', () => {
    const w = new World();
    w.accept();
    const sub = w.sub(200);
    w.accept();
    w.accept();
    w.advance(UNSEEN_GRACE_MS + 250);
    w.closeOne();
    w.advance(250);
    let s = w.snapshot();
    assert.equal(unseenEdges(s)[0]?.connections, 1);
    assert.equal(edgeOf(s, sub).state, 'connected', 'one edge on the endpoint besides the unseen one, yet the disconnect was not its');
    w.closeOne();
    w.advance(250);
    s = w.snapshot();
    const [unseen] = unseenEdges(s);
    assert.equal(unseen.connections, 0);
    assert.equal(unseen.state, 'disconnected');
    assert.equal(unseen.lastDisconnect?.reason, 'disconnect event');
    assert.deepEqual(unseen.timeline.map((t) => [t.event, t.detail]), [
      ['accept', '2 open without an agent'], ['disconnect', '1 open without an agent'], ['disconnect', '0 open without an agent']]);
    assert.equal(edgeOf(s, sub).state, 'connected');
    // One comes back: the same edge, up again, after the grace period.
    w.accept();
    w.advance(UNSEEN_GRACE_MS + 250);
    s = w.snapshot();
    assert.equal(unseenEdges(s).length, 1);
    assert.equal(unseenEdges(s)[0].state, 'connected');
    assert.equal(unseenEdges(s)[0].connections, 1);
  });

  test('an instrumented SUB whose telemetry comes a second after its accept is never drawn as a peer without an agent', () => {
    const w = new World();
    w.accept();
    w.advance(1000);
    w.sub(200);
    w.advance(3000);
    const s = w.snapshot();
    assert.deepEqual(unseenEdges(s), []);
    assert.equal(s.nodes.filter((n) => n.unknown).length, 0);
  });

  test('a bound-side disconnect with no peer without an agent open still takes the one edge down', () => {
    const w = new World();
    w.accept();
    const sub = w.sub(200);
    w.advance(500);
    w.closeOne();
    assert.equal(edgeOf(w.snapshot(), sub).state, 'disconnected');
  });

  test('a snapshot (the agent reconnected) replaces the counts: those it does not list have gone', () => {
    const w = new World();
    w.accept();
    w.accept();
    w.advance(UNSEEN_GRACE_MS + 250);
    assert.equal(unseenEdges(w.snapshot())[0]?.connections, 2);
    w.send(w.pub, w.pub.snapshot(w.clock, [{
      socket: 1, type: 'PUB', options: { disconnectMsg: false }, createdAt: T0,
      endpoints: [{ op: 'bind', requested: 'tcp://*:5556', resolved: 'tcp://0.0.0.0:5556', at: T0 }], peers: [], closed: false, accepted: [],
    }]));
    w.advance(250);
    assert.equal(unseenEdges(w.snapshot())[0]?.state, 'disconnected');
  });

  test('the PUB\'s monitor ends while it stays open (the app took the monitor over): the count is no longer known, and what it drew goes', () => {
    const w = new World();
    w.accept();
    w.accept();
    w.advance(UNSEEN_GRACE_MS + 250);
    assert.equal(unseenEdges(w.snapshot()).length, 1);
    w.send(w.pub, w.pub.event(w.clock, 1, 'end'));
    w.advance(250);
    const s = w.snapshot();
    assert.deepEqual(unseenEdges(s), []);
    assert.equal(s.nodes.filter((n) => n.unknown).length, 0);
    w.accept(); // an event from an agent that counts again (a new monitor) starts afresh
    w.advance(UNSEEN_GRACE_MS + 250);
    assert.equal(unseenEdges(w.snapshot())[0]?.connections, 3, 'the count the agent sends is the one drawn');
  });

  test('a snapshot without counts (its agent stopped counting) takes away what the counts drew', () => {
    const w = new World();
    w.accept();
    w.advance(UNSEEN_GRACE_MS + 250);
    w.send(w.pub, w.pub.snapshot(w.clock, [{
      socket: 1, type: 'PUB', options: { disconnectMsg: false }, createdAt: T0,
      endpoints: [{ op: 'bind', requested: 'tcp://*:5556', resolved: 'tcp://0.0.0.0:5556', at: T0 }], peers: [], closed: false,
    }]));
    w.advance(250);
    assert.deepEqual(unseenEdges(w.snapshot()), []);
  });

  test('the PUB\'s process exits: its peers without an agent go with it', () => {
    const w = new World();
    w.accept();
    w.advance(UNSEEN_GRACE_MS + 250);
    w.send(w.pub, w.pub.bye(w.clock, 'exit'));
    w.advance(250);
    assert.notEqual(unseenEdges(w.snapshot())[0]?.state, 'connected');
  });

  test('what is drawn, and when, follows the inputs alone: a store swept at other instants (a replay\'s timer) draws the same', () => {
    const a = new World();
    const b = new World();
    for (const w of [a, b]) {
      w.accept();
      w.accept();
    }
    for (let t = 0; t < 5000; t += 250) {
      for (const w of [a, b]) {
        w.clock += 250;
        w.send(w.pub, w.pub.beat(w.clock));
        if (t === 1000) w.closeOne();
      }
      a.store.sweep(a.clock); // one store swept with its inputs, the other 37 ms later, as a busy timer would
      b.store.sweep(b.clock + 37);
      assert.deepEqual(unseenEdges(b.snapshot()), unseenEdges(a.snapshot()), `at +${t + 250} ms`);
    }
    assert.deepEqual(unseenEdges(a.snapshot()).map((e) => e.timeline.map((x) => [x.at - T0, x.detail])), [[[4250, '1 open without an agent']]],
      'drawn at the first input once the count had held for the grace period (since the close at +1250 ms), stamped with that input\'s arrival');
  });

  test('the store\'s copy keeps the counts and what is drawn', () => {
    const w = new World();
    w.accept();
    w.accept();
    w.advance(UNSEEN_GRACE_MS + 250);
    const copy = w.store.clone();
    assert.deepEqual(unseenEdges(copy.snapshot()), unseenEdges(w.snapshot()));
    w.closeOne();
    w.advance(250);
    copy.sweep(w.clock);
    assert.equal(unseenEdges(copy.snapshot())[0].connections, 2, 'the copy is not changed by the original');
  });
});

describe('connects that were up before the collector listened', () => {
  /**
   * Two instrumented SUBs (which never send) connected while no collector listened: their agents'
   * `handshake` events were never sent. Their snapshots say which connects are up (EndpointState.up).
   */
  function lateSubs(up: boolean): { w: World; subs: FakeAgent[] } {
    const w = new World();
    w.accept();
    w.accept();
    const subs = [300, 301].map((pid) => {
      const s = new FakeAgent({ pid, node: `late-${pid}` });
      w.send(s, s.hello(w.clock), s.snapshot(w.clock, [{
        socket: 1, type: 'SUB', options: { disconnectMsg: false }, createdAt: w.clock - 5000, closed: false, peers: [],
        endpoints: [{ op: 'connect', requested: 'tcp://127.0.0.1:5556', at: w.clock - 5000, ...(up ? { up: w.clock - 4900 } : {}) }],
      }]));
      return s;
    });
    w.advance(UNSEEN_GRACE_MS + 500);
    return { w, subs };
  }

  test('a snapshot that says a connect is up brings its edge up: no edge left connecting, no peer without an agent drawn for it', () => {
    const { w, subs } = lateSubs(true);
    const s = w.snapshot();
    for (const sub of subs) assert.equal(edgeOf(s, sub).state, 'connected', JSON.stringify(s.edges.map((e) => [e.id, e.state])));
    assert.deepEqual(unseenEdges(s), [], 'both connections are the SUBs\'');
  });

  test('without it (an agent that does not say) the edges stay connecting, as before', () => {
    const { w, subs } = lateSubs(false);
    const s = w.snapshot();
    for (const sub of subs) assert.equal(edgeOf(s, sub).state, 'connecting');
  });

  test('a disconnect the store saw after that handshake stands', () => {
    const { w, subs } = lateSubs(true);
    const [sub] = subs;
    w.send(sub, sub.event(w.clock, 1, 'disconnect', 'tcp://127.0.0.1:5556'));
    w.send(sub, sub.snapshot(w.clock, [{
      socket: 1, type: 'SUB', options: { disconnectMsg: false }, createdAt: w.clock - 9000, closed: false, peers: [],
      endpoints: [{ op: 'connect', requested: 'tcp://127.0.0.1:5556', at: w.clock - 9000, up: w.clock - 8900 }],
    }]));
    assert.equal(edgeOf(w.snapshot(), sub).state, 'disconnected');
  });
});

describe('who they are, from the host\'s kernel table (collector/kernelPeers.ts reads it; the store keeps what it is told)', () => {
  test('the edges to look up are listed with their binder; the names given are on the edge, its tree row and the CLI table, and go when no longer given', () => {
    const w = new World();
    w.accept();
    w.sub(200);
    w.accept();
    w.accept();
    w.advance(UNSEEN_GRACE_MS + 250);
    const [unseen] = unseenEdges(w.snapshot());
    assert.deepEqual(w.store.edgesWithoutAgent(), [{ edgeId: unseen.id, endpoint: 'tcp://0.0.0.0:5556', host: 'test-host', pid: 100, connections: 2 }]);
    assert.deepEqual(w.store.processesWithAgent('test-host').sort(), [100, 200]);
    assert.deepEqual(w.store.processesWithAgent('elsewhere'), []);
    const peers = [{ address: '127.0.0.1:50000', pid: 4242, command: '/usr/bin/python3 wuclient.py' }, { address: '10.0.0.7:54321' }];
    w.store.setKernelPeers(new Map([[unseen.id, peers], ['no-such-edge', peers]]));
    const s = w.snapshot();
    assert.deepEqual(unseenEdges(s)[0].kernelPeers, peers);
    const row = [...walkTree(buildTopologyTree(s))].find((d) => d.kind === 'edge' && d.label.includes('without an agent'));
    assert.match(row?.description ?? '', /python3 wuclient\.py \(4242\), 10\.0\.0\.7:54321/);
    assert.match(row?.tooltip ?? '', /Held by \(kernel table\):\*\* pid 4242/);
    const table = renderTable(s, { width: 200, color: false });
    assert.match(table, /^\? .*tcp:\/\/0\.0\.0\.0:5556: 2 connections without an agent — python3 wuclient\.py \(4242\), 10\.0\.0\.7:54321/m);
    assert.match(table, /^no agent ×2 +publisher\/PUB /m, 'its row says what it stands for, not "unknown peer"');
    w.store.setKernelPeers(new Map());
    assert.equal(unseenEdges(w.snapshot())[0].kernelPeers, undefined);
  });

  test('the names are recorded when they change (not at every reading), and a replay of the recording shows them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unseen-recording-'));
    try {
      const file = path.join(dir, 'names.zmqrec');
      let recorder: Recorder | undefined;
      // The recorder is made inside World's constructor, before `w` exists; it reads w's clock after.
      let clock = (): number => T0;
      const w = new World((store) => {
        recorder = new Recorder({ path: file, producer: 'unit', now: () => clock(), flushMs: 3_600_000 });
        tapStore(store, recorder);
      });
      clock = () => w.clock;
      w.accept();
      w.accept();
      w.advance(UNSEEN_GRACE_MS + 250);
      const [unseen] = unseenEdges(w.snapshot());
      const peers = [{ address: '127.0.0.1:50000', pid: 4242, command: '/usr/bin/python3 wuclient.py' }];
      assert.equal(w.store.setKernelPeers(new Map([[unseen.id, peers]])), true);
      const named = w.clock;
      w.advance(2000);
      assert.equal(w.store.setKernelPeers(new Map([[unseen.id, peers]])), false, 'the same reading changes nothing');
      w.advance(2000);
      w.store.setKernelPeers(new Map());
      const unnamed = w.clock;
      w.advance(1000);
      await recorder!.stop();

      const recording = readRecordingFile(file);
      assert.equal(recording.problem, undefined);
      assert.deepEqual(recording.entries.filter((e) => e.kind === Kind.KernelPeers).map((e) => e.at), [named, unnamed]);
      const replay = new Replay(recording);
      const edgeAt = (t: number) => unseenEdges(replay.snapshotAt(t)).find((e) => e.id === unseen.id);
      assert.equal(edgeAt(named - 1)?.kernelPeers, undefined);
      assert.deepEqual(edgeAt(named + 3000)?.kernelPeers, peers);
      assert.equal(edgeAt(unnamed + 500)?.kernelPeers, undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
