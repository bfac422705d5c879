/**
 * The status bar item: "$(pulse) ZMQ 6 processes · 1 late · 1 down", click opens the graph. Text,
 * tooltip and severity come from statusBar.ts; this only paints them (viewRefresher.vscode.ts decides when).
 */
import * as vscode from 'vscode';
import type { CollectorPhase, TopologySnapshot } from '../shared/snapshot';
import { statusSummary } from './statusBar';

export class TopologyStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem('zmqTopology.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'ZeroMQ Topology';
    this.item.command = 'zmqTopology.showGraph';
    this.item.show();
  }

  update(snapshot: TopologySnapshot | undefined, phase: CollectorPhase, endpoint: string | undefined, error: string | undefined): void {
    const s = statusSummary(snapshot, phase, endpoint, error);
    this.item.text = s.text;
    this.item.tooltip = s.tooltip;
    this.item.command = phase === 'failed' ? 'zmqTopology.showOutput' : 'zmqTopology.showGraph';
    this.item.backgroundColor = s.severity === 'error'
      ? new vscode.ThemeColor('statusBarItem.errorBackground')
      : s.severity === 'warning' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
