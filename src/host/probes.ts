/**
 * Agentless probes, the pure part: how the running probes follow the `zmqTopology.probes` setting
 * (read in settings.ts), the quick-pick entries that explain which probe type each remote type gets,
 * and what the Output channel says when a probe's state changes. No vscode, no zeromq; the service
 * that runs them is probes.vscode.ts.
 */
import { SOCKET_TYPES, type SocketType } from '../protocol/types';
import { probeSocketTypeFor } from '../probe/probeType';
import { probeKey, type ProbeSetting } from './settings';

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
