/**
 * A hub ROUTER meeting `count` DEALERs at once, fed to a TopologyStore in this process the way their
 * telemetry arrives from real agents: the ROUTER's peers 50 to a message, every log growing from 1
 * to 4 messages (HELLO, then a HEARTBEAT a second), half of the DEALERs reporting before the ROUTER
 * and half after, and the store's sweeps run as its timer would. Anonymous DEALERs (most apps) are
 * tied to their peers by the first-message pairing; DEALERs with routing ids, the baseline, need
 * none. Returns the store's time and whether every DEALER ended on its own edge.
 */
import { performance } from 'node:perf_hooks';
import { DEFAULT_STORE_OPTIONS, TopologyStore } from '../../src/model/store';
import { fingerprint } from '../../src/protocol/fingerprint';
import type { TelemetryMsg } from '../../src/protocol/types';
import { FakeAgent, agentKeyOf, viaWire } from '../../test/fixtures/collector/telemetry';

const T0 = 1_796_000_000_000;
const BATCH = 50;
const LOG_LENGTH = 4;

export interface HubResult {
  /** How long the store took to take in the messages and answer one snapshot (ms; it blocks its thread). */
  storeMs: number;
  messages: number;
  /** DEALERs whose edge carries another peer's routing id, or none. */
  wrong: number;
  unknownPeers: number;
}

export function anonymousHub(count: number, anonymous: boolean): HubResult {
  const hello = fingerprint([Buffer.from('HELLO')], 'dealer');
  const beat = fingerprint([Buffer.from('HEARTBEAT')], 'dealer');
  let clock = T0;
  const store = new TopologyStore({ now: () => clock });
  const id = (i: number): string => `00${(0x10000000 + i).toString(16)}`;
  const text = (i: number): string => `worker-${i}`;
  const peerHex = (i: number): string => (anonymous ? id(i) : Buffer.from(text(i)).toString('hex'));
  // Built and passed through the codec before the clock starts: only the store is measured.
  const inputs: [FakeAgent, TelemetryMsg][] = [];
  const router = new FakeAgent({ pid: 100, node: 'hub' });
  inputs.push([router, router.hello(T0)], [router, router.socket(T0, 1, 'ROUTER')], [router, router.bind(T0, 1, 'tcp://*:5555', 'tcp://0.0.0.0:5555')]);
  const dealers = Array.from({ length: count }, (_, i) => new FakeAgent({ pid: 1000 + i, node: `worker-${i}` }));
  dealers.forEach((d, i) => inputs.push(
    [d, d.hello(T0)], [d, d.socket(T0, 1, 'DEALER', anonymous ? undefined : text(i))], [d, d.connect(T0, 1, 'tcp://localhost:5555')],
    [d, d.event(T0, 1, 'connect', 'tcp://localhost:5555')], [d, d.event(T0, 1, 'handshake', 'tcp://localhost:5555')],
  ));
  // DEALER i says HELLO at +3i ms, then HEARTBEAT every second; each arrives 0.3 ms later.
  const log = (i: number, n: number, delay: number): [number, string][] =>
    Array.from({ length: n }, (_, k) => [T0 + 3 * i + 1000 * k + delay, k === 0 ? hello : beat]);
  const times: number[] = [];
  for (let n = 1; n <= LOG_LENGTH; n++) {
    const at = T0 + 1000 * (n - 1) + 800;
    for (let from = 0; from < count; from += BATCH) {
      const members = Array.from({ length: Math.min(BATCH, count - from) }, (_, j) => from + j);
      const half = members.slice(0, members.length / 2);
      const rest = members.slice(members.length / 2);
      for (const i of half) inputs.push([dealers[i], dealers[i].logged(at, 1, { conn: 1, out: log(i, n, 0) })]);
      const peers = members.map((i) => router.logged(at, 1, { peerHex: peerHex(i), in: log(i, n, 0.3) }));
      inputs.push([router, { ...peers[0], peers: peers.flatMap((m) => (m.t === 'traffic' ? m.peers : [])) } as TelemetryMsg]);
      for (const i of rest) inputs.push([dealers[i], dealers[i].logged(at, 1, { conn: 1, out: log(i, n, 0) })]);
      while (times.length < inputs.length) times.push(at);
    }
  }
  const wired = inputs.map(([agent, msg]) => [agentKeyOf(agent), viaWire(msg)] as const);
  const started = performance.now();
  // The live store's sweep timer, on the store's clock (as a replay runs it): the sweep re-pairs a
  // ROUTER this big for its DEALERs' logs (one pass per sweep, not per log).
  const sweepMs = DEFAULT_STORE_OPTIONS.sweepIntervalMs;
  let nextSweep = T0 + sweepMs;
  wired.forEach(([key, msg], k) => {
    const at = Math.max(clock, times[k] ?? T0);
    for (; nextSweep <= at; nextSweep += sweepMs) store.sweep((clock = nextSweep));
    clock = at;
    store.apply(key, msg, clock);
  });
  store.sweep((clock = nextSweep)); // within one sweep interval of the last message
  const s = store.snapshot();
  const storeMs = performance.now() - started;
  const wrong = dealers.filter((d, i) => {
    const edges = s.edges.filter((e) => e.from === d.socketId(1));
    return edges.length !== 1 || edges[0].routingId?.hex !== peerHex(i);
  }).length;
  store.dispose();
  return { storeMs, messages: wired.length, wrong, unknownPeers: s.nodes.filter((n) => n.unknown).length };
}
