/**
 * What the extension's terminal environment (vscode's EnvironmentVariableCollection) holds when
 * `zmqTopology.instrumentTerminals` is on: a plan of mutators, applied by instrumentedTerminals.vscode.ts.
 * Pure: no vscode.
 *
 * NODE_OPTIONS is appended to and PYTHONPATH prepended to, so whatever the terminal has (its shell
 * profile, `terminal.integrated.env.*`) is kept. One exception, on purpose: when nothing is known to
 * be on PYTHONPATH beneath, it is *replaced* by the agent folder alone, because prepending
 * `<dir><delimiter>` onto an empty PYTHONPATH leaves an empty entry, which Python reads as the current
 * directory: modules in the cwd would start shadowing the standard library, which the agent must never do.
 */
import { mergeNodeOptions } from '../agent/environment';

export type MutatorOp = 'replace' | 'append' | 'prepend';

export interface EnvMutator {
  variable: string;
  op: MutatorOp;
  value: string;
}

export interface TerminalEnvInput {
  enabled: boolean;
  trusted: boolean;
  /** The running collector's endpoint; undefined when none is known. */
  endpoint: string | undefined;
  /** The collector's CURVE public key when it requires CURVE (ZMQ_TOPOLOGY_SERVER_KEY). */
  serverKey?: string;
  nodeAgent: string;
  pythonAgentDir: string;
  /** Custom heartbeat patterns (ZMQ_TOPOLOGY_HEARTBEATS); none = the agents' defaults. */
  heartbeats?: readonly string[];
  /** What a new terminal inherits beneath the collection (extension host env + terminal.integrated.env). */
  inheritedEnv?: Readonly<Record<string, string | undefined>>;
  delimiter: string;
}

export type TerminalEnvPlan =
  | { kind: 'apply'; mutators: EnvMutator[]; description: string }
  | { kind: 'clear'; reason: string };

export function terminalEnvPlan(input: TerminalEnvInput): TerminalEnvPlan {
  if (!input.enabled) return { kind: 'clear', reason: 'zmqTopology.instrumentTerminals is off' };
  if (!input.trusted) return { kind: 'clear', reason: 'the workspace is not trusted' };
  if (!input.endpoint) return { kind: 'clear', reason: 'no collector endpoint is known (the collector is not running)' };
  // The flag as mergeNodeOptions writes it (quoted when the path needs it), with the separating space.
  const nodeFlag = ` ${mergeNodeOptions(undefined, input.nodeAgent)}`;
  const pythonBeneath = input.inheritedEnv?.PYTHONPATH ?? '';
  const mutators: EnvMutator[] = [
    { variable: 'ZMQ_TOPOLOGY_ENDPOINT', op: 'replace', value: input.endpoint },
    { variable: 'NODE_OPTIONS', op: 'append', value: nodeFlag },
    pythonBeneath.length > 0
      ? { variable: 'PYTHONPATH', op: 'prepend', value: `${input.pythonAgentDir}${input.delimiter}` }
      : { variable: 'PYTHONPATH', op: 'replace', value: input.pythonAgentDir },
  ];
  if (input.serverKey) mutators.push({ variable: 'ZMQ_TOPOLOGY_SERVER_KEY', op: 'replace', value: input.serverKey });
  if (input.heartbeats && input.heartbeats.length > 0) {
    mutators.push({ variable: 'ZMQ_TOPOLOGY_HEARTBEATS', op: 'replace', value: input.heartbeats.join(',') });
  }
  return {
    kind: 'apply',
    mutators,
    description: `ZeroMQ Topology: Node.js and Python processes started here report their ZeroMQ sockets to ${input.endpoint}`,
  };
}

/** What a terminal's environment becomes under the mutators (VS Code's semantics: plain concatenation). */
export function applyMutators(base: Readonly<Record<string, string | undefined>>, mutators: readonly EnvMutator[]): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...base };
  for (const m of mutators) {
    const current = env[m.variable] ?? '';
    env[m.variable] = m.op === 'replace' ? m.value : m.op === 'append' ? current + m.value : m.value + current;
  }
  return env;
}
