/**
 * What the command handlers share: the collector and store, the pause switch, the log, the graph
 * panel's dependencies and where the extension is installed.
 */
import type * as vscode from 'vscode';
import type { CollectorControl } from '../host/collectorControl.vscode';
import type { Log } from '../host/log.vscode';
import type { LiveUpdates } from '../host/liveUpdates.vscode';
import type { GraphPanelDeps } from '../views/graphPanel.vscode';

export interface CommandContext {
  extensionUri: vscode.Uri;
  extensionPath: string;
  control: CollectorControl;
  live: LiveUpdates;
  log: Log;
  graph: GraphPanelDeps;
}
