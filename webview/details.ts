/**
 * The details pane: everything known about the selected connection, socket or process.
 * Built with el()/textContent only; ages are refreshed by the returned ticker, not rebuilt.
 */
import type { EdgeView, NodeView, SocketView } from '../src/shared/snapshot';
import type { Bin } from '../src/shared/sockets';
import { clear, el } from './dom';
import {
  binDisplay, clashBadge, clashDetail, incompatibleBadge, NO_SUBSCRIPTION_TEXT, subscribesToNothing, incompatibleDetail, unheardBadge, UNHEARD_TEXT, unseenText, UNSEEN_TEXT, kernelPeerText, disconnectDetail, edgeAgeLabel, endpointFailureText, formatAge, formatRate, formatTime, nodeLabel, PROXIED_TEXT, safeText, siteLabel,
  heldByText, routingIdWithAttribution, socketTitle, stateStyle,
} from '../src/shared/format';
import { edgeAgesAt, type GraphModel, type Observed } from './graphModel';
import type { WebviewMessage } from '../src/shared/messages';
import { entriesUntil } from './timelineModel';

/** Timeline entries shown, newest first (the store keeps a bounded history; this is the tail). */
export const TIMELINE_ROWS = 20;

export interface DetailsContext {
  model: GraphModel;
  /** Collector-clock now. */
  now: () => number;
  /** The past instant the timeline shows: the edge's timeline is listed up to it (null: live). */
  until: number | null;
  post: (message: WebviewMessage) => void;
}

/** Refreshes the live parts (ages) of the pane; returned by renderDetails. */
export type DetailsTicker = () => void;

type Row = [label: string, value: string | Node];

function table(rows: Row[]): HTMLTableElement {
  const result = el('table', { className: 'kv' });
  for (const [label, value] of rows) {
    const cell = el('td');
    if (typeof value === 'string') {
      cell.textContent = value;
    } else {
      cell.appendChild(value);
    }
    result.appendChild(el('tr', {}, el('th', { text: label }), cell));
  }
  return result;
}

function list(items: string[], empty: string): HTMLElement {
  if (items.length === 0) {
    return el('span', { className: 'muted', text: empty });
  }
  const ul = el('ul', { className: 'plain' });
  for (const item of items) {
    ul.appendChild(el('li', { text: item }));
  }
  return ul;
}

function copyButton(label: string, text: string, ctx: DetailsContext): HTMLButtonElement {
  const button = el('button', { className: 'secondary', text: label });
  button.type = 'button';
  button.addEventListener('click', () => ctx.post({ type: 'copy', text }));
  return button;
}

/** Printable form and, when it differs, the hex: two ids can look alike as text but never as hex. */
function routingIdText(routingId: Bin): string {
  const shown = binDisplay(routingId);
  const hex = binDisplay({ hex: routingId.hex });
  return shown === hex ? shown : `${shown} (${hex})`;
}

function socketRef(ctx: DetailsContext, socketId: string): string {
  const socket = ctx.model.sockets.get(socketId)?.item;
  if (!socket) {
    return socketId;
  }
  const node = ctx.model.nodes.get(socket.nodeId)?.item;
  return node ? `${socketTitle(socket)} in ${nodeLabel(node)}` : socketTitle(socket);
}

export function renderDetails(pane: HTMLElement, id: string | null, ctx: DetailsContext): DetailsTicker | null {
  clear(pane);
  const edge = id === null ? undefined : ctx.model.edges.get(id);
  const socket = id === null ? undefined : ctx.model.sockets.get(id)?.item;
  const node = id === null ? undefined : ctx.model.nodes.get(id)?.item;
  if (edge) {
    return renderEdge(pane, edge, ctx);
  }
  if (socket) {
    renderSocket(pane, socket, ctx);
  } else if (node) {
    renderNode(pane, node, ctx);
  } else {
    pane.appendChild(el('p', { className: 'hint', text: id === null ? 'Click a process, socket or connection for details.' : 'This item is no longer in the topology.' }));
  }
  return null;
}

function renderEdge(pane: HTMLElement, observed: Observed<EdgeView>, ctx: DetailsContext): DetailsTicker {
  const edge = observed.item;
  const style = stateStyle(edge.state);
  pane.appendChild(el('h2', { text: 'Connection' }));
  const stateBadge = el('span', { className: `state-badge ${style.cssClass}`, text: `${style.glyph} ${edge.state}` });
  const heartbeat = el('span', { className: 'live-age' });
  const traffic = el('span', { className: 'live-age' });
  const summary = el('span', { className: 'live-age' });
  const types = Object.entries(edge.messageTypes).sort((a, b) => b[1] - a[1]);
  const rows: Row[] = [
    ['from (connects)', socketRef(ctx, edge.from)],
    ['to (binds)', socketRef(ctx, edge.to)],
    ['endpoint', safeText(edge.endpoint)],
    ['routing id', edge.routingId ? routingIdWithAttribution(routingIdText(edge.routingId), edge.attribution) : '—'],
    ['state', el('span', {}, stateBadge, document.createTextNode(` ${style.meaning}`))],
    ['liveness', summary],
    ['heartbeat age', heartbeat],
    ['traffic age', traffic],
    ['messages/s', `→ ${formatRate(edge.rates.out)} out · ← ${formatRate(edge.rates.in)} in`],
    ['message types', list(types.map(([type, count]) => `${safeText(type, 64)} × ${count}`), 'none seen')],
  ];
  if (edge.retryStorm) {
    rows.push(['retry storm', 'yes: many reconnects in a short window']);
  }
  if (edge.incompatible) {
    rows.push([`⚠ ${incompatibleBadge(edge) ?? ''}`, incompatibleDetail(edge.incompatible)]);
  }
  if (edge.connections !== undefined) {
    rows.push([unseenText(edge) ?? '', UNSEEN_TEXT]);
    if (edge.kernelPeers) rows.push(['held by (kernel table)', list(edge.kernelPeers.map((p) => safeText(kernelPeerText(p), 240)), 'none open now')]);
  }
  if (edge.unheard) {
    rows.push([`⚠ ${unheardBadge(edge) ?? ''}`, UNHEARD_TEXT]);
  }
  if (edge.routingIdClash) {
    const others = edge.routingIdClash.with.flatMap((id) => {
      const other = ctx.model.edges.get(id)?.item;
      return other ? [socketRef(ctx, other.from)] : [];
    });
    rows.push([`⚠ ${clashBadge(edge) ?? ''}`, clashDetail(edge.routingIdClash, others)]);
  }
  const last = edge.lastDisconnect;
  rows.push(['last disconnect', last ? `${disconnectDetail(edge) ?? ''} at ${formatTime(last.at)}` : '—']);
  if (edge.exited) {
    rows.push(['process', 'exited (kept until cleared)']);
  }
  pane.appendChild(table(rows));
  pane.appendChild(el('div', { className: 'actions' }, copyButton('Copy endpoint', edge.endpoint, ctx)));

  pane.appendChild(el('h3', { text: ctx.until === null ? `Timeline (last ${TIMELINE_ROWS})` : `Timeline up to ${formatTime(ctx.until)} (last ${TIMELINE_ROWS})` }));
  const timeline = entriesUntil(edge.timeline, ctx.until, TIMELINE_ROWS).reverse();
  if (timeline.length === 0) {
    pane.appendChild(el('p', { className: 'muted', text: 'No events yet.' }));
  } else {
    const tbody = el('tbody');
    for (const entry of timeline) {
      tbody.appendChild(el('tr', {},
        el('td', { className: 'time', text: formatTime(entry.at) }),
        el('td', { text: safeText(entry.event, 64) }),
        el('td', { text: entry.detail ? safeText(entry.detail) : '' })));
    }
    pane.appendChild(el('table', { className: 'timeline' }, tbody));
  }

  const tick: DetailsTicker = () => {
    const ages = edgeAgesAt(observed, ctx.now());
    heartbeat.textContent = ages.heartbeatAgeMs === null ? 'no heartbeat seen' : formatAge(ages.heartbeatAgeMs);
    traffic.textContent = ages.trafficAgeMs === null ? 'no traffic seen' : formatAge(ages.trafficAgeMs);
    summary.textContent = edgeAgeLabel(ages.heartbeatAgeMs, ages.trafficAgeMs);
  };
  tick();
  return tick;
}

function renderSocket(pane: HTMLElement, socket: SocketView, ctx: DetailsContext): void {
  const node = ctx.model.nodes.get(socket.nodeId)?.item;
  pane.appendChild(el('h2', { text: socketTitle(socket) }));
  const options = Object.entries(socket.options).map(([key, value]) => `${key}: ${String(value)}`);
  const connections = [...ctx.model.edges.values()].filter(({ item }) => item.from === socket.id || item.to === socket.id).length;
  const rows: Row[] = [
    ['process', node ? nodeLabel(node) : socket.unknown ? 'unknown (no socket claims this routing id)' : 'not known yet'],
    ['type', socket.type],
    ['name', socket.name ? safeText(socket.name) : '—'],
    ['routing id', socket.routingId ? routingIdText(socket.routingId) : '—'],
    ['binds', list(socket.binds.map((b) => safeText(b)), 'none')],
    ['connects', list(socket.connects.map((c) => safeText(c)), 'none')],
    ['connections', String(connections)],
    ['options', list(options, 'none reported')],
    ['closed', socket.closed ? 'yes' : 'no'],
    ['created at', socket.site ? siteLabel(socket.site) : 'unknown'],
    ...(socket.proxied ? [['traffic', PROXIED_TEXT] as Row] : []),
    ...(subscribesToNothing(socket) ? [['⚠ subscriptions', NO_SUBSCRIPTION_TEXT] as Row] : []),
    ...(socket.failed ?? []).map((failure): Row => {
      const holder = heldByText(failure, (id) => ctx.model.sockets.get(id)?.item, (id) => ctx.model.nodes.get(id)?.item);
      return ['failed', `${endpointFailureText(failure)} — ${formatTime(failure.at)}${holder ? `; ${holder}` : ''}`];
    }),
  ];
  pane.appendChild(table(rows));
  const goToSource = el('button', { text: 'Go to source', title: socket.site ? siteLabel(socket.site) : 'The creation site is unknown' });
  goToSource.type = 'button';
  goToSource.id = 'go-to-source';
  goToSource.disabled = !socket.site;
  goToSource.addEventListener('click', () => ctx.post({ type: 'goToSource', socketId: socket.id }));
  const actions = el('div', { className: 'actions' }, goToSource);
  const firstEndpoint = socket.binds[0] ?? socket.connects[0];
  if (firstEndpoint) {
    actions.appendChild(copyButton('Copy endpoint', firstEndpoint, ctx));
  }
  pane.appendChild(actions);
}

function renderNode(pane: HTMLElement, node: NodeView, ctx: DetailsContext): void {
  pane.appendChild(el('h2', { text: nodeLabel(node, 200) }));
  if (node.unknown) {
    pane.appendChild(el('p', { text: 'No agent reports this peer: it is known only from the socket that saw it (a routing id or an endpoint). Run that process with the agent to see it fully.' }));
    return;
  }
  const agentStatus = node.probe ? 'probe (agentless)' : node.state === 'live' ? 'beating' : node.state === 'stale' ? 'silent past the dead threshold' : 'gone';
  const sockets = [...ctx.model.sockets.values()].filter(({ item }) => item.nodeId === node.id).length;
  const rows: Row[] = [
    ['state', node.state],
    ['pid', String(node.pid)],
    ['host', safeText(node.host)],
    ['title', safeText(node.title)],
    ['runtime', safeText(`${node.runtime.name} ${node.runtime.version}`)],
    ['binding', safeText(`${node.runtime.binding}, libzmq ${node.runtime.libzmq}`)],
    ['disconnect messages', node.runtime.disconnectMsg ? 'supported' : 'not supported (peers attributed from events only)'],
    ['agent', `${safeText(`${node.agent.name} ${node.agent.version}`)} — ${agentStatus}`],
    ['started', formatTime(node.startedAt)],
    ['last seen', formatTime(node.lastSeenAt)],
    // Its connections' ages and states are as of what it had seen then (a collector or agent behind).
    ['telemetry arrives', node.behindMs ? `${formatAge(node.behindMs)} late` : 'on time'],
    ['exited', node.exitedAt !== undefined ? formatTime(node.exitedAt) : '—'],
    ['dropped telemetry', String(node.dropped)],
    // Not a problem: what the agent could not send before a collector listened (or while it was away).
    ['not sent, no collector', String(node.missed ?? 0)],
    ['malformed frames', String(node.malformed)],
    ['sockets', String(sockets)],
  ];
  pane.appendChild(table(rows));
  pane.appendChild(el('div', { className: 'actions' }, copyButton('Copy pid', String(node.pid), ctx)));
}
