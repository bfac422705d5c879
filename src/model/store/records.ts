/**
 * The store's records: the facts as they arrive (nodes, sockets, endpoints, per-edge stamps and
 * events), and the small helpers that keep them compact. Views are built from them (views.ts).
 */
import type { CreationSite, Runtime, SocketOptions, SocketType } from '../../protocol/types';
import type { EvidenceKind, Stamp } from '../attribution';
import type { EdgePhase, RetryWindow } from '../rules';
import { EDGE_STATES, type Attribution, type EdgeState, type EndpointFailure, type LastDisconnect, type NodeState, type TimelineEntry } from '../../shared/snapshot';

export const ROUTER_LIKE: ReadonlySet<SocketType> = new Set(['ROUTER', 'STREAM', 'SERVER', 'PEER']);

export interface AgentRec {
  nodeId?: string;
  /**
   * Agent clock → collector clock: the smallest receivedAt − msg.at seen lately (the least delayed
   * message), so a backlog delivered late does not make its old stamps look fresh.
   */
  offset: number;
  offsetAt: number;
  /** The same for the agent's monotonic clock (msg.mono, the clock of its first-message stamps), once it sent one. */
  monoOffset?: number;
  monoOffsetAt?: number;
}

export interface NodeRec {
  id: string;
  pid: number;
  host: string;
  instance: string;
  name: string;
  title: string;
  runtime: Runtime;
  agent: { name: string; version: string };
  startedAt: number;
  lastSeenAt: number;
  exitedAt?: number;
  dropped: number;
  missed: number;
  malformed: number;
  /**
   * How late its latest message arrived: the arrival less the message's own stamp on the collector's
   * clock (the agent's queue and the collector's backlog together). Its edges are judged as of then.
   */
  lagMs: number;
  /** The connection this node currently reports over; an older connection's loss does not end it. */
  agentKey?: string;
  /** Synthetic: an unknown peer (no agent). */
  unknown?: boolean;
  probe?: boolean;
  sentState?: NodeState;
  sentLastSeenAt: number;
}

export interface EndpointRec {
  requested: string;
  resolved?: string;
  /**
   * ipc only (collector clock): when the bind or connect was made, and for a connect when its latest
   * connection came up. Two live sockets binding one path are told apart by them (resolution.ts,
   * reachedBinder); tcp endpoints leave them out (no two sockets listen on one port).
   */
  at?: number;
  upAt?: number;
}

/** Which clock a log's stamps are on, and its offset to the collector clock when the log came. */
export interface StampClock {
  /** The host's monotonic clock (msg.mono), or the wall clock (older agents). */
  clock: 'monotonic' | 'wall';
  offset: number;
}

/** A log of first messages on the agent's clock, with that clock's offset when it came. */
export interface FirstLogRec extends StampClock {
  in: readonly Stamp[];
  out: readonly Stamp[];
  /** The reporting node's host: logs from one host on one clock compare as they are (else by offsets). */
  host: string;
}

/** A ROUTER peer paired with a connection, and the two logs that pairing was made from. */
export interface Pairing {
  edgeId: string;
  how: EvidenceKind;
  connection: string;
  peerLog: FirstLogRec;
  connLog: ConnLogRec;
  /** The ROUTER's SocketRec.connectionLogs when it was made. */
  connectionLogs: number;
}

export interface PeerRec {
  /** The peer's routing id, hex (as are all routing ids in the store: views make the Bin). */
  hex: string;
  edgeId?: string;
  /** How edgeId was chosen. */
  how?: Attribution;
  /** The ROUTER's side of the connection: its first messages with this peer. */
  first?: FirstLogRec;
  /** When the ROUTER last read from this id, kept only while more than one socket set it (clashes.ts). */
  readAt?: number;
}

/** A connecting socket's log of one connection (ConnLogRec.conn: 1, 2, … after each disconnect). */
export interface ConnLogRec extends FirstLogRec {
  conn: number;
  /** The connection's key, socket id + "#" + conn (Pairing.connection, StoreState.connOwner). */
  key: string;
}

export interface SocketRec {
  id: string;
  nodeId: string;
  type: SocketType;
  name?: string;
  /** The routing id it set, hex. */
  routingHex?: string;
  /** Its first send known on its connection now up, kept only while another socket set its routing id too (clashes.ts). */
  sentAt?: number;
  options: SocketOptions;
  site?: CreationSite;
  /** Passed to a proxy that moves its messages natively (SocketInfo.proxied). */
  proxied?: boolean;
  /** Replaced on change (NO_ENDPOINTS when none: most sockets only bind or only connect). */
  binds: readonly EndpointRec[];
  connects: readonly EndpointRec[];
  closed: boolean;
  unknown?: boolean;
  /** Resolution: connect endpoint → the edges it currently reaches (ConnectsReached). */
  connectEndpoint: string | undefined;
  connectEdges: string | ConnectEdges;
  /** ROUTER-like sockets: peers by routing id hex, and the edge each is attributed to (created on the first peer). */
  peers?: Map<string, PeerRec>;
  /**
   * Edges bound here (`to` is this socket), by their endpoint: a bound-side monitor event names only
   * the endpoint, and is attributable only when exactly one edge uses it. Without this index every
   * such event scanned all the socket's edges (milliseconds on a ROUTER with thousands of peers).
   */
  boundEdges?: Map<string, Set<EdgeRec>>;
  /** Edges from here (`from` is this socket): FromEdges, read through fromEdgeList. */
  fromEdges: FromEdges;
  /** Connecting DEALER/REQ/REP sockets: the first messages of their latest connections. */
  conns?: ConnLogRec[];
  /** ROUTERs: anonymous peers paired with connections from the logs (attribution.ts), by routing id hex. */
  pairings?: Map<string, Pairing>;
  /** ROUTERs: paired incrementally since the last full pairing (see repairStuckPeers), and when that was. */
  needsFullPairing?: boolean;
  fullPairedAt?: number;
  /** ROUTERs: how many connections of its connectors have reported a first-messages log (it only grows). */
  connectionLogs?: number;
  /** Endpoint calls that failed and have not succeeded since (failures.ts); replaced on change. */
  failed?: readonly EndpointFailure[];
  /** The latest failure an agent's snapshot listed: a failure message not later than it is already counted. */
  failedInSnapshotAt?: number;
}

/**
 * The sockets claiming one routing id (StoreState.byRoutingId): the socket itself when one does, as
 * nearly always, a list when several do (a clash, a socket replaced under the same id). A list of one
 * per id cost ~56 bytes per socket.
 */
export type Claimants = SocketRec | readonly SocketRec[];

/** The one claimant, or undefined when there are several. */
export function soleClaimant(claimants: Claimants): SocketRec | undefined {
  return Array.isArray(claimants) ? undefined : (claimants as SocketRec);
}

export function claimantsOf(claimants: Claimants | undefined): readonly SocketRec[] {
  if (claimants === undefined) return [];
  const sole = soleClaimant(claimants);
  return sole ? [sole] : (claimants as readonly SocketRec[]);
}

export function withClaimant(claimants: Claimants | undefined, socket: SocketRec): Claimants {
  return claimants === undefined ? socket : [...claimantsOf(claimants), socket];
}

/**
 * Message type counts as a flat [name, count, name, count, …] list: a handful of names per edge, so a
 * linear scan beats a dictionary object, and the names are the strings JSON.parse interned.
 */
export type TypeCounts = (string | number)[];

/**
 * An edge's timeline, compact, in two arrays on its record: the entries' times (doubles, unboxed: 8
 * bytes each) and their kinds (`event`, or `event` + "\n" + detail, interned: most are shared by every
 * edge), both exact-size, replaced on change, never changed in place. An entry object with its boxed
 * time cost 48 bytes, and a flapping edge keeps 50 of them (docs/PERFORMANCE.md "Memory per edge").
 */
export interface TimelineRec {
  timelineAt: readonly number[];
  timelineKind: readonly string[];
}
export const NO_TIMES: readonly number[] = Object.freeze([]);
export const NO_KINDS: readonly string[] = Object.freeze([]);

/**
 * Kinds kept once. Apart from `interned`: a sweep that finds thousands of edges late writes as many
 * kinds that occur once ("heartbeat age 2513 ms"), and would clear the endpoint strings others share.
 */
const kinds = new Map<string, string>();

function timelineKind(entry: TimelineEntry): string {
  const kind = entry.detail === undefined ? entry.event : `${entry.event}\n${entry.detail}`;
  let known = kinds.get(kind);
  if (known === undefined) {
    if (kinds.size >= INTERNED_STRINGS) kinds.clear();
    known = flat(kind);
    kinds.set(known, known);
  }
  return known;
}

/** Kind → the entry's event and detail, as views show them (a handful of kinds recur everywhere). */
const kindParts = new Map<string, Pick<TimelineEntry, 'event' | 'detail'>>();

export function timelineEntries(rec: TimelineRec): TimelineEntry[] {
  const entries = new Array<TimelineEntry>(rec.timelineAt.length);
  for (let i = 0; i < entries.length; i++) {
    const kind = rec.timelineKind[i];
    let parts = kindParts.get(kind);
    if (parts === undefined) {
      const cut = kind.indexOf('\n');
      parts = cut < 0 ? { event: kind as TimelineEntry['event'] } : { event: kind.slice(0, cut) as TimelineEntry['event'], detail: kind.slice(cut + 1) };
      if (kindParts.size >= INTERNED_STRINGS) kindParts.clear();
      kindParts.set(kind, parts);
    }
    entries[i] = { at: rec.timelineAt[i], ...parts };
  }
  return entries;
}

/**
 * Short kind lists kept once, frozen: most edges' timelines read alike (connect, handshake, …), and the
 * lists are replaced whole, never changed in place. A list of two kinds cost ~50 bytes on every edge.
 */
const kindLists = new Map<string, readonly string[]>();
const SHARED_KIND_LIST = 4;

function sharedKinds(list: string[]): readonly string[] {
  if (list.length === 0) return NO_KINDS;
  return list.length > SHARED_KIND_LIST ? list : keptOnce(kindLists, list);
}

/** `value`, or the frozen equal one `known` already holds (by JSON content; the map bounded like `interned`). */
function keptOnce<T extends object>(known: Map<string, T>, value: T): T {
  const key = JSON.stringify(value);
  const found = known.get(key);
  if (found !== undefined) return found;
  if (known.size >= INTERNED_STRINGS) known.clear();
  const frozen = Object.freeze(value);
  known.set(key, frozen);
  return frozen;
}

/** Adds `entry` to the timeline, the oldest dropped past `max` entries. */
export function addToTimeline(rec: TimelineRec, entry: TimelineEntry, max: number): void {
  if (max <= 0) return;
  const from = Math.max(0, rec.timelineAt.length - max + 1);
  const n = rec.timelineAt.length - from + 1;
  const at = new Array<number>(n);
  const kind = new Array<string>(n);
  for (let i = 0; i < n - 1; i++) {
    at[i] = rec.timelineAt[from + i];
    kind[i] = rec.timelineKind[from + i];
  }
  at[n - 1] = entry.at;
  kind[n - 1] = timelineKind(entry);
  rec.timelineAt = at;
  rec.timelineKind = sharedKinds(kind);
}

/** `source`'s timeline folded into `target`'s, in time order (`source`'s first where times tie), the latest `max` entries. */
export function mergeTimelines(target: TimelineRec, source: TimelineRec, max: number): void {
  const order: [number, string][] = [];
  for (let i = 0; i < source.timelineAt.length; i++) order.push([source.timelineAt[i], source.timelineKind[i]]);
  for (let i = 0; i < target.timelineAt.length; i++) order.push([target.timelineAt[i], target.timelineKind[i]]);
  order.sort((x, y) => x[0] - y[0]);
  const kept = max > 0 ? order.slice(-max) : [];
  target.timelineAt = kept.length === 0 ? NO_TIMES : kept.map((e) => e[0]);
  target.timelineKind = sharedKinds(kept.map((e) => e[1]));
}

/**
 * A connecting socket's edges by connect endpoint, flat: [endpoint, edgeIds, endpoint, edgeIds, …],
 * where one edge id (the rule: one edge per connect) is the id itself, more a list. A socket has one
 * connect or a few, and a Map for one entry cost ~350 bytes on every socket, a list of one id ~56
 * (docs/PERFORMANCE.md "Memory per edge"); replaced whole by resolution, never changed in place.
 * The commonest case, one endpoint reaching one edge, is not a list at all (ConnectsReached).
 */
export type EdgeIds = string | readonly string[];
export type ConnectEdges = readonly EdgeIds[];
export const NO_CONNECT_EDGES: ConnectEdges = Object.freeze([]);

/**
 * Where a socket's connects reach: `connectEdges` is the one edge id of the one endpoint
 * `connectEndpoint` (a [endpoint, id] list cost 64 bytes on nearly every connecting socket), or the
 * flat ConnectEdges list, with `connectEndpoint` undefined. Read through the functions below.
 */
export interface ConnectsReached {
  connectEndpoint: string | undefined;
  connectEdges: string | ConnectEdges;
}

/** Sets where a socket's connects reach from a flat list (built afresh, not changed after). */
export function setConnectEdges(socket: ConnectsReached, list: EdgeIds[]): void {
  if (list.length === 2 && typeof list[1] === 'string') {
    socket.connectEndpoint = list[0] as string;
    socket.connectEdges = list[1];
  } else {
    socket.connectEndpoint = undefined;
    socket.connectEdges = list.length === 0 ? NO_CONNECT_EDGES : list.slice(); // exact size (push reserves room)
  }
}

/** The ids an EdgeIds holds, as a list. */
export function edgeIdList(ids: EdgeIds): readonly string[] {
  return typeof ids === 'string' ? [ids] : ids;
}

/** How a connect's edge ids are kept: one as itself, more as the list. */
export function edgeIds(ids: readonly string[]): EdgeIds {
  return ids.length === 1 ? ids[0] : ids;
}

/** The edge ids of the socket's only connect endpoint, when it has exactly one. */
export function soleConnectEdgeIds(socket: ConnectsReached): readonly string[] | undefined {
  const list = socket.connectEdges;
  return typeof list === 'string' ? [list] : list.length === 2 ? edgeIdList(list[1]) : undefined;
}

/** The edge ids of `endpoint`, or undefined. */
export function connectEdgesAt(socket: ConnectsReached, endpoint: string): readonly string[] | undefined {
  const list = socket.connectEdges;
  if (typeof list === 'string') return socket.connectEndpoint === endpoint ? [list] : undefined;
  for (let k = 0; k < list.length; k += 2) if (list[k] === endpoint) return edgeIdList(list[k + 1]);
  return undefined;
}

/** Every edge id the socket's connects reach, in endpoint order. */
export function allConnectEdgeIds(socket: ConnectsReached): string[] {
  const list = socket.connectEdges;
  if (typeof list === 'string') return [list];
  const ids: string[] = [];
  for (let k = 1; k < list.length; k += 2) {
    const at = list[k];
    if (typeof at === 'string') ids.push(at);
    else for (const id of at) ids.push(id);
  }
  return ids;
}

/** [endpoint, edgeIds] pairs (for the few places that need both). */
export function* connectEdgeEntries(socket: ConnectsReached): Generator<[string, readonly string[]]> {
  const list = socket.connectEdges;
  if (typeof list === 'string') {
    yield [socket.connectEndpoint!, [list]];
    return;
  }
  for (let k = 0; k < list.length; k += 2) yield [list[k] as string, edgeIdList(list[k + 1])];
}
export const NO_EDGES: readonly EdgeRec[] = Object.freeze([]);

/**
 * A socket's edges from it: a connector has one (the rule), kept as the edge itself, or a few, kept as
 * an exact-size list replaced on change. A list of one cost ~56 bytes on every connecting socket.
 */
export type FromEdges = EdgeRec | readonly EdgeRec[];

function isEdgeList(edges: FromEdges): edges is readonly EdgeRec[] {
  return Array.isArray(edges);
}

export function fromEdgeList(socket: SocketRec): readonly EdgeRec[] {
  const edges = socket.fromEdges;
  return isEdgeList(edges) ? edges : [edges];
}

export function hasFromEdges(socket: SocketRec): boolean {
  const edges = socket.fromEdges;
  return !isEdgeList(edges) || edges.length > 0;
}

/** `socket`'s edges from it with `edge` added, or with `edge` taken out (`without`). */
export function fromEdgesWith(socket: SocketRec, edge: EdgeRec, without = false): FromEdges {
  const list = fromEdgeList(socket);
  const next = without ? list.filter((e) => e !== edge) : appended(list, edge);
  return next.length === 1 ? next[0] : next.length === 0 ? NO_EDGES : next;
}
export const NO_ENDPOINTS: readonly EndpointRec[] = Object.freeze([]);

/** `list`, or the shared NO_ENDPOINTS when it is empty. */
export function endpointList(list: readonly EndpointRec[]): readonly EndpointRec[] {
  return list.length === 0 ? NO_ENDPOINTS : list;
}

/**
 * `list` as a socket's connects. The commonest list, one tcp endpoint, is shared frozen by every
 * socket that has it: a thousand clients of one server held a thousand equal lists and records
 * (~100 bytes each). Not ipc: connectionUp stamps an ipc connect's record in place.
 */
export function connectList(list: readonly EndpointRec[]): readonly EndpointRec[] {
  if (list.length !== 1) return endpointList(list);
  const only = list[0];
  if (only.requested.startsWith('ipc://')) return list;
  const key = only.resolved === undefined ? only.requested : `${only.requested} ${only.resolved}`;
  const known = sharedConnects.get(key);
  if (known !== undefined) return known;
  if (sharedConnects.size >= INTERNED_STRINGS) sharedConnects.clear();
  const shared = Object.freeze([Object.freeze(only)]);
  sharedConnects.set(key, shared);
  return shared;
}
const sharedConnects = new Map<string, readonly EndpointRec[]>();

/** Socket options objects by content: thousands of sockets of one app share a handful of option sets. */
const internedOptions = new Map<string, SocketOptions>();

export function internOptions(options: SocketOptions): SocketOptions {
  return keptOnce(internedOptions, options);
}

const PHASES: readonly EdgePhase[] = ['connecting', 'up', 'retrying', 'disconnected'];
const STATES: readonly (EdgeState | undefined)[] = [undefined, ...EDGE_STATES];
const ATTRIBUTIONS: readonly (Attribution | undefined)[] = [undefined, 'routing-id', 'content', 'timing', 'only-candidate', 'unknown'];
const codes = <T>(values: readonly T[]): Map<T, number> => new Map(values.map((v, i) => [v, i]));
const PHASE_CODES = codes(PHASES);
const STATE_CODES = codes(STATES);
const ATTRIBUTION_CODES = codes(ATTRIBUTIONS);
// Where each packed field sits in EdgeRec.bits.
interface PackedField {
  shift: number;
  mask: number;
}
const PHASE: PackedField = { shift: 0, mask: 0b11 };
const SWEPT: PackedField = { shift: 2, mask: 0b111 << 2 };
const SENT: PackedField = { shift: 5, mask: 0b111 << 5 };
const ATTRIBUTION: PackedField = { shift: 8, mask: 0b111 << 8 };
const TOUCHED = 1 << 11;
const FROM_REPORTS = 1 << 12;
const OWN_TRAFFIC = 1 << 13;
const SENT_STORM = 1 << 14;

/**
 * A connection between two sockets. Its phase, states, attribution and flags are packed in one small
 * integer behind accessors: as eight fields they cost 64 bytes of every edge's 1.1 KB, as one, 8
 * (docs/PERFORMANCE.md "Memory per edge"). Every field is set in the constructor, in one order, so all
 * edges share one shape with their fields in the object.
 */
export class EdgeRec implements TimelineRec {
  private bits = (PHASE_CODES.get('connecting')! << PHASE.shift) | (STATE_CODES.get('connecting')! << SWEPT.shift);
  phaseAt = 0;
  lastHeartbeat: number | undefined = undefined;
  lastMessage: number | undefined = undefined;
  /** Its rate ring's slot in StoreState.rates, taken on the first counted message. */
  rates: number | undefined = undefined;
  types: TypeCounts | undefined = undefined;
  lastDisconnect: LastDisconnect | null = null;
  /** Created on the first connect:retry. */
  retries: RetryWindow | undefined = undefined;
  /** The timeline (TimelineRec). */
  timelineAt: readonly number[] = NO_TIMES;
  timelineKind: readonly string[] = NO_KINDS;
  /**
   * What the last diff said about the fields that change with the clock (state, rates, storm) and the
   * stamps the ages count from (sentState undefined: never sent). Ages alone are not a change: the
   * consumer ticks them on from the diff's takenAt (docs/SNAPSHOT.md).
   */
  sentHeartbeatAt: number | undefined = undefined;
  sentMessageAt: number | undefined = undefined;
  sentOut = 0;
  sentIn = 0;

  constructor(
    readonly id: string,
    readonly from: string,
    readonly to: string,
    readonly endpoint: string,
    /** The routing id the ROUTER knows the connector by, hex. */
    public routingHex: string | undefined,
  ) {}

  /** A copy to change apart from this one (TopologyStore.clone). */
  copy(): EdgeRec {
    const copy = new EdgeRec(this.id, this.from, this.to, this.endpoint, this.routingHex);
    copy.bits = this.bits;
    copy.phaseAt = this.phaseAt;
    copy.lastHeartbeat = this.lastHeartbeat;
    copy.lastMessage = this.lastMessage;
    copy.rates = this.rates;
    copy.types = this.types?.slice();
    copy.lastDisconnect = this.lastDisconnect;
    copy.retries = this.retries?.clone();
    copy.timelineAt = this.timelineAt;
    copy.timelineKind = this.timelineKind;
    copy.sentHeartbeatAt = this.sentHeartbeatAt;
    copy.sentMessageAt = this.sentMessageAt;
    copy.sentOut = this.sentOut;
    copy.sentIn = this.sentIn;
    return copy;
  }

  get phase(): EdgePhase {
    return PHASES[this.code(PHASE)];
  }
  set phase(phase: EdgePhase) {
    this.setCode(PHASE, PHASE_CODES.get(phase)!);
  }
  /** The state the last sweep saw. */
  get sweptState(): EdgeState {
    return STATES[this.code(SWEPT)]!;
  }
  set sweptState(state: EdgeState) {
    this.setCode(SWEPT, STATE_CODES.get(state)!);
  }
  /** The state the last diff said; undefined: never sent. */
  get sentState(): EdgeState | undefined {
    return STATES[this.code(SENT)];
  }
  set sentState(state: EdgeState | undefined) {
    this.setCode(SENT, STATE_CODES.get(state)!);
  }
  get attribution(): Attribution | undefined {
    return ATTRIBUTIONS[this.code(ATTRIBUTION)];
  }
  set attribution(how: Attribution | undefined) {
    this.setCode(ATTRIBUTION, ATTRIBUTION_CODES.get(how)!);
  }
  /** Whether any telemetry has touched the edge (a fresh edge takes a merged edge's phase). */
  get touched(): boolean {
    return this.has(TOUCHED);
  }
  set touched(on: boolean) {
    this.flag(TOUCHED, on);
  }
  /**
   * Whether the connecting side reports traffic for this edge. Its counts are then the ones shown,
   * so only the shown side's rates and types are kept: the binder's until the connector reports,
   * the connector's from then on (the flag goes back only when the edge's first record of its own
   * replaces what a socket-wide record stood in with: `ownTraffic`).
   */
  get fromReports(): boolean {
    return this.has(FROM_REPORTS);
  }
  set fromReports(on: boolean) {
    this.flag(FROM_REPORTS, on);
  }
  /**
   * Whether a record of this connection's own has come (the connector's with one connection, a
   * ROUTER's for its peer). Until then a socket-wide record stands in (ingest.ts trafficEdges).
   */
  get ownTraffic(): boolean {
    return this.has(OWN_TRAFFIC);
  }
  set ownTraffic(on: boolean) {
    this.flag(OWN_TRAFFIC, on);
  }
  /** Whether the last diff said retryStorm. */
  get sentStorm(): boolean {
    return this.has(SENT_STORM);
  }
  set sentStorm(on: boolean) {
    this.flag(SENT_STORM, on);
  }

  private code(field: PackedField): number {
    return (this.bits & field.mask) >> field.shift;
  }

  private setCode(field: PackedField, code: number): void {
    this.bits = (this.bits & ~field.mask) | (code << field.shift);
  }

  private has(bit: number): boolean {
    return (this.bits & bit) !== 0;
  }

  private flag(bit: number, on: boolean): void {
    this.bits = on ? this.bits | bit : this.bits & ~bit;
  }
}

/**
 * `text` as one flat string. An id built by concatenation is kept as a tree of its parts, and
 * flattened on its first use as a key into a copy the tree then points to: an edge id cost ~190
 * bytes, flat ~110 (docs/PERFORMANCE.md "Memory per edge"). For ids made once per record.
 */
export function flat(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/** Strings that repeat in timelines (event addresses, errors) kept once, not once per edge. */
const interned = new Map<string, string>();
const INTERNED_STRINGS = 1024;

export function intern<T extends string | undefined>(text: T): T {
  if (text === undefined) return text;
  const known = interned.get(text);
  if (known !== undefined) return known as T;
  if (interned.size >= INTERNED_STRINGS) interned.clear();
  interned.set(text, text);
  return text;
}

/**
 * `list` + `item` in an array of exactly that length. Spreads and pushes reserve room for 16 more
 * elements, which on thousands of edges with one or two entries each was most of their arrays' size.
 */
export function appended<T>(list: readonly T[], item: T): T[] {
  const out = new Array<T>(list.length + 1);
  for (let i = 0; i < list.length; i++) out[i] = list[i];
  out[list.length] = item;
  return out;
}

/** Where `name` sits in a flat [name, count, …] list, or -1. */
export function typeIndex(types: TypeCounts, name: string): number {
  for (let k = 0; k < types.length; k += 2) if (types[k] === name) return k;
  return -1;
}

/** The later of two optional times. */
export function latestOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined || a >= b ? a : b;
}

export function endpointRec(requested: string, resolved: string | undefined, at?: number): EndpointRec {
  const rec: EndpointRec = resolved === undefined ? { requested } : { requested, resolved };
  if (at !== undefined && requested.startsWith('ipc://')) rec.at = at;
  return rec;
}

/** An endpoint as shown and matched: the resolved form when known (wildcard port filled in). */
export function bindDisplay(e: EndpointRec): string {
  return e.resolved ?? e.requested;
}

/**
 * What a process runs, as a name: its script (Node's argv[1], Python's script path), Python's `-m`
 * module, or for code given inline (`python -c`) nothing, except a multiprocessing child (spawn,
 * forkserver), whose command line is the pool's bootstrap code.
 */
export function scriptName(argv: string[]): string | undefined {
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-c') return /\bmultiprocessing\b/.test(argv[i + 1] ?? '') ? 'multiprocessing worker' : undefined;
    if (arg === '-m') return argv[i + 1];
    if (arg === '-W' || arg === '-X') i++; // Python options that take a value
    else if (!arg.startsWith('-')) return arg.split(/[\\/]/).pop();
  }
  return undefined;
}
