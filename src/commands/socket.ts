/**
 * Reveal Socket in Graph and Go to Socket Source, the pure part: the quick pick entries for the
 * sockets of a snapshot. No vscode import.
 */
import type { SocketView, TopologySnapshot } from '../shared/snapshot';
import { nodeLabel, safeText, siteLabel, socketTitle } from '../shared/format';

export interface SocketPick {
  socketId: string;
  label: string;
  description: string;
  detail: string;
  hasSource: boolean;
}

/** One entry per socket (unknown peers included unless `onlyWithSource`), live processes first. */
export function socketPicks(snapshot: TopologySnapshot, options: { onlyWithSource?: boolean } = {}): SocketPick[] {
  const nodes = new Map(snapshot.nodes.map((n) => [n.id, n]));
  const order = { live: 0, stale: 1, exited: 2 } as const;
  const rank = (s: SocketView) => {
    const node = nodes.get(s.nodeId);
    return node ? order[node.state] : 3;
  };
  return snapshot.sockets
    .filter((s) => !options.onlyWithSource || (s.site !== undefined && !s.unknown))
    .sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id))
    .map((s) => {
      const node = nodes.get(s.nodeId);
      const endpoints = [...s.binds.map((e) => `bind ${e}`), ...s.connects.map((e) => `connect ${e}`)];
      return {
        socketId: s.id,
        label: s.unknown ? socketTitle(s) : `${socketTitle(s)} — ${node ? nodeLabel(node) : 'unknown process'}`,
        description: safeText(endpoints.join(', '), 200),
        detail: s.site ? siteLabel(s.site) : 'creation site unknown',
        hasSource: s.site !== undefined && !s.unknown,
      };
    });
}
