/**
 * Keeps the sidebar tree, the status bar and the context keys in step with the store: one snapshot
 * per refresh, at most one refresh a second from diffs, at once on collector/pause changes, and on a
 * one-second clock because ages move without diffs. The tree is only rebuilt while it is visible and
 * updates are not paused.
 */
import * as vscode from 'vscode';
import type { CollectorControl } from '../host/collectorControl.vscode';
import type { LiveUpdates } from '../host/liveUpdates.vscode';
import type { TopologyStatusBar } from './statusBar.vscode';
import type { TopologyTreeProvider } from './topologyTree.vscode';
import { contextKeyValues, type ContextKeyValues } from './contextKeys';
import { countSnapshot } from './statusBar';
import { treeViewDescription } from './topologyTree';

const INTERVAL_MS = 1000;

export class ViewRefresher implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly timer: ReturnType<typeof setInterval>;
  private pending: ReturnType<typeof setTimeout> | undefined;
  private readonly contextValues = new Map<string, unknown>();
  private treeStale = true;
  private lastDown = 0;

  constructor(
    private readonly control: CollectorControl,
    private readonly live: LiveUpdates,
    private readonly tree: TopologyTreeProvider,
    private readonly treeView: vscode.TreeView<unknown>,
    private readonly status: TopologyStatusBar,
  ) {
    this.disposables.push(
      control.onDiff(() => this.soon()),
      control.onDidChangeState(() => this.refresh()),
      control.onDidReset(() => this.refresh(true)),
      live.onDidChange(() => this.refresh(true)),
      treeView.onDidChangeVisibility((e) => {
        if (e.visible && this.treeStale) this.refresh(true);
      }),
    );
    this.timer = setInterval(() => this.refresh(), INTERVAL_MS);
    this.refresh(true);
  }

  private soon(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.refresh();
    }, INTERVAL_MS);
  }

  /** `forceTree`: rebuild the tree even when hidden (so it is right when it shows). */
  refresh(forceTree = false): void {
    const { control, live } = this;
    const snapshot = control.snapshot();
    this.status.update(snapshot, control.phase, control.endpoint, control.lastError);
    this.setContext(contextKeyValues(snapshot, control.phase, live.paused));
    const down = countSnapshot(snapshot).down;
    if (down !== this.lastDown) this.treeView.badge = down > 0 ? { value: down, tooltip: `${down} connection${down === 1 ? '' : 's'} dead, retrying or disconnected` } : undefined;
    this.lastDown = down;
    this.treeView.description = treeViewDescription(snapshot);
    if (live.paused) {
      this.treeView.message = 'Live updates are paused: this is the topology as it was. Run "ZeroMQ: Resume Live Updates" to follow it again.';
      this.treeStale = true;
      return;
    }
    this.treeView.message = undefined;
    if (this.treeView.visible || forceTree) {
      this.tree.update(snapshot);
      this.treeStale = false;
    } else {
      this.treeStale = true;
    }
  }

  private setContext(values: ContextKeyValues): void {
    for (const [key, value] of Object.entries(values)) {
      if (this.contextValues.get(key) === value) continue;
      this.contextValues.set(key, value);
      void vscode.commands.executeCommand('setContext', key, value);
    }
  }

  dispose(): void {
    clearInterval(this.timer);
    if (this.pending) clearTimeout(this.pending);
    for (const d of this.disposables) d.dispose();
  }
}
