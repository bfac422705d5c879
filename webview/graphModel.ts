/**
 * The webview's local copy of the topology and what is derived from it for drawing.
 * Pure (no DOM) so diff application and filtering are tested in plain Node.
 */
import type { CollectorStatus, EdgeState, EdgeView, NodeView, SocketView, TopologyDiff, TopologySnapshot } from '../src/shared/snapshot';
import type { SocketType } from '../src/shared/sockets';
import { binDisplay, liveAge } from '../src/shared/format';

/** An item as last received, with the collector time of the update that carried it (ages are relative to it). */
export interface Observed<T> {
  item: T;
  observedAt: number;
}

export class GraphModel {
  readonly nodes = new Map<string, Observed<NodeView>>();
  readonly sockets = new Map<string, Observed<SocketView>>();
  readonly edges = new Map<string, Observed<EdgeView>>();
  collector: CollectorStatus | undefined;
  /** Latest collector time seen. */
  takenAt = 0;
  /** Bumped on every change, so views can skip work when nothing changed. */
  version = 0;

  applySnapshot(snapshot: TopologySnapshot): void {
    this.nodes.clear();
    this.sockets.clear();
    this.edges.clear();
    this.takenAt = 0;
    this.collector = undefined;
    this.applyDiff({ takenAt: snapshot.takenAt, nodes: snapshot.nodes, sockets: snapshot.sockets, edges: snapshot.edges, collector: snapshot.collector });
  }

  /**
   * Removals first, then upserts: a diff both removing and re-adding an id (a restart) keeps the new
   * item. An item older than what we hold (a late diff) does not overwrite it. Sockets may arrive
   * before their process and edges before their sockets; views simply skip what is not there yet.
   */
  applyDiff(diff: TopologyDiff): void {
    const at = diff.takenAt;
    removeAll(this.nodes, diff.removedNodes);
    removeAll(this.sockets, diff.removedSockets);
    removeAll(this.edges, diff.removedEdges);
    upsertAll(this.nodes, diff.nodes, at);
    upsertAll(this.sockets, diff.sockets, at);
    upsertAll(this.edges, diff.edges, at);
    if (diff.collector && at >= this.takenAt) {
      this.collector = diff.collector;
    }
    this.takenAt = Math.max(this.takenAt, at);
    this.version++;
  }
}

function removeAll<T>(map: Map<string, T>, ids: readonly string[] | undefined): void {
  for (const id of ids ?? []) {
    map.delete(id);
  }
}

function upsertAll<T extends { id: string }>(map: Map<string, Observed<T>>, items: readonly T[] | undefined, at: number): void {
  for (const item of items ?? []) {
    const held = map.get(item.id);
    if (!held || held.observedAt <= at) {
      map.set(item.id, { item, observedAt: at });
    }
  }
}

export interface Filters {
  /** Case-insensitive substring over process names/titles/pids and socket types/names/routing ids/endpoints. */
  text: string;
  /** Only sockets of this type (and what they connect to), '' for all. */
  socketType: SocketType | '';
  /** Only edges in this state (and their sockets), '' for all. */
  state: EdgeState | '';
  hideDisconnected: boolean;
}

export const NO_FILTERS: Filters = { text: '', socketType: '', state: '', hideDisconnected: false };

export function isFiltering(filters: Filters): boolean {
  return filters.text.trim() !== '' || filters.socketType !== '' || filters.state !== '';
}

export interface GroupView {
  /** The process id, or the socket's nodeId when its process is not (yet) known. */
  id: string;
  node: NodeView | undefined;
  socketIds: string[];
  /** A group of alike peers drawn as one box (grouping.ts): its title and the processes it stands for. */
  alike?: { title: string; members: readonly string[] };
}

export interface VisibleGraph {
  groups: GroupView[];
  sockets: SocketView[];
  edges: EdgeView[];
  /** Sockets that matched the text/type filter themselves (the rest are shown as their peers). */
  matched: Set<string>;
}

/**
 * The texts the host's kernel table gives the placeholders of peers without an agent (EdgeView.kernelPeers,
 * on the edges from them): commands, pids and addresses, by placeholder socket id. For text search.
 */
export function kernelNamesBySocket(edges: Iterable<EdgeView>): Map<string, string[]> {
  const named = new Map<string, string[]>();
  for (const edge of edges) {
    for (const peer of edge.kernelPeers ?? []) {
      const list = named.get(edge.from) ?? [];
      list.push(peer.command ?? '', peer.pid !== undefined ? String(peer.pid) : '', peer.address);
      named.set(edge.from, list);
    }
  }
  return named;
}

function socketMatchesText(socket: SocketView, node: NodeView | undefined, needle: string, named: readonly string[] = []): boolean {
  const haystack = [
    ...named,
    socket.type,
    socket.name ?? '',
    socket.routingId ? binDisplay(socket.routingId) : '',
    socket.unknown ? 'unknown peer' : '',
    ...socket.binds,
    ...socket.connects,
    node?.name ?? '',
    node?.title ?? '',
    node ? String(node.pid) : '',
    node?.host ?? '',
  ];
  return haystack.some((value) => value.toLowerCase().includes(needle));
}

/**
 * What to draw under the filters. A text or type filter keeps the matching sockets plus their direct
 * peers (so a match is shown with what it talks to); a state filter keeps the edges in that state and
 * their sockets. Processes are shown when they have a visible socket, or have none at all and no
 * filter is on (a process that opened no socket yet is still a process).
 */
export function visibleGraph(model: GraphModel, filters: Filters): VisibleGraph {
  const needle = filters.text.trim().toLowerCase();
  const filtering = isFiltering(filters);
  const edges: EdgeView[] = [];
  for (const { item: edge } of model.edges.values()) {
    if (!model.sockets.has(edge.from) || !model.sockets.has(edge.to)) {
      continue;
    }
    if (filters.hideDisconnected && edge.state === 'disconnected') {
      continue;
    }
    if (filters.state && edge.state !== filters.state) {
      continue;
    }
    edges.push(edge);
  }

  const matched = new Set<string>();
  const socketFiltering = needle !== '' || filters.socketType !== '';
  // A placeholder of peers without an agent matches the processes the kernel table names on its edges.
  const named = needle ? kernelNamesBySocket(edges) : new Map<string, string[]>();
  for (const { item: socket } of model.sockets.values()) {
    if (filters.socketType && socket.type !== filters.socketType) {
      continue;
    }
    if (needle && !socketMatchesText(socket, model.nodes.get(socket.nodeId)?.item, needle, named.get(socket.id))) {
      continue;
    }
    matched.add(socket.id);
  }

  const shownSockets = new Set<string>();
  const shownEdges: EdgeView[] = [];
  for (const edge of edges) {
    if (!socketFiltering || matched.has(edge.from) || matched.has(edge.to)) {
      shownEdges.push(edge);
      shownSockets.add(edge.from);
      shownSockets.add(edge.to);
    }
  }
  if (!filters.state) {
    for (const id of matched) {
      shownSockets.add(id);
    }
  }

  const sockets: SocketView[] = [];
  const groupsById = new Map<string, GroupView>();
  for (const { item: socket } of model.sockets.values()) {
    if (!shownSockets.has(socket.id)) {
      continue;
    }
    sockets.push(socket);
    let group = groupsById.get(socket.nodeId);
    if (!group) {
      group = { id: socket.nodeId, node: model.nodes.get(socket.nodeId)?.item, socketIds: [] };
      groupsById.set(socket.nodeId, group);
    }
    group.socketIds.push(socket.id);
  }
  if (!filtering) {
    for (const { item: node } of model.nodes.values()) {
      if (!groupsById.has(node.id)) {
        groupsById.set(node.id, { id: node.id, node, socketIds: [] });
      }
    }
  }
  return { groups: [...groupsById.values()], sockets, edges: shownEdges, matched: socketFiltering ? matched : new Set() };
}

/** An edge's ages as they stand at `now` (collector clock), from the update that carried it. */
export function edgeAgesAt(observed: Observed<EdgeView>, now: number): { heartbeatAgeMs: number | null; trafficAgeMs: number | null } {
  return {
    heartbeatAgeMs: liveAge(observed.item.heartbeatAgeMs, observed.observedAt, now),
    trafficAgeMs: liveAge(observed.item.trafficAgeMs, observed.observedAt, now),
  };
}

/** Socket types present in the model, for the type filter. */
export function socketTypesPresent(model: GraphModel): SocketType[] {
  const types = new Set<SocketType>();
  for (const { item } of model.sockets.values()) {
    types.add(item.type);
  }
  return [...types].sort();
}

/** What kind of thing an id names, for selection and reveal. */
export function kindOf(model: GraphModel, id: string): 'node' | 'socket' | 'edge' | undefined {
  if (model.edges.has(id)) {
    return 'edge';
  }
  if (model.sockets.has(id)) {
    return 'socket';
  }
  if (model.nodes.has(id)) {
    return 'node';
  }
  return undefined;
}

/**
 * The collector's clock as seen from the webview: ages tick locally between updates from the last
 * update's takenAt plus the local time elapsed since it arrived (host and webview share a machine).
 */
export class CollectorClock {
  private offset = 0;
  private takenAt = 0;
  private held = false;

  /** Call when an update stamped `takenAt` arrives at local time `localNow`. */
  sync(takenAt: number, localNow: number): void {
    this.offset = localNow - takenAt;
    this.takenAt = takenAt;
  }

  /**
   * Held (the timeline shows a past instant), the clock stays at the last update's takenAt: a picture
   * of the past keeps the ages it had at that instant instead of ticking on.
   */
  hold(held: boolean): void {
    this.held = held;
  }

  now(localNow: number): number {
    return this.held ? this.takenAt : localNow - this.offset;
  }
}
