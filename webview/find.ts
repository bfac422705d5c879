/**
 * Find: which processes and sockets a query names, in the order Enter steps through them. Pure
 * (tested in Node); findBox.ts is the toolbar's box that reveals each match.
 */
import { binDisplay } from '../src/shared/format';
import type { NodeView, SocketView } from '../src/shared/snapshot';
import { kernelNamesBySocket, type GraphModel } from './graphModel';

const numeric = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

/** A process's own texts: name, title and pid (an unknown peer has no real pid). */
function nodeTexts(node: NodeView): string[] {
  return [node.name, node.title, node.unknown === true ? '' : String(node.pid)];
}

/** A socket's own texts: type, name, routing id, bound and connected endpoints. */
function socketTexts(socket: SocketView): string[] {
  return [socket.type, socket.name ?? '', socket.routingId ? binDisplay(socket.routingId) : '', ...socket.binds, ...socket.connects, ...(socket.failed ?? []).map((f) => f.endpoint)];
}

/**
 * The ids of the processes and sockets whose own texts contain `query` (case-insensitive), process
 * by process (by name, then pid): a matching process first, then its matching sockets. A socket
 * matches on its own texts only (a placeholder of peers without an agent also on the names the kernel
 * table gives it), so "worker" finds the worker processes and the sockets named so,
 * not every socket of a worker. Sockets of processes the model does not know come last.
 */
export function findMatches(model: GraphModel, query: string): string[] {
  const needle = query.trim().toLowerCase();
  if (needle === '') {
    return [];
  }
  const hit = (texts: string[]): boolean => texts.some((text) => text.toLowerCase().includes(needle));
  const named = kernelNamesBySocket([...model.edges.values()].map(({ item }) => item));
  const socketsByNode = new Map<string, string[]>();
  for (const { item: socket } of model.sockets.values()) {
    if (hit([...socketTexts(socket), ...(named.get(socket.id) ?? [])])) {
      const list = socketsByNode.get(socket.nodeId) ?? [];
      list.push(socket.id);
      socketsByNode.set(socket.nodeId, list);
    }
  }
  const nodes = [...model.nodes.values()].map(({ item }) => item).sort((a, b) => numeric(a.name, b.name) || a.pid - b.pid || numeric(a.id, b.id));
  const matches: string[] = [];
  for (const node of nodes) {
    if (hit(nodeTexts(node))) {
      matches.push(node.id);
    }
    matches.push(...(socketsByNode.get(node.id) ?? []).sort(numeric));
    socketsByNode.delete(node.id);
  }
  for (const nodeId of [...socketsByNode.keys()].sort(numeric)) {
    matches.push(...(socketsByNode.get(nodeId) ?? []).sort(numeric));
  }
  return matches;
}

/** Where Enter (`step` 1) or Shift+Enter (-1) goes from match `at` (-1: none yet) among `count`. */
export function stepMatch(at: number, count: number, step: 1 | -1): number {
  if (count === 0) {
    return -1;
  }
  if (at < 0 || at >= count) {
    return step > 0 ? 0 : count - 1;
  }
  return (at + step + count) % count;
}

/** What the box says: "2 of 5", "5 matches" before the first Enter, "no match", or '' for no query. */
export function countText(at: number, count: number, query: string): string {
  if (query.trim() === '') {
    return '';
  }
  if (count === 0) {
    return 'no match';
  }
  return at < 0 ? `${count} match${count === 1 ? '' : 'es'}` : `${at + 1} of ${count}`;
}
