import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EDGE_STATES } from '../../src/shared/snapshot';
import {
  routingIdWithAttribution,
  binDisplay, disconnectBadge, disconnectDetail, edgeAgeLabel, edgeLabel, formatAge, formatRate, liveAge, nodeLabel, safeText,
  socketNameLabel, socketTitle, socketTypeLabel, stateStyle, STATE_STYLES, truncate, LABEL_CHARS,
} from '../../src/shared/format';

test('ages read as a person reads them', () => {
  assert.equal(formatAge(null), 'never');
  assert.equal(formatAge(0), '0.0s');
  assert.equal(formatAge(849), '0.8s');
  assert.equal(formatAge(3_250), '3.2s');
  assert.equal(formatAge(9_999), '9.9s');
  assert.equal(formatAge(12_400), '12s');
  assert.equal(formatAge(185_000), '3m05s');
  assert.equal(formatAge(2 * 3_600_000 + 4 * 60_000), '2h04m');
  assert.equal(formatAge(3 * 86_400_000), '3d');
  assert.equal(formatAge(-500), '0.0s', 'clock skew never shows a negative age');
});

test('edge labels: heartbeat age when heartbeats were seen, else traffic age, plus state', () => {
  assert.equal(edgeAgeLabel(800, 100), '♥ 0.8s');
  assert.equal(edgeAgeLabel(null, 3_200), 'traffic 3.2s');
  assert.equal(edgeAgeLabel(null, null), 'no traffic yet');
  assert.equal(edgeLabel('connected', 800, null), '♥ 0.8s ✓ connected');
  assert.equal(edgeLabel('late', null, 4_200), 'traffic 4.2s ◔ late');
  assert.equal(edgeLabel('disconnected', 30_000, 29_000, 12_400), '⊘ disconnected 12s ago', 'a gone edge says when it went');
  assert.equal(edgeLabel('disconnected', 800, null), '♥ 0.8s ⊘ disconnected', 'no disconnect time known: the ages');
});

test('ages tick locally: age at now = reported age + time since the update', () => {
  assert.equal(liveAge(800, 1_000, 1_000), 800);
  assert.equal(liveAge(800, 1_000, 1_450), 1_250);
  assert.equal(liveAge(800, 1_000, 900), 800);
  assert.equal(liveAge(null, 1_000, 5_000), null);
});

test('every state has its own class, theme colour, dash and glyph (never colour alone)', () => {
  const expectedColours = {
    connecting: '--vscode-charts-blue', connected: '--vscode-charts-green', quiet: '--vscode-descriptionForeground', late: '--vscode-charts-yellow',
    dead: '--vscode-charts-red', retrying: '--vscode-editorWarning-foreground', disconnected: '--vscode-disabledForeground',
  };
  for (const state of EDGE_STATES) {
    const style = stateStyle(state);
    assert.equal(style.cssClass, `state-${state}`);
    assert.equal(style.colorVar, expectedColours[state]);
    assert.ok(style.glyph.length > 0 && style.meaning.length > 0);
  }
  const dashes = new Set(EDGE_STATES.map((s) => STATE_STYLES[s].dash));
  const glyphs = new Set(EDGE_STATES.map((s) => STATE_STYLES[s].glyph));
  assert.equal(dashes.size, EDGE_STATES.length, 'each state has a distinct dash pattern');
  assert.equal(glyphs.size, EDGE_STATES.length, 'each state has a distinct glyph');
});

test('hostile identities become safe display strings', () => {
  const html = '<img src=x onerror=alert(1)>';
  // Display keeps the text as text: the DOM gets it via textContent, so it must not be "escaped" twice.
  assert.equal(binDisplay({ hex: Buffer.from(html).toString('hex'), text: html }), html);
  assert.equal(binDisplay({ hex: 'ff00fe' }), '0xff00fe');
  assert.equal(binDisplay({ hex: 'FF' }), '0xff');
  assert.equal(binDisplay({ hex: 'zz<script>' }), '0x?', 'a malformed hex field is not echoed');
  assert.equal(binDisplay({ hex: '1b5b33316d', text: '\u001b[31m' }), '0x1b5b33316d', 'control characters fall back to hex');
  assert.equal(binDisplay({ hex: 'e280ae', text: '\u202e' }), '0xe280ae', 'bidi overrides fall back to hex');
  assert.equal(binDisplay(undefined), '');

  const long = 'x'.repeat(10_000);
  assert.equal(Array.from(binDisplay({ hex: '78', text: long }, 40)).length, 40);
  assert.ok(binDisplay({ hex: '78', text: long }, 40).endsWith('…'));
  assert.equal(Array.from(binDisplay({ hex: 'ff'.repeat(255) }, LABEL_CHARS)).length, LABEL_CHARS);
  assert.equal(truncate('😀😀😀', 2), '😀…', 'never splits a surrogate pair');
  assert.equal(safeText('WORKER\u0000GONE\u001b'), 'WORKER\ufffdGONE\ufffd');
});

test('socket labels: type, name, routing id; unknown peers say so', () => {
  const rid = { hex: '776f726b65722d31', text: 'worker-1' };
  assert.equal(socketTypeLabel({ type: 'ROUTER' }), 'ROUTER');
  assert.equal(socketTypeLabel({ type: 'SERVER' }), 'SERVER (draft)');
  assert.equal(socketTypeLabel({ type: 'UNKNOWN', unknown: true }), 'unknown peer');
  assert.equal(socketNameLabel({ name: 'backend' }), 'backend');
  assert.equal(socketNameLabel({ routingId: rid }), 'worker-1');
  assert.equal(socketNameLabel({ name: 'worker-1', routingId: rid }), 'worker-1', 'name equal to id is not repeated');
  assert.equal(socketNameLabel({ name: 'w', routingId: { hex: 'ff' } }), 'w · 0xff');
  assert.equal(socketNameLabel({ routingId: { hex: '52', text: 'R' }, unknown: true }), 'R');
  assert.equal(socketNameLabel({ unknown: true, binds: ['tcp://10.0.0.9:5555'] }), 'at tcp://10.0.0.9:5555');
  assert.equal(nodeLabel({ name: 'unknown peer R', pid: 0, title: 'unknown peer', unknown: true }), 'unknown peer R');
  assert.equal(socketTitle({ type: 'UNKNOWN', unknown: true, routingId: { hex: '52', text: 'R' } }), 'unknown peer R');
  assert.ok(Array.from(socketNameLabel({ name: 'n'.repeat(500) })).length <= LABEL_CHARS);
  assert.equal(nodeLabel({ name: 'broker', pid: 42, title: 'node' }), 'broker (pid 42)');
  assert.equal(nodeLabel({ name: '', pid: 42, title: 'python app.py', probe: true }), 'python app.py (probe)');
});

test('disconnect badge shows the message (or the reason), truncated; the detail keeps both', () => {
  const edge = { lastDisconnect: { at: 1, message: 'WORKER_GONE', reason: 'peer process exited' } };
  assert.equal(disconnectBadge(edge), 'WORKER_GONE');
  assert.equal(disconnectDetail(edge), 'message "WORKER_GONE" — peer process exited');
  const silent = { lastDisconnect: { at: 1, message: null, reason: 'heartbeat timeout' } };
  assert.equal(disconnectBadge(silent), 'heartbeat timeout');
  assert.equal(disconnectDetail(silent), 'no disconnect message set — heartbeat timeout');
  assert.equal(disconnectBadge({ lastDisconnect: null }), null);
  const long = { lastDisconnect: { at: 1, message: `${'A'.repeat(300)}<script>`, reason: 'x' } };
  assert.equal(Array.from(disconnectBadge(long) ?? '').length, LABEL_CHARS);
});

test('rates', () => {
  assert.equal(formatRate(0), '0/s');
  assert.equal(formatRate(3.24), '3.2/s');
  assert.equal(formatRate(120.4), '120/s');
  assert.equal(formatRate(NaN), '0/s');
});

test('a routing id says how its peer was tied to the socket', () => {
  assert.equal(routingIdWithAttribution('0x006b8b4567', 'content'), '0x006b8b4567 — automatic id, matched by the first messages both ends saw');
  assert.match(routingIdWithAttribution('w1', 'only-candidate'), /^w1 — guessed/);
  assert.equal(routingIdWithAttribution('w1', undefined), 'w1');
});
