/**
 * `zmqTopology.instrumentTerminals`: the agent environment in every integrated terminal, through the
 * extension's EnvironmentVariableCollection (plan and its reasons in instrumentedTerminals.ts). Re-applied when
 * the setting, the collector's endpoint, the heartbeat patterns or workspace trust change; cleared when
 * the setting is turned off. Terminals already open show VS Code's "relaunch" hint.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CollectorControl } from '../host/collectorControl.vscode';
import { extensionAgentPaths } from '../agent/environment';
import type { Log } from '../host/log.vscode';
import { readInstrumentTerminals, SECTION, SETTINGS } from '../host/settings';
import { terminalEnvPlan, type TerminalEnvPlan } from './instrumentedTerminals';

function terminalSettingsEnv(): Record<string, string | undefined> {
  const os = process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'osx' : 'linux';
  const env = vscode.workspace.getConfiguration('terminal.integrated.env').get<Record<string, unknown>>(os) ?? {};
  const pythonPath = env.PYTHONPATH;
  return typeof pythonPath === 'string' ? { PYTHONPATH: pythonPath } : {};
}

export class TerminalEnvironment implements vscode.Disposable {
  private lastSummary: string | undefined;
  /**
   * The last endpoint the collector ran on. While it stops or restarts, terminals keep pointing there
   * (agents reconnect when it is back); only a new endpoint, the setting or trust change what they get.
   */
  private knownEndpoint: string | undefined;

  constructor(
    private readonly collection: vscode.GlobalEnvironmentVariableCollection,
    private readonly control: CollectorControl,
    private readonly log: Log,
    private readonly extensionPath: string,
  ) {
    // The endpoint may differ after a restart: never restore a stale one in a new window's terminals.
    this.collection.persistent = false;
  }

  /** What new terminals get right now (also used by Open Instrumented Terminal). */
  plan(): TerminalEnvPlan {
    return terminalEnvPlan({
      enabled: readInstrumentTerminals(vscode.workspace.getConfiguration(SECTION).get(SETTINGS.instrumentTerminals)),
      trusted: vscode.workspace.isTrusted,
      endpoint: this.control.phase === 'running' ? this.control.endpoint : this.knownEndpoint,
      serverKey: this.control.serverKey,
      ...extensionAgentPaths(this.extensionPath),
      heartbeats: this.control.currentSettings.heartbeats,
      inheritedEnv: { PYTHONPATH: process.env.PYTHONPATH, ...terminalSettingsEnv() },
      delimiter: path.delimiter,
    });
  }

  /** Applies the plan when it differs from what the collection holds. */
  update(): void {
    if (this.control.phase === 'running' && this.control.endpoint) this.knownEndpoint = this.control.endpoint;
    const plan = this.plan();
    const summary = plan.kind === 'apply' ? JSON.stringify(plan.mutators) : `clear:${plan.reason}`;
    if (summary === this.lastSummary) return;
    const first = this.lastSummary === undefined;
    this.lastSummary = summary;
    this.collection.clear();
    if (plan.kind === 'clear') {
      this.collection.description = undefined;
      if (!first) this.log.info(`Integrated terminals are no longer instrumented: ${plan.reason}`);
      return;
    }
    for (const m of plan.mutators) this.collection[m.op](m.variable, m.value);
    this.collection.description = plan.description;
    this.log.info(`Integrated terminals are instrumented (new terminals; open ones show a relaunch hint): ${plan.mutators.map((m) => `${m.variable} ${m.op} ${m.value}`).join('; ')}`);
  }

  dispose(): void {
    // Nothing persists (persistent = false); clearing here keeps a disabled extension from leaving variables behind.
    this.collection.clear();
  }
}
