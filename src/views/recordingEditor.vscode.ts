/**
 * A readonly custom editor for .zmqrec files (drag one onto VS Code, or ZeroMQ: Open Recording…): the
 * graph webview (the graph panel's page and bundle) on the recording's replay, with its timeline
 * (host/timeline.ts). A damaged file opens with its readable part and a warning that says how much
 * was read; a file that is not a recording shows that message instead of the graph. Never a crash.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { openReplay, replaySource, TimelineService } from '../host/timeline';
import { showError, type Log } from '../host/log.vscode';
import type { Replay } from '../recording/replay';
import type { HostMessage } from '../shared/messages';
import { graphHtml, makeNonce, messageHtml, routeWebviewMessage } from './graphPanel';

export const RECORDING_VIEW_TYPE = 'zmqTopology.recording';

class RecordingDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri, readonly replay: Replay | undefined, readonly problem: string | undefined, readonly error: string | undefined) {}
  dispose(): void {
    // The replay is plain memory: let it go with the document.
  }
}

export interface RecordingEditorDeps {
  extensionUri: vscode.Uri;
  log: Log;
  goToSource(socketId: string): Promise<void>;
}

export class RecordingEditorProvider implements vscode.CustomReadonlyEditorProvider<RecordingDocument> {
  private static active: TimelineService | undefined;

  /** The focused recording's timeline (Timeline: Next/Previous Event). */
  static get activeTimeline(): TimelineService | undefined {
    return RecordingEditorProvider.active;
  }

  constructor(private readonly deps: RecordingEditorDeps) {}

  static register(deps: RecordingEditorDeps): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(RECORDING_VIEW_TYPE, new RecordingEditorProvider(deps), {
      supportsMultipleEditorsPerDocument: true,
      webviewOptions: { retainContextWhenHidden: false },
    });
  }

  openCustomDocument(uri: vscode.Uri): RecordingDocument {
    const started = performance.now();
    try {
      const { replay, problem } = openReplay(uri.fsPath);
      this.deps.log.info(`Opened recording ${uri.fsPath}: ${replay.recording.entries.length} inputs, ${replay.checkpointCount} checkpoints, ` +
        `${replay.markers.length} markers in ${Math.round(performance.now() - started)} ms${problem ? `; ${problem}` : ''}`);
      if (problem) void vscode.window.showWarningMessage(`ZeroMQ Topology: ${path.basename(uri.fsPath)}: ${problem}`);
      return new RecordingDocument(uri, replay, problem, undefined);
    } catch (err) {
      const message = (err as Error).message;
      this.deps.log.info(`Cannot open recording ${uri.fsPath}: ${message}`);
      return new RecordingDocument(uri, undefined, undefined, message);
    }
  }

  resolveCustomEditor(document: RecordingDocument, panel: vscode.WebviewPanel): void {
    const { extensionUri, log } = this.deps;
    const name = path.basename(document.uri.fsPath);
    if (!document.replay) {
      panel.webview.options = { enableScripts: false };
      panel.webview.html = messageHtml(`${name} cannot be opened`, document.error ?? 'unknown error');
      return;
    }
    const style = styleFile(extensionUri);
    panel.webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(style, '..')] };
    panel.webview.html = graphHtml({
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: panel.webview.asWebviewUri(style).toString(),
      cspSource: panel.webview.cspSource,
      nonce: makeNonce(),
    });
    let ready = false;
    const post = (message: HostMessage) => {
      if (ready) void panel.webview.postMessage(message);
    };
    const timeline = new TimelineService(replaySource(document.replay, name), {
      timeline: (view) => post({ type: 'timeline', timeline: view }),
      snapshot: (snapshot) => post({ type: 'snapshot', snapshot }),
      comparison: (comparison) => post({ type: 'comparison', comparison }),
      follow: () => undefined,
      error: (message) => void vscode.window.showWarningMessage(`ZeroMQ Topology: ${name}: ${message}`),
    });
    const focus = () => {
      if (panel.active) RecordingEditorProvider.active = timeline;
      else if (RecordingEditorProvider.active === timeline) RecordingEditorProvider.active = undefined;
    };
    const subs = [
      panel.onDidChangeViewState(() => {
        if (!panel.visible) ready = false;
        focus();
      }),
      panel.webview.onDidReceiveMessage((raw: unknown) => routeWebviewMessage(raw, {
        ready: () => {
          ready = true;
          timeline.refresh();
        },
        goToSource: (socketId) => {
          this.deps.goToSource(socketId).catch((err: unknown) => showError(log, 'Go to Source', err));
        },
        selected: () => undefined,
        copy: (text) => void vscode.env.clipboard.writeText(text),
        svg: () => undefined,
        setPaused: () => undefined,
        seek: (at) => timeline.seek(at),
        play: (speed) => timeline.play(speed),
        compare: (from, to) => timeline.compare(from, to),
        refused: (summary) => log.info(`Recording ${name}: refused a malformed message from the webview: ${summary}`),
      })),
    ];
    focus();
    panel.onDidDispose(() => {
      timeline.dispose();
      if (RecordingEditorProvider.active === timeline) RecordingEditorProvider.active = undefined;
      for (const s of subs) s.dispose();
      focus();
    });
  }
}

/** media/graph.css when present, else webview/style.css (as the graph panel). */
function styleFile(extensionUri: vscode.Uri): vscode.Uri {
  const media = vscode.Uri.joinPath(extensionUri, 'media', 'graph.css');
  return fs.existsSync(media.fsPath) ? media : vscode.Uri.joinPath(extensionUri, 'webview', 'style.css');
}
