/**
 * Generated topologies for the graph tests: brokers in tiers with many peers, shaped like the demo
 * (ROUTER frontends and backends, DEALER/REQ peers) but as big as asked.
 */
import type { EdgeState, EdgeView, NodeView, SocketView, TopologySnapshot } from '../../src/shared/snapshot';

const RUNTIME = { name: 'node', version: '20', binding: 'zeromq.js 6.8.0', libzmq: '4.3.5', disconnectMsg: true };
const STATES: EdgeState[] = ['connected', 'connected', 'connected', 'late', 'connected', 'dead', 'retrying', 'disconnected', 'connecting'];

/**
 * `brokers` brokers, each with a ROUTER frontend, a ROUTER backend and a DEALER upstream (every
 * broker but the first connects its upstream to the first broker's frontend: a third layer), and
 * peers (one DEALER or REQ each) up to `socketCount` sockets, each connected to one broker's
 * frontend or backend. Edges come in every state; disconnected ones carry a message; some have traffic.
 */
export function brokerTiers(socketCount: number, brokers = 8, takenAt = Date.now()): TopologySnapshot {
  const node = (id: string, name: string, pid: number): NodeView => ({
    id, pid, host: 'h', name, title: name, runtime: RUNTIME, agent: { name: 'a', version: '1' }, state: 'live', startedAt: takenAt, lastSeenAt: takenAt, dropped: 0, malformed: 0,
  });
  const socket = (id: string, nodeId: string, type: SocketView['type'], name: string, binds: string[], connects: string[]): SocketView => ({
    id, nodeId, type, name, options: { disconnectMsg: false }, binds, connects, closed: false,
  });
  const nodes: NodeView[] = [];
  const sockets: SocketView[] = [];
  const edges: EdgeView[] = [];
  const edge = (n: number, from: string, to: string, endpoint: string): EdgeView => {
    const state = STATES[n % STATES.length];
    const rate = n % 3 === 0 ? 0 : 10 ** (n % 5);
    return {
      id: `e${n}`, from, to, endpoint, state, heartbeatAgeMs: n % 4 === 0 ? null : 300 + n, trafficAgeMs: 200, rates: { out: rate, in: rate / 2 },
      messageTypes: {}, lastDisconnect: state === 'disconnected' ? { at: takenAt - 3000, message: n % 2 ? 'WORKER_GONE' : null, reason: 'peer process exited' } : null,
      retryStorm: false, timeline: [],
    };
  };
  for (let b = 0; b < brokers; b++) {
    nodes.push(node(`b${b}`, `broker-${b}`, 1000 + b));
    sockets.push(socket(`b${b}/front`, `b${b}`, 'ROUTER', 'frontend', [`tcp://*:${6000 + b}`], []));
    sockets.push(socket(`b${b}/back`, `b${b}`, 'ROUTER', 'backend', [`tcp://0.0.0.0:${7000 + b}`], []));
    sockets.push(socket(`b${b}/up`, `b${b}`, 'DEALER', 'upstream', [], b === 0 ? [] : ['tcp://localhost:6000']));
    if (b > 0) {
      edges.push(edge(edges.length, `b${b}/up`, 'b0/front', 'tcp://0.0.0.0:6000'));
    }
  }
  for (let p = 0; sockets.length < socketCount; p++) {
    const broker = p % brokers;
    const front = p % 2 === 0;
    const target = `b${broker}/${front ? 'front' : 'back'}`;
    const port = front ? 6000 + broker : 7000 + broker;
    nodes.push(node(`p${p}`, `${front ? 'client' : 'worker'}-${p}`, 2000 + p));
    sockets.push(socket(`p${p}/1`, `p${p}`, front ? 'REQ' : 'DEALER', `${front ? 'client' : 'worker'}-${p}`, [], [`tcp://localhost:${port}`]));
    edges.push(edge(edges.length, `p${p}/1`, target, `tcp://0.0.0.0:${port}`));
  }
  return { schema: 1, takenAt, nodes, sockets, edges };
}

/**
 * One broker (ROUTER backend `b/back` on :5556, ROUTER frontend `b/front` on :5555), `workers`
 * DEALER processes all named `name` on the backend (`w0`…, edge states by `states`) and `clients`
 * REQ processes named client on the frontend (`c0`…): alike peers to group (webview/grouping.ts).
 */
export function alikePeers(workers: number, clients: number, states: (n: number) => EdgeState = () => 'connected', name = 'worker'): TopologySnapshot {
  const node = (id: string, nodeName: string, pid: number): NodeView => ({
    id, pid, host: 'h', name: nodeName, title: nodeName, runtime: RUNTIME, agent: { name: 'a', version: '1' }, state: 'live', startedAt: 1, lastSeenAt: 1, dropped: 0, malformed: 0,
  });
  const socket = (id: string, nodeId: string, type: SocketView['type'], binds: string[], connects: string[]): SocketView => ({
    id, nodeId, type, name: id, options: { disconnectMsg: false }, binds, connects, closed: false,
  });
  const edge = (n: number, from: string, to: string, state: EdgeState): EdgeView => ({
    id: `e${n}`, from, to, endpoint: 'tcp://0.0.0.0:5556', state, heartbeatAgeMs: 100, trafficAgeMs: 100, rates: { out: 2, in: 1 },
    messageTypes: {}, lastDisconnect: null, retryStorm: false, timeline: [],
  });
  const snapshot: TopologySnapshot = {
    schema: 1, takenAt: 1, nodes: [node('b', 'broker', 1)], edges: [],
    sockets: [socket('b/back', 'b', 'ROUTER', ['tcp://*:5556'], []), socket('b/front', 'b', 'ROUTER', ['tcp://*:5555'], [])],
  };
  for (let w = 0; w < workers; w++) {
    snapshot.nodes.push(node(`w${w}`, name, 100 + w));
    snapshot.sockets.push(socket(`w${w}/1`, `w${w}`, 'DEALER', [], ['tcp://localhost:5556']));
    snapshot.edges.push(edge(snapshot.edges.length, `w${w}/1`, 'b/back', states(w)));
  }
  for (let c = 0; c < clients; c++) {
    snapshot.nodes.push(node(`c${c}`, 'client', 200 + c));
    snapshot.sockets.push(socket(`c${c}/1`, `c${c}`, 'REQ', [], ['tcp://localhost:5555']));
    snapshot.edges.push(edge(snapshot.edges.length, `c${c}/1`, 'b/front', 'connected'));
  }
  return snapshot;
}
