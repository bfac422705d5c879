/**
 * The agent environment as the extension offers it (Copy Agent Environment, Start Demo): where the
 * agents live inside the installed extension, the heartbeat patterns from the settings, and shell
 * lines for the user's shell. Pure (no vscode).
 */
import * as path from 'node:path';
import { agentEnv, shellExports, type Shell } from '../launch/agentEnv';

export const DEFAULT_HEARTBEAT_PATTERNS: readonly string[] = ['\\x02', 'HEARTBEAT', 'PING', 'PONG'];

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
