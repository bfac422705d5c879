/**
 * What a recording holds, without replaying it: duration, agents, inputs by kind, and the markers a
 * timeline shows (processes gone, disconnects) with their times. Also the parser for instants given
 * as offsets from the start (`12.5s`, `1500ms`) or epoch milliseconds.
 */
import { Kind } from './format';
import type { Recording } from './reader';

export interface Marker {
  /** Collector clock (ms since the epoch). */
  at: number;
  /** Milliseconds since the recording's start. */
  offsetMs: number;
  kind: 'process-gone' | 'bye' | 'disconnect' | 'disconnect-msg' | 'connect-retry' | 'end';
  /** The process (node name, pid) it concerns. */
  who: string;
  text: string;
}

export interface RecordingSummary {
  version: string;
  producer: string;
  startedAt: number;
  endAt: number;
  durationMs: number;
  bytes: number;
  /** Bytes per hour of recording at this one's rate. */
  bytesPerHour: number;
  records: number;
  byKind: { telemetry: number; agentGone: number; malformed: number; collectorStatus: number; clearExited: number; kernelPeers: number };
  /** Telemetry messages by type. */
  messages: Record<string, number>;
  /** Monitor events by name. */
  events: Record<string, number>;
  /** Agent connections seen (one per process run and collector connection), with their names. */
  agents: { key: string; name: string; pid: number; host: string }[];
  /** How it ended: the End record's reason, or why there is none. */
  ended: string;
  problem?: string;
  markers: Marker[];
}

/** At most this many markers are listed (the rest are counted). */
export const MAX_MARKERS = 10_000;

export function summarize(rec: Recording): RecordingSummary {
  const byKind = { telemetry: 0, agentGone: 0, malformed: 0, collectorStatus: 0, clearExited: 0, kernelPeers: 0 };
  const messages: Record<string, number> = {};
  const events: Record<string, number> = {};
  const agents = new Map<string, { key: string; name: string; pid: number; host: string }>();
  const markers: Marker[] = [];
  const who = (key: string) => {
    const a = agents.get(key);
    return a ? `${a.name} (pid ${a.pid})` : key === 'recording' || key.startsWith('probe:') ? key : `agent ${key.slice(0, 16)}`;
  };
  const mark = (at: number, kind: Marker['kind'], key: string, text: string) => {
    if (markers.length < MAX_MARKERS) markers.push({ at, offsetMs: at - rec.startAt, kind, who: who(key), text });
  };
  for (const e of rec.entries) {
    switch (e.kind) {
      case Kind.Telemetry: {
        byKind.telemetry++;
        const m = e.msg;
        messages[m.t] = (messages[m.t] ?? 0) + 1;
        if (m.t === 'hello') agents.set(e.agentKey, { key: e.agentKey, name: m.node ?? m.title, pid: m.pid, host: m.host });
        else if (m.t === 'event') {
          events[m.event] = (events[m.event] ?? 0) + 1;
          if (m.event === 'disconnect') mark(e.at, 'disconnect', e.agentKey, `socket ${m.socket}: disconnect${m.address ? ` (${m.address})` : ''}`);
          else if (m.event === 'connect:retry') mark(e.at, 'connect-retry', e.agentKey, `socket ${m.socket}: connect:retry${m.address ? ` ${m.address}` : ''}`);
        } else if (m.t === 'disconnect-msg') {
          const text = m.text ? (m.text.text ?? `0x${m.text.hex}`) : null;
          mark(e.at, 'disconnect-msg', e.agentKey, `socket ${m.socket}: ZMQ_DISCONNECT_MSG from peer ${m.peer.text ?? `0x${m.peer.hex}`}${text ? `: ${text}` : ''}`);
        } else if (m.t === 'bye') mark(e.at, 'bye', e.agentKey, `said bye: ${m.reason}`);
        break;
      }
      case Kind.AgentGone:
        byKind.agentGone++;
        mark(e.at, 'process-gone', e.agentKey, e.reason);
        break;
      case Kind.Malformed:
        byKind.malformed++;
        break;
      case Kind.CollectorStatus:
        byKind.collectorStatus++;
        break;
      case Kind.ClearExited:
        byKind.clearExited++;
        break;
      case Kind.KernelPeers:
        byKind.kernelPeers++;
        break;
      case Kind.End:
        mark(e.at, 'end', 'recording', `ended: ${e.reason}`);
        break;
    }
  }
  const durationMs = rec.endAt - rec.startAt;
  return {
    version: rec.version, producer: rec.header.producer, startedAt: rec.startAt, endAt: rec.endAt, durationMs, bytes: rec.bytes,
    bytesPerHour: durationMs > 0 ? Math.round((rec.bytes / durationMs) * 3_600_000) : 0,
    records: rec.entries.length, byKind, messages, events, agents: [...agents.values()],
    ended: rec.end ? rec.end.reason : rec.problem ? 'not cleanly: the file is damaged (see problem)' : 'no end record: the recorder was killed or is still running; read up to its last flush',
    ...(rec.problem ? { problem: rec.problem.message } : {}),
    markers,
  };
}

/** The summary as text for a terminal (untrusted names are printed with control characters escaped). */
export function formatSummary(file: string, s: RecordingSummary, maxMarkers = 50): string {
  // eslint-disable-next-line no-control-regex -- escaping control characters is the point
  const clean = (t: string) => t.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  const count = (r: Record<string, number>) => Object.entries(r).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${clean(k)}`).join(', ') || 'none';
  const lines = [
    `Recording ${clean(file)} (format ${s.version}, by ${clean(s.producer)})`,
    `  started   ${new Date(s.startedAt).toISOString()}`,
    `  duration  ${formatOffset(s.durationMs)}; ended: ${clean(s.ended)}`,
    `  size      ${formatBytes(s.bytes)} (${formatBytes(s.bytesPerHour)} per hour at this rate)`,
    `  records   ${s.records}: ${s.byKind.telemetry} telemetry, ${s.byKind.agentGone} agent gone, ${s.byKind.malformed} malformed, ` +
      `${s.byKind.collectorStatus} collector status${s.byKind.clearExited ? `, ${s.byKind.clearExited} clear exited` : ''}` +
      `${s.byKind.kernelPeers ? `, ${s.byKind.kernelPeers} kernel peers` : ''}`,
    `  messages  ${count(s.messages)}`,
    `  events    ${count(s.events)}`,
    `  agents    ${s.agents.length}: ${s.agents.map((a) => `${clean(a.name)} (pid ${a.pid})`).join(', ') || 'none'}`,
  ];
  if (s.problem) lines.push(`  problem   ${clean(s.problem)}`);
  const shown = s.markers.filter((m) => m.kind !== 'connect-retry');
  lines.push(`Disconnects and exits (${shown.length}${s.markers.length > shown.length ? `; ${s.markers.length - shown.length} connect:retry not listed` : ''}):`);
  for (const m of shown.slice(0, maxMarkers)) lines.push(`  ${formatOffset(m.offsetMs).padStart(10)}  ${clean(m.who)}: ${clean(m.text)}`);
  if (shown.length > maxMarkers) lines.push(`  … ${shown.length - maxMarkers} more (--json lists them all)`);
  return lines.join('\n');
}

export function formatOffset(ms: number): string {
  return `+${(ms / 1000).toFixed(3)}s`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Epoch milliseconds from numbers this large on; smaller plain numbers are refused as ambiguous. */
const EPOCH_FROM = 1e11;

/**
 * An instant of the recording: an offset from its start (`12.5s`, `1500ms`, `2m`, `+3s`) or epoch
 * milliseconds. Throws an Error with a sentence for a person when it is neither or lies outside.
 */
export function parseInstant(text: string, rec: { startAt: number; endAt: number }): number {
  const m = /^\+?(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  let t: number;
  if (m) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    t = rec.startAt + Number(m[1]) * unit;
  } else if (/^\d+(\.\d+)?$/.test(text.trim()) && Number(text) >= EPOCH_FROM) {
    t = Number(text);
  } else {
    throw new Error(`"${text.slice(0, 40)}" is not an instant: give an offset from the recording's start (12.5s, 1500ms, 2m) or epoch milliseconds`);
  }
  if (t < rec.startAt || t > rec.endAt) {
    throw new Error(`${text.slice(0, 40)} is outside the recording, which covers ${formatOffset(0)} to ${formatOffset(rec.endAt - rec.startAt)} ` +
      `(${new Date(rec.startAt).toISOString()} to ${new Date(rec.endAt).toISOString()}, epoch ms ${rec.startAt} to ${rec.endAt})`);
  }
  return t;
}
