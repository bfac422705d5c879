/**
 * The sidebar tree as plain data: process → socket → connection. Pure (no vscode import), so the
 * grouping, labels, icons and tooltips are tested in plain Node; topologyTree.vscode.ts only maps
 * these descriptors onto vscode.TreeItems.
 *
 * Ages in a snapshot are as of `takenAt`; the tree is rebuilt from a fresh snapshot, so they are shown
 * as they are.
 *
 * A narrow sidebar cuts a row at its end, so every row says what matters first: labels are short
 * (the peer's process name, the socket type), and a description starts with the state and age (edges,
 * connecting sockets, processes), the disconnect message (gone edges) or the bound endpoint (bound
 * sockets); who the peer is comes after.
 */
import type { EdgeState, EdgeView, EndpointFailure, NodeView, SocketView, TopologySnapshot } from '../shared/snapshot';
import {
  binDisplay, clashBadge, clashDetail, incompatibleBadge, NO_SUBSCRIPTION_TEXT, subscribesToNothing, incompatibleDetail, isWithoutAgent, unheardBadge, UNHEARD_TEXT, unseenText, UNSEEN_TEXT, kernelPeerText, kernelPeersSummary, disconnectBadge, disconnectDetail, edgeAgeLabel, endpointFailureText, formatAge, heldByText, LABEL_CHARS, formatRate, formatTime, nodeLabel, processCountText, processCounts,
  PROXIED_TEXT, safeText, siteLabel, routingIdWithAttribution, socketNameLabel, socketTitle, socketTypeLabel, stateStyle,
} from '../shared/format';
import { sameEndpoint } from '../model/endpoints';
import { escapeMarkdown, mdField, mdLines } from './markdown';

/** A codicon id and an optional theme colour id (both resolved by the adapter). */
export interface TreeIcon {
  id: string;
  color?: string;
}

export type TreeItemKind = 'node' | 'socket' | 'edge' | 'endpoint' | 'orphans';

export interface TreeItemDescriptor {
  /** Unique and stable across rebuilds, so the tree keeps expansion and selection. */
  id: string;
  kind: TreeItemKind;
  label: string;
  description?: string;
  /** Markdown; every piece of outside text in it is escaped. */
  tooltip: string;
  icon: TreeIcon;
  /**
   * Space-separated flags for menus' `when` clauses (`viewItem =~ /\bsource\b/`): the kind, then
   * `reveal` (has a graph element), `source` (creation site known), `endpoint`, `routingId`.
   */
  contextValue: string;
  /** The graph element this item stands for (node, socket or edge id). */
  graphId?: string;
  socketId?: string;
  endpoint?: string;
  /** The routing id as shown (text, else 0x + hex). */
  routingId?: string;
  expanded?: boolean;
  children: TreeItemDescriptor[];
}

/** Theme colour ids by state; the adapter wraps them in ThemeColor. */
export const STATE_COLORS: Readonly<Record<EdgeState, string>> = {
  connecting: 'charts.blue',
  connected: 'charts.green',
  quiet: 'descriptionForeground',
  late: 'charts.yellow',
  dead: 'charts.red',
  retrying: 'editorWarning.foreground',
  disconnected: 'disabledForeground',
};

export const STATE_ICONS: Readonly<Record<EdgeState, string>> = {
  connecting: 'loading~spin',
  connected: 'pass',
  quiet: 'circle-outline',
  late: 'watch',
  dead: 'error',
  retrying: 'sync',
  disconnected: 'debug-disconnect',
};

const NODE_ICONS: Readonly<Record<NodeView['state'], TreeIcon>> = {
  live: { id: 'server-process', color: 'charts.green' },
  stale: { id: 'warning', color: 'charts.yellow' },
  exited: { id: 'circle-slash', color: 'disabledForeground' },
};

/** Worst first: the state a socket or process shows when its connections disagree. */
const SEVERITY: readonly EdgeState[] = ['dead', 'retrying', 'late', 'disconnected', 'quiet', 'connecting', 'connected'];

export function worstState(states: Iterable<EdgeState>): EdgeState | undefined {
  let worst: EdgeState | undefined;
  for (const s of states) {
    if (worst === undefined || SEVERITY.indexOf(s) < SEVERITY.indexOf(worst)) worst = s;
  }
  return worst;
}

function flags(...parts: (string | false | undefined)[]): string {
  return parts.filter((p): p is string => typeof p === 'string' && p.length > 0).join(' ');
}

function siteOf(socket: SocketView): string {
  return socket.site ? siteLabel(socket.site) : '';
}

function endpointsOf(socket: SocketView): string[] {
  return [...socket.binds, ...socket.connects];
}

function edgeTooltip(edge: EdgeView, self: SocketView, peer: SocketView | undefined, peerNode: NodeView | undefined, ix: Index): string {
  const peerName = peer ? socketTitle(peer) : edge.from === self.id ? edge.to : edge.from;
  const lines = [
    `**${escapeMarkdown(stateStyle(edge.state).glyph)} ${escapeMarkdown(edge.state)}** — ${escapeMarkdown(stateStyle(edge.state).meaning)}`,
    mdField('Peer', peerNode ? `${peerName} in ${nodeLabel(peerNode)}` : peerName),
    mdField('Endpoint', edge.endpoint),
    edge.routingId ? mdField('Routing id', routingIdWithAttribution(binDisplay(edge.routingId), edge.attribution)) : '',
    mdField('Heartbeat age', edge.heartbeatAgeMs === null ? 'no heartbeat seen' : formatAge(edge.heartbeatAgeMs)),
    mdField('Traffic age', edge.trafficAgeMs === null ? 'no traffic seen' : formatAge(edge.trafficAgeMs)),
    mdField('Rates (connecting side)', `out ${formatRate(edge.rates.out)}, in ${formatRate(edge.rates.in)}`),
    Object.keys(edge.messageTypes).length > 0
      ? mdField('Message types', Object.entries(edge.messageTypes).slice(0, 8).map(([t, n]) => `${safeText(t, 32)} ×${n}`).join(', '))
      : '',
    edge.lastDisconnect
      ? mdField('Last disconnect', `${disconnectDetail(edge) ?? ''} at ${formatTime(edge.lastDisconnect.at)}`)
      : '',
    edge.retryStorm ? '**Retry storm:** many reconnect attempts in a short window' : '',
    edge.incompatible ? `**${escapeMarkdown(incompatibleBadge(edge) ?? '')}:** ${escapeMarkdown(incompatibleDetail(edge.incompatible))}` : '',
    edge.unheard ? `**${escapeMarkdown(unheardBadge(edge) ?? '')}:** ${escapeMarkdown(UNHEARD_TEXT, 600)}` : '',
    edge.connections !== undefined ? `**${escapeMarkdown(unseenText(edge) ?? '')}:** ${escapeMarkdown(UNSEEN_TEXT, 600)}` : '',
    ...(edge.kernelPeers ?? []).slice(0, 8).map((p) => mdField('Held by (kernel table)', kernelPeerText(p))),
    edge.routingIdClash ? `**${escapeMarkdown(clashBadge(edge) ?? '')}:** ${escapeMarkdown(clashDetail(edge.routingIdClash, clashingSockets(edge, ix)), 600)}` : '',
    edge.exited ? '_The process at one end has exited._' : '',
  ];
  const recent = edge.timeline.slice(-5);
  if (recent.length > 0) {
    lines.push('**Recent events:**');
    for (const entry of recent) {
      lines.push(escapeMarkdown(`${formatTime(entry.at)} ${entry.event}${entry.detail ? ` ${entry.detail}` : ''}`, 200));
    }
  }
  return mdLines(lines);
}

/** Longest peer or socket name in a label: the row's description (age, state) must stay in sight. */
const LABEL_NAME_CHARS = 18;

/**
 * An endpoint as short as it stays unambiguous in a row: the scheme of tcp dropped and a wildcard
 * host as `*` ("*:5555", "127.0.0.1:5556"); a long ipc path keeps its end. The full text is in the tooltip.
 */
export function shortEndpoint(endpoint: string): string {
  const tcp = /^tcp:\/\/(.*):(\d+|\*)$/.exec(endpoint);
  if (tcp) {
    const host = tcp[1] === '0.0.0.0' || tcp[1] === '*' || tcp[1] === '[::]' || tcp[1] === '::' ? '*' : tcp[1]!;
    return safeText(`${host}:${tcp[2]!}`, 40);
  }
  const text = safeText(endpoint);
  const chars = Array.from(text);
  const scheme = /^[a-z]+:\/\//.exec(text)?.[0] ?? '';
  return chars.length <= 28 ? text : `${scheme}…${chars.slice(-(27 - scheme.length)).join('')}`;
}

function edgeDescription(edge: EdgeView, peerText: string): string {
  // State first: its words are short ("late", "disconnected"), an age can be "traffic 3m05s". A gone
  // edge leads with its state's glyph and why it went (the app's disconnect message), as the graph's
  // badge does: at the default side bar width a row three levels deep shows ~20 characters of it.
  const gone = (edge.state === 'disconnected' || edge.state === 'dead') && edge.lastDisconnect
    ? `${stateStyle(edge.state).glyph} ${disconnectBadge(edge, LABEL_CHARS) ?? ''}` : null;
  const parts = gone ? [gone, edge.state, edgeAgeLabel(edge.heartbeatAgeMs, edge.trafficAgeMs)] : [edge.state, edgeAgeLabel(edge.heartbeatAgeMs, edge.trafficAgeMs)];
  if (edge.retryStorm) parts.push('retry storm');
  const refused = incompatibleBadge(edge) ?? unheardBadge(edge);
  if (refused) parts.unshift(`⚠ ${refused}`);
  const clash = clashBadge(edge);
  if (clash) parts.push(`⚠ ${clash}`);
  if (peerText) parts.push(peerText);
  return parts.join(' · ');
}

interface Index {
  nodes: Map<string, NodeView>;
  sockets: Map<string, SocketView>;
  edges: Map<string, EdgeView>;
  edgesBySocket: Map<string, EdgeView[]>;
}

/** The connecting sockets of the edges an edge shares its routing id with, as "DEALER in worker.py (pid 7)". */
function clashingSockets(edge: EdgeView, ix: Index): string[] {
  return (edge.routingIdClash?.with ?? []).flatMap((id) => {
    const socket = ix.sockets.get(ix.edges.get(id)?.from ?? '');
    const node = socket ? ix.nodes.get(socket.nodeId) : undefined;
    return socket ? [`${socketTitle(socket)}${node ? ` in ${nodeLabel(node)}` : ''}`] : [];
  });
}

function indexSnapshot(snapshot: TopologySnapshot): Index {
  const nodes = new Map(snapshot.nodes.map((n) => [n.id, n]));
  const sockets = new Map(snapshot.sockets.map((s) => [s.id, s]));
  const edges = new Map(snapshot.edges.map((e) => [e.id, e]));
  const edgesBySocket = new Map<string, EdgeView[]>();
  const add = (socketId: string, edge: EdgeView) => {
    const list = edgesBySocket.get(socketId);
    if (list) list.push(edge);
    else edgesBySocket.set(socketId, [edge]);
  };
  for (const edge of snapshot.edges) {
    add(edge.from, edge);
    if (edge.to !== edge.from) add(edge.to, edge);
  }
  return { nodes, sockets, edges, edgesBySocket };
}

function edgeItem(edge: EdgeView, self: SocketView, ix: Index): TreeItemDescriptor {
  const outgoing = edge.from === self.id;
  const peerId = outgoing ? edge.to : edge.from;
  const peer = ix.sockets.get(peerId);
  const peerNode = peer ? ix.nodes.get(peer.nodeId) : undefined;
  const arrow = outgoing ? '→' : '←';
  // The label names the peer's process, short; its socket and pid follow the age and state.
  let label: string;
  let peerText: string;
  if (!peer) {
    label = `${arrow} unknown socket`;
    peerText = safeText(peerId, 40);
  } else if (edge.connections !== undefined) {
    label = `${arrow} ${unseenText(edge) ?? ''}`;
    peerText = safeText(kernelPeersSummary(edge) ?? '', 80);
  } else if (peer.unknown) {
    label = `${arrow} unknown peer ${binDisplay(peer.routingId, LABEL_NAME_CHARS) || '?'}`;
    peerText = '';
  } else {
    label = `${arrow} ${peerNode ? safeText(peerNode.name || peerNode.title || 'process', LABEL_NAME_CHARS) : 'unknown process'}`;
    peerText = `${socketTitle(peer)}${peerNode && !peerNode.probe ? ` (pid ${peerNode.pid})` : peerNode?.probe ? ' (probe)' : ''}`;
  }
  const routingId = edge.routingId ? binDisplay(edge.routingId) : undefined;
  return {
    id: `edge:${self.id}:${edge.id}`,
    kind: 'edge',
    label,
    description: edgeDescription(edge, peerText),
    tooltip: edgeTooltip(edge, self, peer, peerNode, ix),
    icon: { id: STATE_ICONS[edge.state] ?? 'question', color: STATE_COLORS[edge.state] },
    contextValue: flags('edge', 'reveal', 'endpoint', routingId !== undefined && 'routingId', peer?.site && !peer.unknown && 'source'),
    graphId: edge.id,
    socketId: peer && !peer.unknown ? peer.id : undefined,
    endpoint: edge.endpoint,
    routingId,
    children: [],
  };
}

function endpointItem(socket: SocketView, endpoint: string, op: 'bind' | 'connect'): TreeItemDescriptor {
  return {
    id: `endpoint:${socket.id}:${op}:${endpoint}`,
    kind: 'endpoint',
    label: `${op === 'bind' ? 'bound' : 'connecting to'} ${safeText(endpoint, 200)}`,
    description: 'no connections seen',
    tooltip: mdLines([mdField(op === 'bind' ? 'Bound' : 'Connect', endpoint), 'No connection on this endpoint has been seen yet.']),
    icon: { id: op === 'bind' ? 'radio-tower' : 'plug', color: 'disabledForeground' },
    contextValue: flags('endpoint', 'endpoint'),
    endpoint,
    children: [],
  };
}

/** An endpoint call that failed: what, the error, who held the endpoint (a bind), when. */
function failureItem(socket: SocketView, failure: EndpointFailure, ix: Index): TreeItemDescriptor {
  const holder = heldByText(failure, (id) => ix.sockets.get(id), (id) => ix.nodes.get(id));
  return {
    id: `failed:${socket.id}:${failure.op}:${failure.endpoint}`,
    kind: 'endpoint',
    label: `${failure.op} ${safeText(failure.endpoint, 200)} failed`,
    description: [safeText(failure.error, 200), failure.times > 1 ? `${failure.times} times` : '', holder ?? ''].filter((p) => p.length > 0).join(' · '),
    tooltip: mdLines([`**${escapeMarkdown(endpointFailureText(failure))}**`, mdField('Last failed', formatTime(failure.at)), holder ? escapeMarkdown(holder) : '',
      'The app got this error from the call (it may have caught it and gone on).']),
    icon: { id: 'error', color: 'errorForeground' },
    contextValue: flags('endpoint', 'endpoint'),
    endpoint: failure.endpoint,
    children: [],
  };
}

function socketItem(socket: SocketView, node: NodeView | undefined, ix: Index): TreeItemDescriptor {
  const edges = [...(ix.edgesBySocket.get(socket.id) ?? [])].sort(
    (a, b) => SEVERITY.indexOf(a.state) - SEVERITY.indexOf(b.state) || a.id.localeCompare(b.id),
  );
  const children = edges.map((e) => edgeItem(e, socket, ix));
  // Endpoints with no edge yet are still worth seeing: a bind nobody reached, a connect that never went through.
  // (A connect to tcp://localhost:5555 is covered by an edge on the bind it matched, tcp://0.0.0.0:5555.)
  const covered = (ep: string) => edges.some((e) => sameEndpoint(e.endpoint, ep));
  for (const ep of socket.binds) if (!covered(ep)) children.push(endpointItem(socket, ep, 'bind'));
  for (const ep of socket.connects) if (!covered(ep)) children.push(endpointItem(socket, ep, 'connect'));
  const failed = socket.failed ?? [];
  children.unshift(...failed.map((f) => failureItem(socket, f, ix)));

  const worst = worstState(edges.map((e) => e.state));
  const routingId = socket.routingId ? binDisplay(socket.routingId) : undefined;
  const youngest = (ages: (number | null)[]): number | null =>
    ages.reduce<number | null>((best, a) => (a === null ? best : best === null ? a : Math.min(best, a)), null);
  const heartbeat = youngest(edges.map((e) => e.heartbeatAgeMs));
  const traffic = youngest(edges.map((e) => e.trafficAgeMs));
  const count = edges.length === 1 ? '1 connection' : `${edges.length} connections`;
  const age = edges.length > 0 ? edgeAgeLabel(heartbeat, traffic) : '';
  // A bound socket is told apart by its endpoint (the broker's two ROUTERs); a connecting one by how it is doing.
  const unsubscribed = subscribesToNothing(socket);
  const warnings = [...new Set(failed.map((f) => `${f.op} failed`)), ...(unsubscribed ? ['⚠ no subscription'] : [])].join(', ');
  const description = (socket.binds.length > 0
    ? [socket.closed ? 'closed' : '', warnings, socket.binds.map(shortEndpoint).join(', '), count, age]
    : [socket.closed ? 'closed' : '', warnings, worst ?? '', age, edges.length > 1 ? count : '', edges.length === 0 ? 'no connection yet' : '',
      socket.connects.length > 0 ? `→ ${socket.connects.map(shortEndpoint).join(', ')}` : '']
  ).filter((p) => p.length > 0).join(' · ');
  const site = siteOf(socket);
  let icon: TreeIcon;
  if (socket.closed) icon = { id: 'circle-slash', color: 'disabledForeground' };
  else if (failed.length > 0) icon = { id: 'error', color: 'errorForeground' };
  else if (unsubscribed) icon = { id: 'warning', color: 'editorWarning.foreground' };
  else if (worst === undefined || worst === 'connected') icon = { id: 'plug', color: worst ? STATE_COLORS.connected : undefined };
  else icon = { id: STATE_ICONS[worst], color: STATE_COLORS[worst] };
  const tooltip = mdLines([
    `**${escapeMarkdown(socketTitle(socket))}**${node ? ` in ${escapeMarkdown(nodeLabel(node))}` : ''}`,
    socket.binds.length > 0 ? mdField('Binds', socket.binds.join(', ')) : '',
    socket.connects.length > 0 ? mdField('Connects', socket.connects.join(', ')) : '',
    routingId !== undefined ? mdField('Routing id', routingId) : '',
    socket.options.heartbeatIvl !== undefined ? mdField('ZMQ_HEARTBEAT_IVL', `${socket.options.heartbeatIvl} ms`) : '',
    mdField('Disconnect message set by the app', socket.options.disconnectMsg ? 'yes' : 'no'),
    site ? mdField('Created at', site) : '',
    socket.proxied ? mdField('Traffic', PROXIED_TEXT) : '',
    ...failed.map((f) => `**✖ ${escapeMarkdown(endpointFailureText(f))}**`),
    unsubscribed ? `**⚠ ${escapeMarkdown(NO_SUBSCRIPTION_TEXT)}**` : '',
    socket.closed ? '_Closed._' : '',
  ]);
  return {
    id: `socket:${socket.id}`,
    kind: 'socket',
    label: socket.unknown
      ? isWithoutAgent(socket)
        ? safeText(socket.name ?? 'peers without an agent', 2 * LABEL_NAME_CHARS)
        : `unknown peer ${socket.routingId ? binDisplay(socket.routingId, LABEL_NAME_CHARS) : '?'}`
      : [socketTypeLabel(socket), socketNameLabel(socket, LABEL_NAME_CHARS)].filter((p) => p.length > 0).join(' '),
    description,
    tooltip,
    icon,
    contextValue: flags('socket', 'reveal', socket.site && 'source', endpointsOf(socket).length > 0 && 'endpoint', routingId !== undefined && 'routingId'),
    graphId: socket.id,
    socketId: socket.id,
    endpoint: endpointsOf(socket)[0],
    routingId,
    expanded: failed.length > 0 || unsubscribed || (worst !== undefined && worst !== 'connected'),
    children,
  };
}

function nodeItem(node: NodeView, sockets: SocketView[], ix: Index, takenAt: number): TreeItemDescriptor {
  const children = sockets.map((s) => socketItem(s, node, ix));
  const beatAge = takenAt - node.lastSeenAt;
  const socketCount = sockets.length === 1 ? '1 socket' : `${sockets.length} sockets`;
  const description = node.state === 'exited'
    ? `exited${node.exitedAt !== undefined ? ` ${formatAge(takenAt - node.exitedAt)} ago` : ''}`
    : `${node.state === 'stale' ? 'stale · ' : ''}beat ${formatAge(beatAge)} ago${node.behindMs ? ` · ${formatAge(node.behindMs)} behind` : ''}`;
  const problems = [node.dropped > 0 ? `${node.dropped} telemetry messages dropped by the agent` : '', node.malformed > 0 ? `${node.malformed} malformed frames refused` : '']
    .filter((p) => p.length > 0);
  const failing = sockets.filter((s) => (s.failed?.length ?? 0) > 0).length;
  const tooltip = mdLines([
    `**${escapeMarkdown(nodeLabel(node))}** — ${escapeMarkdown(node.state)}`,
    mdField('Host', node.host),
    mdField('Title', node.title),
    mdField('Runtime', `${node.runtime.name} ${node.runtime.version}, ${node.runtime.binding}, libzmq ${node.runtime.libzmq}`),
    node.runtime.disconnectMsg ? '' : '_This libzmq has no ZMQ\\_DISCONNECT\\_MSG: peers are attributed from events only._',
    mdField('Agent', `${node.agent.name} ${node.agent.version}`),
    mdField('Started', formatTime(node.startedAt)),
    mdField('Last seen', `${formatAge(beatAge)} ago`),
    node.behindMs ? mdField('Telemetry arrives', `${formatAge(node.behindMs)} late: its connections are shown as of then`) : '',
    node.exitedAt !== undefined ? mdField('Exited', formatTime(node.exitedAt)) : '',
    ...problems.map((p) => `**${escapeMarkdown(p)}**`),
    failing > 0 ? `**${failing === 1 ? 'A socket has' : `${failing} sockets have`} a bind or connect that failed.**` : '',
    // Not a problem: telemetry from before the collector listened (or while it was away).
    node.missed ? mdField('Not sent while no collector listened', `${node.missed} timeline entries (the state was sent on connecting)`) : '',
  ]);
  const icon = node.probe && node.state !== 'exited' ? { id: 'debug-alt', color: NODE_ICONS[node.state].color } : NODE_ICONS[node.state];
  return {
    id: `node:${node.id}`,
    kind: 'node',
    label: nodeLabel(node),
    description: [description, failing > 0 ? `✖ ${failing === 1 ? 'bind/connect failed' : `${failing} sockets failing`}` : '',
      problems.length > 0 ? `⚠ ${problems.length === 1 ? 'telemetry issue' : 'telemetry issues'}` : '', node.state === 'exited' ? '' : socketCount]
      .filter((p) => p.length > 0).join(' · '),
    tooltip,
    icon: icon ?? { id: 'question' },
    contextValue: flags('node', 'reveal', node.state === 'exited' && 'exited'),
    graphId: node.id,
    expanded: node.state !== 'exited',
    children,
  };
}

const NODE_ORDER: Readonly<Record<NodeView['state'], number>> = { live: 0, stale: 1, exited: 2 };

/**
 * Roots of the tree: processes (live, then stale, then exited; by name), each with its sockets, each
 * with its connections. Unknown peers (the store's synthetic nodes) and sockets whose process is not
 * in the snapshot are grouped under one "Unknown peers" item, so nothing is dropped silently.
 */
export function buildTopologyTree(snapshot: TopologySnapshot): TreeItemDescriptor[] {
  const ix = indexSnapshot(snapshot);
  const socketsByNode = new Map<string, SocketView[]>();
  const orphans: SocketView[] = [];
  for (const socket of snapshot.sockets) {
    if (!ix.nodes.has(socket.nodeId) || ix.nodes.get(socket.nodeId)?.unknown) {
      orphans.push(socket);
      continue;
    }
    const list = socketsByNode.get(socket.nodeId);
    if (list) list.push(socket);
    else socketsByNode.set(socket.nodeId, [socket]);
  }
  const nodes = snapshot.nodes.filter((n) => !n.unknown).sort(
    (a, b) => NODE_ORDER[a.state] - NODE_ORDER[b.state] || a.name.localeCompare(b.name) || a.id.localeCompare(b.id),
  );
  const roots = nodes.map((n) => nodeItem(n, socketsByNode.get(n.id) ?? [], ix, snapshot.takenAt));
  if (orphans.length > 0) {
    roots.push({
      id: 'orphans',
      kind: 'orphans',
      label: 'Unknown peers',
      description: `${orphans.length}`,
      tooltip: 'Peers seen on a ROUTER whose routing id no instrumented socket reported. They may be uninstrumented processes.',
      icon: { id: 'question', color: 'charts.yellow' },
      contextValue: 'orphans',
      expanded: true,
      children: orphans.map((s) => socketItem(s, undefined, ix)),
    });
  }
  return roots;
}

/**
 * The view header's text beside "Topology": the processes counted as everywhere else (graph header,
 * status bar, CLI table: processCounts), saying what is counted; nothing while there is none.
 */
export function treeViewDescription(snapshot: TopologySnapshot): string | undefined {
  const counts = processCounts(snapshot.nodes);
  return counts.running + counts.exited > 0 ? processCountText(counts) : undefined;
}

/** Every descriptor in the tree, depth first (for parent lookup and tests). */
export function* walkTree(items: readonly TreeItemDescriptor[]): Generator<TreeItemDescriptor> {
  for (const item of items) {
    yield item;
    yield* walkTree(item.children);
  }
}
