/**
 * The graph panel, the pure part (graphPanel.vscode.ts hosts it): the webview's HTML document, and
 * what the host does with each message from the webview.
 *
 * The page holds only static structure, one nonce'd script and one stylesheet, under a CSP that allows
 * nothing else; everything dynamic is created by webview/main.ts with textContent. The browser tests
 * load this very page. Every message from the webview is checked with isWebviewMessage() first, and
 * anything else is refused and reported, never acted on. No vscode import: tested in plain Node.
 */
import { randomBytes } from 'node:crypto';
import { isWebviewMessage, type WebviewMessage } from '../shared/messages';
import type { PlaySpeed } from '../shared/timeline';
import { EDGE_STATES } from '../shared/snapshot';

// ── the page ─────────────────────────────────────────────────────────────────────────────────────

export interface GraphHtmlOptions {
  /** asWebviewUri of dist/webview.js. */
  scriptUri: string;
  /** asWebviewUri of webview/style.css. */
  styleUri: string;
  /** webview.cspSource. */
  cspSource: string;
  /** A fresh makeNonce() per render. */
  nonce: string;
}

/** 128 random bits, base64url: unguessable, and safe inside an attribute and a CSP. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64url');
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// A CSP source must not be able to close the directive it sits in or add another one.
function assertCspToken(name: string, value: string): void {
  if (!/^[A-Za-z0-9+/=_\-.:*' ]+$/.test(value) || /[;,]/.test(value)) {
    throw new Error(`graphHtml: ${name} is not a valid CSP source: ${JSON.stringify(value)}`);
  }
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  assertCspToken('cspSource', cspSource);
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(nonce)) {
    throw new Error('graphHtml: nonce must be at least 16 base64 characters');
  }
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    // The layered layout runs ELK in a worker started from a blob: URL (webview/elkRunner.ts): the
    // webview's scripts come from another origin than the page, and a worker must be same-origin.
    'worker-src blob:',
  ].join('; ');
}

export function graphHtml({ scriptUri, styleUri, cspSource, nonce }: GraphHtmlOptions): string {
  const csp = contentSecurityPolicy(cspSource, nonce);
  const stateOptions = EDGE_STATES
    .map((state) => `<option value="${state}">${state}</option>`)
    .join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${escapeAttribute(csp)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${escapeAttribute(styleUri)}">
  <title>ZeroMQ Topology</title>
</head>
<body>
  <div id="toolbar" role="toolbar" aria-label="Graph controls">
    <input id="filter-text" type="search" placeholder="Filter processes and sockets" aria-label="Filter by name" spellcheck="false">
    <select id="filter-type" aria-label="Socket type"><option value="">all types</option></select>
    <select id="filter-state" aria-label="Connection state"><option value="">all states</option>${stateOptions}</select>
    <label class="toggle"><input id="hide-disconnected" type="checkbox"> hide disconnected</label>
    <select id="layout" aria-label="Layout"><option value="force">force layout</option><option value="layered">layered (connectors → binders)</option></select>
    <button id="fit" type="button" title="Fit the graph in the view">Fit</button>
    <button id="pause" type="button" aria-pressed="false" title="Pause live updates">Pause</button>
    <button id="legend-toggle" type="button" aria-expanded="false" aria-controls="legend">Legend</button>
    <span id="status" role="status" aria-live="polite"></span>
  </div>
  <div id="main">
    <div id="graph-container">
      <svg id="graph" role="img" aria-label="ZeroMQ topology graph"></svg>
      <div id="empty" class="empty">Waiting for telemetry…</div>
      <div id="tooltip" role="tooltip" hidden></div>
      <div id="legend" hidden></div>
    </div>
    <aside id="details" aria-label="Details"><p class="hint">Click a process, socket or connection for details.</p></aside>
  </div>
  <script nonce="${escapeAttribute(nonce)}" src="${escapeAttribute(scriptUri)}"></script>
</body>
</html>
`;
}

/** A page with one message and nothing else (a recording that cannot be opened): no script at all. */
export function messageHtml(title: string, text: string): string {
  const esc = (t: string) => escapeAttribute(t);
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="default-src 'none'">
  <title>${esc(title)}</title>
</head>
<body>
  <h2>${esc(title)}</h2>
  <p>${esc(text)}</p>
</body>
</html>
`;
}

// ── messages from the webview ────────────────────────────────────────────────────────────────────

export interface WebviewMessageHandlers {
  ready(): void;
  goToSource(socketId: string): void;
  selected(id: string | null): void;
  copy(text: string): void;
  svg(requestId: number, svg: string): void;
  setPaused(paused: boolean): void;
  /** The timeline (issue 16): show an instant (null = follow live), play, compare two instants. */
  seek(at: number | null): void;
  play(speed: PlaySpeed): void;
  compare(from: number, to: number): void;
  /** A message that failed validation; `summary` is safe to log (type and size only). */
  refused(summary: string): void;
}

/** A log-safe description of something that failed validation (never the content itself). */
export function describeRefused(raw: unknown): string {
  if (typeof raw !== 'object' || raw === null) return `a ${raw === null ? 'null' : typeof raw} value`;
  if (Array.isArray(raw)) return `an array of ${raw.length}`;
  const type = (raw as { type?: unknown }).type;
  const shownType = typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : typeof type;
  return `an object with type ${shownType} and keys ${Object.keys(raw).slice(0, 8).map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`;
}

/** Validates and dispatches; returns the message when it was accepted. */
export function routeWebviewMessage(raw: unknown, h: WebviewMessageHandlers): WebviewMessage | undefined {
  if (!isWebviewMessage(raw)) {
    h.refused(describeRefused(raw));
    return undefined;
  }
  switch (raw.type) {
    case 'ready': h.ready(); break;
    case 'goToSource': h.goToSource(raw.socketId); break;
    case 'selected': h.selected(raw.id); break;
    case 'copy': h.copy(raw.text); break;
    case 'svg': h.svg(raw.requestId, raw.svg); break;
    case 'setPaused': h.setPaused(raw.paused); break;
    case 'seek': h.seek(raw.at); break;
    case 'play': h.play(raw.speed); break;
    case 'compare': h.compare(raw.from, raw.to); break;
  }
  return raw;
}

/** Outstanding requestSvg round trips: each resolves with the webview's answer or fails on timeout. */
export class SvgRequests {
  private next = 1;
  private readonly pending = new Map<number, { resolve(svg: string): void; reject(err: Error): void; timer: ReturnType<typeof setTimeout> }>();

  /** Starts a request: `send` posts it; the promise settles on answer(), timeout or cancelAll(). */
  request(send: (requestId: number) => void, timeoutMs: number): Promise<string> {
    const requestId = this.next++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error(`the graph did not answer the SVG export within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(requestId, { resolve, reject, timer });
      try {
        send(requestId);
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(requestId);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** True when the answer matched a request we made (unsolicited answers are ignored). */
  answer(requestId: number, svg: string): boolean {
    const entry = this.pending.get(requestId);
    if (!entry) return false;
    clearTimeout(entry.timer);
    this.pending.delete(requestId);
    entry.resolve(svg);
    return true;
  }

  cancelAll(reason: string): void {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(new Error(reason));
      this.pending.delete(id);
    }
  }

  get size(): number {
    return this.pending.size;
  }
}
