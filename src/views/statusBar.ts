/**
 * The status bar item's text, tooltip and severity from a snapshot. Pure (no vscode import).
 */
import type { CollectorPhase, TopologySnapshot } from '../shared/snapshot';
import { formatAge, processCountText, processCounts } from '../shared/format';

export interface StatusSummary {
  /** With codicons, e.g. "$(pulse) ZMQ 6 processes · 1 late · 1 down". */
  text: string;
  /** Plain text, one fact a line. */
  tooltip: string;
  /** `warning` = something is dead, retrying or disconnected (the item gets the warning background). */
  severity: 'ok' | 'warning' | 'error';
  counts: StatusCounts;
}

export interface StatusCounts {
  /** Processes running (live or stale), as processCounts() counts them everywhere. */
  nodes: number;
  stale: number;
  exited: number;
  sockets: number;
  edges: number;
  connected: number;
  connecting: number;
  /** Up, without heartbeats, and silent past the warn threshold: not counted as trouble. */
  quiet: number;
  late: number;
  /** dead + retrying + disconnected. */
  down: number;
  unknownPeers: number;
  malformed: number;
  dropped: number;
  /** Agents the CURVE collector turned away (wrong or missing keys). */
  refused: number;
  /** Telemetry the store received but could not keep (before hello, unknown socket, size caps). */
  discarded: number;
  /** The most any process's telemetry arrives late (NodeView.behindMs); 0 when none does. */
  behindMs: number;
}

export function countSnapshot(snapshot: TopologySnapshot): StatusCounts {
  const counts: StatusCounts = {
    nodes: 0, stale: 0, exited: 0, sockets: 0, edges: snapshot.edges.length, connected: 0, connecting: 0, quiet: 0, late: 0, down: 0,
    unknownPeers: 0, malformed: 0, dropped: 0, refused: snapshot.collector?.refused ?? 0,
    discarded: Object.values(snapshot.collector?.discarded ?? {}).reduce((a, b) => a + b, 0),
    behindMs: 0,
  };
  const processes = processCounts(snapshot.nodes);
  counts.nodes = processes.running;
  counts.exited = processes.exited;
  for (const node of snapshot.nodes) {
    if (node.unknown) continue;
    if (node.state === 'stale') counts.stale++;
    counts.dropped += node.dropped;
    if (node.state !== 'exited') counts.behindMs = Math.max(counts.behindMs, node.behindMs ?? 0);
  }
  for (const socket of snapshot.sockets) {
    if (socket.unknown) counts.unknownPeers++;
    else counts.sockets++;
  }
  for (const edge of snapshot.edges) {
    switch (edge.state) {
      case 'connected': counts.connected++; break;
      case 'connecting': counts.connecting++; break;
      case 'quiet': counts.quiet++; break;
      case 'late': counts.late++; break;
      default: counts.down++;
    }
  }
  counts.malformed = Object.values(snapshot.collector?.malformed ?? {}).reduce((a, b) => a + b, 0);
  return counts;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function statusSummary(snapshot: TopologySnapshot | undefined, phase: CollectorPhase, endpoint?: string, error?: string): StatusSummary {
  const counts = countSnapshot(snapshot ?? { schema: 1, takenAt: 0, nodes: [], sockets: [], edges: [] });
  if (phase === 'failed') {
    return {
      text: '$(error) ZMQ collector failed',
      tooltip: `The ZeroMQ Topology collector could not start${error ? `: ${error}` : ''}.\nSee the "ZeroMQ Topology" output for details.`,
      severity: 'error',
      counts,
    };
  }
  if (phase === 'stopped' || phase === 'starting') {
    const words = phase === 'stopped' ? 'collector stopped' : 'starting…';
    return {
      text: `$(debug-disconnect) ZMQ ${words}`,
      tooltip: phase === 'stopped' ? 'The collector is stopped: no telemetry is received. Run "ZeroMQ: Start Collector".' : 'The collector is starting.',
      severity: 'ok',
      counts,
    };
  }
  const parts = [plural(counts.nodes, 'process', 'processes')];
  if (counts.late + counts.stale > 0) parts.push(`${counts.late + counts.stale} late`);
  if (counts.down > 0) parts.push(`${counts.down} down`);
  if (counts.refused > 0) parts.push(`${counts.refused} refused`);
  if (counts.behindMs > 0) parts.push(`${formatAge(counts.behindMs)} behind`);
  const lines = [
    `ZeroMQ Topology — collector on ${endpoint ?? 'unknown endpoint'}`,
    `${processCountText({ running: counts.nodes, exited: counts.exited })}${counts.stale ? ` (${counts.stale} not heard from)` : ''}`,
    `${plural(counts.sockets, 'socket')}${counts.unknownPeers ? `, ${plural(counts.unknownPeers, 'unknown peer')}` : ''}`,
    `${plural(counts.edges, 'connection')}: ${counts.connected} connected, ${counts.connecting} connecting, ${counts.quiet} quiet, ${counts.late} late, ${counts.down} dead/retrying/disconnected`,
  ];
  if (counts.behindMs > 0) lines.push(`Telemetry arrives up to ${formatAge(counts.behindMs)} late (the collector or an agent is behind): connections are shown as of then`);
  if (counts.dropped > 0) lines.push(`${counts.dropped} telemetry messages dropped by agents`);
  if (counts.malformed > 0) lines.push(`${counts.malformed} malformed telemetry frames refused`);
  if (counts.discarded > 0) {
    const causes = Object.entries(snapshot?.collector?.discarded ?? {}).map(([cause, n]) => `${cause} ${n}`).join(', ');
    lines.push(`${counts.discarded} telemetry records discarded by the collector (${causes})`);
  }
  if (counts.refused > 0) {
    const last = snapshot?.collector?.lastRefused;
    lines.push(`${plural(counts.refused, 'agent connection')} refused by CURVE authentication${last ? ` (latest${last.address ? ` from ${last.address}` : ''}: ${last.reason})` : ''}`);
  }
  lines.push('Click to open the topology graph.');
  return {
    text: `$(pulse) ZMQ ${parts.join(' · ')}`,
    tooltip: lines.join('\n'),
    severity: counts.down > 0 || counts.refused > 0 ? 'warning' : 'ok',
    counts,
  };
}
