/**
 * The texts and classes an item is drawn with, shared by the SVG renderer, the canvas scene and the
 * tooltips so the two renderers cannot drift apart. Pure: no DOM (tested in Node).
 */
import type { EdgeView, SocketView } from '../src/shared/snapshot';
import {
  clashBadge, disconnectBadge, disconnectDetail, edgeAgeLabel, edgeLabel, endpointFailureText, formatAge, incompatibleBadge, isWithoutAgent, kernelPeerText, shortCommand, NO_SUBSCRIPTION_TEXT, subscribesToNothing, unheardBadge, warningBadge, formatRate, LABEL_CHARS, nodeLabel, safeText, socketNameLabel, socketTitle, socketTypeLabel, stateStyle, truncate,
} from '../src/shared/format';
import { edgeAgesAt, type GraphModel, type GroupView } from './graphModel';
import { SOCKET_WIDTH } from './layout';

export function groupTitle(model: GraphModel, group: GroupView): string {
  if (group.alike) {
    return group.alike.title;
  }
  if (!group.node) {
    const socket = model.sockets.get(group.socketIds[0] ?? '')?.item;
    return socket?.unknown ? 'unknown peer' : truncate(safeText(group.id), LABEL_CHARS);
  }
  if (group.node.unknown) {
    if (!withoutAgentGroup(model, group)) return 'unknown peer (no agent)';
    // Named where the host's kernel table names them (EdgeView.kernelPeers): the first one's script (or
    // program), how many more; pids and command lines in the tooltip.
    const peers = placeholderEdges(model, group).flatMap((e) => e.kernelPeers ?? []);
    const first = peers.find((p) => p.command !== undefined);
    if (!first) return 'peers without an agent';
    const name = shortCommand(first.command!).split(' ').at(-1)!;
    return truncate(`no agent: ${safeText(name, LABEL_CHARS)}${peers.length > 1 ? ` +${peers.length - 1}` : ''}`, LABEL_CHARS);
  }
  const suffix = group.node.state === 'exited' ? ' — exited' : group.node.state === 'stale' ? ' — silent' : '';
  return `${nodeLabel(group.node, LABEL_CHARS)}${suffix}`;
}

/** The edges of a placeholder of peers without an agent (one per bound endpoint of its socket). */
function placeholderEdges(model: GraphModel, group: GroupView): EdgeView[] {
  const socketId = group.socketIds[0];
  const edges: EdgeView[] = [];
  for (const { item } of model.edges.values()) if (item.from === socketId) edges.push(item);
  return edges;
}

/** Whether a group is the placeholder of a socket's peers without an agent. */
function withoutAgentGroup(model: GraphModel, group: GroupView): boolean {
  const socket = model.sockets.get(group.socketIds[0] ?? '')?.item;
  return socket !== undefined && isWithoutAgent(socket);
}

/** The first line of a socket box. */
export function socketTypeText(socket: SocketView): string {
  return socketTypeLabel(socket) + (socket.closed ? ' (closed)' : '');
}

export { socketNameLabel as socketNameText };

/** Widths of the socket box's 12 px text, per character (bold type, regular endpoint), generous. */
const TYPE_CHAR_PX = 8;
const ENDPOINT_CHAR_PX = 6.6;
/** The box's side paddings and the gap between the type and the endpoint. */
const SOCKET_TEXT_PADDING = 24;
/** Hosts whose endpoints the box shows by port alone: any interface, or this machine's loopback (the tooltip has the whole endpoint). */
const PORT_ONLY_HOSTS = new Set(['*', '0.0.0.0', '[::]', '::', '127.0.0.1', 'localhost', '[::1]']);

/**
 * A bound socket's endpoint(s), short, for its box's first line, right of its type and within the
 * room the type leaves: "tcp://*:5555", "tcp://0.0.0.0:5555" and "tcp://127.0.0.1:5555" say
 * ":5555", another host says "host:5555", ipc and inproc stay whole (truncated).
 */
export function socketEndpointText(socket: SocketView): string {
  const failedBinds = (socket.failed ?? []).filter((f) => f.op === 'bind').map((f) => f.endpoint);
  if (socket.unknown || socket.binds.length + failedBinds.length === 0) {
    return '';
  }
  const room = Math.floor((SOCKET_WIDTH - SOCKET_TEXT_PADDING - socketTypeText(socket).length * TYPE_CHAR_PX) / ENDPOINT_CHAR_PX);
  if (room < 5) {
    return '';
  }
  const shorten = (endpoint: string): string => {
    const tcp = /^tcp:\/\/(.*):(\d+|\*)$/.exec(endpoint);
    if (!tcp) {
      return endpoint;
    }
    return PORT_ONLY_HOSTS.has(tcp[1]) ? `:${tcp[2]}` : `${tcp[1]}:${tcp[2]}`;
  };
  // A bind that failed shows where the socket meant to be, marked: ✖:5555.
  const short = [...socket.binds.map(shorten), ...failedBinds.map((endpoint) => `✖${shorten(endpoint)}`)];
  return truncate(safeText(short.join(' '), room * 4), room);
}

function showsBadge(edge: EdgeView): boolean {
  return edge.lastDisconnect !== null && (edge.state === 'disconnected' || edge.state === 'retrying' || edge.state === 'dead');
}

/**
 * "⊘ WORKER_GONE" on an edge that lost its connection with a message; else "⚠ refused: routing id
 * in use" (or "shared") on an edge in a routing-id clash; else null.
 */
export function badgeText(edge: EdgeView): string | null {
  const refused = incompatibleBadge(edge) ?? unheardBadge(edge);
  if (refused) {
    return `⚠ ${refused}`;
  }
  if (showsBadge(edge)) {
    return `⊘ ${disconnectBadge(edge)}`;
  }
  const clash = clashBadge(edge);
  return clash ? `⚠ ${clash}` : null;
}

/**
 * The label of an edge drawn for a group of alike peers (grouping.ts), which is in no model: their
 * msg/s summed ("Σ 120/s"), a glyph when their worst state is not connected.
 */
export function aggregateLabel(edge: Pick<EdgeView, 'state' | 'rates'>): string {
  const text = `Σ ${formatRate(edge.rates.out + edge.rates.in)}`;
  return edge.state === 'connected' ? text : `${stateStyle(edge.state).glyph} ${text}`;
}

/** Classes of an edge (`base` 'edge') or of its label (`base` 'edge-label'), given the selected id. */
export function edgeClass(edge: EdgeView, base: 'edge' | 'edge-label', selection: string | null): string {
  const classes = [base, stateStyle(edge.state).cssClass];
  if (edge.exited) {
    classes.push('exited');
  }
  if (edge.retryStorm) {
    classes.push('retry-storm');
  }
  if (edge.routingIdClash) {
    classes.push(edge.routingIdClash.serves ? 'routing-id-shared' : 'routing-id-refused');
  }
  if (edge.incompatible) {
    classes.push('types-refused');
  }
  if (edge.unheard) {
    classes.push('unheard');
  }
  if (selection === edge.id) {
    classes.push('selected');
  }
  if (base === 'edge' && isRelated(edge, selection)) {
    classes.push('related');
  }
  return classes.join(' ');
}

/** Whether an edge touches the selected socket. */
export function isRelated(edge: EdgeView, selection: string | null): boolean {
  return selection !== null && (edge.from === selection || edge.to === selection);
}

/**
 * An edge's label at `now` (collector clock), quiet: the age, and the rate when messages flow
 * ("♥ 0.8s · 12/s"). The state is the line's colour and dash; a glyph is added only when the edge
 * is not connected ("◔ ♥ 3.1s"), and a disconnected edge says how long ago it went. '' for an edge
 * no longer in the model.
 */
export function ageLabel(model: GraphModel, id: string, now: number): string {
  const observed = model.edges.get(id);
  if (!observed) {
    return '';
  }
  const edge = observed.item;
  const gone = edge.lastDisconnect;
  const glyph = stateStyle(edge.state).glyph;
  if (edge.state === 'disconnected' && gone) {
    return `${glyph} disconnected ${formatAge(Math.max(0, now - gone.at))} ago`;
  }
  const ages = edgeAgesAt(observed, now);
  const rate = edge.rates.out + edge.rates.in;
  // Peers without an agent: how many connections the one line stands for.
  const count = edge.connections ? `×${edge.connections} · ` : '';
  const text = `${count}${edgeAgeLabel(ages.heartbeatAgeMs, ages.trafficAgeMs)}${rate > 0 ? ` · ${formatRate(rate)}` : ''}`;
  return edge.state === 'connected' ? text : `${glyph} ${text}`;
}

/** Messages per second at which an edge is drawn widest. */
const TRAFFIC_MAX_RATE = 10_000;
/** The widest extra line width, in graph units. */
const TRAFFIC_MAX_WIDTH = 4;

/**
 * Extra line width for an edge's traffic (both directions): 0 when idle, growing with the log of
 * msg/s up to TRAFFIC_MAX_WIDTH at TRAFFIC_MAX_RATE; in half units so the canvas batches stay few.
 */
export function trafficWidth(edge: Pick<EdgeView, 'rates'>): number {
  const rate = edge.rates.out + edge.rates.in;
  if (!(rate > 0)) {
    return 0;
  }
  const share = Math.log10(1 + Math.min(rate, TRAFFIC_MAX_RATE)) / Math.log10(1 + TRAFFIC_MAX_RATE);
  return Math.round(share * TRAFFIC_MAX_WIDTH * 2) / 2;
}

export function groupTooltip(model: GraphModel, group: GroupView): string[] {
  const node = group.node;
  if (group.alike) {
    return [group.alike.title, `${group.alike.members.length} processes of one name and socket type, connected to one socket (the line: their worst state, their msg/s summed)`, 'Click to show them one by one.'];
  }
  if (node?.unknown && withoutAgentGroup(model, group)) {
    const held = placeholderEdges(model, group).flatMap((e) => (e.kernelPeers ?? []).map((p) => safeText(kernelPeerText(p), 200)));
    return [groupTitle(model, group), 'Processes that run without the agent, connected to the socket the edge points to: the edge says how many (×N), as that socket\'s agent counts them.',
      ...(held.length > 0 ? ['The host\'s kernel table has them:', ...held] : [])];
  }
  if (!node || node.unknown) {
    return [groupTitle(model, group), 'No process has claimed these sockets.'];
  }
  return [nodeLabel(node, 200), `state: ${node.state}`, `${safeText(node.runtime.name)} ${safeText(node.runtime.version)} on ${safeText(node.host)}`, `${group.socketIds.length} socket(s)`];
}

export function socketTooltip(socket: SocketView): string[] {
  const lines = [socketTitle(socket)];
  for (const bind of socket.binds) {
    lines.push(`binds ${safeText(bind)}`);
  }
  for (const connect of socket.connects) {
    lines.push(`connects ${safeText(connect)}`);
  }
  for (const failure of socket.failed ?? []) {
    lines.push(`✖ ${endpointFailureText(failure)}`);
  }
  if (subscribesToNothing(socket)) {
    lines.push(`⚠ ${NO_SUBSCRIPTION_TEXT}`);
  }
  if (socket.unknown) {
    lines.push(isWithoutAgent(socket) ? 'Processes without an agent, counted by the socket they connect to.' : socket.routingId ? 'A routing id no known socket claims.' : 'An endpoint no known socket binds.');
  }
  return lines;
}

/** Whether a socket has an endpoint call failing, or is a SUB subscribed to nothing (drawn with an error outline). */
export function socketFailing(socket: SocketView): boolean {
  return (socket.failed?.length ?? 0) > 0 || subscribesToNothing(socket);
}

export function edgeTooltip(model: GraphModel, edge: EdgeView, now: number): string[] {
  const from = model.sockets.get(edge.from)?.item;
  const to = model.sockets.get(edge.to)?.item;
  const observed = model.edges.get(edge.id);
  const ages = observed ? edgeAgesAt(observed, now) : { heartbeatAgeMs: null, trafficAgeMs: null };
  const lines = [
    `${from ? socketTitle(from) : edge.from} → ${to ? socketTitle(to) : edge.to}`,
    safeText(edge.endpoint),
    `${stateStyle(edge.state).glyph} ${stateStyle(edge.state).meaning}`,
    edgeLabel(edge.state, ages.heartbeatAgeMs, ages.trafficAgeMs, edge.lastDisconnect ? now - edge.lastDisconnect.at : null),
  ];
  const detail = disconnectDetail(edge);
  if (detail) {
    lines.push(`last disconnect: ${detail}`);
  }
  const warning = warningBadge(edge);
  if (warning) {
    lines.push(`⚠ ${warning}: details in the side pane`);
  }
  return lines;
}
