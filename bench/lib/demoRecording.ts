/**
 * A synthetic recording shaped like the demo (examples/demo): a broker with a frontend ROUTER, a
 * backend ROUTER and a status PUB; workers 1–3 and a flaky worker (DEALERs on the backend, only
 * worker-2 with a routing id) and clients 1–2 (a DEALER on the frontend, client-1 with a routing id,
 * and a SUB on the status PUB). Each agent beats every second and reports traffic every 500 ms, as the
 * real agents do; the flaky worker is killed every 22 s (the broker sees a disconnect and its
 * ZMQ_DISCONNECT_MSG, the collector the agent gone) and comes back 2 s later as a new process. About
 * 25 telemetry messages a second, like the demo recorded by `zmq-topology demo --record`.
 */
import { fingerprint } from '../../src/protocol/fingerprint';
import type { PeerTraffic, SnapshotSocket, TelemetryMsg } from '../../src/protocol/types';
import type { Bin } from '../../src/shared/sockets';
import { Recorder } from '../../src/recording/recorder';

const RUNTIME = { name: 'node', version: '20.20.2', binding: 'zeromq.js 6.8.0', libzmq: '4.3.5', disconnectMsg: true };
const HOST = 'demo-host';
const FRONT = 'tcp://127.0.0.1:5555';
const BACK = 'tcp://127.0.0.1:5556';
const STATUS = 'tcp://127.0.0.1:5557';
const text = (s: string): Bin => ({ hex: Buffer.from(s).toString('hex'), text: s });
const hexBin = (hex: string): Bin => ({ hex });

export interface Sink {
  telemetry(agentKey: string, msg: TelemetryMsg, at: number): void;
  agentGone(agentKey: string, reason: string, at: number): void;
}

interface Agent {
  key: string;
  name: string;
  pid: number;
  seq: number;
  kind: 'broker' | 'worker' | 'client';
  routingId?: Bin;
  /** The ROUTER's automatic id for this peer. */
  autoId: Bin;
  startedAt: number;
  count: number;
}

/** Feeds `sink` a demo-like run of `durationMs` from `start`, in time order. */
export function demoTelemetry(out: Sink, start: number, durationMs: number): void {
  // Inputs are gathered, then given in time order, as a collector stamps them.
  const inputs: { at: number; give: () => void }[] = [];
  const sink: Sink = {
    telemetry: (key, m, at) => inputs.push({ at, give: () => out.telemetry(key, m, at) }),
    agentGone: (key, reason, at) => inputs.push({ at, give: () => out.agentGone(key, reason, at) }),
  };
  let pid = 4000;
  let keyNo = 0;
  const agents: Agent[] = [];
  const msg = (a: Agent, at: number, body: Record<string, unknown>) => sink.telemetry(a.key, { v: 1, seq: ++a.seq, at: at - 1, ...body } as unknown as TelemetryMsg, at);
  const fp = fingerprint([Buffer.from('\x02')], 'dealer');
  const launch = (name: string, kind: Agent['kind'], at: number, routingId?: string) => {
    const n = ++keyNo;
    const a: Agent = {
      key: `00${(0x10000000 + n).toString(16)}`, name, pid: ++pid, seq: 0, kind, startedAt: at, count: 0,
      autoId: hexBin(`00${(0x6b8b4500 + n).toString(16)}`), ...(routingId ? { routingId: text(routingId) } : {}),
    };
    agents.push(a);
    msg(a, at, {
      t: 'hello', instance: `i${n}`, pid: a.pid, host: HOST, title: 'node', node: name, argv: ['node', `${kind}.js`], runtime: RUNTIME,
      agent: { name: 'zmq-topology-node', version: '0.1.0' }, startedAt: at - 50,
    });
    const sock = (socket: number, type: string, endpoints: SnapshotSocket['endpoints'], rid?: Bin): SnapshotSocket => ({
      socket, type: type as SnapshotSocket['type'], ...(rid ? { routingId: rid } : {}), options: { disconnectMsg: kind === 'worker', linger: 0 },
      site: { file: `/demo/${kind}.js`, line: 10 + socket }, createdAt: at - 20, endpoints, peers: [], closed: false,
    });
    const sockets = kind === 'broker'
      ? [sock(1, 'ROUTER', [{ op: 'bind', requested: FRONT, resolved: FRONT, at: at - 10 }]), sock(2, 'ROUTER', [{ op: 'bind', requested: BACK, resolved: BACK, at: at - 10 }]),
        sock(3, 'PUB', [{ op: 'bind', requested: STATUS, resolved: STATUS, at: at - 10 }])]
      : kind === 'worker' ? [sock(1, 'DEALER', [{ op: 'connect', requested: BACK, at: at - 10 }], a.routingId)]
        : [sock(1, 'DEALER', [{ op: 'connect', requested: FRONT, at: at - 10 }], a.routingId), sock(2, 'SUB', [{ op: 'connect', requested: STATUS, at: at - 10 }])];
    msg(a, at + 1, { t: 'snapshot', sockets, dropped: 0 });
    if (kind !== 'broker') {
      for (const s of sockets) {
        msg(a, at + 2, { t: 'event', socket: s.socket, event: 'connect', address: s.endpoints[0]!.requested });
        msg(a, at + 3, { t: 'event', socket: s.socket, event: 'handshake', address: s.endpoints[0]!.requested });
      }
    }
    return a;
  };
  const broker = launch('broker', 'broker', start);
  for (const n of [1, 2, 3]) launch(`worker-${n}`, 'worker', start + 300, n === 2 ? 'worker-2' : undefined);
  let flaky = launch('worker-flaky', 'worker', start + 300);
  for (const n of [1, 2]) launch(`client-${n}`, 'client', start + 300, n === 1 ? 'client-1' : undefined);
  let flakyBack = Infinity;
  let nextKill = start + 22_000;

  const traffic = (a: Agent, at: number) => {
    a.count++;
    const hb = { lastMessageOut: at - 30, lastHeartbeatOut: at - 30, lastMessageIn: at - 20, lastHeartbeatIn: at - 20 };
    const first = a.count === 1 ? { first: { conn: 1, out: [[at - 40, fp]], in: [[at - 35, fp]] } } : {};
    const peers: PeerTraffic[] = [];
    if (a.kind === 'worker') peers.push({ socket: 1, msgsIn: 6, msgsOut: 6, bytesIn: 120, bytesOut: 130, types: { '0x02': 2, REQUEST: 4 }, ...hb, ...first } as PeerTraffic);
    else if (a.kind === 'client') {
      peers.push({ socket: 1, msgsIn: 4, msgsOut: 4, bytesIn: 90, bytesOut: 80, types: { REQUEST: 4 }, lastMessageOut: at - 25, lastMessageIn: at - 15, ...first } as PeerTraffic);
      peers.push({ socket: 2, msgsIn: 1, msgsOut: 0, bytesIn: 40, bytesOut: 0, types: { STATUS: 1 }, lastMessageIn: at - 100 } as PeerTraffic);
    } else {
      for (const p of agents) {
        if (p.kind === 'broker' || !alive.has(p)) continue;
        const peer = p.routingId ?? p.autoId;
        const socket = p.kind === 'worker' ? 2 : 1;
        const pfirst = p.count <= 1 && !p.routingId ? { first: { out: [[at - 35, fp]], in: [[at - 40, fp]] } } : {};
        peers.push({ socket, peer, msgsIn: 6, msgsOut: 6, bytesIn: 130, bytesOut: 120, types: p.kind === 'worker' ? { '0x02': 2, REPLY: 4 } : { REQUEST: 4 }, ...hb, ...pfirst } as PeerTraffic);
      }
      peers.push({ socket: 3, msgsIn: 0, msgsOut: 2, bytesIn: 0, bytesOut: 80, types: { STATUS: 1 }, lastMessageOut: at - 100 } as PeerTraffic);
    }
    msg(a, at, { t: 'traffic', peers });
  };

  const alive = new Set(agents);
  for (let at = start + 500; at <= start + durationMs; at += 250) {
    if (at >= nextKill) {
      // kill -9 of the flaky worker: the collector sees its agent go; the broker its disconnect.
      alive.delete(flaky);
      sink.agentGone(flaky.key, 'telemetry connection lost', at);
      msg(broker, at + 1, { t: 'event', socket: 2, event: 'disconnect', address: BACK });
      msg(broker, at + 2, { t: 'disconnect-msg', socket: 2, peer: flaky.autoId, text: text('WORKER_GONE') });
      flakyBack = at + 2000;
      nextKill = Infinity;
    }
    if (at >= flakyBack) {
      flaky = launch('worker-flaky', 'worker', at);
      alive.add(flaky);
      flakyBack = Infinity;
      nextKill = at + 22_000;
    }
    const tick = (at - start) / 250;
    for (const a of alive) {
      if (tick % 2 === 0) traffic(a, at + (a.pid % 7));
      if (tick % 4 === 0) msg(a, at + (a.pid % 5), { t: 'beat', dropped: 0, queued: 0 });
    }
  }
  inputs.sort((a, b) => a.at - b.at); // stable: same-millisecond inputs keep their order
  for (const input of inputs) input.give();
}

/** Writes a demo-like recording of `durationMs` to `file`; returns its start time. */
export async function writeDemoRecording(file: string, durationMs: number, start = Date.UTC(2026, 0, 1)): Promise<{ start: number; records: number; bytes: number }> {
  let clock = start;
  // Written in well under a second: every block is compressed, as at the demo's real rate (5 % budget never reached).
  const recorder = new Recorder({ path: file, producer: 'bench demo-like', now: () => clock, flushMs: 3_600_000, compressShare: Infinity });
  let lastFlush = start;
  const inputs: { at: number; record: () => void }[] = [];
  demoTelemetry({
    telemetry: (key, m, at) => inputs.push({ at, record: () => recorder.telemetry(key, m, at) }),
    agentGone: (key, reason, at) => inputs.push({ at, record: () => recorder.agentGone(key, reason, at) }),
  }, start, durationMs);
  for (const input of inputs) {
    clock = input.at;
    input.record();
    if (input.at - lastFlush >= 1000) {
      // As the recorder's 1 s timer does live; waiting for each block keeps it compressed (no backlog).
      recorder.flush();
      await recorder.drained();
      lastFlush = input.at;
    }
  }
  clock = start + durationMs;
  await recorder.stop();
  return { start, records: recorder.records, bytes: recorder.bytesWritten };
}
