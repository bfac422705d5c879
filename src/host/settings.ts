/**
 * The extension's settings, every one of them, read through a getter so this stays pure (no vscode
 * import): checked, clamped and turned into what the collector, the store, the launch integration and
 * the probes take. package.json's contributes.configuration declares the same keys and defaults.
 */
import type { StoreOptions } from '../model/store';
import { DEFAULT_HEARTBEAT_PATTERNS, heartbeatPatterns } from '../agent/environment';
import { probeSocketTypeFor } from '../probe/probeType';
import { LIMITS, SOCKET_TYPES, type SocketType } from '../protocol/types';
import type { GraphOptions } from '../shared/messages';

export const SETTINGS = {
  address: 'collector.address',
  port: 'collector.port',
  heartbeats: 'heartbeatPatterns',
  warnAfterMs: 'liveness.warnAfterMs',
  deadAfterMs: 'liveness.deadAfterMs',
  notifyIntervalMs: 'view.updateIntervalMs',
  timelineLength: 'history.length',
  instrumentDebugSessions: 'instrumentDebugSessions',
  instrumentTerminals: 'instrumentTerminals',
  probes: 'probes',
  ringMinutes: 'recording.ringMinutes',
  groupThreshold: 'graph.groupThreshold',
} as const;

export const SECTION = 'zmqTopology';

export const SETTING_DEFAULTS = {
  address: '127.0.0.1',
  port: 5599,
  heartbeats: DEFAULT_HEARTBEAT_PATTERNS,
  warnAfterMs: 2500,
  deadAfterMs: 6000,
  notifyIntervalMs: 100,
  timelineLength: 50,
  ringMinutes: 10,
  groupThreshold: 20,
} as const;

export interface Settings {
  address: string;
  port: number;
  heartbeats: string[];
  store: Pick<StoreOptions, 'warnAfterMs' | 'deadAfterMs' | 'notifyIntervalMs' | 'timelineLength'>;
  /** Minutes of the live store's inputs kept in memory for its timeline (0 = off); applies at once. */
  ringMinutes: number;
  /** The graph webview's options; apply at once. */
  graph: GraphOptions;
  /** What was out of range and how it was corrected, for the Output channel. */
  warnings: string[];
}

function num(raw: unknown, fallback: number, min: number, max: number, name: string, warnings: string[]): number {
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== 'number' || !Number.isFinite(raw)) {
    warnings.push(`${SECTION}.${name} is not a number; using ${fallback}`);
    return fallback;
  }
  const n = Math.round(raw);
  if (n < min || n > max) {
    const clamped = Math.min(max, Math.max(min, n));
    warnings.push(`${SECTION}.${name} = ${raw} is outside ${min}…${max}; using ${clamped}`);
    return clamped;
  }
  return n;
}

export function readSettings(get: (key: string) => unknown): Settings {
  const warnings: string[] = [];
  const rawAddress = get(SETTINGS.address);
  const address = typeof rawAddress === 'string' && rawAddress.trim().length > 0 ? rawAddress.trim() : SETTING_DEFAULTS.address;
  const port = num(get(SETTINGS.port), SETTING_DEFAULTS.port, 0, 65535, SETTINGS.port, warnings);
  const warnAfterMs = num(get(SETTINGS.warnAfterMs), SETTING_DEFAULTS.warnAfterMs, 100, 3_600_000, SETTINGS.warnAfterMs, warnings);
  let deadAfterMs = num(get(SETTINGS.deadAfterMs), SETTING_DEFAULTS.deadAfterMs, 200, 3_600_000, SETTINGS.deadAfterMs, warnings);
  if (deadAfterMs <= warnAfterMs) {
    warnings.push(`${SECTION}.${SETTINGS.deadAfterMs} (${deadAfterMs}) must be above ${SECTION}.${SETTINGS.warnAfterMs} (${warnAfterMs}); using ${warnAfterMs * 2}`);
    deadAfterMs = warnAfterMs * 2;
  }
  const notifyIntervalMs = num(get(SETTINGS.notifyIntervalMs), SETTING_DEFAULTS.notifyIntervalMs, 50, 5000, SETTINGS.notifyIntervalMs, warnings);
  const timelineLength = num(get(SETTINGS.timelineLength), SETTING_DEFAULTS.timelineLength, 1, 1000, SETTINGS.timelineLength, warnings);
  const ringMinutes = num(get(SETTINGS.ringMinutes), SETTING_DEFAULTS.ringMinutes, 0, 120, SETTINGS.ringMinutes, warnings);
  const groupThreshold = num(get(SETTINGS.groupThreshold), SETTING_DEFAULTS.groupThreshold, 0, 100_000, SETTINGS.groupThreshold, warnings);
  return {
    address,
    port,
    heartbeats: heartbeatPatterns(get(SETTINGS.heartbeats) ?? SETTING_DEFAULTS.heartbeats),
    store: { warnAfterMs, deadAfterMs, notifyIntervalMs, timelineLength },
    ringMinutes,
    graph: { groupThreshold },
    warnings,
  };
}

/** Which running parts a settings change affects. */
export function changedParts(before: Settings, after: Settings): { collector: boolean; store: boolean; agentEnv: boolean } {
  return {
    collector: before.address !== after.address || before.port !== after.port,
    store: (Object.keys(before.store) as (keyof Settings['store'])[]).some((k) => before.store[k] !== after.store[k]),
    agentEnv: before.heartbeats.join('\u0000') !== after.heartbeats.join('\u0000'),
  };
}

// ── launch integration ───────────────────────────────────────────────────────────────────────────

/** `zmqTopology.instrumentDebugSessions`: which launches get the agent. */
export type InstrumentMode = 'flagged' | 'always' | 'never';

const MODES: readonly InstrumentMode[] = ['flagged', 'always', 'never'];

/** Unknown values fall back to "flagged", the default: only what the user marked is instrumented. */
export function readInstrumentMode(raw: unknown): InstrumentMode {
  return typeof raw === 'string' && (MODES as readonly string[]).includes(raw) ? (raw as InstrumentMode) : 'flagged';
}

export function readInstrumentTerminals(raw: unknown): boolean {
  return raw === true;
}

// ── probes ───────────────────────────────────────────────────────────────────────────────────────

export interface ProbeSetting {
  endpoint: string;
  socketType: SocketType;
}

/** The same rule ProbeManager.add enforces, so the input box refuses what add() would. */
const ENDPOINT = /^(tcp:\/\/\S+:\d{1,5}|ipc:\/\/\S+)$/;

/** Why an endpoint cannot be probed, or undefined when it can (the input box's validateInput). */
export function probeEndpointProblem(text: string): string | undefined {
  const endpoint = text.trim();
  if (endpoint.length === 0) return 'Give the endpoint the app binds or connects, e.g. tcp://127.0.0.1:5556';
  if (endpoint.length > LIMITS.endpointChars) return `An endpoint is at most ${LIMITS.endpointChars} characters`;
  if (endpoint.startsWith('inproc://')) return 'inproc:// endpoints live inside one process: only an agent in that process can see them';
  if (/^(udp|pgm|epgm|norm|vmci|ws|wss):\/\//.test(endpoint)) return 'Only tcp:// and ipc:// endpoints carry connections a probe can watch';
  if (!ENDPOINT.test(endpoint)) return 'Use tcp://host:port or ipc://path';
  if (endpoint.startsWith('tcp://')) {
    const port = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
    if (port < 1 || port > 65535) return 'The port must be 1…65535';
    if (/^tcp:\/\/\*:/.test(endpoint)) return 'A probe connects, so it needs a host, not * (e.g. tcp://127.0.0.1:5556)';
  }
  return undefined;
}

export interface ProbeSettingsRead {
  probes: ProbeSetting[];
  warnings: string[];
}

/** The setting as given: entries that cannot be probed are reported, duplicates dropped. */
export function readProbeSettings(raw: unknown): ProbeSettingsRead {
  const warnings: string[] = [];
  const probes: ProbeSetting[] = [];
  if (raw === undefined || raw === null) return { probes, warnings };
  if (!Array.isArray(raw)) return { probes, warnings: ['zmqTopology.probes is not a list; no probes started'] };
  const seen = new Set<string>();
  raw.forEach((entry: unknown, i) => {
    const where = `zmqTopology.probes[${i}]`;
    if (typeof entry !== 'object' || entry === null) {
      warnings.push(`${where} is not an object with "endpoint" and "socketType"; ignored`);
      return;
    }
    const { endpoint, socketType } = entry as { endpoint?: unknown; socketType?: unknown };
    if (typeof endpoint !== 'string') {
      warnings.push(`${where} has no "endpoint" string; ignored`);
      return;
    }
    const problem = probeEndpointProblem(endpoint);
    if (problem) {
      warnings.push(`${where}: "${endpoint}" cannot be probed (${problem}); ignored`);
      return;
    }
    let type: SocketType = 'UNKNOWN';
    if (socketType !== undefined) {
      const upper = typeof socketType === 'string' ? socketType.trim().toUpperCase() : '';
      if (!(SOCKET_TYPES as readonly string[]).includes(upper)) {
        warnings.push(`${where}: socketType ${JSON.stringify(socketType)} is not a ZeroMQ socket type; ignored`);
        return;
      }
      type = upper as SocketType;
    }
    const plan = probeSocketTypeFor(type);
    if (plan.probeType === null) {
      warnings.push(`${where}: a ${type} endpoint cannot be probed (${plan.why}); ignored`);
      return;
    }
    const setting = { endpoint: endpoint.trim(), socketType: type };
    const key = probeKey(setting);
    if (seen.has(key)) {
      warnings.push(`${where} repeats ${setting.endpoint} (${type}); probed once`);
      return;
    }
    seen.add(key);
    probes.push(setting);
  });
  return { probes, warnings };
}

export function probeKey(p: ProbeSetting): string {
  return `${p.endpoint}\u0000${p.socketType}`;
}
