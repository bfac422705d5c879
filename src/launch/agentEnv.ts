/**
 * The environment that instruments a process: shared by the CLI (`env`, `run`), Copy Agent
 * Environment and the launch integration. Pure: no vscode, no I/O.
 */
import * as path from 'node:path';

export interface AgentEnvOptions {
  /** Collector endpoint, e.g. tcp://127.0.0.1:5599. */
  endpoint: string;
  /** Absolute path of the Node agent (dist/agent.js). */
  nodeAgent: string;
  /** Absolute path of the folder holding the Python agent's sitecustomize.py. */
  pythonAgentDir: string;
  /** Display name for the process (ZMQ_TOPOLOGY_NODE). */
  nodeName?: string;
  /** Heartbeat frame patterns (ZMQ_TOPOLOGY_HEARTBEATS); the agents' defaults when absent. */
  heartbeats?: readonly string[];
  /** The collector's CURVE public key (Z85), when it requires CURVE: ZMQ_TOPOLOGY_SERVER_KEY. */
  serverKey?: string;
  /** The environment being extended: NODE_OPTIONS and PYTHONPATH are merged with it, never replaced. */
  base?: Readonly<Record<string, string | undefined>>;
  /** Path delimiter of the target platform (PYTHONPATH); defaults to this one's. */
  delimiter?: string;
}

/** NODE_OPTIONS wants a quoted path when it holds spaces; backslashes and quotes escaped. */
function nodeOptionPath(p: string): string {
  return /[\s"\\]/.test(p) ? `"${p.replace(/(["\\])/g, '\\$1')}"` : p;
}

export function mergeNodeOptions(existing: string | undefined, nodeAgent: string): string {
  const flag = `--require ${nodeOptionPath(nodeAgent)}`;
  const current = (existing ?? '').trim();
  if (current.includes(nodeAgent)) return current;
  return current ? `${current} ${flag}` : flag;
}

export function mergePythonPath(existing: string | undefined, dir: string, delimiter: string = path.delimiter): string {
  const parts = (existing ?? '').split(delimiter).filter((p) => p.length > 0);
  return [dir, ...parts.filter((p) => p !== dir)].join(delimiter);
}

/** Variables to add to (or overwrite in) the base environment. */
export function agentEnv(options: AgentEnvOptions): Record<string, string> {
  const base = options.base ?? {};
  const env: Record<string, string> = {
    ZMQ_TOPOLOGY_ENDPOINT: options.endpoint,
    NODE_OPTIONS: mergeNodeOptions(base.NODE_OPTIONS, options.nodeAgent),
    PYTHONPATH: mergePythonPath(base.PYTHONPATH, options.pythonAgentDir, options.delimiter),
  };
  if (options.serverKey) env.ZMQ_TOPOLOGY_SERVER_KEY = options.serverKey;
  if (options.nodeName) env.ZMQ_TOPOLOGY_NODE = options.nodeName;
  if (options.heartbeats && options.heartbeats.length > 0) env.ZMQ_TOPOLOGY_HEARTBEATS = options.heartbeats.join(',');
  return env;
}

export type Shell = 'sh' | 'fish' | 'powershell';

function quote(value: string, shell: Shell): string {
  if (shell === 'powershell') return `'${value.replace(/'/g, "''")}'`;
  if (shell === 'fish') return `'${value.replace(/(['\\])/g, '\\$1')}'`;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Lines a person pastes into a shell to instrument what they start there. */
export function shellExports(env: Record<string, string>, shell: Shell = 'sh'): string {
  return Object.entries(env)
    .map(([name, value]) => {
      if (shell === 'powershell') return `$env:${name} = ${quote(value, shell)}`;
      if (shell === 'fish') return `set -gx ${name} ${quote(value, shell)}`;
      return `export ${name}=${quote(value, shell)}`;
    })
    .join('\n');
}
