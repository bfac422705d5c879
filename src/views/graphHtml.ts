/**
 * The graph webview's HTML document. Pure (no vscode import) so it is tested in plain Node and used
 * by the browser tests as is. Everything dynamic is created by webview/main.ts with textContent;
 * this page holds only static structure, one nonce'd script and one stylesheet, under a CSP that
 * allows nothing else (no inline script or style, no remote content).
 */
import { randomBytes } from 'node:crypto';

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
  ].join('; ');
}

export function graphHtml({ scriptUri, styleUri, cspSource, nonce }: GraphHtmlOptions): string {
  const csp = contentSecurityPolicy(cspSource, nonce);
  const stateOptions = ['connecting', 'connected', 'late', 'dead', 'retrying', 'disconnected']
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
