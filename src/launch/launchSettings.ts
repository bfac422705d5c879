/**
 * The launch-integration settings (`zmqTopology.instrumentDebugSessions`, `zmqTopology.instrumentTerminals`)
 * read through a getter, and what the Output channel says about each debug launch. Pure: no vscode.
 */
import type { DebugConfigLike, InstrumentMode, InstrumentResult } from './debugConfig';

export const LAUNCH_SETTINGS = {
  instrumentDebugSessions: 'instrumentDebugSessions',
  instrumentTerminals: 'instrumentTerminals',
  probes: 'probes',
} as const;

/** Node.js (js-debug) and Python (debugpy; `python` is its older name) debug types the provider serves. */
export const INSTRUMENTED_DEBUG_TYPES = ['node', 'pwa-node', 'node-terminal', 'python', 'debugpy'] as const;

const MODES: readonly InstrumentMode[] = ['flagged', 'always', 'never'];

/** Unknown values fall back to "flagged", the default: only what the user marked is instrumented. */
export function readInstrumentMode(raw: unknown): InstrumentMode {
  return typeof raw === 'string' && (MODES as readonly string[]).includes(raw) ? (raw as InstrumentMode) : 'flagged';
}

export function readInstrumentTerminals(raw: unknown): boolean {
  return raw === true;
}

/**
 * Whether a launch concerns this extension at all, so the Output channel is not filled with a line
 * for every unrelated F5: the user flagged it, or mode "always" covers it.
 */
export function launchConcernsUs(config: Pick<DebugConfigLike, 'zmqTopology'>, mode: InstrumentMode): boolean {
  return config.zmqTopology === true || mode === 'always';
}

/** One line for the Output channel: what was injected into the launch, or why nothing was. */
export function describeLaunch(config: DebugConfigLike, result: InstrumentResult): string {
  const what = `Debug launch "${config.name}" (${config.type})`;
  if (!result.instrumented) return `${what}: not instrumented, ${result.reason ?? 'no reason given'}`;
  const env = result.config.env ?? {};
  const injected = Object.keys(env)
    .filter((k) => k.startsWith('ZMQ_TOPOLOGY_') || k === 'NODE_OPTIONS' || k === 'PYTHONPATH')
    .filter((k) => env[k] !== (config.env ?? {})[k])
    .map((k) => `${k}=${String(env[k])}`);
  return `${what}: instrumented as node "${String(env.ZMQ_TOPOLOGY_NODE ?? config.name)}", reporting to ${String(env.ZMQ_TOPOLOGY_ENDPOINT)}; set ${injected.join(', ')}`;
}
