/**
 * Pause / Resume Live Updates: one switch for the graph and the tree. While paused the views keep
 * what they show (the store keeps collecting); resuming sends a fresh snapshot.
 */
import * as vscode from 'vscode';

export class LiveUpdates implements vscode.Disposable {
  private pausedValue = false;
  private readonly emitter = new vscode.EventEmitter<boolean>();
  readonly onDidChange = this.emitter.event;

  get paused(): boolean {
    return this.pausedValue;
  }

  setPaused(paused: boolean): void {
    if (paused === this.pausedValue) return;
    this.pausedValue = paused;
    this.emitter.fire(paused);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
