/**
 * Which topology node a debug session started, and back: the "from a node, jump to its debug session"
 * link. Pure: no vscode.
 *
 * A launch the provider instrumented carries ZMQ_TOPOLOGY_NODE = the configuration's name, so its
 * agent reports that name. The debuggee's pid comes from the debug adapter's DAP `process` event
 * (`systemProcessId`) when the adapter sends one. A pid on this host is the exact match; the name
 * (a node started after the session, preferring live ones, newest first) is the fallback.
 */
import type { NodeView } from '../shared/snapshot';

export interface SessionLink {
  sessionId: string;
  /** The configuration's name = the node name its agent reports. */
  nodeName: string;
  /** Debuggee pids seen in DAP `process` events (a session may start child processes). */
  pids: readonly number[];
  startedAt: number;
}

/** Nodes reported by agents on this host can be matched by pid; probes and unknown peers never. */
function candidate(node: NodeView, host: string): boolean {
  return !node.probe && !node.unknown && node.host === host;
}

/** Clocks of agent and extension host may differ a little; a node is not older than its session. */
const START_SLACK_MS = 2000;

function rank(a: NodeView, b: NodeView): number {
  const live = (n: NodeView) => (n.state === 'exited' ? 1 : 0);
  return live(a) - live(b) || b.startedAt - a.startedAt;
}

/** The nodes a session started, best first. */
export function nodesOfSession(link: SessionLink, nodes: readonly NodeView[], host: string): NodeView[] {
  const mine = nodes.filter((n) => candidate(n, host));
  const byPid = mine.filter((n) => link.pids.includes(n.pid));
  if (byPid.length > 0) return byPid.sort(rank);
  return mine.filter((n) => n.name === link.nodeName && n.startedAt >= link.startedAt - START_SLACK_MS).sort(rank);
}

/** The session that started a node: by pid first, else by name (the latest session started before the node). */
export function sessionOfNode(node: NodeView, links: readonly SessionLink[], host: string): SessionLink | undefined {
  if (!candidate(node, host)) return undefined;
  const byPid = links.find((l) => l.pids.includes(node.pid));
  if (byPid) return byPid;
  return links
    .filter((l) => l.nodeName === node.name && node.startedAt >= l.startedAt - START_SLACK_MS)
    .sort((a, b) => b.startedAt - a.startedAt)[0];
}

/** The debuggee pid of a DAP message, when it is a `process` event that carries one. */
export function processEventPid(message: unknown): number | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as { type?: unknown; event?: unknown; body?: { systemProcessId?: unknown } };
  if (m.type !== 'event' || m.event !== 'process') return undefined;
  const pid = m.body?.systemProcessId;
  return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The node name an instrumented configuration reports as, or undefined when it was not instrumented. */
export function instrumentedNodeName(env: unknown): string | undefined {
  if (typeof env !== 'object' || env === null) return undefined;
  const e = env as Record<string, unknown>;
  if (typeof e.ZMQ_TOPOLOGY_ENDPOINT !== 'string' || typeof e.ZMQ_TOPOLOGY_NODE !== 'string') return undefined;
  return e.ZMQ_TOPOLOGY_NODE;
}
