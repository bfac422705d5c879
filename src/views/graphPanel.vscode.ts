/**
 * Hosts the d3 graph (webview/main.ts → dist/webview.js) in one WebviewPanel: reveals it when open,
 * sends a snapshot when the webview says `ready` and then coalesced diffs (at most one per
 * UPDATE_INTERVAL_MS), and acts on the webview's messages only after isWebviewMessage() accepted them.
 *
 * No retainContextWhenHidden: a hidden panel's webview is unloaded, and on showing it again it
 * reloads and asks for a snapshot with `ready`. The serializer revives the panel after a reload.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { HostMessage } from '../shared/messages';
import { graphHtml, makeNonce, routeWebviewMessage, SvgRequests } from './graphPanel';
import { DiffCoalescer } from './diffCoalescer';
import type { CollectorControl } from '../host/collectorControl.vscode';
import type { LiveUpdates } from '../host/liveUpdates.vscode';
import { showError, type Log } from '../host/log.vscode';
import type { Recordings } from '../host/recordings';
import { ringSource, TimelineService } from '../host/timeline';

export const GRAPH_VIEW_TYPE = 'zmqTopology.graph';
const UPDATE_INTERVAL_MS = 100;
const SVG_TIMEOUT_MS = 10_000;
const READY_TIMEOUT_MS = 15_000;
/** While the graph follows the live store, the live timeline's span (and new markers) are sent this often. */
const LIVE_TIMELINE_REFRESH_MS = 2000;

export interface GraphPanelDeps {
  extensionUri: vscode.Uri;
  control: CollectorControl;
  live: LiveUpdates;
  log: Log;
  goToSource(socketId: string): Promise<void>;
  /** The live ring behind the graph's timeline (issue 16); without it the graph has no timeline. */
  recordings?: Recordings;
}

/** The folder holding the graph's stylesheet: media/graph.css when present, else webview/style.css. */
function styleLocation(extensionUri: vscode.Uri): { folder: vscode.Uri; file: vscode.Uri } {
  const media = vscode.Uri.joinPath(extensionUri, 'media');
  const mediaCss = vscode.Uri.joinPath(media, 'graph.css');
  if (fs.existsSync(mediaCss.fsPath)) return { folder: media, file: mediaCss };
  const webview = vscode.Uri.joinPath(extensionUri, 'webview');
  return { folder: webview, file: vscode.Uri.joinPath(webview, 'style.css') };
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), styleLocation(extensionUri).folder],
  };
}

export class GraphPanel implements vscode.Disposable {
  private static current: GraphPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private readonly coalescer: DiffCoalescer;
  private readonly svgRequests = new SvgRequests();
  /** The webview has said `ready` since it last (re)loaded. */
  private ready = false;
  private readonly whenReady: (() => void)[] = [];
  /** The live timeline over the ring; `past` while it shows an instant instead of the live store. */
  private timeline: TimelineService | undefined;
  private past = false;
  /** The ring the timeline was made for (a new one replaces it). */
  private timelineRing: unknown;
  private readonly timelineTimer: NodeJS.Timeout;

  /** The open graph's timeline (Timeline: Next/Previous Event), if it has one. */
  static get currentTimeline(): TimelineService | undefined {
    return GraphPanel.current?.timeline;
  }

  static get isOpen(): boolean {
    return GraphPanel.current !== undefined;
  }

  static disposeCurrent(): void {
    GraphPanel.current?.dispose();
  }

  /** The graph settings changed: the open graph applies them at once. */
  static optionsChanged(): void {
    GraphPanel.current?.sendOptions();
  }

  /** Opens the graph, or reveals it when it is already open. */
  static show(deps: GraphPanelDeps): GraphPanel {
    if (GraphPanel.current) {
      GraphPanel.current.panel.reveal(undefined, false);
      return GraphPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(GRAPH_VIEW_TYPE, 'ZeroMQ Topology', vscode.ViewColumn.Active, webviewOptions(deps.extensionUri));
    GraphPanel.current = new GraphPanel(panel, deps);
    return GraphPanel.current;
  }

  /** Takes over a panel VS Code restored after a reload. */
  static revive(panel: vscode.WebviewPanel, deps: GraphPanelDeps): void {
    GraphPanel.current?.dispose();
    panel.webview.options = webviewOptions(deps.extensionUri);
    GraphPanel.current = new GraphPanel(panel, deps);
  }

  /** Opens or reveals the graph and selects `id` (socket, node or edge) in it. */
  static reveal(deps: GraphPanelDeps, id: string): void {
    const graph = GraphPanel.show(deps);
    graph.afterReady(() => graph.post({ type: 'reveal', id }));
  }

  /** The current graph as SVG text, opening the panel when needed. */
  static async requestSvg(deps: GraphPanelDeps): Promise<string> {
    const graph = GraphPanel.show(deps);
    await graph.readyPromise();
    return graph.svgRequests.request((requestId) => graph.post({ type: 'requestSvg', requestId }), SVG_TIMEOUT_MS);
  }

  private constructor(private readonly panel: vscode.WebviewPanel, private readonly deps: GraphPanelDeps) {
    this.coalescer = new DiffCoalescer((diff) => this.post({ type: 'diff', diff }), UPDATE_INTERVAL_MS);
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)),
      panel.onDidChangeViewState(() => {
        // A hidden webview is unloaded; it says `ready` again when it comes back.
        if (!panel.visible) {
          this.ready = false;
          this.coalescer.discard();
        }
      }),
      deps.control.onDiff((diff) => {
        if (this.ready && !deps.live.paused && !this.past) this.coalescer.push(diff);
      }),
      deps.control.onDidReset(() => {
        this.resetTimeline();
        this.sendSnapshot();
      }),
      deps.live.onDidChange((paused) => {
        if (!this.ready) return;
        this.post({ type: 'paused', paused });
        if (paused) this.coalescer.discard();
        else if (!this.past) this.sendSnapshot();
      }),
    );
    if (deps.recordings) {
      const sub = deps.recordings.onDidChange(() => {
        if (this.timelineRing !== deps.recordings?.ring) this.resetTimeline();
      });
      this.disposables.push({ dispose: () => sub.dispose() });
    }
    this.timelineTimer = setInterval(() => {
      if (this.ready && this.timeline && !this.past) this.post({ type: 'timeline', timeline: this.timeline.view() });
    }, LIVE_TIMELINE_REFRESH_MS);
  }

  /** A fresh live timeline over the current ring (after a ready, a new store, or a new ring length); the graph follows live. */
  private resetTimeline(): void {
    this.timeline?.dispose();
    this.timeline = undefined;
    const recordings = this.deps.recordings;
    const ring = recordings?.ring;
    this.timelineRing = ring;
    const wasPast = this.past;
    this.past = false;
    if (recordings && ring) {
      this.timeline = new TimelineService(ringSource(ring, recordings.ringMinutes), {
        timeline: (timeline) => this.post({ type: 'timeline', timeline }),
        snapshot: (snapshot) => {
          this.past = true;
          this.coalescer.discard();
          this.post({ type: 'snapshot', snapshot });
        },
        comparison: (comparison) => this.post({ type: 'comparison', comparison }),
        follow: () => {
          this.past = false;
          this.sendSnapshot();
        },
        error: (message) => {
          this.deps.log.info(`Graph timeline: ${message}`);
          vscode.window.setStatusBarMessage(`$(warning) ZeroMQ timeline: ${message}`, 5000);
        },
      });
    }
    if (!this.ready) return;
    this.post({ type: 'timeline', timeline: this.timeline?.view() ?? null });
    if (wasPast) this.sendSnapshot();
  }

  private html(): string {
    const webview = this.panel.webview;
    const { extensionUri } = this.deps;
    return graphHtml({
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(styleLocation(extensionUri).file).toString(),
      cspSource: webview.cspSource,
      nonce: makeNonce(),
    });
  }

  private post(message: HostMessage): void {
    if (!this.ready) return;
    this.panel.webview.postMessage(message).then(
      (delivered) => {
        if (!delivered && message.type !== 'diff') this.deps.log.info(`Graph: a "${message.type}" message was not delivered (the panel is hidden or closing)`);
      },
      (err: unknown) => this.deps.log.error(`Graph: posting "${message.type}" failed`, err),
    );
  }

  private sendOptions(): void {
    this.post({ type: 'options', options: this.deps.control.currentSettings.graph });
  }

  private sendSnapshot(): void {
    if (!this.ready) return;
    this.coalescer.discard();
    this.post({ type: 'snapshot', snapshot: this.deps.control.snapshot() });
  }

  private afterReady(action: () => void): void {
    if (this.ready) action();
    else this.whenReady.push(action);
  }

  private readyPromise(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the graph view did not load within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      this.afterReady(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private onMessage(raw: unknown): void {
    const { log, live } = this.deps;
    routeWebviewMessage(raw, {
      ready: () => {
        this.ready = true;
        this.post({ type: 'paused', paused: live.paused });
        this.sendOptions();
        this.resetTimeline();
        this.sendSnapshot();
        for (const action of this.whenReady.splice(0)) action();
      },
      goToSource: (socketId) => {
        this.deps.goToSource(socketId).catch((err: unknown) => showError(log, 'Go to Source', err));
      },
      selected: () => undefined,
      copy: (text) => {
        vscode.env.clipboard.writeText(text).then(
          () => vscode.window.setStatusBarMessage('$(copy) Copied', 2000),
          (err: unknown) => showError(log, 'Copying to the clipboard failed', err),
        );
      },
      svg: (requestId, svg) => {
        if (!this.svgRequests.answer(requestId, svg)) log.info(`Graph: ignored an SVG answer to request ${requestId}, which is not pending`);
      },
      setPaused: (paused) => live.setPaused(paused),
      seek: (at) => this.timeline?.seek(at),
      play: (speed) => this.timeline?.play(speed),
      compare: (from, to) => this.timeline?.compare(from, to),
      refused: (summary) => log.info(`Graph: refused a malformed message from the webview: ${summary}`),
    });
  }

  dispose(): void {
    if (GraphPanel.current === this) GraphPanel.current = undefined;
    this.svgRequests.cancelAll('the graph panel was closed');
    clearInterval(this.timelineTimer);
    this.timeline?.dispose();
    this.coalescer.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}

/** Keeps the graph across window reloads (the panel is restored and asks for a snapshot). */
export function registerGraphSerializer(deps: GraphPanelDeps): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(GRAPH_VIEW_TYPE, {
    deserializeWebviewPanel(panel: vscode.WebviewPanel): Thenable<void> {
      GraphPanel.revive(panel, deps);
      return Promise.resolve();
    },
  });
}

