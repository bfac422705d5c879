/**
 * What the command handlers share: the collector and store, the pause switch, the log, the graph
 * panel's dependencies and where the extension is installed.
 */
import type * as vscode from 'vscode';
import type { CollectorControl } from './collectorControl';
import type { Log } from './log';
import type { LiveUpdates } from '../views/liveUpdates';
import type { GraphPanelDeps } from '../views/graphPanel';

export interface CommandContext {
  extensionUri: vscode.Uri;
  extensionPath: string;
  control: CollectorControl;
  live: LiveUpdates;
  log: Log;
  graph: GraphPanelDeps;
}
