/**
 * Ground truth from the kernel, not from our code: which processes really hold a TCP or ipc
 * connection to which, read from /proc (/proc/<pid>/fd, /proc/net/tcp, /proc/net/tcp6,
 * /proc/net/unix) — and `compareWithKernel`, which holds a topology snapshot against it.
 *
 * TCP needs nothing but /proc. For ipc the kernel's /proc/net/unix does not say which socket is the
 * peer of which, so the pairing comes from `ss -xnH` (iproute2), read only when ipc is in play.
 *
 * The test process (process.pid) hosts the collector: its sockets, and so the agents' telemetry
 * connections, are left out unless `includeSelf` is set (the /proc parsing's own sanity test).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { EdgeView, NodeView, SocketView, TopologySnapshot } from '../../src/shared/snapshot';
import type { StoreOptions } from '../../src/model/store';
import { python } from './python';
import { FIXTURES, System, portOf, type Child } from './system';

// ---------------------------------------------------------------------------------------------
// /proc reading

/** A real connection: the process that connected, the one that bound, and where. */
export interface KernelConnection {
  transport: 'tcp' | 'ipc';
  connectorPid: number;
  binderPid: number;
  /** tcp: the binder's (listening) port. */
  port?: number;
  /** ipc: the bound path. */
  path?: string;
  /** Addresses as the kernel has them, for messages (`127.0.0.1:40000 → 127.0.0.1:5555`). */
  detail: string;
}

/** A connection with one end in the scenario and the other in a process outside it (pid 0: no owner found). */
export interface ForeignConnection extends KernelConnection {
  foreignPid: number;
}

export interface KernelView {
  connections: KernelConnection[];
  foreign: ForeignConnection[];
  /** How the binder end of each tcp connection was decided: by a listener, or by the ephemeral port range. */
  guessedDirection: number;
}

export interface KernelOptions {
  /** Count the test process's own sockets as a scenario process (the sanity test); default false. */
  includeSelf?: boolean;
  /** tcp ports whose connections are not compared (the collector's port is one). */
  ignorePorts?: number[];
  /** Read ipc connections even when no scenario process holds a named unix socket (needs `ss`). */
  ipc?: boolean;
}

/** `socket:[inode]` fds of one process; empty when it is gone or not readable. */
export function socketInodes(pid: number): Set<number> {
  const inodes = new Set<number>();
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(Number(m[1]));
    } catch {
      // the fd closed while we looked
    }
  }
  return inodes;
}

/** inode → owning pids, over the pids given. */
function ownerMap(pids: Iterable<number>): Map<number, number[]> {
  const owners = new Map<number, number[]>();
  for (const pid of pids) {
    for (const inode of socketInodes(pid)) {
      const list = owners.get(inode);
      if (list) {
        if (!list.includes(pid)) list.push(pid);
      } else owners.set(inode, [pid]);
    }
  }
  return owners;
}

/** Who holds tcp `port`: the pids with a socket listening on it (any address), from the kernel's table. */
export function tcpListenerPids(port: number): number[] {
  const inodes = readTcp().filter((r) => r.state === TCP_LISTEN && r.localPort === port).map((r) => r.inode);
  if (inodes.length === 0) return [];
  const owners = ownerMap(allPids());
  return [...new Set(inodes.flatMap((inode) => owners.get(inode) ?? []))].sort((a, b) => a - b);
}

function allPids(): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** One 32-bit word of /proc/net/tcp's hex address, as the 4 bytes in network order. */
function wordBytes(hex8: string): number[] {
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex8.slice(i, i + 2), 16));
  return LITTLE_ENDIAN ? bytes.reverse() : bytes;
}

/** `0100007F:1F90` → `127.0.0.1:8080`; IPv6 as full hex groups; IPv4-mapped IPv6 as IPv4. */
export function parseProcAddress(field: string): { address: string; port: number } {
  const [hex, portHex] = field.split(':');
  const port = parseInt(portHex, 16);
  if (hex.length === 8) return { address: wordBytes(hex).join('.'), port };
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8)));
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return { address: bytes.slice(12).join('.'), port };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return { address: groups.join(':'), port };
}

interface TcpEntry {
  local: string;
  localAddress: string;
  localPort: number;
  remote: string;
  state: number;
  inode: number;
}

/** /proc/net/tcp or tcp6 rows (`sl local rem st tx:rx tr:tm retrnsmt uid timeout inode …`). */
export function parseProcNetTcp(text: string): TcpEntry[] {
  const out: TcpEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const local = parseProcAddress(f[1]);
    const remote = parseProcAddress(f[2]);
    out.push({
      local: `${local.address}:${local.port}`,
      localAddress: local.address,
      localPort: local.port,
      remote: `${remote.address}:${remote.port}`,
      state: parseInt(f[3], 16),
      inode: Number(f[9]),
    });
  }
  return out;
}

const TCP_ESTABLISHED = 0x01;
const TCP_LISTEN = 0x0a;
const WILDCARDS = new Set(['0.0.0.0', '0:0:0:0:0:0:0:0']);

function readTcp(): TcpEntry[] {
  const rows: TcpEntry[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      rows.push(...parseProcNetTcp(fs.readFileSync(file, 'utf8')));
    } catch {
      // no IPv6 in this kernel
    }
  }
  return rows;
}

function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return [lo, hi];
  } catch {
    return [32768, 60999];
  }
}

interface UnixEntry {
  inode: number;
  listening: boolean;
  connected: boolean;
  path?: string;
}

/** /proc/net/unix rows (`Num RefCount Protocol Flags Type St Inode Path`), stream sockets only. */
export function parseProcNetUnix(text: string): UnixEntry[] {
  const out: UnixEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 7) continue;
    if (parseInt(f[4], 16) !== 1) continue; // SOCK_STREAM (zmq ipc)
    const flags = parseInt(f[3], 16);
    out.push({
      inode: Number(f[6]),
      listening: (flags & 0x10000) !== 0, // __SO_ACCEPTCON
      connected: parseInt(f[5], 16) === 3, // SS_CONNECTED
      path: f.length > 7 ? f.slice(7).join(' ') : undefined,
    });
  }
  return out;
}

let ssPath: string | null | undefined;
function findSs(): string | null {
  if (ssPath !== undefined) return ssPath;
  ssPath = ['/usr/bin/ss', '/bin/ss', '/usr/sbin/ss', '/sbin/ss'].find((p) => fs.existsSync(p)) ?? null;
  return ssPath;
}

/** Unix stream socket inode → its peer's inode, from `ss -xnH` (the kernel's sock_diag). */
function unixPeers(): Map<number, number> {
  const ss = findSs();
  if (!ss) throw new Error('comparing ipc connections needs `ss` (Debian package iproute2), which is not installed');
  const text = execFileSync(ss, ['-xnH'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const peers = new Map<number, number>();
  for (const line of text.split('\n')) {
    // u_str ESTAB 0 0 /tmp/x.ipc 1234 * 1235   (local address, local inode, peer address, peer inode)
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[0] !== 'u_str') continue;
    const local = Number(f[5]);
    const peer = Number(f[7]);
    if (Number.isFinite(local) && Number.isFinite(peer) && peer > 0) peers.set(local, peer);
  }
  return peers;
}

/** The real connections between the given processes (and those that leave the scenario). */
export function readKernel(pids: number[], options: KernelOptions = {}): KernelView {
  const scenario = new Set(pids.filter((p) => p > 0 && (options.includeSelf || p !== process.pid)));
  if (options.includeSelf) scenario.add(process.pid);
  const ignorePorts = new Set(options.ignorePorts ?? []);
  // Our own process is read too: its ends (the collector) are recognised and dropped.
  const owners = ownerMap([...scenario, process.pid]);
  let everyone: Map<number, number[]> | undefined;
  const ownerOf = (inode: number): number => {
    const known = owners.get(inode);
    if (known) return known[0];
    everyone ??= ownerMap(allPids());
    return everyone.get(inode)?.[0] ?? 0;
  };
  const inScenario = (inode: number): boolean => (owners.get(inode) ?? []).some((p) => scenario.has(p));
  const isSelf = (pid: number): boolean => pid === process.pid && !options.includeSelf;

  const connections: KernelConnection[] = [];
  const foreign: ForeignConnection[] = [];
  let guessedDirection = 0;
  const add = (c: KernelConnection): void => {
    const connectorIn = scenario.has(c.connectorPid);
    const binderIn = scenario.has(c.binderPid);
    if (isSelf(c.connectorPid) || isSelf(c.binderPid)) return; // telemetry to the collector
    if (connectorIn && binderIn) connections.push(c);
    else if (connectorIn || binderIn) foreign.push({ ...c, foreignPid: connectorIn ? c.binderPid : c.connectorPid });
  };

  // TCP
  const rows = readTcp();
  const listeners = rows.filter((r) => r.state === TCP_LISTEN);
  const established = rows.filter((r) => r.state === TCP_ESTABLISHED && r.inode > 0);
  const byEnds = new Map(established.map((r) => [`${r.local}|${r.remote}`, r]));
  const [ephemeralLo, ephemeralHi] = ephemeralRange();
  const listensFor = (end: TcpEntry, pid: number): boolean => listeners.some((l) =>
    l.localPort === end.localPort && (l.localAddress === end.localAddress || WILDCARDS.has(l.localAddress)) && ownerOf(l.inode) === pid);
  const seen = new Set<number>();
  for (const mine of established) {
    if (seen.has(mine.inode) || !inScenario(mine.inode)) continue;
    const peer = byEnds.get(`${mine.remote}|${mine.local}`);
    seen.add(mine.inode);
    if (peer) seen.add(peer.inode);
    const minePid = ownerOf(mine.inode);
    const peerPid = peer ? ownerOf(peer.inode) : 0;
    let binder: TcpEntry;
    let binderPid: number;
    let connectorPid: number;
    if (listensFor(mine, minePid)) {
      [binder, binderPid, connectorPid] = [mine, minePid, peerPid];
    } else if (peer && listensFor(peer, peerPid)) {
      [binder, binderPid, connectorPid] = [peer, peerPid, minePid];
    } else {
      // No listener any more (unbound, or the binder is a foreign process we could not read): the end
      // on a port outside the ephemeral range is the bound one, else the remote end.
      guessedDirection++;
      const ephemeral = (p: number): boolean => p >= ephemeralLo && p <= ephemeralHi;
      const mineBound = !ephemeral(mine.localPort) && (!peer || ephemeral(peer.localPort));
      if (mineBound) [binder, binderPid, connectorPid] = [mine, minePid, peerPid];
      else {
        const [addr, port] = splitHostPort(mine.remote);
        binder = peer ?? { ...mine, local: mine.remote, localAddress: addr, localPort: port };
        [binderPid, connectorPid] = [peerPid, minePid];
      }
    }
    if (ignorePorts.has(binder.localPort)) continue;
    const connectorEnd = binder === mine ? mine.remote : mine.local;
    add({ transport: 'tcp', connectorPid, binderPid, port: binder.localPort, detail: `${connectorEnd} → ${binder.local}` });
  }

  // ipc (unix stream sockets bound to a path)
  let unix: UnixEntry[] = [];
  try {
    unix = parseProcNetUnix(fs.readFileSync('/proc/net/unix', 'utf8'));
  } catch {
    // no unix sockets table
  }
  const named = unix.filter((u) => u.path && !u.listening && u.connected && inScenario(u.inode));
  if (options.ipc || named.length > 0) {
    const peers = unixPeers();
    const byInode = new Map(unix.map((u) => [u.inode, u]));
    const done = new Set<number>();
    for (const u of unix) {
      if (!u.connected || u.listening || !inScenario(u.inode) || done.has(u.inode)) continue;
      const peerInode = peers.get(u.inode);
      const peer = peerInode !== undefined ? byInode.get(peerInode) : undefined;
      // The accepted (server) end carries the listener's path; the connecting end has none.
      let binderInode: number;
      let connectorInode: number;
      if (u.path && !peer?.path) [binderInode, connectorInode] = [u.inode, peerInode ?? 0];
      else if (!u.path && peer?.path) [binderInode, connectorInode] = [peer.inode, u.inode];
      else continue; // a socketpair (stdio, IPC channels) or a path on both ends: not a zmq ipc connection
      done.add(binderInode);
      if (connectorInode) done.add(connectorInode);
      const path = byInode.get(binderInode)!.path!;
      add({
        transport: 'ipc', path, connectorPid: connectorInode ? ownerOf(connectorInode) : 0, binderPid: ownerOf(binderInode),
        detail: `unix inode ${connectorInode} → ${binderInode} (${path})`,
      });
    }
  }
  return { connections, foreign, guessedDirection };
}

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i), Number(s.slice(i + 1))];
}

/**
 * The process at the other end of tcp connection `fd` of process `pid` (0 when not found): turns a
 * ROUTER app's ZMQ_SRCFD for a routing id into the process that routing id really belongs to.
 */
export function connectorOfFd(pid: number, fd: number): number {
  let inode: number;
  try {
    const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
    if (!m) return 0;
    inode = Number(m[1]);
  } catch {
    return 0;
  }
  const rows = readTcp().filter((r) => r.state === TCP_ESTABLISHED);
  const mine = rows.find((r) => r.inode === inode);
  const peer = mine && rows.find((r) => r.local === mine.remote && r.remote === mine.local);
  if (!peer) return 0;
  for (const p of allPids()) if (socketInodes(p).has(peer.inode)) return p;
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Processes, ports

/** Every descendant of `pid` (children, their children, …), from /proc/<pid>/stat's ppid. */
export function descendantPids(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const p of allPids()) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may hold spaces and parentheses: read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(p, ppid);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, ppid] of parentOf) {
      if (ppid === parent && !out.includes(child)) {
        out.push(child);
        queue.push(child);
      }
    }
  }
  return out;
}

/** SIGKILLs pids that are still there (processes this test started, e.g. cluster workers). */
export function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** A TCP port that was free a moment ago (the kernel's pick for port 0). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Snapshot vs kernel

/** An edge of the snapshot reduced to what the kernel can confirm. */
export interface MappedEdge {
  edge: EdgeView;
  connectorPid: number;
  binderPid: number;
  transport: 'tcp' | 'ipc' | 'other';
  port?: number;
  path?: string;
  label: string;
}

export interface CompareOptions extends KernelOptions {
  /** Allow unknown-peer nodes (a scenario with uninstrumented processes). Default false. */
  allowUnknown?: boolean;
  /** Allow connections to processes outside `pids`. Default false. */
  allowForeign?: boolean;
  /** ROUTERs (socket ids) whose traffic no agent sees (forwarded by zmq.proxy in C): their edges carry no routing id. */
  unseenRouters?: readonly string[];
  /**
   * [connector pid, binder pid] pairs left out on both sides: a connection libzmq keeps dropping and
   * retrying (socket types that cannot talk) may or may not be in the kernel's table when it is read.
   */
  ignorePairs?: readonly (readonly [number, number])[];
}

export interface CompareCounts {
  kernel: number;
  edges: number;
  /** Connections of processes without an agent the graph counts (unknown peers, edges of peers without an agent). */
  unseen: number;
  matched: number;
  /** Edges not compared: disconnected/dead/retrying/connecting, or inproc. */
  ignoredEdges: number;
  edgesWithoutConnection: number;
  connectionsWithoutEdge: number;
  wrongPair: number;
  unknownNodes: number;
  routerEdgesWithoutRoutingId: number;
  foreign: number;
}

export interface CompareResult {
  ok: boolean;
  diff: string;
  counts: CompareCounts;
  kernel: KernelView;
  edges: MappedEdge[];
  snapshot: TopologySnapshot;
}

/** Edge states that count as a live connection in the scenarios' checks. */
export const LIVE = ['connected', 'quiet', 'late'];
const LIVE_STATES = new Set(LIVE);

function endpointKey(endpoint: string): { transport: 'tcp' | 'ipc' | 'other'; port?: number; path?: string } {
  if (endpoint.startsWith('tcp://')) return { transport: 'tcp', port: Number(endpoint.slice(endpoint.lastIndexOf(':') + 1)) };
  if (endpoint.startsWith('ipc://')) return { transport: 'ipc', path: endpoint.slice('ipc://'.length) };
  return { transport: 'other' };
}

const where = (c: { transport: string; port?: number; path?: string }): string =>
  c.transport === 'tcp' ? `tcp port ${c.port}` : c.transport === 'ipc' ? `ipc ${c.path}` : c.transport;
const pairKey = (c: { transport: string; port?: number; path?: string; connectorPid: number; binderPid: number }): string =>
  `${where(c)} ${c.connectorPid}->${c.binderPid}`;

function binText(b: { hex: string; text?: string } | undefined): string {
  return b ? (b.text !== undefined ? JSON.stringify(b.text) : `0x${b.hex}`) : '-';
}

/** Indexes for describing snapshot items. */
export class SnapshotIndex {
  readonly sockets: Map<string, SocketView>;
  readonly nodes: Map<string, NodeView>;
  constructor(readonly snapshot: TopologySnapshot) {
    this.sockets = new Map(snapshot.sockets.map((s) => [s.id, s]));
    this.nodes = new Map(snapshot.nodes.map((n) => [n.id, n]));
  }
  nodeOf(socketId: string): NodeView | undefined {
    const socket = this.sockets.get(socketId);
    return socket && this.nodes.get(socket.nodeId);
  }
  pidOf(socketId: string): number {
    return this.nodeOf(socketId)?.pid ?? 0;
  }
  nodeLabel(node: NodeView | undefined): string {
    if (!node) return '(no node)';
    return node.unknown ? `${node.name} [unknown, pid 0]` : `${node.name}(pid ${node.pid}${node.state === 'live' ? '' : `, ${node.state}`})`;
  }
  edgeLabel(e: EdgeView): string {
    const from = this.sockets.get(e.from);
    const to = this.sockets.get(e.to);
    return `${this.nodeLabel(this.nodeOf(e.from))} ${from?.type ?? '?'} → ${this.nodeLabel(this.nodeOf(e.to))} ${to?.type ?? '?'}`
      + ` @${e.endpoint} [${e.state}, routingId ${binText(e.routingId)}, attribution ${e.attribution ?? '-'}]`;
  }
}

/** The snapshot's connected/quiet/late edges, by process pair and endpoint. */
export function mapEdges(snapshot: TopologySnapshot): { live: MappedEdge[]; ignored: number } {
  const index = new SnapshotIndex(snapshot);
  const live: MappedEdge[] = [];
  let ignored = 0;
  for (const edge of snapshot.edges) {
    const key = endpointKey(edge.endpoint);
    if (!LIVE_STATES.has(edge.state) || key.transport === 'other') {
      ignored++;
      continue;
    }
    live.push({ edge, connectorPid: index.pidOf(edge.from), binderPid: index.pidOf(edge.to), ...key, label: index.edgeLabel(edge) });
  }
  return { live, ignored };
}

/**
 * Holds the snapshot against the kernel: every connected/quiet/late edge must have a real connection
 * between the same two processes on the same port/path (as a multiset), and every real connection
 * an edge; no unknown-peer node; every live edge into a ROUTER carries a routing id.
 */
export function compareWithKernel(snapshot: TopologySnapshot, pids: number[], options: CompareOptions = {}): CompareResult {
  const kernel = readKernel(pids, options);
  const index = new SnapshotIndex(snapshot);
  const { live, ignored } = mapEdges(snapshot);
  const ignorePorts = new Set(options.ignorePorts ?? []);
  const ignoredPair = (c: { connectorPid: number; binderPid: number }): boolean =>
    (options.ignorePairs ?? []).some(([connector, binder]) => c.connectorPid === connector && c.binderPid === binder);
  kernel.connections = kernel.connections.filter((c) => !ignoredPair(c));
  const compared = live.filter((e) => !(e.transport === 'tcp' && ignorePorts.has(e.port!)) && !ignoredPair(e));
  // Processes without an agent: their connections are compared by number, per binder and endpoint,
  // with the edges drawn for them (an unknown peer R stands for one, an edge of peers without an agent
  // for `connections`), as the graph cannot know which process each is.
  const instrumented = new Set(snapshot.nodes.filter((n) => !n.unknown).map((n) => n.pid));
  const unseenKey = (c: { transport: string; port?: number; path?: string; binderPid: number }): string => `${where(c)} ?->${c.binderPid}`;
  const unseenLeft = new Map<string, number>();
  const edges: MappedEdge[] = [];
  for (const e of compared) {
    if (e.connectorPid !== 0) edges.push(e);
    else unseenLeft.set(unseenKey(e), (unseenLeft.get(unseenKey(e)) ?? 0) + (e.edge.connections ?? 1));
  }
  const unseenKernel = new Map<string, number>();
  kernel.connections = kernel.connections.filter((c) => {
    if (instrumented.has(c.connectorPid) || !instrumented.has(c.binderPid)) return true;
    unseenKernel.set(unseenKey(c), (unseenKernel.get(unseenKey(c)) ?? 0) + 1);
    return false;
  });
  const unseenMismatch = [...new Set([...unseenLeft.keys(), ...unseenKernel.keys()])]
    .filter((k) => (unseenLeft.get(k) ?? 0) !== (unseenKernel.get(k) ?? 0))
    .map((k) => `${k}: the kernel has ${unseenKernel.get(k) ?? 0} connection(s) from processes without an agent, the graph ${unseenLeft.get(k) ?? 0}`);

  // Multiset match on (endpoint, connector pid, binder pid).
  const realLeft = new Map<string, KernelConnection[]>();
  for (const c of kernel.connections) {
    const k = pairKey(c);
    realLeft.set(k, [...(realLeft.get(k) ?? []), c]);
  }
  const extraEdges: MappedEdge[] = [];
  let matched = 0;
  for (const e of edges) {
    const list = realLeft.get(pairKey(e));
    if (list && list.length > 0) {
      list.pop();
      matched++;
    } else extraEdges.push(e);
  }
  const missing = [...realLeft.values()].flat();
  // An unmatched edge and an unmatched connection on the same endpoint: the edge joins the wrong processes.
  const wrongPair: Array<{ edge: MappedEdge; real: KernelConnection }> = [];
  for (const e of [...extraEdges]) {
    const i = missing.findIndex((c) => where(c) === where(e));
    if (i < 0) continue;
    wrongPair.push({ edge: e, real: missing[i] });
    missing.splice(i, 1);
    extraEdges.splice(extraEdges.indexOf(e), 1);
  }

  const unknownNodes = options.allowUnknown ? [] : snapshot.nodes.filter((n) => n.unknown);
  const routerEdgesWithoutRoutingId = edges.filter((e) => index.sockets.get(e.edge.to)?.type === 'ROUTER' && !e.edge.routingId
    && !options.unseenRouters?.includes(e.edge.to));
  const foreign = options.allowForeign ? [] : kernel.foreign;

  const lines: string[] = [];
  const section = (title: string, items: string[]): void => {
    if (items.length === 0) return;
    lines.push(`${title} (${items.length}):`, ...items.map((i) => `  - ${i}`));
  };
  section('edge with no real connection behind it', extraEdges.map((e) => `${e.label}  [${pairKey(e)}]`));
  // What the graph has between the two processes instead (an edge in another state), with how it got
  // there: the next failure says why, not only that.
  const otherEdges = (c: KernelConnection): string => snapshot.edges
    .filter((e) => index.pidOf(e.from) === c.connectorPid && index.pidOf(e.to) === c.binderPid)
    .map((e) => `\n      edge ${index.edgeLabel(e)}, timeline: ${e.timeline.slice(-6).map((t) => `${t.event}${t.detail ? ` (${t.detail})` : ''}`).join(', ') || 'none'}`)
    .join('');
  section('real connection with no edge', missing.map((c) => `${pairKey(c)}  (${c.detail})${otherEdges(c)}`));
  section('edge between the wrong pair of processes', wrongPair.map(({ edge, real }) =>
    `${edge.label} says ${edge.connectorPid}->${edge.binderPid}, the kernel has ${real.connectorPid}->${real.binderPid} on ${where(real)} (${real.detail})`));
  section('unknown-peer node (every process here is instrumented)', unknownNodes.map((n) => {
    const sockets = snapshot.sockets.filter((s) => s.nodeId === n.id);
    const theirEdges = snapshot.edges.filter((e) => sockets.some((s) => s.id === e.from || s.id === e.to));
    return `${n.name} (${n.id}, ${n.state})${theirEdges.map((e) => `\n      edge ${index.edgeLabel(e)}`).join('')}`;
  }));
  section('connections from processes without an agent, counted', unseenMismatch);
  section('edge into a ROUTER without routingId', routerEdgesWithoutRoutingId.map((e) => e.label));
  section('connection to a process outside the scenario', foreign.map((c) => `${pairKey(c)} (outside: pid ${c.foreignPid}; ${c.detail})`));
  // Telemetry the collector set aside (an event about a socket it did not know yet) explains a stale edge.
  if (lines.length > 0 && snapshot.collector?.discarded) lines.push(`collector discarded: ${JSON.stringify(snapshot.collector.discarded)}`);

  const counts: CompareCounts = {
    kernel: kernel.connections.length + [...unseenKernel.values()].reduce((a, b) => a + b, 0),
    edges: edges.length,
    unseen: [...unseenLeft.values()].reduce((a, b) => a + b, 0),
    matched,
    ignoredEdges: ignored + (live.length - compared.length),
    edgesWithoutConnection: extraEdges.length,
    connectionsWithoutEdge: missing.length,
    wrongPair: wrongPair.length,
    unknownNodes: unknownNodes.length,
    routerEdgesWithoutRoutingId: routerEdgesWithoutRoutingId.length,
    foreign: foreign.length,
  };
  const ok = lines.length === 0;
  const head = `kernel ${counts.kernel} connection(s), snapshot ${counts.edges} connected/quiet/late edge(s), ${counts.matched} matched`
    + ` (${counts.ignoredEdges} edge(s) in other states not compared)`;
  return { ok, diff: ok ? head : `${head}\n${lines.join('\n')}`, counts, kernel, edges, snapshot };
}

/** One line for the CI log: what was compared. */
export function formatCounts(label: string, r: CompareResult): string {
  const c = r.counts;
  return `[truth] ${label}: kernel ${c.kernel} connections vs ${c.edges} connected/quiet/late edges, ${c.matched} matched, ${c.unseen} without an agent;`
    + ` missing edges ${c.connectionsWithoutEdge}, edges without connection ${c.edgesWithoutConnection}, wrong pair ${c.wrongPair},`
    + ` unknown nodes ${c.unknownNodes}, ROUTER edges without routingId ${c.routerEdgesWithoutRoutingId}, foreign ${c.foreign},`
    + ` not compared ${c.ignoredEdges}`;
}

// ---------------------------------------------------------------------------------------------
// Polling

export interface Verdict {
  ok: boolean;
  diff?: string;
}

export interface EventuallyOptions {
  /** The check must hold on every poll for this long before it counts (catches transient passes). Default 0. */
  stableMs?: number;
  intervalMs?: number;
  label?: string;
}

/**
 * Polls `check` until it holds (for `stableMs` in a row); on timeout fails with the last diff.
 * A check that throws counts as not holding, with its message as the diff.
 */
export async function eventually<T extends Verdict>(check: () => T | Promise<T>, timeoutMs: number, options: EventuallyOptions = {}): Promise<T> {
  const { stableMs = 0, intervalMs = 150 } = options;
  const started = Date.now();
  const deadline = started + timeoutMs;
  let okSince: number | undefined;
  let last: T | undefined;
  let lastDiff = '(never checked)';
  for (;;) {
    try {
      last = await check();
      lastDiff = last.diff ?? (last.ok ? 'ok' : 'not ok');
    } catch (err) {
      last = undefined;
      lastDiff = `check threw: ${err instanceof Error ? err.stack ?? err.message : String(err)}`;
    }
    const now = Date.now();
    if (last?.ok) {
      okSince ??= now;
      if (now - okSince >= stableMs) return last;
    } else okSince = undefined;
    if (now > deadline) {
      const what = options.label ? `${options.label}: ` : '';
      const flap = okSince !== undefined ? ` (held for ${now - okSince} ms of the ${stableMs} ms wanted)` : '';
      throw new Error(`${what}did not converge within ${timeoutMs} ms${flap}; last diff:\n${lastDiff}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---------------------------------------------------------------------------------------------
// Scenarios: a System (collector + store in this process) and the processes of one scenario

export const REALAPPS = path.join(FIXTURES, 'realapps');

/** The process's own live edges (from its sockets) to the given binder pid. */
export function liveEdges(s: TopologySnapshot, fromPid: number, toPid: number): EdgeView[] {
  const index = new SnapshotIndex(s);
  return edgesFromPid(s, fromPid, LIVE).filter((e) => index.pidOf(e.to) === toPid);
}

/** Edges whose connecting socket lives in process `pid`, in the given states (all when omitted). */
export function edgesFromPid(s: TopologySnapshot, pid: number, states?: string[]): EdgeView[] {
  const index = new SnapshotIndex(s);
  return s.edges.filter((e) => index.pidOf(e.from) === pid && (!states || states.includes(e.state)));
}

/** The live (not exited, not unknown) node of a pid. */
export function nodeOfPid(s: TopologySnapshot, pid: number): NodeView | undefined {
  return s.nodes.find((n) => n.pid === pid && !n.unknown && n.state !== 'exited')
    ?? s.nodes.find((n) => n.pid === pid && !n.unknown);
}

export class Scenario {
  readonly pids = new Set<number>();
  readonly children: Child[] = [];
  /** Pids found later (cluster workers) that `stop` kills too. */
  readonly adopted = new Set<number>();

  private constructor(readonly label: string, readonly system: System) {}

  static async start(label: string, storeOptions: Partial<StoreOptions> = {}): Promise<Scenario> {
    return new Scenario(label, await System.start(storeOptions));
  }

  /** Starts a realapps Node fixture with the agent and waits for its ready line. */
  async node(script: string, args: string[], name: string, env: Record<string, string> = {}): Promise<Child> {
    const child = this.system.spawnNode(path.join(REALAPPS, script), args, { name, env });
    return this.ready(child);
  }

  /** Starts a realapps Node fixture without the agent (an app no one instrumented) and waits for its ready line. */
  async plainNode(script: string, args: string[], name: string): Promise<Child> {
    return this.ready(this.system.spawnNode(path.join(REALAPPS, script), args, { name, instrument: false }));
  }

  /** Starts a realapps Python fixture without the agent and waits for its ready line. */
  async plainPython(script: string, args: string[], name: string): Promise<Child> {
    return this.python(script, args, name, { PYTHONPATH: '' });
  }

  /** Starts a realapps Python fixture with the agent and waits for its ready line. */
  async python(script: string, args: string[], name: string, env: Record<string, string> = {}): Promise<Child> {
    return this.ready(this.system.spawnPython(python(), path.join(REALAPPS, script), args, name, env));
  }

  /** A binder on a free port: retried on another port when the one picked was taken meanwhile. */
  async bound(start: (port: number) => Promise<Child>): Promise<{ child: Child; port: number }> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      try {
        return { child: await start(port), port };
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  /** Every stdout line of a child started here, by pid (fixtures that report ground truth print JSON lines). */
  readonly lines = new Map<number, string[]>();

  private async ready(child: Child): Promise<Child> {
    this.children.push(child);
    const lines: string[] = [];
    if (child.process.pid) this.lines.set(child.process.pid, lines);
    readline.createInterface({ input: child.process.stdout! }).on('line', (line) => lines.push(line));
    if (child.process.pid) this.pids.add(child.process.pid);
    await child.firstLine;
    return child;
  }

  adopt(pids: number[]): void {
    for (const pid of pids) {
      this.adopted.add(pid);
      this.pids.add(pid);
    }
  }

  options(extra: CompareOptions = {}): CompareOptions {
    return { ignorePorts: [portOf(this.system.endpoint)], ...extra };
  }

  snapshot(): TopologySnapshot {
    return this.system.store.snapshot();
  }

  compare(extra: CompareOptions = {}): CompareResult {
    return compareWithKernel(this.snapshot(), [...this.pids], this.options(extra));
  }

  /**
   * Waits until the snapshot matches the kernel for `stableMs` in a row; prints the counts either
   * way, and fails with the last diff.
   */
  async converge(what: string, options: CompareOptions & { timeoutMs?: number; stableMs?: number } = {}): Promise<CompareResult> {
    const { timeoutMs = 8000, stableMs = 1000, ...extra } = options;
    const label = `${this.label}: ${what}`;
    try {
      const result = await eventually(() => this.compare(extra), timeoutMs, { stableMs, label });
      console.log(formatCounts(label, result));
      return result;
    } catch (err) {
      console.log(formatCounts(`${label} (NOT converged)`, this.compare(extra)));
      throw err;
    }
  }

  /**
   * Waits until `count` live edges into the ROUTER of `routerPid` carry routing ids, each the one that
   * ROUTER uses for the connecting process's connection (ZMQ_SRCFD), and they stay so for a second.
   */
  async routingIdsMatch(label: string, routerPid: number, count: number): Promise<void> {
    const truth = await eventually(() => {
      const v = this.routingIdTruth(routerPid);
      const short = v.checked === count ? '' : `\n(want ${count} edges with routing ids from the connecting processes, have ${v.checked})`;
      return { ...v, ok: v.ok && v.checked === count, diff: `${v.diff}${short}` };
    }, 6000, { stableMs: 1000, label: `${label}: routing id truth` });
    console.log(`[truth] ${label}: ${truth.checked} routing ids checked against ZMQ_SRCFD on pid ${routerPid}`);
  }

  /**
   * Routing-id truth for a ROUTER app that prints {"peer": hex, "fd": n} lines (echo_router.py):
   * every live edge into that ROUTER must come from the process that really holds the connection its
   * routing id names. Edges from unknown peers and edges without a routing id are left to compare().
   */
  routingIdTruth(routerPid: number): Verdict & { checked: number } {
    const s = this.snapshot();
    const index = new SnapshotIndex(s);
    const byFd = new Map<number, string>(); // the latest routing id on each fd (fds are reused)
    for (const line of this.lines.get(routerPid) ?? []) {
      if (!line.startsWith('{')) continue;
      const { peer, fd } = JSON.parse(line) as { peer: string; fd: number };
      byFd.set(fd, peer);
    }
    const truth = new Map<string, number>();
    for (const [fd, peer] of byFd) truth.set(peer, connectorOfFd(routerPid, fd));
    const problems: string[] = [];
    let checked = 0;
    for (const e of s.edges) {
      if (!LIVE_STATES.has(e.state) || index.pidOf(e.to) !== routerPid || !e.routingId || index.pidOf(e.from) === 0) continue;
      const real = truth.get(e.routingId.hex);
      checked++;
      if (real === undefined) problems.push(`${index.edgeLabel(e)}: the ROUTER app never reported routing id 0x${e.routingId.hex}`);
      else if (real !== index.pidOf(e.from)) problems.push(`${index.edgeLabel(e)}: routing id 0x${e.routingId.hex} is the connection of pid ${real || '(none found)'}`);
    }
    return { ok: problems.length === 0, diff: `${checked} edge routing id(s) checked against ZMQ_SRCFD\n${problems.join('\n')}`, checked };
  }

  async stop(): Promise<void> {
    const descendants = this.children.flatMap((c) => (c.process.pid ? descendantPids(c.process.pid) : []));
    killPids([...this.adopted, ...descendants]);
    await this.system.stop();
  }
}
