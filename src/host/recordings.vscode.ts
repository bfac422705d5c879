/**
 * Recordings in VS Code (docs/RECORDING.md): host/recordings.ts kept on the collector's current store
 * (a restart replaces the store: the ring starts afresh and a recording in progress is stopped and
 * said so), the ring's length from the setting, the status bar item while recording (file and size;
 * a click stops it), and the context keys the command palette uses.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_STORE_OPTIONS } from '../model/store';
import type { CollectorControl } from './collectorControl.vscode';
import type { Log } from './log.vscode';
import { formatSize, Recordings } from './recordings';

/** The status bar's size is refreshed this often while recording. */
const STATUS_REFRESH_MS = 1000;

export class RecordingsHost implements vscode.Disposable {
  readonly recordings: Recordings;
  private readonly item = vscode.window.createStatusBarItem('zmqTopology.recording', vscode.StatusBarAlignment.Left, 99);
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly control: CollectorControl, log: Log, version: string) {
    const settings = control.currentSettings;
    this.recordings = new Recordings({
      ringMinutes: settings.ringMinutes,
      storeOptions: { ...settings.store, retryStorm: DEFAULT_STORE_OPTIONS.retryStorm },
      producer: `zmq-topology vscode ${version}`,
    });
    this.item.name = 'ZeroMQ Recording';
    this.item.command = 'zmqTopology.stopRecording';
    this.attach();
    const sub = this.recordings.onDidChange(() => this.update());
    this.disposables.push(
      { dispose: () => sub.dispose() },
      control.onDidReset(() => {
        const active = this.recordings.recording;
        this.attach();
        if (!active) return;
        log.info(`Recording to ${active.path} stopped: the collector restarted with a new model`);
        void vscode.window.showWarningMessage(`ZeroMQ Topology: the collector restarted with a new model, so the recording to ${path.basename(active.path)} stopped. ` +
          'It is complete up to the restart.');
      }),
    );
    this.update();
  }

  /** The setting changed: a new ring length applies at once. */
  setRingMinutes(minutes: number): void {
    this.recordings.setRingMinutes(minutes);
  }

  private attach(): void {
    this.recordings.attach(this.control.store, (tap) => this.control.setFrameTap(tap));
  }

  private update(): void {
    const active = this.recordings.recording;
    void vscode.commands.executeCommand('setContext', 'zmqTopology.recording', active !== undefined);
    void vscode.commands.executeCommand('setContext', 'zmqTopology.ringOn', this.recordings.ring !== undefined);
    if (!active) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.item.hide();
      return;
    }
    this.item.text = `$(record) REC ${formatSize(active.bytes)}`;
    this.item.tooltip = `Recording to ${active.path} since ${new Date(active.startedAt).toLocaleTimeString()} (${active.records} inputs written). Click to stop.`;
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    this.item.show();
    this.timer ??= setInterval(() => this.update(), STATUS_REFRESH_MS);
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const d of this.disposables.splice(0)) d.dispose();
    void this.recordings.dispose();
    this.item.dispose();
  }
}
