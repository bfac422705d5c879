/**
 * TopologyStore: decoded telemetry in, the resolved picture out (snapshots and throttled diffs).
 * Plain Node, one sweep timer, bounded. docs/SNAPSHOT.md documents what comes out.
 *
 * Facts (nodes, sockets, endpoints, per-edge stamps and events) are stored as they arrive; which
 * socket an edge connects to is *resolved* from them (resolve()) whenever the topology facts
 * change, so a peer first seen as "unknown" is merged into its real edge once its socket reports.
 *
 * This class is the facade; its parts live in ./store/, one concept a file, over one shared
 * StoreState: records (the Rec types), graph (edge bookkeeping), resolution (endpoints and peer
 * attribution), ingest (one handler per message), liveness and sweep (edge states, the sweep timer),
 * changes (dirty sets and the diff throttle), views (records → snapshot types).
 */
import type { TelemetryMsg } from '../protocol/types';
import { SNAPSHOT_SCHEMA, type CollectorStatus, type KernelPeer, type TopologyDiff, type TopologySnapshot } from '../shared/snapshot';
import { changed } from './store/changes';
import { copyState } from './store/clone';
import { dropOrphans, forgetPlaceholder, forgetProcess } from './store/graph';
import * as ingest from './store/ingest';
import { resolveEdges } from './store/resolution';
import { StoreState, type StoreOptions } from './store/state';
import { sweep, timedSweep } from './store/sweep';
import { edgesWithoutAgent, processesWithAgent, setKernelPeers, type EdgeWithoutAgent } from './store/unseen';
import { collectorView, edgeView, nodeView, socketView } from './store/views';

export { DEFAULT_LIMITS, DEFAULT_STORE_OPTIONS, type StoreLimits, type StoreOptions } from './store/state';

export class TopologyStore {
  private readonly st: StoreState;

  constructor(options: Partial<StoreOptions> = {}) {
    this.st = new StoreState(options);
  }

  // ─── input ──────────────────────────────────────────────────────────────────────────────────────

  apply(agentKey: string, msg: TelemetryMsg, receivedAt: number): void {
    ingest.apply(this.st, agentKey, msg, receivedAt);
  }

  agentGone(agentKey: string, reason: string, at: number): void {
    ingest.agentGone(this.st, agentKey, reason, at);
  }

  malformed(agentKey: string | undefined, reason: string, detail: string): void {
    ingest.malformed(this.st, agentKey, reason, detail);
  }

  /** Who holds the connections of the edges of peers without an agent, from the host's kernel table (collector/kernelPeers.ts). */
  setKernelPeers(found: ReadonlyMap<string, KernelPeer[]>): boolean {
    const any = setKernelPeers(this.st, found);
    if (any) changed(this.st);
    return any;
  }

  setCollectorStatus(status: CollectorStatus): void {
    const st = this.st;
    st.collector = { ...status, malformed: { ...status.malformed } };
    st.collectorDirty = true;
    changed(st);
  }

  // ─── output ─────────────────────────────────────────────────────────────────────────────────────

  /** The edges of peers without an agent, for the host to look their connections up. */
  edgesWithoutAgent(): EdgeWithoutAgent[] {
    return edgesWithoutAgent(this.st);
  }

  /** The pids of the processes on `host` that have an agent and have not exited (an exited one's pid may be reused). */
  processesWithAgent(host: string): number[] {
    return processesWithAgent(this.st, host);
  }

  snapshot(): TopologySnapshot {
    const st = this.st;
    resolveEdges(st);
    const now = st.now();
    const collector = collectorView(st);
    return {
      schema: SNAPSHOT_SCHEMA,
      takenAt: now,
      ...(collector ? { collector } : {}),
      nodes: [...st.nodes.values()].map((n) => nodeView(st, n, now)),
      sockets: [...st.sockets.values()].map((s) => socketView(s)),
      edges: [...st.edges.values()].map((e) => edgeView(st, e, now)),
    };
  }

  onDiff(listener: (diff: TopologyDiff) => void): { dispose(): void } {
    this.st.listeners.add(listener);
    return { dispose: () => this.st.listeners.delete(listener) };
  }

  clearExited(): void {
    const st = this.st;
    for (const node of [...st.nodes.values()]) {
      if (node.exitedAt === undefined) continue;
      if (node.unknown) forgetPlaceholder(st, node.id);
      else forgetProcess(st, node.id);
    }
    dropOrphans(st);
    st.topologyDirty = true;
    changed(st);
  }

  /**
   * Runs the liveness sweep as the sweep timer would at `now` (the store's clock): edges crossing
   * late/dead/recovered get their timeline entries stamped `now`. Returns the instant the next edge
   * crosses a threshold (Infinity: none), so a replay can sweep on the recording's clock.
   */
  sweep(now: number): number {
    return sweep(this.st, now);
  }

  /** How many records the store holds (cheap: no views are built). */
  get size(): { nodes: number; sockets: number; edges: number } {
    return { nodes: this.st.nodes.size, sockets: this.st.sockets.size, edges: this.st.edges.size };
  }

  /**
   * An exact copy of the model that goes on independently (replay checkpoints, the live ring), never
   * started: no timers, no listeners. `now` is its clock (default: this store's).
   */
  clone(options: { now?: () => number } = {}): TopologyStore {
    const copy = new TopologyStore({ ...this.st.options, now: options.now ?? this.st.now });
    copyState(this.st, copy.st);
    return copy;
  }

  start(): void {
    const st = this.st;
    if (st.sweepTimer) return;
    st.lastTimedSweepAt = undefined; // a store started again was stopped, not stalled
    st.sweepTimer = setInterval(() => timedSweep(st), st.options.sweepIntervalMs);
    st.sweepTimer.unref();
  }

  dispose(): void {
    const st = this.st;
    clearInterval(st.sweepTimer);
    clearTimeout(st.dueTimer);
    st.dueTimer = undefined;
    clearTimeout(st.notifyTimer);
    st.sweepTimer = undefined;
    st.notifyTimer = undefined;
    st.notifyDueAt = Infinity;
    st.listeners.clear();
  }
}
