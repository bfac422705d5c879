/**
 * F5 with the agent: a thin DebugConfigurationProvider over instrumentDebugConfiguration (debugLaunch.ts,
 * where every decision is made). It runs after variable substitution, so the env it extends is the
 * final one, and it says in the Output channel what it injected or why it did not.
 *
 * Only vscode *types* are imported: what it reads from VS Code (the setting, workspace trust) and the
 * warning it shows come in as functions, so the unit tests drive this very class with plain objects.
 * extension.ts registers it for INSTRUMENTED_DEBUG_TYPES.
 */
import type * as vscode from 'vscode';
import { instrumentDebugConfiguration, type DebugConfigLike } from './debugLaunch';
import { readInstrumentMode } from '../host/settings';
import { describeLaunch, launchConcernsUs } from './debugLaunch';

/** The collector as the provider needs it (CollectorControl satisfies this). */
export interface CollectorLike {
  readonly phase: string;
  readonly endpoint: string | undefined;
  /** The CURVE public key agents need when the collector is bound off loopback. */
  readonly serverKey: string | undefined;
  readonly currentSettings: { heartbeats: string[] };
  onDidChangeState(listener: () => void): { dispose(): void };
}

export interface DebugProviderDeps {
  collector: CollectorLike;
  nodeAgent: string;
  pythonAgentDir: string;
  /** `zmqTopology.instrumentDebugSessions` as configured. */
  mode(): unknown;
  /** vscode.workspace.isTrusted. */
  trusted(): boolean;
  /** The debuggee's inherited environment (the extension host's). */
  inheritedEnv: Readonly<Record<string, string | undefined>>;
  log(line: string): void;
  /** A flagged launch that starts without the agent: a notification, so it is not a silent miss. */
  warn(message: string): void;
  /** How long a launch waits for a collector that is still starting (F5 right after the window opened). */
  startWaitMs?: number;
}

function whenNotStarting(collector: CollectorLike, ms: number, token: vscode.CancellationToken | undefined): Promise<void> {
  if (collector.phase !== 'starting') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      sub.dispose();
      cancel?.dispose();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const sub = collector.onDidChangeState(() => {
      if (collector.phase !== 'starting') done();
    });
    const cancel = token?.onCancellationRequested(done);
  });
}

export class TopologyDebugConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly deps: DebugProviderDeps) {}

  async resolveDebugConfigurationWithSubstitutedVariables(
    _folder: vscode.WorkspaceFolder | undefined,
    debugConfiguration: vscode.DebugConfiguration,
    token?: vscode.CancellationToken,
  ): Promise<vscode.DebugConfiguration> {
    const { deps } = this;
    const config = debugConfiguration as DebugConfigLike;
    const mode = readInstrumentMode(deps.mode());
    // Unflagged launches in mode "flagged" are not ours: no line in the Output channel for every F5.
    if (!launchConcernsUs(config, mode)) return debugConfiguration;
    await whenNotStarting(deps.collector, deps.startWaitMs ?? 5000, token);
    const result = instrumentDebugConfiguration(config, {
      mode,
      trusted: deps.trusted(),
      endpoint: deps.collector.phase === 'running' ? deps.collector.endpoint : undefined,
      serverKey: deps.collector.serverKey,
      nodeAgent: deps.nodeAgent,
      pythonAgentDir: deps.pythonAgentDir,
      heartbeats: deps.collector.currentSettings.heartbeats,
      inheritedEnv: deps.inheritedEnv,
    });
    deps.log(describeLaunch(config, result));
    if (!result.instrumented && config.zmqTopology === true && mode !== 'never') {
      deps.warn(`ZeroMQ Topology: "${config.name}" starts without the agent: ${result.reason ?? 'see the Output channel'}.`);
    }
    return result.config as vscode.DebugConfiguration;
  }
}
