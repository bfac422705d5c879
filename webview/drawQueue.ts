/**
 * What the diffs changed since the last draw, and whether drawing them is a patch (only their own
 * items' elements change) or needs a full render. Pure (tested in Node).
 */
import type { EdgeView, SocketView, TopologyDiff } from '../src/shared/snapshot';
import { ELK_MAX_EDGES, labelSize } from './elkLayout';
import type { Filters, GroupView } from './graphModel';
import type { GraphState } from './graphState';
import { layoutOf } from './viewState';

export class PendingDraw {
  /** Only a full render can draw it (structure, filters, snapshot). */
  full = false;
  readonly nodes = new Set<string>();
  readonly sockets = new Set<string>();
  readonly edges = new Set<string>();

  /** Notes a diff's items; a diff that removes anything needs a full render. */
  noteDiff(diff: TopologyDiff): void {
    if ((diff.removedNodes?.length ?? 0) + (diff.removedSockets?.length ?? 0) + (diff.removedEdges?.length ?? 0) > 0) {
      this.full = true;
    } else if (!this.full) {
      for (const node of diff.nodes ?? []) {
        this.nodes.add(node.id);
      }
      for (const socket of diff.sockets ?? []) {
        this.sockets.add(socket.id);
      }
      for (const edge of diff.edges ?? []) {
        this.edges.add(edge.id);
      }
    }
  }

  clear(): void {
    this.full = false;
    this.nodes.clear();
    this.sockets.clear();
    this.edges.clear();
  }
}

/** The items a patch redraws, as they are now. */
export interface Patch {
  groups: GroupView[];
  sockets: SocketView[];
  edges: EdgeView[];
}

/** Whether an edge passes the filters that look at the edge itself (the others look at its sockets). */
export function edgePassesOwnFilters(edge: EdgeView, filters: Filters): boolean {
  return !(filters.hideDisconnected && edge.state === 'disconnected') && !(filters.state !== '' && edge.state !== filters.state);
}

/** Whether an edge's label needs the same room (a disconnect message wider than its room needs a new layered layout). */
function sameLabelRoom(a: EdgeView, b: EdgeView): boolean {
  const before = labelSize(a);
  const after = labelSize(b);
  return before.width === after.width && before.height === after.height;
}

function sameKernelPeers(a: EdgeView, b: EdgeView): boolean {
  return a.kernelPeers === b.kernelPeers || JSON.stringify(a.kernelPeers) === JSON.stringify(b.kernelPeers);
}

/**
 * The patch that draws the pending items, when no element has to come, go or move: every pending
 * item is drawn and stays visible, with the same sockets/process. Null when a full render is needed.
 */
export function planPatch(pending: PendingDraw, state: GraphState): Patch | null {
  const { model, visible, index } = state;
  const filters = state.view.filters;
  const socketFiltering = filters.text.trim() !== '' || filters.socketType !== '';
  // Label rooms matter only where ELK lays the graph out.
  const layered = layoutOf(state.view, model) === 'layered' && visible.edges.length <= ELK_MAX_EDGES;
  const edges: EdgeView[] = [];
  for (const id of pending.edges) {
    const item = model.edges.get(id)?.item;
    if (!item) {
      return null;
    }
    const at = index.edges.get(id);
    if (at !== undefined) {
      const old = visible.edges[at];
      // The names of peers without an agent title their placeholder's box and are found by the text
      // filter: drawn with the edge alone, the box kept its old title (seen in the README's screenshots).
      if (old.from !== item.from || old.to !== item.to || !edgePassesOwnFilters(item, filters) || (layered && !sameLabelRoom(old, item))
        || !sameKernelPeers(old, item)) {
        return null;
      }
      edges.push(item);
    } else if (model.sockets.has(item.from) && model.sockets.has(item.to) && edgePassesOwnFilters(item, filters)) {
      return null; // a newcomer, or one a filter no longer hides
    }
  }
  const sockets: SocketView[] = [];
  for (const id of pending.sockets) {
    const item = model.sockets.get(id)?.item;
    const at = index.sockets.get(id);
    if (!item || at === undefined || socketFiltering || visible.sockets[at].nodeId !== item.nodeId) {
      return null;
    }
    sockets.push(item);
  }
  const groups: GroupView[] = [];
  for (const id of pending.nodes) {
    const item = model.nodes.get(id)?.item;
    const at = index.groups.get(id);
    if (!item || at === undefined || socketFiltering) {
      return null;
    }
    groups.push({ ...visible.groups[at], node: item });
  }
  return { groups, sockets, edges };
}
