/**
 * How things are shown: labels, ages, state styling, safe display of untrusted bytes.
 * Pure (no DOM, no Buffer) so it runs both in the webview and in plain Node tests.
 * Every string returned here is still *text*: callers put it in the DOM with textContent only.
 */
import type { Attribution, EdgeState, EdgeView, EndpointFailure, KernelPeer, NodeView, RoutingIdClash, SocketView } from './snapshot';
import { peerTypesOf, type Bin, type SocketType } from './sockets';

/** Longest label drawn in the graph; the full text goes to the tooltip and details pane. */
export const LABEL_CHARS = 24;
/** Longest text anywhere (details pane); identities and disconnect texts are capped upstream too. */
export const DETAIL_CHARS = 512;

// Control characters, bidi overrides/isolates (they can make text lie about its order), zero-width
// and replacement characters: any of these means the bytes are shown as hex instead.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff\ufffd]/;
const UNSAFE_CHARS_GLOBAL = new RegExp(UNSAFE_CHARS.source, 'g');

/** Cut to `max` characters (code points, so a surrogate pair is never split), marking the cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(1, max - 1)).join('')}…`;
}

/** Free text from outside (disconnect messages, reasons, paths): unsafe characters made visible. */
export function safeText(text: string, max: number = DETAIL_CHARS): string {
  return truncate(text.replace(UNSAFE_CHARS_GLOBAL, '\ufffd'), max);
}

/** A Bin as a person sees it: its text when printable, else 0x + hex; capped at `max` chars. */
export function binDisplay(bin: Bin | undefined, max: number = DETAIL_CHARS): string {
  if (!bin) {
    return '';
  }
  if (bin.text !== undefined && bin.text.length > 0 && !UNSAFE_CHARS.test(bin.text)) {
    return truncate(bin.text, max);
  }
  const hex = /^[0-9a-fA-F]*$/.test(bin.hex) ? bin.hex.toLowerCase() : '?';
  return truncate(`0x${hex}`, max);
}

/** "0.8s", "12s", "3m05s", "2h04m"; null → "never". Negative ages (clock skew) show as 0. */
export function formatAge(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) {
    return 'never';
  }
  const clamped = Math.max(0, ms);
  if (clamped < 10_000) {
    return `${(Math.floor(clamped / 100) / 10).toFixed(1)}s`;
  }
  const totalSeconds = Math.floor(clamped / 1000);
  if (totalSeconds < 60) {
    return `${totalSeconds}s`;
  }
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) {
    return `${minutes}m${String(totalSeconds % 60).padStart(2, '0')}s`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
  }
  return `${Math.floor(hours / 24)}d`;
}

/** An age reported at `observedAt` (collector clock), as it stands at `now` (same clock). */
export function liveAge(ageMs: number | null, observedAt: number, now: number): number | null {
  return ageMs === null ? null : ageMs + Math.max(0, now - observedAt);
}

/** The edge's liveness label: heartbeat age when heartbeats were ever seen, else traffic age. */
export function edgeAgeLabel(heartbeatAgeMs: number | null, trafficAgeMs: number | null): string {
  if (heartbeatAgeMs !== null) {
    return `♥ ${formatAge(heartbeatAgeMs)}`;
  }
  if (trafficAgeMs !== null) {
    return `traffic ${formatAge(trafficAgeMs)}`;
  }
  return 'no traffic yet';
}

export interface StateStyle {
  /** CSS class on the edge (and legend swatch); style.css maps it to colour, dash and marker. */
  cssClass: string;
  /** The theme colour the class uses, for the legend text and the SVG export. */
  colorVar: string;
  /** SVG stroke-dasharray, so state never depends on colour alone. */
  dash: string;
  /** A glyph in the label, again so state is readable without colour. */
  glyph: string;
  /** Words for the legend and tooltips. */
  meaning: string;
}

export const STATE_STYLES: Readonly<Record<EdgeState, StateStyle>> = {
  connecting: { cssClass: 'state-connecting', colorVar: '--vscode-charts-blue', dash: '2 4', glyph: '…', meaning: 'connecting, no handshake yet' },
  connected: { cssClass: 'state-connected', colorVar: '--vscode-charts-green', dash: '', glyph: '✓', meaning: 'connected, heartbeats on time' },
  quiet: { cssClass: 'state-quiet', colorVar: '--vscode-descriptionForeground', dash: '6 6', glyph: '◌', meaning: 'quiet: no traffic past the warn threshold, and no heartbeats to tell an idle peer from a hung one' },
  late: { cssClass: 'state-late', colorVar: '--vscode-charts-yellow', dash: '10 4', glyph: '◔', meaning: 'heartbeat late (past the warn threshold)' },
  dead: { cssClass: 'state-dead', colorVar: '--vscode-charts-red', dash: '3 3', glyph: '✕', meaning: 'heartbeat dead (past the dead threshold)' },
  retrying: { cssClass: 'state-retrying', colorVar: '--vscode-editorWarning-foreground', dash: '12 3 2 3', glyph: '↻', meaning: 'reconnecting (connect retries)' },
  disconnected: { cssClass: 'state-disconnected', colorVar: '--vscode-disabledForeground', dash: '1 5', glyph: '⊘', meaning: 'disconnected' },
};

export function stateStyle(state: EdgeState): StateStyle {
  return STATE_STYLES[state] ?? STATE_STYLES.disconnected;
}

/**
 * "♥ 0.8s ✓ connected"; the age part ticks, so callers pass live ages. A disconnected edge says how
 * long ago it went ("⊘ disconnected 12s ago"): its heartbeat age only grows and tells nothing new.
 */
export function edgeLabel(state: EdgeState, heartbeatAgeMs: number | null, trafficAgeMs: number | null, goneForMs: number | null = null): string {
  if (state === 'disconnected' && goneForMs !== null) {
    return `${stateStyle(state).glyph} disconnected ${formatAge(Math.max(0, goneForMs))} ago`;
  }
  return `${edgeAgeLabel(heartbeatAgeMs, trafficAgeMs)} ${stateStyle(state).glyph} ${state}`;
}

/** Text for the disconnect badge (short) — message when the app set one, else the reason. */
export function disconnectBadge(edge: Pick<EdgeView, 'lastDisconnect'>, max: number = LABEL_CHARS): string | null {
  const last = edge.lastDisconnect;
  if (!last) {
    return null;
  }
  return safeText(last.message ?? last.reason, max);
}

/** The short mark of an edge in a routing-id clash (graph badge, tree row), or null. */
export function clashBadge(edge: Pick<EdgeView, 'routingIdClash'>): string | null {
  const clash = edge.routingIdClash;
  if (!clash) {
    return null;
  }
  return clash.serves ? 'routing id shared' : 'refused: routing id in use';
}

/** "refused: PUSH ↛ PUB" on an edge between socket types that cannot talk, or null. */
export function incompatibleBadge(edge: Pick<EdgeView, 'incompatible'>): string | null {
  const types = edge.incompatible;
  return types ? `refused: ${types.from} ↛ ${types.to}` : null;
}

/** Why such an edge carries nothing, and what the connecting type talks to. */
export function incompatibleDetail(types: NonNullable<EdgeView['incompatible']>): string {
  const peers = peerTypesOf(types.from) ?? [];
  return `a ${types.from} cannot talk to a ${types.to}: libzmq refuses the handshake, so no message passes however often it reconnects. ` +
    `A ${types.from} talks to ${peers.join(' or ')}.`;
}

/**
 * Whether a socket is the placeholder of a bound socket's peers without an agent (docs/SNAPSHOT.md
 * "Unknown peers"): synthetic, known by neither a routing id nor an endpoint.
 */
export function isWithoutAgent(socket: Pick<SocketView, 'unknown' | 'routingId' | 'binds'>): boolean {
  return socket.unknown === true && socket.routingId === undefined && socket.binds.length === 0;
}

/**
 * On the edge of a socket's peers without an agent (EdgeView.connections): "3 connections without an
 * agent", "none open now"; else null.
 */
export function unseenText(edge: Pick<EdgeView, 'connections'>): string | null {
  const n = edge.connections;
  if (n === undefined) return null;
  return n === 0 ? 'none open now' : `${n} connection${n === 1 ? '' : 's'} without an agent`;
}

export const UNSEEN_TEXT = 'Connections the socket accepted that no instrumented process accounts for: processes that run '
  + 'without the agent (other tools and languages, apps started without it). The binding socket\'s agent counts them; '
  + 'which process holds each, only the host\'s kernel can tell: where the socket runs on the collector\'s host (Linux, tcp), '
  + 'its connection table names them.';

/** "python3 client.py" from a command line: the program's and the script's base names. */
export function shortCommand(command: string): string {
  const [program, next] = command.split(' ');
  const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  return next !== undefined && !next.startsWith('-') ? `${base(program)} ${base(next)}` : base(program);
}

/** One connection from the kernel's table: its process where known, else its address. */
export function kernelPeerText(peer: KernelPeer, short = false): string {
  // A unix socket's peer is always on this host: only its process can be out of reach.
  if (peer.pid === undefined) return `${peer.address} (${peer.address.startsWith('socket:[') ? 'a process not ours to read' : 'another host\'s, or not ours to read'})`;
  const command = peer.command === undefined ? 'process' : short ? shortCommand(peer.command) : peer.command;
  return short ? `${command} (${peer.pid})` : `pid ${peer.pid} ${command} (from ${peer.address})`;
}

/** The processes without an agent on an edge, short, for a row: "python3 wuclient.py (4242), nc (4250)"; null when unknown. */
export function kernelPeersSummary(edge: Pick<EdgeView, 'kernelPeers'>): string | null {
  const peers = edge.kernelPeers;
  if (!peers || peers.length === 0) return null;
  return peers.map((p) => kernelPeerText(p, true)).join(', ');
}

/** "never heard from" on an unknown peer the ROUTER only sent to (EdgeView.unheard), or null. */
export function unheardBadge(edge: Pick<EdgeView, 'unheard'>): string | null {
  return edge.unheard ? 'never heard from' : null;
}

/** What sending to a routing id never heard from most likely means. */
export const UNHEARD_TEXT = 'the ROUTER sent to this routing id but never received a message from it, and no instrumented socket uses it. ' +
  'A ROUTER drops messages to a routing id it has no connection for, without an error (unless ZMQ_ROUTER_MANDATORY is set): ' +
  'unless a process without an agent is connected with this id and has said nothing, these messages went nowhere. Check the routing id the app replies to.';

/** The warning an edge's badge and row carry: incompatible types first (nothing passes), a peer never heard from, a routing-id clash. */
export function warningBadge(edge: Pick<EdgeView, 'incompatible' | 'unheard' | 'routingIdClash'>): string | null {
  return incompatibleBadge(edge) ?? unheardBadge(edge) ?? clashBadge(edge);
}

/**
 * What a routing-id clash means for this connection (EdgeView.routingIdClash), naming the others
 * (`others`: their labels, already safe text; empty when they have gone).
 */
export function clashDetail(clash: RoutingIdClash, others: string[]): string {
  const them = others.length === 0 ? 'a connection that has gone since' : others.join(', ');
  if (clash.handover) {
    return clash.serves
      ? `another connection with this routing id: ${them}. The ROUTER handed the id over to this one (ZMQ_ROUTER_HANDOVER) and drops the others.`
      : `the routing id was taken over by ${them} (ZMQ_ROUTER_HANDOVER): the ROUTER dropped this connection.`;
  }
  return clash.serves
    ? `another connection with this routing id: ${them}. The ROUTER serves this one (the first) and never reads the other; give each socket its own routing id.`
    : `the routing id was held by ${them} when this connected: the ROUTER never reads this connection and routes nothing to it until it reconnects, though both ends say connected. Give each socket its own routing id (or set ZMQ_ROUTER_HANDOVER on the ROUTER).`;
}

/** Full disconnect text for tooltips and details. */
export function disconnectDetail(edge: Pick<EdgeView, 'lastDisconnect'>): string | null {
  const last = edge.lastDisconnect;
  if (!last) {
    return null;
  }
  const message = last.message === null ? 'no disconnect message set' : `message "${safeText(last.message)}"`;
  return `${message} — ${safeText(last.reason)}`;
}

/** Socket types known to be drafts (libzmq draft API), marked as such in labels. */
const DRAFT_TYPES: ReadonlySet<SocketType> = new Set<SocketType>(['SERVER', 'CLIENT', 'RADIO', 'DISH', 'GATHER', 'SCATTER', 'DGRAM', 'PEER', 'CHANNEL']);

const ATTRIBUTION_TEXT: Record<Attribution, string> = {
  'routing-id': 'set by the connecting socket',
  content: 'automatic id, matched by the first messages both ends saw',
  timing: 'automatic id, matched by message timing (several sent the same)',
  'only-candidate': 'guessed: the only connecting socket left, no message evidence',
  unknown: 'no instrumented socket fits: a process without an agent',
};

/** A routing id with how the ROUTER's peer was tied to its socket (docs/SNAPSHOT.md, "Attribution"). */
export function routingIdWithAttribution(routingId: string, attribution: Attribution | undefined): string {
  return attribution ? `${routingId} — ${ATTRIBUTION_TEXT[attribution]}` : routingId;
}

export function isDraftType(type: SocketType): boolean {
  return DRAFT_TYPES.has(type);
}

/** First line of a socket's label: its type, "unknown peer" for synthetic peers. */
export function socketTypeLabel(socket: Pick<SocketView, 'type' | 'unknown'>): string {
  if (socket.unknown) {
    return 'unknown peer';
  }
  return isDraftType(socket.type) ? `${socket.type} (draft)` : socket.type;
}

/** Second line of a socket's label: name and/or routing id, short. */
export function socketNameLabel(socket: Pick<SocketView, 'name' | 'routingId' | 'unknown'> & { binds?: readonly string[] }, max: number = LABEL_CHARS): string {
  const routingId = socket.routingId ? binDisplay(socket.routingId, max) : '';
  if (socket.unknown) {
    // An unknown peer is known only by its routing id, or by the endpoint it was seen on; peers
    // without an agent by what they are (their name).
    const endpoint = socket.binds?.[0];
    return routingId || (endpoint ? safeText(`at ${endpoint}`, max) : socket.name ? safeText(socket.name, max) : '?');
  }
  const name = socket.name ? safeText(socket.name, max) : '';
  if (name && routingId && name !== routingId) {
    return truncate(`${name} · ${routingId}`, max);
  }
  return name || routingId;
}

/** One-line socket title for tooltips and the details heading. */
export function socketTitle(socket: Pick<SocketView, 'type' | 'name' | 'routingId' | 'unknown'> & { binds?: readonly string[] }): string {
  const second = socketNameLabel(socket, DETAIL_CHARS);
  return second ? `${socketTypeLabel(socket)} ${second}` : socketTypeLabel(socket);
}

/** "bind tcp://*:5555 failed: Address already in use (3 times)". */
export function endpointFailureText(failure: EndpointFailure, max: number = DETAIL_CHARS): string {
  const times = failure.times > 1 ? ` (${failure.times} times)` : '';
  return safeText(`${failure.op} ${failure.endpoint} failed: ${failure.error}${times}`, max);
}

/**
 * Who had a failed bind's endpoint bound, as "bound by ROUTER in server.py (pid 7)", from the
 * sockets and processes in view; null when no instrumented socket did (or it is no longer shown).
 */
export function heldByText(failure: EndpointFailure, socketOf: (id: string) => SocketView | undefined, nodeOf: (id: string) => NodeView | undefined): string | null {
  const holder = failure.heldBy === undefined ? undefined : socketOf(failure.heldBy);
  if (!holder) {
    return null;
  }
  const node = nodeOf(holder.nodeId);
  return `bound by ${socketTitle(holder)}${node ? ` in ${nodeLabel(node)}` : ''}`;
}

/** Why a SUB with no subscription receives nothing (zguide's forgotten subscribe). */
export const NO_SUBSCRIPTION_TEXT = 'no subscription: the agent saw this SUB subscribe to nothing (or unsubscribe from everything), ' +
  'so libzmq filters out every message it is sent. subscribe("") takes everything.';

/** A live SUB that, as its agent saw the app's calls, is subscribed to nothing. */
export function subscribesToNothing(socket: Pick<SocketView, 'type' | 'options' | 'closed'>): boolean {
  return socket.type === 'SUB' && socket.options.subscriptions === 0 && !socket.closed;
}

/** "broker (pid 4242)"; probe processes and unknown peers (no process known) say so. */
export function nodeLabel(node: Pick<NodeView, 'name' | 'pid' | 'probe' | 'title' | 'unknown'>, max: number = LABEL_CHARS * 2): string {
  const name = safeText(node.name || node.title || 'process', max);
  if (node.unknown) {
    return node.name ? name : 'unknown peer';
  }
  return node.probe ? `${name} (probe)` : `${name} (pid ${node.pid})`;
}

/** "3.2/s"; small rates keep a decimal, zero is "0". */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) {
    return '0/s';
  }
  return perSecond < 10 ? `${perSecond.toFixed(1)}/s` : `${Math.round(perSecond)}/s`;
}

/** Local wall-clock time with milliseconds, for timelines: "14:03:07.123". */
export function formatTime(at: number): string {
  if (!Number.isFinite(at)) {
    return '—';
  }
  const date = new Date(at);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** What a proxied socket's views say instead of what the agent cannot see (SocketView.proxied). */
export const PROXIED_TEXT = 'forwarded by a proxy in native code: the agent sees none of its messages, so its peers\' routing ids and heartbeats are not known';

/** "src/broker.js:12:5" */
export function siteLabel(site: { file: string; line: number; column?: number } | undefined): string {
  if (!site) {
    return '';
  }
  return safeText(`${site.file}:${site.line}${site.column !== undefined ? `:${site.column}` : ''}`);
}

/**
 * The one definition of "processes" every view counts (graph, tree, status bar, table): instrumented
 * and probe processes, running (live or not heard from lately) or exited; unknown peers are not
 * processes of ours and are counted apart.
 */
export function processCounts(nodes: Iterable<Pick<NodeView, 'state' | 'unknown'>>): { running: number; exited: number } {
  let running = 0;
  let exited = 0;
  for (const node of nodes) {
    if (node.unknown) continue;
    if (node.state === 'exited') exited++;
    else running++;
  }
  return { running, exited };
}

/** "3 processes running, 1 exited": how processCounts() is said everywhere. */
export function processCountText(counts: { running: number; exited: number }): string {
  return `${counts.running} ${counts.running === 1 ? 'process' : 'processes'} running${counts.exited ? `, ${counts.exited} exited` : ''}`;
}
