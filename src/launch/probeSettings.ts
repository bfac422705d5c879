/**
 * `zmqTopology.probes` (a list of {endpoint, socketType}) as the extension keeps it in sync with its
 * running probes, the endpoint check of "ZeroMQ: Probe Endpoint…", the quick-pick entries that explain
 * which probe type each remote type gets, and what the Output channel says when a probe's state
 * changes. Pure: no vscode, no zeromq. launch/ is "how the extension reaches running nodes":
 * debug launches, terminals, and these agentless probes.
 */
import { SOCKET_TYPES, LIMITS, type SocketType } from '../protocol/types';
import { probeSocketTypeFor } from '../probe/probeType';

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

export interface RunningProbe {
  id: string;
  endpoint: string;
  remoteType: SocketType;
}

/** What to start and what to stop so the running probes are exactly the setting's. */
export function probeSyncPlan(wanted: readonly ProbeSetting[], running: readonly RunningProbe[]): { add: ProbeSetting[]; remove: string[] } {
  const runningKeys = new Map(running.map((r) => [probeKey({ endpoint: r.endpoint, socketType: r.remoteType }), r.id]));
  const wantedKeys = new Set(wanted.map(probeKey));
  return {
    add: wanted.filter((w) => !runningKeys.has(probeKey(w))),
    remove: running.filter((r) => !wantedKeys.has(probeKey({ endpoint: r.endpoint, socketType: r.remoteType }))).map((r) => r.id),
  };
}

/** The setting after adding one probe (unchanged when it is already there). */
export function withProbe(current: readonly ProbeSetting[], added: ProbeSetting): ProbeSetting[] {
  return current.some((p) => probeKey(p) === probeKey(added)) ? [...current] : [...current, added];
}

/** The setting after removing one probe. */
export function withoutProbe(current: readonly ProbeSetting[], removed: ProbeSetting): ProbeSetting[] {
  return current.filter((p) => probeKey(p) !== probeKey(removed));
}

export interface SocketTypeChoice {
  socketType: SocketType;
  label: string;
  description: string;
  detail: string;
}

/** Quick-pick entries: every probeable remote type, with the probe type it gets and why that is safe. */
export function socketTypeChoices(): SocketTypeChoice[] {
  const common: SocketType[] = ['ROUTER', 'REP', 'PUB', 'XPUB', 'SUB', 'XSUB', 'PULL', 'PUSH', 'DEALER', 'REQ', 'PAIR'];
  const rest = SOCKET_TYPES.filter((t) => !common.includes(t) && t !== 'UNKNOWN');
  const choices: SocketTypeChoice[] = [];
  for (const type of ['UNKNOWN' as SocketType, ...common, ...rest]) {
    const plan = probeSocketTypeFor(type);
    if (plan.probeType === null) continue;
    choices.push({
      socketType: type,
      label: type === 'UNKNOWN' ? 'Not sure' : type,
      description: `probe: ${plan.probeType}${plan.expect === 'refused' ? ' (handshake refused on purpose: proves reachability)' : ''}`,
      detail: plan.why,
    });
  }
  return choices;
}

export interface ProbeStateLike {
  id: string;
  endpoint: string;
  remoteType: SocketType;
  probeType: string;
  state: string;
  retries: number;
  lastError?: string;
}

/**
 * Output-channel lines for probe states that changed since the last look. Problems (failed,
 * disconnected, retrying) are marked so the user sees them; a first retry is reported, later retries
 * of the same outage are not repeated.
 */
export function probeStateMessages(previous: ReadonlyMap<string, string>, now: readonly ProbeStateLike[]): { lines: string[]; states: Map<string, string> } {
  const lines: string[] = [];
  const states = new Map<string, string>();
  for (const p of now) {
    states.set(p.id, p.state);
    if (previous.get(p.id) === p.state) continue;
    const who = `Probe ${p.endpoint} (${p.remoteType === 'UNKNOWN' ? 'remote type not given' : p.remoteType}, probe ${p.probeType})`;
    const detail = p.lastError ? `: ${p.lastError}` : '';
    switch (p.state) {
      case 'connected':
        lines.push(`${who}: connected, ZMTP heartbeats answered`);
        break;
      case 'reachable':
        lines.push(`${who}: reachable${detail}`);
        break;
      case 'connecting':
        lines.push(`${who}: connecting`);
        break;
      case 'retrying':
        lines.push(`PROBLEM ${who}: nothing accepts connections there, retrying${detail}`);
        break;
      case 'disconnected':
        lines.push(`PROBLEM ${who}: disconnected${detail}`);
        break;
      case 'failed':
        lines.push(`PROBLEM ${who}: handshake refused${detail}`);
        break;
      default:
        lines.push(`${who}: ${p.state}${detail}`);
    }
  }
  return { lines, states };
}
