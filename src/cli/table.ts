/** The live terminal view of `zmq-topology collect`: a pure snapshot → text function. */
import { binLabel } from '../protocol/bin';
import { endpointFailureText, kernelPeersSummary, NO_SUBSCRIPTION_TEXT, subscribesToNothing, unseenText, warningBadge, heldByText, processCountText, processCounts } from '../shared/format';
import type { EdgeView, NodeView, SocketView, TopologySnapshot } from '../shared/snapshot';

export interface TableOptions {
  width: number;
  color: boolean;
}

// Identities and disconnect texts are untrusted bytes: never let them reach the terminal as escapes.
export function terminalSafe(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    // Bidi overrides/isolates, zero-width and line separators would make a row lie about its text.
    .replace(/[\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

export function formatAge(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)}s`;
  return `${Math.round(ms / 60_000)}m`;
}

/** "♥ 0.8s" when a heartbeat was seen on the edge, else "traffic 3.2s", else "—". */
export function edgeAgeLabel(edge: Pick<EdgeView, 'heartbeatAgeMs' | 'trafficAgeMs'>): string {
  if (edge.heartbeatAgeMs !== null) return `♥ ${formatAge(edge.heartbeatAgeMs)}`;
  if (edge.trafficAgeMs !== null) return `traffic ${formatAge(edge.trafficAgeMs)}`;
  return '—';
}

const STATE_COLOR: Record<string, number> = {
  connected: 32, live: 32, connecting: 36, late: 33, stale: 33, retrying: 33, dead: 31, disconnected: 31, exited: 90,
};

function paint(text: string, state: string, options: TableOptions): string {
  const code = STATE_COLOR[state];
  return options.color && code ? `\x1b[${code}m${text}\x1b[0m` : text;
}

function socketLabel(socket: SocketView | undefined, nodes: Map<string, NodeView>): string {
  if (!socket) return '?';
  if (socket.unknown) return `unknown peer ${socket.routingId ? binLabel(socket.routingId) : ''}`.trim();
  const node = nodes.get(socket.nodeId);
  const id = socket.name ?? (socket.routingId ? binLabel(socket.routingId) : undefined);
  return `${node?.name ?? '?'}/${socket.type}${id ? `(${id})` : ''}`;
}

function fit(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text + ' '.repeat(width - chars.length) : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

function renderRows(header: string[], rows: { cells: string[]; state: string }[], widths: number[], options: TableOptions): string[] {
  // The last column takes the rest of the line: it holds the disconnect text a person came to read.
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : fit(c, widths[i] ?? 10))).join(' ').trimEnd();
  return [line(header), ...rows.map((r) => paint(line(r.cells), r.state, options))];
}

/** Scale the flexible columns so the table fits the terminal. */
function columnWidths(fixed: number[], flexible: number[], width: number): number[] {
  const room = width - fixed.reduce((a, b) => a + b, 0) - (fixed.length + flexible.length - 1);
  const want = flexible.reduce((a, b) => a + b, 0);
  const scale = Math.min(1, Math.max(0.3, room / want));
  return [...fixed, ...flexible.map((w) => Math.max(6, Math.floor(w * scale)))];
}

export function renderTable(snapshot: TopologySnapshot, options: TableOptions): string {
  const nodes = new Map(snapshot.nodes.map((n) => [n.id, n]));
  const sockets = new Map(snapshot.sockets.map((s) => [s.id, s]));
  const out: string[] = [];
  const c = snapshot.collector;
  const malformed = c ? Object.values(c.malformed).reduce((a, b) => a + b, 0) : 0;
  const down = snapshot.edges.filter((e) => e.state === 'dead' || e.state === 'disconnected').length;
  const late = snapshot.edges.filter((e) => e.state === 'late').length;
  const quiet = snapshot.edges.filter((e) => e.state === 'quiet').length;
  const unknownPeers = snapshot.sockets.filter((s) => s.unknown).length;
  // Processes counted as in the graph, tree and status bar (processCounts): ours, running or exited; unknown peers apart.
  out.push(
    `ZeroMQ Topology — collector ${c?.listening ? terminalSafe(c.endpoint) : 'not listening'} · ${processCountText(processCounts(snapshot.nodes))} · ` +
      `${snapshot.sockets.filter((s) => !s.unknown).length} sockets${unknownPeers > 0 ? ` · ${unknownPeers} unknown peer${unknownPeers === 1 ? '' : 's'}` : ''} · ` +
      `${snapshot.edges.length} connections · ${quiet > 0 ? `${quiet} quiet · ` : ''}${late} late · ${down} down` +
      (malformed > 0 ? ` · ${malformed} malformed frames` : ''),
  );
  out.push('');
  const nodeRows = snapshot.nodes.filter((n) => !n.unknown).map((n) => ({
    state: n.state,
    cells: [
      terminalSafe(n.name), String(n.pid), `${terminalSafe(n.runtime.name)} ${terminalSafe(n.runtime.version)}`, n.state,
      String(snapshot.sockets.filter((s) => s.nodeId === n.id).length), String(n.dropped), terminalSafe(n.host),
    ],
  }));
  out.push(...renderRows(['PROCESS', 'PID', 'RUNTIME', 'STATE', 'SOCKETS', 'DROPPED', 'HOST'], nodeRows, [20, 8, 14, 8, 7, 7, 20], options));
  out.push('');
  const edgeRows = [...snapshot.edges]
    .sort((a, b) => a.to.localeCompare(b.to) || a.from.localeCompare(b.from))
    .map((e) => ({
      state: e.state,
      cells: [
        // Peers without an agent: one row for all of them, saying how many (who they are follows the table).
        e.connections !== undefined ? `no agent ×${e.connections}` : terminalSafe(socketLabel(sockets.get(e.from), nodes)),
        terminalSafe(socketLabel(sockets.get(e.to), nodes)),
        // STATE is 12 wide: a warning is marked there and said in the last, flexible column.
        terminalSafe(e.endpoint), e.state + (e.retryStorm || e.routingIdClash || e.incompatible || e.unheard ? ' ⚠' : ''),
        // A gone edge's heartbeat age only grows; when it went is what a person wants to know.
        e.state === 'disconnected' && e.lastDisconnect ? `gone ${formatAge(snapshot.takenAt - e.lastDisconnect.at)}` : edgeAgeLabel(e),
        `${e.rates.out.toFixed(1)}/${e.rates.in.toFixed(1)}`,
        [
          e.retryStorm ? 'retry storm' : '',
          warningBadge(e) ?? '',
          e.lastDisconnect ? terminalSafe(`${e.lastDisconnect.message ?? '—'} (${e.lastDisconnect.reason})`) : '',
        ].filter((text) => text !== '').join('; '),
      ],
    }));
  // Fixed: STATE, AGE, MSG/S; flexible: CONNECTING, BOUND, ENDPOINT, LAST DISCONNECT.
  const [stateW, ageW, rateW, fromW, toW, endpointW, discW] = columnWidths([12, 13, 9], [26, 26, 22, 30], options.width) as
    [number, number, number, number, number, number, number];
  out.push(...renderRows(['CONNECTING', '→ BOUND', 'ENDPOINT', 'STATE', 'AGE', 'MSG/S o/i', 'LAST DISCONNECT'], edgeRows,
    [fromW, toW, endpointW, stateW, ageW, rateW, discW], options));
  if (snapshot.edges.length === 0) out.push('(no connections yet — start an instrumented process: zmq-topology run -- node app.js)');
  // Sockets in trouble that no edge shows: a SUB subscribed to nothing; binds and connects that failed
  // (the app may have caught the error, so nothing else would say it).
  for (const socket of snapshot.sockets) {
    if (subscribesToNothing(socket)) out.push(terminalSafe(`⚠ ${socketLabel(socket, nodes)}: ${NO_SUBSCRIPTION_TEXT}`));
    for (const failure of socket.failed ?? []) {
      const holder = heldByText(failure, (id) => sockets.get(id), (id) => nodes.get(id));
      out.push(terminalSafe(`✖ ${socketLabel(socket, nodes)}: ${endpointFailureText(failure)}${holder ? ` — ${holder}` : ''}`));
    }
  }
  // Who the peers without an agent are, where this host's kernel table says.
  for (const edge of snapshot.edges) {
    const names = kernelPeersSummary(edge);
    if (names) out.push(terminalSafe(`? ${socketLabel(sockets.get(edge.to), nodes)} ${edge.endpoint}: ${unseenText(edge) ?? ''} — ${names}`));
  }
  return out.join('\n');
}
