/**
 * Pure helpers behind Reveal Socket in Graph and Go to Socket Source: the quick pick entries for the
 * sockets of a snapshot, and where a socket's creation site is on disk. No vscode import.
 */
import type { SocketView, TopologySnapshot } from '../model/snapshot';
import type { CreationSite } from '../protocol/types';
import { nodeLabel, safeText, siteLabel, socketTitle } from '../../webview/format';

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

export interface SourceLocation {
  /** A file:// URI when the site was one (ESM stacks), else an absolute or relative path. */
  kind: 'uri' | 'path';
  value: string;
  /** Zero-based, for an editor selection. */
  line: number;
  character: number;
}

/** Where to open a creation site: stack traces give 1-based lines and columns. */
export function sourceLocation(site: CreationSite): SourceLocation {
  const line = Math.max(0, Math.floor(site.line) - 1);
  const character = site.column !== undefined ? Math.max(0, Math.floor(site.column) - 1) : 0;
  if (/^file:\/\//i.test(site.file)) return { kind: 'uri', value: site.file, line, character };
  return { kind: 'path', value: site.file, line, character };
}
