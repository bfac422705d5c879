import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentSecurityPolicy, graphHtml, makeNonce } from '../../src/views/graphPanel';
import { isHostMessage, isWebviewMessage } from '../../src/shared/messages';

const options = {
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/webview/style.css',
  cspSource: 'https://*.vscode-cdn.net',
};

test('the page carries a strict CSP bound to this render\'s nonce', () => {
  const nonce = makeNonce();
  const html = graphHtml({ ...options, nonce });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
  assert.ok(csp, 'CSP meta present');
  assert.equal(csp, `default-src 'none'; script-src 'nonce-${nonce}'; style-src https://*.vscode-cdn.net; img-src https://*.vscode-cdn.net data:; font-src https://*.vscode-cdn.net; worker-src blob:`);
  assert.doesNotMatch(html, /unsafe-inline|unsafe-eval/);
  const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]);
  assert.equal(scripts.length, 1);
  assert.match(scripts[0], new RegExp(`nonce="${nonce}"`));
  assert.match(scripts[0], /src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/webview\.js"/);
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
  assert.doesNotMatch(html, /\sstyle=|<style/i, 'no inline styles');
  assert.doesNotMatch(html, /(src|href)="(?!https:\/\/file\+\.vscode-resource)/, 'no other content source');
});

test('nonces are fresh and unguessable; bad CSP inputs are refused', () => {
  const nonces = new Set(Array.from({ length: 100 }, makeNonce));
  assert.equal(nonces.size, 100);
  for (const nonce of nonces) {
    assert.match(nonce, /^[A-Za-z0-9_-]{22}$/);
  }
  assert.throws(() => contentSecurityPolicy("x; script-src 'unsafe-inline'", makeNonce()));
  assert.throws(() => contentSecurityPolicy('https://a', 'short'));
  const html = graphHtml({ ...options, scriptUri: 'x"><script>alert(1)</script>', nonce: makeNonce() });
  assert.doesNotMatch(html, /<script>alert/);
});

test('the host accepts only well-formed webview messages', () => {
  assert.ok(isWebviewMessage({ type: 'ready' }));
  assert.ok(isWebviewMessage({ type: 'goToSource', socketId: 'h:1:a/1' }));
  assert.ok(isWebviewMessage({ type: 'selected', id: null }));
  assert.ok(isWebviewMessage({ type: 'selected', id: 'x' }));
  assert.ok(isWebviewMessage({ type: 'copy', text: 'tcp://127.0.0.1:5555' }));
  assert.ok(isWebviewMessage({ type: 'svg', requestId: 3, svg: '<svg/>' }));
  assert.ok(isWebviewMessage({ type: 'setPaused', paused: true }));
  assert.ok(isWebviewMessage({ type: 'seek', at: null }));
  assert.ok(isWebviewMessage({ type: 'seek', at: 1_764_000_000_000 }));
  assert.ok(isWebviewMessage({ type: 'play', speed: 10 }));
  assert.ok(isWebviewMessage({ type: 'compare', from: 1, to: 2 }));
  for (const bad of [
    null, 'ready', [], {}, { type: 'nope' }, { type: 'goToSource' }, { type: 'goToSource', socketId: 5 },
    { type: 'goToSource', socketId: 'x'.repeat(5000) }, { type: 'selected' }, { type: 'copy', text: {} },
    { type: 'svg', requestId: -1, svg: '' }, { type: 'svg', requestId: 1.5, svg: '' }, { type: 'setPaused', paused: 'yes' },
    { type: 'seek' }, { type: 'seek', at: -1 }, { type: 'seek', at: Infinity }, { type: 'seek', at: '5' },
    { type: 'play', speed: 2 }, { type: 'play' }, { type: 'compare', from: 1 }, { type: 'compare', from: NaN, to: 2 },
  ]) {
    assert.equal(isWebviewMessage(bad), false, JSON.stringify(bad));
  }
  assert.ok(isHostMessage({ type: 'snapshot', snapshot: { nodes: [], sockets: [], edges: [] } }));
  assert.ok(isHostMessage({ type: 'diff', diff: { takenAt: 1 } }));
  assert.equal(isHostMessage({ type: 'snapshot', snapshot: {} }), false);
  assert.equal(isHostMessage({ type: 'requestSvg' }), false);
  assert.ok(isHostMessage({ type: 'timeline', timeline: null }));
  assert.ok(isHostMessage({ type: 'timeline', timeline: { markers: [] } }));
  assert.equal(isHostMessage({ type: 'timeline', timeline: {} }), false);
  assert.ok(isHostMessage({ type: 'comparison', comparison: { changes: [] } }));
});
