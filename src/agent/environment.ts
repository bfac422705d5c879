/**
 * The environment that loads the agents into a process: `ZMQ_TOPOLOGY_ENDPOINT`, `NODE_OPTIONS`
 * (--require the Node agent) and `PYTHONPATH` (the Python agent's sitecustomize), merged with what
 * the process would have had. Shared by the CLI (`env`, `run`) and the extension (Copy Agent
 * Environment, Start Demo, instrumented terminals, F5). Pure: no vscode, no I/O.
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

// ── as the extension offers it (Copy Agent Environment, Start Demo, terminals, F5) ──────────────

export const DEFAULT_HEARTBEAT_PATTERNS: readonly string[] = ['\\x02', 'HEARTBEAT', 'PING', 'PONG', 'HUGZ', 'MDPW01|\\x04'];

export interface ExtensionAgentPaths {
  nodeAgent: string;
  pythonAgentDir: string;
}

export function extensionAgentPaths(extensionPath: string): ExtensionAgentPaths {
  return {
    nodeAgent: path.join(extensionPath, 'dist', 'agent.js'),
    pythonAgentDir: path.join(extensionPath, 'agents', 'python'),
  };
}

/**
 * Heartbeat patterns from the setting, as ZMQ_TOPOLOGY_HEARTBEATS can carry them: non-strings and
 * empty entries dropped, and a comma (the list separator) written as its `\x2c` escape.
 */
export function heartbeatPatterns(setting: unknown): string[] {
  if (!Array.isArray(setting)) return [...DEFAULT_HEARTBEAT_PATTERNS];
  return setting
    .filter((p): p is string => typeof p === 'string' && p.length > 0)
    .map((p) => p.replace(/,/g, '\\x2c'));
}

/** The shell family of the user's default shell (vscode.env.shell), for the export syntax. */
export function shellKind(shellPath: string | undefined, platform: NodeJS.Platform = process.platform): Shell {
  const base = (shellPath ?? '').split(/[\\/]/).pop()?.toLowerCase() ?? '';
  if (base.startsWith('pwsh') || base.startsWith('powershell')) return 'powershell';
  if (base.startsWith('fish')) return 'fish';
  if (base.length === 0 && platform === 'win32') return 'powershell';
  return 'sh';
}

export interface ExtensionAgentEnvOptions {
  endpoint: string;
  extensionPath: string;
  heartbeats?: readonly string[];
  nodeName?: string;
  /** The collector's CURVE public key when it requires CURVE (CollectorControl.serverKey). */
  serverKey?: string;
  /** The environment being extended (NODE_OPTIONS / PYTHONPATH are merged with it); none for copy. */
  base?: Readonly<Record<string, string | undefined>>;
}

/** Variables that instrument a process for this extension's collector. */
export function extensionAgentEnv(o: ExtensionAgentEnvOptions): Record<string, string> {
  const paths = extensionAgentPaths(o.extensionPath);
  // Only pass patterns when they differ from the agents' defaults, so the copied text stays short.
  const custom = o.heartbeats !== undefined
    && (o.heartbeats.length !== DEFAULT_HEARTBEAT_PATTERNS.length || o.heartbeats.some((p, i) => p !== DEFAULT_HEARTBEAT_PATTERNS[i]));
  return agentEnv({
    endpoint: o.endpoint,
    nodeAgent: paths.nodeAgent,
    pythonAgentDir: paths.pythonAgentDir,
    nodeName: o.nodeName,
    serverKey: o.serverKey,
    heartbeats: custom ? o.heartbeats : undefined,
    base: o.base ?? {},
  });
}

/** The text Copy Agent Environment puts on the clipboard: a comment, then one line per variable. */
export function agentEnvText(o: ExtensionAgentEnvOptions & { shell?: Shell }): string {
  const shell = o.shell ?? 'sh';
  return `# ZeroMQ Topology: processes started from this shell report to ${o.endpoint}\n${shellExports(extensionAgentEnv(o), shell)}\n`;
}
