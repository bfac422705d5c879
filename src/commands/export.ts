/**
 * Export Snapshot formats, pure (no vscode): JSON (the snapshot as the store gives it) and Graphviz
 * DOT. Every string in a snapshot may come from outside (process titles, socket names, routing ids,
 * disconnect messages), so DOT never uses them as identifiers and escapes them inside labels.
 */
import type { EdgeState, TopologySnapshot } from '../shared/snapshot';
import { binDisplay, edgeAgeLabel, nodeLabel, socketTitle } from '../shared/format';

export type ExportFormat = 'json' | 'dot' | 'svg';

export const EXPORT_FORMATS: Readonly<Record<ExportFormat, { label: string; extension: string; filterName: string }>> = {
  json: { label: 'JSON snapshot', extension: 'json', filterName: 'JSON' },
  dot: { label: 'Graphviz DOT', extension: 'dot', filterName: 'Graphviz' },
  svg: { label: 'SVG of the current graph', extension: 'svg', filterName: 'SVG' },
};

/** The snapshot, exactly, as indented JSON (docs/SNAPSHOT.md describes it). */
export function snapshotToJson(snapshot: TopologySnapshot): string {
  return `${JSON.stringify(snapshot, null, 2)}\n`;
}

// C0/C1 controls, line/paragraph separators, bidi controls, BOM, and lone surrogates.
// eslint-disable-next-line no-control-regex -- matching control characters is the point: they are escaped
const UNSHOWABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text as the inside of a DOT double-quoted string used as a label: backslashes doubled (so `\N`,
 * `\G`, `\l` escapes cannot be smuggled in), quotes escaped, newlines as DOT's `\n` line break, and
 * characters that cannot be shown (or would break UTF-8) as visible `\\uXXXX`.
 */
export function dotEscape(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\r\n|\n/g, '\\n')
    .replace(UNSHOWABLE, (c) => `\\\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function q(text: string): string {
  return `"${dotEscape(text)}"`;
}

const DOT_EDGE_STYLE: Readonly<Record<EdgeState, { color: string; style: string }>> = {
  connecting: { color: 'blue', style: 'dashed' },
  connected: { color: 'darkgreen', style: 'solid' },
  quiet: { color: 'gray40', style: 'dashed' },
  late: { color: 'orange', style: 'dashed' },
  dead: { color: 'red', style: 'dotted' },
  retrying: { color: 'darkorange', style: 'dashed' },
  disconnected: { color: 'gray', style: 'dotted' },
};

/**
 * The topology as a Graphviz digraph: one cluster per process, one box per socket, one arrow per
 * connection from the connecting socket to the binding one, labelled with endpoint, state and age.
 * Identifiers are generated (n0, s0, …); all outside text is only ever inside escaped labels.
 */
export function snapshotToDot(snapshot: TopologySnapshot): string {
  const socketIds = new Map<string, string>();
  const lines: string[] = [
    'digraph zmq_topology {',
    '  charset="UTF-8";',
    '  rankdir=LR;',
    '  compound=true;',
    '  node [shape=box, style="rounded", fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  const socketLine = (socketId: string, label: string, extra = ''): string => {
    const id = `s${socketIds.size}`;
    socketIds.set(socketId, id);
    return `${id} [label=${q(label)}${extra}];`;
  };
  const byNode = new Map<string, typeof snapshot.sockets>();
  const orphans: typeof snapshot.sockets = [];
  const processes = snapshot.nodes.filter((n) => !n.unknown);
  const nodeIds = new Set(processes.map((n) => n.id));
  for (const socket of snapshot.sockets) {
    if (!nodeIds.has(socket.nodeId)) {
      orphans.push(socket);
      continue;
    }
    byNode.set(socket.nodeId, [...(byNode.get(socket.nodeId) ?? []), socket]);
  }
  processes.forEach((node, i) => {
    lines.push(`  subgraph cluster_n${i} {`);
    lines.push(`    label=${q(`${nodeLabel(node, 200)} — ${node.state}${node.host ? ` @ ${node.host}` : ''}`)};`);
    lines.push(`    style=${node.state === 'exited' ? 'dashed' : 'solid'};`);
    for (const socket of byNode.get(node.id) ?? []) {
      const endpoints = [...socket.binds.map((b) => `bind ${b}`), ...socket.connects.map((c) => `connect ${c}`)];
      const label = [socketTitle(socket), ...endpoints].join('\n');
      lines.push(`    ${socketLine(socket.id, label, socket.closed ? ', style="rounded,dashed"' : '')}`);
    }
    lines.push('  }');
  });
  for (const socket of orphans) {
    const label = socket.unknown ? `unknown peer\n${binDisplay(socket.routingId) || '?'}` : socketTitle(socket);
    lines.push(`  ${socketLine(socket.id, label, ', shape=ellipse, style=dashed')}`);
  }
  for (const edge of snapshot.edges) {
    for (const end of [edge.from, edge.to]) {
      // An edge to a socket the snapshot does not hold still shows, as a placeholder.
      if (!socketIds.has(end)) lines.push(`  ${socketLine(end, `missing socket\n${end}`, ', shape=ellipse, style=dotted')}`);
    }
    const style = DOT_EDGE_STYLE[edge.state] ?? DOT_EDGE_STYLE.disconnected;
    const label = [
      edge.endpoint,
      `${edge.state} · ${edgeAgeLabel(edge.heartbeatAgeMs, edge.trafficAgeMs)}`,
      edge.routingId ? `id ${binDisplay(edge.routingId)}` : '',
      edge.lastDisconnect ? `last disconnect: ${edge.lastDisconnect.message ?? edge.lastDisconnect.reason}` : '',
    ].filter((l) => l.length > 0).join('\n');
    lines.push(`  ${socketIds.get(edge.from)} -> ${socketIds.get(edge.to)} [label=${q(label)}, color=${style.color}, style=${style.style}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** A minimal check that what the webview sent for an SVG export is an SVG document. */
export function looksLikeSvg(text: string): boolean {
  return /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<svg[\s>]/.test(text) && /<\/svg>\s*$/.test(text);
}
