/**
 * Launch integration, the pure part: decides whether a debug configuration gets the agent and adds
 * the environment that does it. The vscode DebugConfigurationProvider is a thin wrapper around this.
 */
import { agentEnv } from '../agent/environment';
import type { InstrumentMode } from '../host/settings';

export interface DebugConfigLike {
  type: string;
  request: string;
  name: string;
  /** VS Code's `null` means "unset this variable" for the debuggee. */
  env?: Record<string, string | null>;
  zmqTopology?: boolean;
  [key: string]: unknown;
}


export interface InstrumentContext {
  mode: InstrumentMode;
  trusted: boolean;
  /** The running collector's endpoint; undefined when none is known. */
  endpoint: string | undefined;
  /** The collector's CURVE public key when it requires CURVE: without it the agent cannot connect. */
  serverKey?: string;
  nodeAgent: string;
  pythonAgentDir: string;
  heartbeats?: string[];
  /**
   * What the debuggee inherits beneath the configuration's env: the extension host's environment,
   * or for node-terminal the terminal's. Its NODE_OPTIONS / PYTHONPATH are kept, never replaced.
   */
  inheritedEnv?: Readonly<Record<string, string | undefined>>;
}

export interface InstrumentResult {
  config: DebugConfigLike;
  instrumented: boolean;
  reason?: string;
}

const NODE_TYPES = new Set(['node', 'pwa-node', 'node-terminal']);
const PYTHON_TYPES = new Set(['python', 'debugpy']);

/** The variable each runtime family loads the agent through (the other one is left alone). */
function loaderVariable(type: string): 'NODE_OPTIONS' | 'PYTHONPATH' | undefined {
  if (NODE_TYPES.has(type)) return 'NODE_OPTIONS';
  if (PYTHON_TYPES.has(type)) return 'PYTHONPATH';
  return undefined;
}

export function instrumentDebugConfiguration(config: DebugConfigLike, ctx: InstrumentContext): InstrumentResult {
  const skip = (reason: string): InstrumentResult => ({ config, instrumented: false, reason });
  if (ctx.mode === 'never') return skip('launch instrumentation is off (mode "never")');
  if (ctx.mode === 'flagged' && config.zmqTopology !== true) {
    return skip('not flagged: add "zmqTopology": true to the configuration, or set the mode to "always"');
  }
  const loader = loaderVariable(config.type);
  if (!loader) return skip(`debug type "${config.type}" is neither Node.js nor Python`);
  if (config.request !== 'launch') return skip(`a "${config.request}" configuration starts no process to instrument`);
  if (!ctx.trusted) return skip('the workspace is not trusted');
  if (!ctx.endpoint) return skip('no collector endpoint is known (the collector is not running)');

  const own = config.env ?? {};
  // null in the configuration unsets the inherited value, so there is nothing beneath to keep.
  const beneath = (name: string): string | undefined => (own[name] === null ? undefined : own[name] ?? ctx.inheritedEnv?.[name]);
  const added = agentEnv({
    endpoint: ctx.endpoint,
    serverKey: ctx.serverKey,
    nodeAgent: ctx.nodeAgent,
    pythonAgentDir: ctx.pythonAgentDir,
    nodeName: config.name,
    heartbeats: ctx.heartbeats,
    base: { NODE_OPTIONS: beneath('NODE_OPTIONS'), PYTHONPATH: beneath('PYTHONPATH') },
  });
  const unrelated = loader === 'NODE_OPTIONS' ? 'PYTHONPATH' : 'NODE_OPTIONS';
  const { [unrelated]: _unused, ...wanted } = added;
  return { config: { ...config, env: { ...own, ...wanted } }, instrumented: true };
}

export interface ConfigurationSnippet {
  label: string;
  description: string;
  body: Record<string, unknown>;
}

/** The debugger type under which the snippets are contributed: one of this extension's own (see below). */
export const SNIPPET_DEBUGGER_TYPE = 'zmqTopology';

/**
 * Entries for package.json `contributes.debuggers`. VS Code merges every extension's contribution for
 * one debug type with a shallow rule for arrays: a non-built-in extension never replaces an existing
 * `configurationSnippets` (checked in VS Code 1.100's Debugger.merge). Snippets contributed under
 * `node` would so be dropped (js-debug is built in and has its own), and under `debugpy` they would
 * either be dropped or, when merged first, hide the Python extension's own. So the snippets live under
 * a type of this extension's (no adapter, never offered as a debugger: no initial configurations, no
 * provider) while their bodies are `node` and `debugpy` launches. The `zmqTopology` attribute is added
 * to the built-in Node types' launch schema (an object merge, which adds a key without replacing
 * anything), so launch.json does not flag it; Python's schema is left alone (when the Python debugger
 * is missing, a schema of ours alone would flag every other attribute).
 */
export function debugSnippets(): { type: string; configurationSnippets?: ConfigurationSnippet[]; configurationAttributes?: Record<string, unknown> }[] {
  // `^"…"` and `\\${…}` are VS Code's snippet escapes: the variable stays literal in launch.json.
  const flag = {
    type: 'boolean',
    default: true,
    markdownDescription: 'Start this program with the ZeroMQ Topology agent so its sockets appear live in the topology ' +
      '(see `#zmqTopology.instrumentDebugSessions#`).',
  };
  return [
    {
      type: SNIPPET_DEBUGGER_TYPE,
      configurationSnippets: [
        {
          label: 'ZeroMQ: Launch with topology (Node.js)',
          description: 'Launch a Node.js program with the ZeroMQ Topology agent, so its sockets appear live',
          body: {
            type: 'node', request: 'launch', name: '${1:Launch with ZeroMQ topology}',
            program: '^"\\${workspaceFolder}/${2:index.js}"', zmqTopology: true,
          },
        },
        {
          label: 'ZeroMQ: Launch with topology (Python)',
          description: 'Launch a Python program with the ZeroMQ Topology agent, so its sockets appear live',
          body: {
            type: 'debugpy', request: 'launch', name: '${1:Launch with ZeroMQ topology}',
            program: '^"\\${file}"', console: 'integratedTerminal', zmqTopology: true,
          },
        },
      ],
    },
    ...['node', 'pwa-node', 'node-terminal'].map((type) => ({
      type,
      configurationAttributes: { launch: { properties: { zmqTopology: flag } } },
    })),
  ];
}

/** Node.js (js-debug) and Python (debugpy; `python` is its older name) debug types the provider serves. */
export const INSTRUMENTED_DEBUG_TYPES = ['node', 'pwa-node', 'node-terminal', 'python', 'debugpy'] as const;

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
