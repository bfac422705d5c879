/**
 * The layered graph's geometry, measured in the real webview (real bundle, real CSP, ELK in its
 * worker) from the DOM: for the recorded demo topology and a generated 200-socket one, no edge label
 * overlaps a process box or another label, every edge starts on its connecting socket's box and ends
 * on its bound socket's box border, and no edge crosses a process box it does not belong to.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TopologySnapshot } from '../../src/shared/snapshot';
import type { HostMessage } from '../../src/shared/messages';
import { CHROMIUM_ARGS, ensureBundle, ROOT, startWebviewServer, type WebviewServer } from './webviewPage';
import { brokerTiers } from './topologies';

const recorded = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'webview', 'snapshot.json'), 'utf8')) as { snapshot: TopologySnapshot };
const SCREENSHOTS = path.join(ROOT, 'test-results', 'webview');
/** How far (px, at zoom 1) an end point may be from its socket box's border. */
const BORDER_TOLERANCE = 2;

interface Violations {
  edges: number;
  labels: number;
  labelOverProcess: string[];
  labelOverLabel: string[];
  startOffSocket: string[];
  endOffSocket: string[];
  crossesProcess: string[];
}

/**
 * Runs in the page. The view is set to zoom 1 first (so a pixel is a graph unit) and the level of
 * detail shows every label (geometry does not depend on the zoom; hidden labels have no box).
 */
function measureGeometry(tolerance: number): Violations {
  const svg = document.querySelector('#graph') as SVGSVGElement;
  svg.classList.remove('lod-no-edge-labels', 'lod-no-labels', 'lod-moving');
  (svg.querySelector('g.viewport') as SVGGElement).setAttribute('transform', 'translate(0,0) scale(1)');
  type Rect = { left: number; top: number; right: number; bottom: number };
  const rectOf = (element: Element): Rect => {
    const r = element.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
  };
  const overlap = (a: Rect, b: Rect, inset = 0.5): boolean =>
    Math.min(a.right, b.right) - Math.max(a.left, b.left) > inset && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > inset;
  const inside = (p: { x: number; y: number }, r: Rect, inset: number): boolean =>
    p.x > r.left + inset && p.x < r.right - inset && p.y > r.top + inset && p.y < r.bottom - inset;
  /** Distance from a point to a rectangle's border (0 on it). */
  const toBorder = (p: { x: number; y: number }, r: Rect): number => {
    if (p.x >= r.left && p.x <= r.right && p.y >= r.top && p.y <= r.bottom) {
      return Math.min(p.x - r.left, r.right - p.x, p.y - r.top, r.bottom - p.y);
    }
    const dx = Math.max(r.left - p.x, 0, p.x - r.right);
    const dy = Math.max(r.top - p.y, 0, p.y - r.bottom);
    return Math.hypot(dx, dy);
  };

  const groups = new Map<string, Rect>();
  for (const g of svg.querySelectorAll('g.group')) {
    groups.set(g.getAttribute('data-id') ?? '', rectOf(g.querySelector('rect.group-box') as Element));
  }
  const sockets = new Map<string, { rect: Rect; group: string }>();
  for (const s of svg.querySelectorAll('g.socket')) {
    sockets.set(s.getAttribute('data-id') ?? '', { rect: rectOf(s.querySelector('rect.socket-box') as Element), group: s.closest('g.group')?.getAttribute('data-id') ?? '' });
  }
  // A label is its age text and, when shown, its disconnect badge.
  const labels: { id: string; rect: Rect }[] = [];
  for (const label of svg.querySelectorAll('g.edge-label')) {
    const id = label.getAttribute('data-id') ?? '';
    const parts = [label.querySelector('text.edge-age'), label.querySelector('g.badge')].filter((e): e is Element => e !== null && getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().width > 0);
    for (const part of parts) {
      labels.push({ id, rect: rectOf(part) });
    }
  }
  const v: Violations = { edges: 0, labels: new Set(labels.map((l) => l.id)).size, labelOverProcess: [], labelOverLabel: [], startOffSocket: [], endOffSocket: [], crossesProcess: [] };
  for (const label of labels) {
    for (const [id, box] of groups) {
      if (overlap(label.rect, box)) {
        v.labelOverProcess.push(`${label.id} over ${id}`);
      }
    }
  }
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      if (labels[i].id !== labels[j].id && overlap(labels[i].rect, labels[j].rect)) {
        v.labelOverLabel.push(`${labels[i].id} / ${labels[j].id}`);
      }
    }
  }
  const edgeData = (window as unknown as { __edges: Record<string, { from: string; to: string }> }).__edges;
  for (const g of svg.querySelectorAll('g.edge')) {
    const id = g.getAttribute('data-id') ?? '';
    const line = g.querySelector('path.edge-line') as SVGPathElement;
    const ends = edgeData[id];
    const from = sockets.get(ends.from);
    const to = sockets.get(ends.to);
    const matrix = line.getScreenCTM();
    if (!from || !to || !matrix) {
      continue;
    }
    v.edges++;
    const length = line.getTotalLength();
    const at = (d: number): { x: number; y: number } => {
      const p = line.getPointAtLength(d).matrixTransform(matrix);
      return { x: p.x, y: p.y };
    };
    const start = at(0);
    const end = at(length);
    if (toBorder(start, from.rect) > tolerance) {
      v.startOffSocket.push(`${id}: ${toBorder(start, from.rect).toFixed(1)} px`);
    }
    if (toBorder(end, to.rect) > tolerance) {
      v.endOffSocket.push(`${id}: ${toBorder(end, to.rect).toFixed(1)} px`);
    }
    const crossed = new Set<string>();
    for (let d = 0; d <= length; d += 2) {
      const p = at(d);
      for (const [groupId, box] of groups) {
        if (groupId !== from.group && groupId !== to.group && inside(p, box, 1)) {
          crossed.add(groupId);
        }
      }
    }
    for (const groupId of crossed) {
      v.crossesProcess.push(`${id} through ${groupId}`);
    }
  }
  return v;
}

let browser: Browser;
let server: WebviewServer;

before(async () => {
  ensureBundle();
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  server = await startWebviewServer();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens the page, draws `snapshot` in the `layout` view and waits for its layout to settle. */
async function layered(snapshot: TopologySnapshot, problems: string[], layout: 'layered' | 'force' = 'layered'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') {
      problems.push(`console: ${message.text()}`);
    }
  });
  await page.goto(server.url);
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
  await page.evaluate((edges) => {
    (window as unknown as { __edges: Record<string, { from: string; to: string }> }).__edges = edges;
  }, Object.fromEntries(snapshot.edges.map((e) => [e.id, { from: e.from, to: e.to }])));
  const message: HostMessage = { type: 'snapshot', snapshot };
  await page.evaluate((m) => window.postMessage(m, '*'), message);
  await page.waitForFunction((n) => document.querySelectorAll('#graph g.edge').length === n, snapshot.edges.length);
  await page.selectOption('#layout', layout);
  await page.waitForTimeout(100);
  await page.waitForFunction(() => document.querySelector('#graph')?.getAttribute('data-layout') === 'settled', undefined, { timeout: 60_000 });
  return page;
}

function report(name: string, v: Violations): void {
  const count = (list: string[]): string => `${list.length}${list.length ? ` (${list.slice(0, 3).join('; ')}${list.length > 3 ? '; …' : ''})` : ''}`;
  console.log(`[geometry] ${name}: ${v.edges} edges, ${v.labels} labels; label over process ${count(v.labelOverProcess)}, label over label ${count(v.labelOverLabel)}, `
    + `start off socket ${count(v.startOffSocket)}, end off socket ${count(v.endOffSocket)}, crosses a process ${count(v.crossesProcess)}`);
}

function assertClean(v: Violations, edges: number): void {
  assert.equal(v.edges, edges, 'every edge was measured');
  assert.equal(v.labels, edges, 'every edge has a label with a box');
  assert.deepEqual(v.labelOverProcess, [], 'no edge label overlaps a process box');
  assert.deepEqual(v.labelOverLabel, [], 'no edge label overlaps another');
  assert.deepEqual(v.startOffSocket, [], 'every edge starts on its connecting socket\'s box');
  assert.deepEqual(v.endOffSocket, [], 'every edge ends on its bound socket\'s box border');
  assert.deepEqual(v.crossesProcess, [], 'no edge crosses a process box it does not belong to');
}

describe('force layout geometry', () => {
  test('in the force layout too, every edge starts on its connecting socket and its arrowhead ends on the bound socket\'s border', { timeout: 60_000 }, async () => {
    const problems: string[] = [];
    const page = await layered(recorded.snapshot, problems, 'force');
    try {
      assert.equal(await page.getAttribute('#graph', 'data-engine'), 'force');
      const v = await page.evaluate(measureGeometry, BORDER_TOLERANCE);
      report('the recorded demo, force layout', v);
      assert.equal(v.edges, recorded.snapshot.edges.length);
      assert.deepEqual(v.startOffSocket, []);
      assert.deepEqual(v.endOffSocket, []);
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
    }
  });
});

describe('layered graph geometry, measured in the page', () => {
  test('the layered view is the default with a ROUTER; a connection going down keeps the picture and shows its message in the room kept for it', { timeout: 120_000 }, async () => {
    const problems: string[] = [];
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    try {
      await page.goto(server.url);
      await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
      const snapshot = recorded.snapshot;
      await page.evaluate((edges) => {
        (window as unknown as { __edges: Record<string, { from: string; to: string }> }).__edges = edges;
      }, Object.fromEntries(snapshot.edges.map((e) => [e.id, { from: e.from, to: e.to }])));
      await page.evaluate((m) => window.postMessage(m, '*'), { type: 'snapshot', snapshot } as HostMessage);
      await page.waitForFunction(() => document.querySelector('#graph')?.getAttribute('data-layout-ms') !== null && document.querySelector('#graph')?.getAttribute('data-layout') === 'settled', undefined, { timeout: 60_000 });
      assert.equal(await page.inputValue('#layout'), 'layered', 'not chosen: layered, the topology has ROUTERs');
      assert.equal(await page.getAttribute('#graph', 'data-engine'), 'elk');
      const places = (): Promise<string[]> => page.evaluate(() => [...document.querySelectorAll('#graph g.group')].map((g) => `${g.getAttribute('data-id')} ${g.getAttribute('transform')}`));
      const before = await places();
      const worker = snapshot.sockets.find((s) => s.name === 'worker-1');
      const edge = snapshot.edges.find((e) => e.from === worker?.id);
      assert.ok(edge);
      const takenAt = snapshot.takenAt + 1000;
      await page.evaluate((m) => window.postMessage(m, '*'), {
        type: 'diff', diff: { takenAt, edges: [{ ...edge, state: 'disconnected', lastDisconnect: { at: takenAt, message: 'WORKER_GONE', reason: 'peer process exited' } }] },
      } as HostMessage);
      await page.waitForFunction((id) => document.querySelector(`#graph g.edge-label[data-id="${id}"] text.badge-text`)?.textContent === '⊘ WORKER_GONE', edge.id);
      await page.waitForTimeout(300);
      assert.deepEqual(await places(), before, 'no process moved');
      assert.equal(await page.getAttribute('#graph', 'data-layout'), 'settled', 'no new layout was asked for');
      const v = await page.evaluate(measureGeometry, BORDER_TOLERANCE);
      report('the demo after a disconnect', v);
      assertClean(v, snapshot.edges.length);
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
    }
  });

  for (const [name, snapshot] of [['the recorded demo', recorded.snapshot], ['a generated 200-socket graph', brokerTiers(200)]] as const) {
    test(name, { timeout: 120_000 }, async () => {
      assert.ok(name !== 'a generated 200-socket graph' || snapshot.sockets.length === 200);
      const problems: string[] = [];
      const page = await layered(snapshot, problems);
      try {
        const engine = await page.getAttribute('#graph', 'data-engine');
        const layoutMs = await page.getAttribute('#graph', 'data-layout-ms');
        console.log(`[geometry] ${name}: laid out by ${engine} in ${layoutMs} ms (worker), renderer ${await page.getAttribute('#graph', 'data-renderer')}`);
        const screenshot = path.join(SCREENSHOTS, `layered-${snapshot.sockets.length}-sockets.png`);
        await page.screenshot({ path: screenshot });
        const v = await page.evaluate(measureGeometry, BORDER_TOLERANCE);
        report(name, v);
        assertClean(v, snapshot.edges.length);
        assert.equal(engine, 'elk', 'ELK laid it out');
        assert.equal(await page.getAttribute('#graph', 'data-elk-failed'), null);
        assert.deepEqual(problems, [], 'no page errors, no CSP violations (the worker started)');
      } finally {
        await page.close();
      }
    });
  }
});
