/**
 * The store's options, and the one state object its parts share: the records by id, the indexes
 * resolution keeps, what changed since the last diff, and the timers. Each part of the store is a
 * set of functions over this object (store.ts is the facade).
 */
import type { CollectorStatus, KernelPeer, TopologyDiff } from '../../shared/snapshot';
import { RateRings } from '../rules';
import type { ClashRec } from './clashes';
import type { AcceptedRec } from './unseen';
import type { AgentRec, Claimants, EdgeRec, NodeRec, SocketRec } from './records';

export interface StoreLimits {
  nodes: number;
  sockets: number;
  edges: number;
  unknownPeers: number;
  /** Distinct message type names kept per edge; the rest are summed under "(other)". */
  messageTypesPerEdge: number;
  /**
   * Edges whose only news is traffic (stamps, rates, counts) that one diff carries; the stalest go
   * first, the rest in the next diffs. State changes, timeline entries and disconnects are never held
   * back. Without it every diff re-sent every busy edge: 8,000 of them made 3 MiB diffs ten times a second.
   */
  trafficUpdatesPerDiff: number;
}

export interface StoreOptions {
  /** Heartbeat (or traffic) age → 'late'. */
  warnAfterMs: number;
  /** → 'dead'; also: a node with no telemetry this long → 'stale'. */
  deadAfterMs: number;
  /** The one sweep timer. */
  sweepIntervalMs: number;
  /** Diff notifications at most this often. */
  notifyIntervalMs: number;
  /** Per-edge timeline entries kept. */
  timelineLength: number;
  /** connect:retry events in the window → retryStorm. */
  retryStorm: { count: number; windowMs: number };
  /** Store size caps (optional extension of the agreed surface; defaults in DEFAULT_LIMITS). */
  limits?: Partial<StoreLimits>;
  now?: () => number;
}

export const DEFAULT_LIMITS: StoreLimits = { nodes: 1000, sockets: 10_000, edges: 20_000, unknownPeers: 1000, messageTypesPerEdge: 64, trafficUpdatesPerDiff: 1000 };

export const DEFAULT_STORE_OPTIONS: StoreOptions = {
  warnAfterMs: 2500,
  deadAfterMs: 6000,
  sweepIntervalMs: 250,
  notifyIntervalMs: 100,
  timelineLength: 50,
  retryStorm: { count: 5, windowMs: 10_000 },
};

export class StoreState {
  readonly options: StoreOptions;
  readonly limits: StoreLimits;
  readonly now: () => number;
  /**
   * While a message is applied, when it arrived: what it creates is stamped with that, not with the
   * clock read some time later, so a replay (whose clock is the arrival) builds the same records.
   */
  inputAt: number | undefined = undefined;
  readonly agents = new Map<string, AgentRec>();
  readonly nodes = new Map<string, NodeRec>();
  readonly sockets = new Map<string, SocketRec>();
  readonly socketsByNode = new Map<string, Set<string>>();
  readonly edges = new Map<string, EdgeRec>();
  /** Every edge's message rate ring (EdgeRec.rates is its slot). */
  rates = new RateRings();
  byRoutingId = new Map<string, Claimants>();
  /** How many routing ids in byRoutingId more than one socket set (none: the traffic path skips their bookkeeping). */
  sharedRoutingIds = 0;
  /** Connections (ConnLogRec.key) paired with a peer: the ROUTER that peer is on, and its routing id hex. */
  readonly connOwner = new Map<string, { router: string; peer: string }>();
  /** Edges in a routing-id clash, by edge id (clashes.ts; judged by the sweep). */
  clashes = new Map<string, ClashRec>();
  /** Bound sockets whose agents count their accepted connections, by socket id (unseen.ts). */
  readonly accepted = new Map<string, AcceptedRec>();
  /** Sockets of `accepted` to settle after this input (a count, or a bound edge's phase changed). */
  readonly unseenDirty = new Set<string>();
  /** Sockets of `accepted` with more unexplained connections than drawn: when their grace period ends. */
  readonly unseenPending = new Map<string, number>();
  /** Edges of peers without an agent → who the host's kernel says holds those connections (collector/kernelPeers.ts). */
  readonly kernelPeers = new Map<string, KernelPeer[]>();
  unknownPeers = 0;
  /** Placeholder nodes gone with their connection (graph.ts placeholderGone), in the order they went: the first makes room at a cap. */
  readonly gonePlaceholders = new Set<string>();
  /** Connects, binds or routing ids changed: everything is resolved again before edges are read. */
  topologyDirty = false;
  /** Sockets whose own connects changed (or that are new) while no bind did: resolved alone. */
  readonly connectorsToResolve = new Set<string>();
  /** ROUTERs whose peers' first-message evidence changed: re-paired before their edges are read. */
  readonly routersToPair = new Set<string>();
  /** Edges removed so far (a count): a change means placeholders may be left with nothing. */
  edgeRemovals = 0;
  collector: CollectorStatus | undefined;
  readonly discarded: Record<string, number> = Object.create(null) as Record<string, number>;

  readonly listeners = new Set<(diff: TopologyDiff) => void>();
  readonly dirtyNodes = new Set<string>();
  readonly dirtySockets = new Set<string>();
  readonly dirtyEdges = new Set<string>();
  /** Edges with new traffic counts since they were last sent (stamps and rates are compared directly). */
  readonly trafficEdges = new Set<string>();
  readonly removedNodes = new Set<string>();
  readonly removedSockets = new Set<string>();
  readonly removedEdges = new Set<string>();
  collectorDirty = false;
  lastNotifyAt = -Infinity;
  notifyTimer: NodeJS.Timeout | undefined;
  /** When the pending notify fires (collector clock). */
  notifyDueAt = Infinity;
  /** A connection went down or late, or a process exited, since the last diff: notify without the throttle. */
  urgentChange = false;
  sweepTimer: NodeJS.Timeout | undefined;
  /** When a timer last ran the sweep (liveness.ts: a gap far longer than the interval was a stall). */
  lastTimedSweepAt: number | undefined = undefined;
  /**
   * The store's process stood still (the extension host busy, the machine suspended) for `ms`, until
   * `endedAt`: what the agents wrote meanwhile is still queued, so edges are judged as of before it
   * until input written after it arrives, or `clearBy` (liveness.ts edgeJudgedAt).
   */
  stall: { endedAt: number; ms: number; clearBy: number } | undefined = undefined;
  /** A sweep at the moment the next edge crosses a liveness threshold (see sweep.ts). */
  dueTimer: NodeJS.Timeout | undefined;

  constructor(options: Partial<StoreOptions>) {
    this.options = { ...DEFAULT_STORE_OPTIONS, ...options };
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.now = options.now ?? (() => Date.now());
  }
}

export function discard(st: StoreState, cause: string): void {
  st.discarded[cause] = (st.discarded[cause] ?? 0) + 1;
  st.collectorDirty = true;
}
