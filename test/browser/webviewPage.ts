/**
 * Serves the graph webview to a real browser the way VS Code would: the page from graphHtml() with
 * its CSP, the webpack bundle and style.css, plus a shim standing in for acquireVsCodeApi (the VS Code
 * boundary: it records posted messages and keeps getState/setState in sessionStorage, so a reload
 * behaves like hide/show of a webview).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { graphHtml, makeNonce } from '../../src/views/graphPanel';

export const ROOT = path.resolve(__dirname, '../../..');
export const BUNDLE = path.join(ROOT, 'dist', 'webview.js');

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds dist/webview.js when it is missing or older than the webview sources. */
export function ensureBundle(): void {
  // The bundle's inputs: the webview folder and src/shared, the only layer it may import (docs/ARCHITECTURE.md "Layers").
  const sources = Math.max(newestMtime(path.join(ROOT, 'webview')), newestMtime(path.join(ROOT, 'src', 'shared')));
  if (fs.existsSync(BUNDLE) && fs.statSync(BUNDLE).mtimeMs >= sources) {
    return;
  }
  const cli = require.resolve('webpack-cli/bin/cli.js', { paths: [ROOT] });
  const result = spawnSync(process.execPath, [cli, '--config-name', 'webview', '--mode', 'development'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`webpack failed:\n${result.stdout}\n${result.stderr}`);
  }
}

/** Plausible theme values, as VS Code injects them (variables on <html>, class on <body>). */
export const THEMES: Record<string, { bodyClass: string; vars: Record<string, string> }> = {
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      '--vscode-editor-background': '#1e1e1e', '--vscode-editor-foreground': '#d4d4d4', '--vscode-charts-green': '#89d185',
      '--vscode-charts-yellow': '#cca700', '--vscode-charts-red': '#f14c4c', '--vscode-charts-blue': '#3794ff',
      '--vscode-editorWarning-foreground': '#cca700', '--vscode-disabledForeground': '#cccccc80',
      '--vscode-descriptionForeground': '#ccccccb3', '--vscode-panel-border': '#80808059', '--vscode-editorWidget-background': '#252526',
      '--vscode-focusBorder': '#007fd4', '--vscode-errorForeground': '#f48771', '--vscode-sideBar-background': '#252526', '--vscode-button-background': '#0e639c',
      '--vscode-button-foreground': '#ffffff', '--vscode-input-background': '#3c3c3c', '--vscode-input-foreground': '#cccccc',
      '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px',
    },
  },
  light: {
    bodyClass: 'vscode-light',
    vars: {
      '--vscode-editor-background': '#ffffff', '--vscode-editor-foreground': '#000000', '--vscode-charts-green': '#388a34',
      '--vscode-charts-yellow': '#bf8803', '--vscode-charts-red': '#e51400', '--vscode-charts-blue': '#1a85ff',
      '--vscode-editorWarning-foreground': '#bf8803', '--vscode-disabledForeground': '#61616180',
      '--vscode-descriptionForeground': '#717171', '--vscode-panel-border': '#80808059', '--vscode-editorWidget-background': '#f3f3f3',
      '--vscode-focusBorder': '#0090f1', '--vscode-errorForeground': '#a1260d', '--vscode-sideBar-background': '#f3f3f3', '--vscode-button-background': '#007acc',
      '--vscode-button-foreground': '#ffffff', '--vscode-input-background': '#ffffff', '--vscode-input-foreground': '#616161',
      '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px',
    },
  },
  'high-contrast': {
    bodyClass: 'vscode-high-contrast',
    vars: {
      '--vscode-editor-background': '#000000', '--vscode-editor-foreground': '#ffffff', '--vscode-charts-green': '#89d185',
      '--vscode-charts-yellow': '#ffd700', '--vscode-charts-red': '#f48771', '--vscode-charts-blue': '#3794ff',
      '--vscode-editorWarning-foreground': '#ffd700', '--vscode-disabledForeground': '#a5a5a5',
      '--vscode-descriptionForeground': '#ffffff', '--vscode-contrastBorder': '#6fc3df', '--vscode-editorWidget-background': '#0c141f',
      '--vscode-focusBorder': '#f38518', '--vscode-errorForeground': '#f48771', '--vscode-sideBar-background': '#000000', '--vscode-button-background': '#000000',
      '--vscode-button-foreground': '#ffffff', '--vscode-button-border': '#6fc3df', '--vscode-input-background': '#000000',
      '--vscode-input-foreground': '#ffffff', '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px',
    },
  },
};

const SHIM = `(() => {
  const STATE_KEY = 'vscode-webview-state';
  window.__posted = [];
  window.__stateWrites = 0;
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi may only be called once');
    acquired = true;
    return {
      postMessage: (message) => { window.__posted.push(JSON.parse(JSON.stringify(message))); },
      getState: () => { const saved = sessionStorage.getItem(STATE_KEY); return saved === null ? undefined : JSON.parse(saved); },
      setState: (state) => { window.__stateWrites++; sessionStorage.setItem(STATE_KEY, JSON.stringify(state)); },
    };
  };
  const themes = ${JSON.stringify(THEMES)};
  const theme = themes[new URLSearchParams(location.search).get('theme') || 'dark'];
  document.body.classList.add(theme.bodyClass);
  for (const [name, value] of Object.entries(theme.vars)) document.documentElement.style.setProperty(name, value);
})();`;

export interface WebviewServer {
  url: string;
  close(): Promise<void>;
}

export async function startWebviewServer(): Promise<WebviewServer> {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const send = (type: string, body: string | Buffer): void => {
      response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    if (url.pathname === '/') {
      const origin = `http://${request.headers.host ?? '127.0.0.1'}`;
      const nonce = makeNonce();
      const html = graphHtml({ scriptUri: `${origin}/dist/webview.js`, styleUri: `${origin}/webview/style.css`, cspSource: origin, nonce });
      // The shim goes in front of the bundle, under the same nonce, as VS Code's own preload would.
      send('text/html; charset=utf-8', html.replace('<script nonce=', `<script nonce="${nonce}" src="${origin}/shim.js"></script>\n  <script nonce=`));
    } else if (url.pathname === '/favicon.ico') {
      response.writeHead(204).end();
    } else if (url.pathname === '/shim.js') {
      send('text/javascript', SHIM);
    } else if (url.pathname === '/dist/webview.js') {
      send('text/javascript', fs.readFileSync(BUNDLE));
    } else if (url.pathname === '/webview/style.css') {
      send('text/css', fs.readFileSync(path.join(ROOT, 'webview', 'style.css')));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
