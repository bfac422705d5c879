/**
 * The extension's settings, read through a getter so this stays pure (no vscode import): checked,
 * clamped and turned into the options the collector and the store take. package.json's
 * contributes.configuration declares the same keys and defaults.
 */
import type { StoreOptions } from '../model/store';
import { DEFAULT_HEARTBEAT_PATTERNS, heartbeatPatterns } from './agentEnvironment';

export const SETTINGS = {
  address: 'collector.address',
  port: 'collector.port',
  heartbeats: 'heartbeatPatterns',
  warnAfterMs: 'liveness.warnAfterMs',
  deadAfterMs: 'liveness.deadAfterMs',
  notifyIntervalMs: 'view.updateIntervalMs',
  timelineLength: 'history.length',
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
} as const;

export interface Settings {
  address: string;
  port: number;
  heartbeats: string[];
  store: Pick<StoreOptions, 'warnAfterMs' | 'deadAfterMs' | 'notifyIntervalMs' | 'timelineLength'>;
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
  return {
    address,
    port,
    heartbeats: heartbeatPatterns(get(SETTINGS.heartbeats) ?? SETTING_DEFAULTS.heartbeats),
    store: { warnAfterMs, deadAfterMs, notifyIntervalMs, timelineLength },
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
