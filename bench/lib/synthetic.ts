/**
 * Synthetic topologies for the graph benchmark: processes of one ROUTER and four DEALERs, each
 * DEALER connected to several ROUTERs of other processes (3 edges per socket), and 10 Hz diffs that
 * touch a tenth of the edges the way heartbeat ages and rates do, with an occasional state change.
 */
import type { EdgeState, EdgeView, NodeView, SocketView, TopologyDiff, TopologySnapshot } from '../../src/shared/snapshot';

const SOCKETS_PER_NODE = 5;
const EDGES_PER_SOCKET = 3;
const RUNTIME = { name: 'node', version: 'v20.20.2', binding: 'zeromq.js 6.8.0', libzmq: '4.3.5', disconnectMsg: true };

function stateOf(i: number): EdgeState {
  if (i % 50 === 0) return 'disconnected';
  if (i % 20 === 0) return 'late';
  return 'connected';
}

export function syntheticSnapshot(socketCount: number, now: number): TopologySnapshot {
  const nodeCount = Math.ceil(socketCount / SOCKETS_PER_NODE);
  const nodes: NodeView[] = Array.from({ length: nodeCount }, (_, n) => ({
    id: `bench:${1000 + n}:i${n}`, pid: 1000 + n, host: 'bench', name: n % 10 === 0 ? `broker-${n}` : `worker-${n}`, title: 'node',
    runtime: RUNTIME, agent: { name: 'zmq-topology-node', version: '0.1.0' }, state: 'live', startedAt: now - 60_000, lastSeenAt: now,
    dropped: 0, malformed: 0,
  }));
  const sockets: SocketView[] = [];
  for (let s = 0; s < socketCount; s++) {
    const n = Math.floor(s / SOCKETS_PER_NODE);
    const router = s % SOCKETS_PER_NODE === 0;
    sockets.push({
      id: `${nodes[n].id}/${s}`, nodeId: nodes[n].id, type: router ? 'ROUTER' : 'DEALER', name: router ? `frontend-${n}` : `dealer-${s}`,
      ...(router ? {} : { routingId: { hex: Buffer.from(`d${s}`).toString('hex'), text: `d${s}` } }),
      options: { disconnectMsg: false, linger: 0 }, site: { file: `/app/node-${n}.js`, line: 10 + (s % SOCKETS_PER_NODE) },
      binds: router ? [`tcp://0.0.0.0:${20000 + n}`] : [], connects: [], closed: false,
    });
  }
  const routers = sockets.filter((s) => s.type === 'ROUTER');
  const dealers = sockets.filter((s) => s.type === 'DEALER');
  const edges: EdgeView[] = [];
  for (let e = 0; e < socketCount * EDGES_PER_SOCKET; e++) {
    const from = dealers[e % dealers.length];
    // Spread a DEALER's connections over ROUTERs of other processes.
    const round = Math.floor(e / dealers.length);
    let to = routers[(e * 7 + round * 13 + 1) % routers.length];
    if (to.nodeId === from.nodeId) to = routers[(routers.indexOf(to) + 1) % routers.length];
    const endpoint = `tcp://127.0.0.1:${20000 + nodes.findIndex((n) => n.id === to.nodeId)}`;
    if (!from.connects.includes(endpoint)) from.connects.push(endpoint);
    const state = stateOf(e);
    edges.push({
      id: `${from.id}->${to.id}#${e}`, from: from.id, to: to.id, endpoint, routingId: from.routingId, state,
      heartbeatAgeMs: state === 'late' ? 3000 : 400, trafficAgeMs: 100, rates: { out: 10, in: 10 },
      messageTypes: { HEARTBEAT: 120, WORK: 40 },
      lastDisconnect: state === 'disconnected' ? { at: now - 5000, message: 'WORKER_GONE', reason: 'peer process exited' } : null,
      retryStorm: false,
      timeline: [{ at: now - 60_000, event: 'connect' }, { at: now - 59_990, event: 'handshake' }],
    });
  }
  return { schema: 1, takenAt: now, nodes, sockets, edges };
}

/** `count` diffs, each re-sending a tenth of the edges with fresh ages and rates (and 1% state flips). */
export function syntheticDiffs(snapshot: TopologySnapshot, count: number, intervalMs: number): TopologyDiff[] {
  const diffs: TopologyDiff[] = [];
  const perDiff = Math.max(1, Math.floor(snapshot.edges.length / 10));
  for (let d = 0; d < count; d++) {
    const edges = Array.from({ length: perDiff }, (_, k) => {
      const base = snapshot.edges[(d * perDiff + k) % snapshot.edges.length];
      const flip = k % 100 === 0;
      const state: EdgeState = flip ? (base.state === 'connected' ? 'late' : 'connected') : base.state;
      return { ...base, state, heartbeatAgeMs: (k * 37) % 1000, trafficAgeMs: (k * 13) % 200, rates: { out: 5 + (d % 7), in: 5 + (k % 5) } };
    });
    diffs.push({ takenAt: snapshot.takenAt + (d + 1) * intervalMs, edges });
  }
  return diffs;
}
