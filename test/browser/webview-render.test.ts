/**
 * The graph webview in headless Chromium: real bundle, real CSP, recorded topology.
 * Only acquireVsCodeApi is a shim (see webviewPage.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { EdgeView, NodeView, SocketView, TopologyDiff, TopologySnapshot } from '../../src/shared/snapshot';
import type { HostMessage, WebviewMessage } from '../../src/shared/messages';
import { CHROMIUM_ARGS, ensureBundle, ROOT, startWebviewServer, THEMES, type WebviewServer } from './webviewPage';

const recorded = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'webview', 'snapshot.json'), 'utf8')) as { snapshot: TopologySnapshot; diffs: TopologyDiff[] };
const SCREENSHOTS = path.join(ROOT, 'test-results', 'webview');
const HOSTILE = '<img src=x onerror=alert(1)>';

const edgeOf = (name: string): EdgeView => {
  const socket = recorded.snapshot.sockets.find((s) => s.name === name);
  const edge = recorded.snapshot.edges.find((e) => e.from === socket?.id);
  assert.ok(edge, `fixture has an edge from ${name}`);
  return edge;
};

interface Session {
  context: BrowserContext;
  page: Page;
  dialogs: string[];
  problems: string[];
}

let browser: Browser;
let server: WebviewServer;

async function open(theme = 'dark', context?: BrowserContext): Promise<Session> {
  const ctx = context ?? await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const dialogs: string[] = [];
  const problems: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') {
      problems.push(`console: ${message.text()}`);
    }
  });
  await page.goto(`${server.url}?theme=${theme}`);
  await waitForPosted(page, 'ready');
  return { context: ctx, page, dialogs, problems };
}

async function post(page: Page, message: HostMessage): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message);
}

async function posted(page: Page): Promise<WebviewMessage[]> {
  return page.evaluate(() => (window as unknown as { __posted: WebviewMessage[] }).__posted);
}

async function waitForPosted(page: Page, type: WebviewMessage['type']): Promise<WebviewMessage> {
  await page.waitForFunction((t) => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === t), type);
  const all = await posted(page);
  return all.filter((m) => m.type === type).at(-1) as WebviewMessage;
}

async function ageText(page: Page, edgeId: string): Promise<string> {
  return page.evaluate((id) => {
    const label = [...document.querySelectorAll('g.edge-label')].find((g) => g.getAttribute('data-id') === id);
    return label?.querySelector('text.edge-age')?.textContent ?? '';
  }, edgeId);
}

async function edgeClasses(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#graph g.edge')].map((g) => [g.getAttribute('data-id') ?? '', g.getAttribute('class') ?? ''])));
}

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

describe('graph webview with a recorded broker topology', () => {
  let session: Session;

  before(async () => {
    session = await open('dark');
    await post(session.page, { type: 'snapshot', snapshot: recorded.snapshot });
    await session.page.waitForFunction((n) => document.querySelectorAll('#graph g.edge').length === n, recorded.snapshot.edges.length);
    // The broker has ROUTERs: the layered view is the default. These tests began in the force layout (layered geometry: graph-geometry.test.ts).
    assert.equal(await session.page.inputValue('#layout'), 'layered');
    assert.equal(await session.page.getAttribute('#graph', 'data-engine'), 'elk');
    await session.page.selectOption('#layout', 'force');
    await session.page.waitForFunction(() => document.querySelector('#graph')?.getAttribute('data-layout') === 'settled', undefined, { timeout: 20_000 });
  });

  after(async () => {
    await session.context.close();
  });

  test('every edge is drawn with its state class, theme colour and a heartbeat/traffic label', async () => {
    const { page } = session;
    const classes = await edgeClasses(page);
    for (const edge of recorded.snapshot.edges) {
      assert.match(classes[edge.id] ?? '', new RegExp(`\\bstate-${edge.state}\\b`), `${edge.id} is ${edge.state}`);
    }
    // Quiet labels: the age and msg/s; the state is the colour and dash, a glyph only when not connected.
    assert.match(await ageText(page, edgeOf('worker-1').id), /^♥ \d+\.\ds · 2\.0\/s$/);
    assert.match(await ageText(page, edgeOf('worker-2').id), /^◔ ♥ \d+\.\ds · 1\.1\/s$/);
    assert.match(await ageText(page, edgeOf('client-1').id), /^traffic \d+\.\ds · 4\.0\/s$/, 'no heartbeat seen: traffic age');
    assert.match(await ageText(page, edgeOf('status-watch').id), /^… no traffic yet$/, 'no rate, no traffic: no rate shown');

    const strokes = await page.evaluate((ids) => ids.map((id) => {
      const g = [...document.querySelectorAll('#graph g.edge')].find((e) => e.getAttribute('data-id') === id);
      const line = g?.querySelector('path.edge-line');
      return line ? getComputedStyle(line).stroke : '';
    }), [edgeOf('worker-1').id, edgeOf('worker-2').id]);
    assert.deepEqual(strokes, ['rgb(137, 209, 133)', 'rgb(204, 167, 0)'], 'connected = --vscode-charts-green, late = --vscode-charts-yellow');
    const dashes = await page.evaluate(() => [...document.querySelectorAll('#graph g.edge path.edge-line')].map((p) => getComputedStyle(p).strokeDasharray));
    assert.equal(new Set(dashes).size, new Set(recorded.snapshot.edges.map((e) => e.state)).size, 'each state has its own dash pattern');
  });

  test('the WORKER_GONE disconnect badge shows on the disconnected edge', async () => {
    const { page } = session;
    const badge = await page.evaluate((id) => {
      const label = [...document.querySelectorAll('g.edge-label')].find((g) => g.getAttribute('data-id') === id);
      const group = label?.querySelector('g.badge');
      return group ? { text: group.textContent, display: getComputedStyle(group).display } : null;
    }, edgeOf('worker-3').id);
    assert.deepEqual(badge, { text: '⊘ WORKER_GONE', display: 'inline' });
    assert.match(await page.locator('g.group.exited text.group-label').first().textContent() ?? '', /worker-3 \(pid 4203\) — exited/);
  });

  test('hostile and binary identities render as text, nothing executes', async () => {
    const { page, dialogs, problems } = session;
    const names = await page.locator('#graph text.socket-name').allTextContents();
    assert.ok(names.includes('client-1 · <img src=x o…'), `hostile routing id shown as (truncated) text: ${names.join(' | ')}`);
    assert.ok(names.includes('client-2 · 0xff00fe'), 'binary routing id shown as hex');
    assert.ok(names.includes('ghost-7'), 'unknown peer labelled by its routing id');
    assert.equal(await page.locator('img').count(), 0, 'no img element was created');
    const c1 = recorded.snapshot.sockets.find((s) => s.name === 'client-1');
    await page.locator(`#graph g.socket[data-id="${c1?.id}"]`).hover();
    assert.ok((await page.locator('#tooltip').textContent())?.includes(HOSTILE), 'tooltip carries the full text');
    await page.waitForTimeout(200);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(problems, [], 'no page errors and no CSP violations');
  });

  test('ages tick between updates', async () => {
    const { page } = session;
    const id = edgeOf('worker-1').id;
    const first = await ageText(page, id);
    await page.waitForTimeout(1200);
    const second = await ageText(page, id);
    const seconds = (text: string): number => Number(/♥ (\d+\.\d)s/.exec(text)?.[1]);
    assert.ok(seconds(second) >= seconds(first) + 1, `${first} → ${second}`);
  });


  test('a quiet edge (no heartbeats, no traffic past the warn threshold) has its own class, colour, dash and glyph, and says what it means', async () => {
    const { page } = session;
    const edge = edgeOf('client-1');
    assert.equal(edge.heartbeatAgeMs, null, 'the recorded client has no heartbeats');
    await post(page, { type: 'diff', diff: { takenAt: recorded.snapshot.takenAt + 1000, edges: [{ ...edge, state: 'quiet', trafficAgeMs: 9000 }] } });
    await page.waitForFunction((id) => document.querySelector(`#graph g.edge[data-id="${id}"]`)?.classList.contains('state-quiet'), edge.id);
    const seen = await page.evaluate((id) => {
      const line = document.querySelector(`#graph g.edge[data-id="${id}"] path.edge-line`) as Element;
      return { stroke: getComputedStyle(line).stroke, dash: getComputedStyle(line).strokeDasharray };
    }, edge.id);
    assert.deepEqual(seen, { stroke: 'rgba(204, 204, 204, 0.7)', dash: '6px, 6px' }, 'quiet = --vscode-descriptionForeground, dashed 6 6');
    assert.match(await ageText(page, edge.id), /^◌ traffic \d+\.\ds/);
    await page.locator(`#graph g.edge-label[data-id="${edge.id}"] text.edge-age`).click();
    await page.locator('#details h2', { hasText: 'Connection' }).waitFor();
    assert.match(await page.locator('#details').textContent() ?? '', /no heartbeats to tell an idle peer from a hung one/);
    await page.keyboard.press('Escape');

    await post(page, { type: 'diff', diff: { takenAt: recorded.snapshot.takenAt + 1001, edges: [{ ...edge }] } });
    await page.waitForFunction((id) => document.querySelector(`#graph g.edge[data-id="${id}"]`)?.classList.contains('state-connected'), edge.id);
  });
  test('a diff that changes one edge patches only that edge: same elements, new class, age and badge', async () => {
    const { page } = session;
    const edge = edgeOf('client-1');
    // Every element's identity is marked, and every DOM change recorded (age texts tick by themselves: left out).
    await page.evaluate(() => {
      const w = window as unknown as { __changed: string[]; __observer: MutationObserver };
      for (const g of document.querySelectorAll('#graph [data-id]')) (g as unknown as { __mark: boolean }).__mark = true;
      w.__changed = [];
      w.__observer = new MutationObserver((records) => {
        for (const r of records) {
          const target = r.target instanceof Element ? r.target : r.target.parentElement;
          if (target?.closest('text.edge-age')) continue;
          w.__changed.push(target?.closest('[data-id]')?.getAttribute('data-id') ?? `(${target?.tagName})`);
        }
      });
      w.__observer.observe(document.querySelector('#graph') as Element, { subtree: true, attributes: true, childList: true, characterData: true });
    });
    const takenAt = recorded.snapshot.takenAt + 2000;
    const gone = { ...edge, state: 'disconnected' as const, lastDisconnect: { at: takenAt, message: 'CLIENT_WENT_AWAY_UNEXPECTEDLY', reason: 'peer process exited' } };
    await post(page, { type: 'diff', diff: { takenAt, edges: [gone] } });
    await page.waitForFunction((id) => document.querySelector(`#graph g.edge[data-id="${id}"]`)?.classList.contains('state-disconnected'), edge.id);
    await page.waitForTimeout(300);
    const seen = await page.evaluate((id) => {
      const w = window as unknown as { __changed: string[]; __observer: MutationObserver };
      w.__observer.disconnect();
      const label = document.querySelector(`#graph g.edge-label[data-id="${id}"]`);
      const text = label?.querySelector<SVGTextElement>('text.badge-text');
      const box = label?.querySelector<SVGRectElement>('rect.badge-box');
      return {
        changed: [...new Set(w.__changed)],
        unmarked: [...document.querySelectorAll('#graph [data-id]')].filter((g) => !(g as unknown as { __mark?: boolean }).__mark).map((g) => g.getAttribute('data-id')),
        labelClass: label?.getAttribute('class'),
        age: label?.querySelector('text.edge-age')?.textContent,
        badge: text?.textContent,
        textWidth: text?.getBBox().width ?? 0,
        boxWidth: box?.getBBox().width ?? 0,
        renderer: document.querySelector('#graph')?.getAttribute('data-renderer'),
      };
    }, edge.id);
    assert.equal(seen.renderer, 'svg');
    assert.deepEqual(seen.changed, [edge.id], `only the changed edge's elements were touched: ${JSON.stringify(seen.changed)}`);
    assert.deepEqual(seen.unmarked, [], 'no element was re-created');
    assert.match(seen.labelClass ?? '', /\bstate-disconnected\b/);
    assert.match(seen.age ?? '', /disconnected .* ago$/);
    assert.equal(seen.badge, '⊘ CLIENT_WENT_AWAY_UNEXPE…', 'the badge shows the (label-length) message');
    assert.ok(seen.textWidth > 0 && seen.boxWidth >= seen.textWidth, `the badge box holds its whole text: ${JSON.stringify(seen)}`);

    // Back as it was, so the tests after this one see the recorded picture.
    await post(page, { type: 'diff', diff: { takenAt: takenAt + 1, edges: [{ ...edge }] } });
    await page.waitForFunction((id) => document.querySelector(`#graph g.edge[data-id="${id}"]`)?.classList.contains(`state-connected`), edge.id);
    assert.equal(await page.evaluate((id) => getComputedStyle(document.querySelector(`#graph g.edge-label[data-id="${id}"] g.badge`) as Element).display, edge.id), 'none');
  });

  test('diffs add, update and remove edges', async () => {
    const { page } = session;
    const [grow, shrink] = recorded.diffs;
    await post(page, { type: 'diff', diff: grow });
    await page.waitForFunction((n) => document.querySelectorAll('#graph g.edge').length === n, recorded.snapshot.edges.length + 1);
    assert.match((await edgeClasses(page))[edgeOf('worker-2').id], /\bstate-connected\b/);
    assert.equal(await page.locator('#graph g.group', { hasText: 'worker-4' }).count(), 1);
    await post(page, { type: 'diff', diff: shrink });
    await page.waitForFunction((n) => document.querySelectorAll('#graph g.edge').length === n, recorded.snapshot.edges.length);
    assert.equal((await edgeClasses(page))[edgeOf('status-watch').id], undefined);
  });

  test('layered layout puts connectors left of binders', async () => {
    const { page } = session;
    await page.selectOption('#layout', 'layered');
    await page.waitForTimeout(100);
    const xs = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#graph g.group')].map((g) => [g.querySelector('text.group-label')?.textContent ?? '', g.getBoundingClientRect().x])));
    const broker = xs['broker (pid 4100)'];
    assert.ok(xs['worker-1 (pid 4201)'] < broker && xs['client-1 (pid 4301)'] < broker, JSON.stringify(xs));
  });

  test('clicking an edge fills the details pane; Go to source posts goToSource', async () => {
    const { page } = session;
    const edge = edgeOf('worker-1');
    await page.locator(`#graph g.edge-label[data-id="${edge.id}"] text.edge-age`).click();
    const details = page.locator('#details');
    await details.locator('h2', { hasText: 'Connection' }).waitFor();
    const text = await details.textContent() ?? '';
    for (const expected of ['tcp://0.0.0.0:5556', 'worker-1', 'connected', 'messages/s', 'READY × 1', 'Timeline', 'handshake']) {
      assert.ok(text.includes(expected), `details mention ${expected}`);
    }
    assert.deepEqual(await waitForPosted(page, 'selected'), { type: 'selected', id: edge.id });

    await page.locator(`#graph g.socket[data-id="${edge.from}"]`).click();
    await details.locator('h2', { hasText: 'DEALER worker-1' }).waitFor();
    await details.getByRole('button', { name: 'Go to source' }).click();
    assert.deepEqual(await waitForPosted(page, 'goToSource'), { type: 'goToSource', socketId: edge.from });

    await page.locator('#graph g.group', { hasText: 'broker' }).locator('text.group-label').click();
    const nodeText = await details.textContent() ?? '';
    assert.ok(nodeText.includes('dropped telemetry') && nodeText.includes('4100'), 'process details');
  });

  test('pause freezes the drawing and tells the host; resume catches up', async () => {
    const { page } = session;
    await page.click('#pause');
    assert.deepEqual(await waitForPosted(page, 'setPaused'), { type: 'setPaused', paused: true });
    const edge = edgeOf('worker-1');
    await post(page, { type: 'diff', diff: { takenAt: recorded.snapshot.takenAt + 5000, edges: [{ ...edge, state: 'dead' }] } });
    await page.waitForTimeout(300);
    assert.match((await edgeClasses(page))[edge.id], /\bstate-connected\b/, 'paused: not redrawn');
    assert.match(await page.locator('#status').textContent() ?? '', /paused, 1 update/);
    await page.click('#pause');
    await page.waitForFunction((id) => [...document.querySelectorAll('#graph g.edge')].find((g) => g.getAttribute('data-id') === id)?.classList.contains('state-dead'), edge.id);
  });

  test('requestSvg is answered with a standalone SVG', async () => {
    const { page } = session;
    await post(page, { type: 'requestSvg', requestId: 7 });
    const answer = await waitForPosted(page, 'svg');
    assert.equal(answer.type === 'svg' && answer.requestId, 7);
    const svg = answer.type === 'svg' ? answer.svg : '';
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.ok(svg.includes('WORKER_GONE') && svg.includes('&lt;img src=x'), 'text is serialized escaped');
  });

  test('reveal selects and centers an item, dropping filters that hide it', async () => {
    const { page } = session;
    const edge = edgeOf('client-2');
    await page.fill('#filter-text', 'worker-1');
    await page.waitForFunction(() => document.querySelectorAll('#graph g.edge').length === 1);
    await post(page, { type: 'reveal', id: edge.id });
    await page.locator('#details h2', { hasText: 'Connection' }).waitFor();
    assert.ok((await page.locator('#details').textContent())?.includes('tcp://0.0.0.0:5555'));
    assert.equal(await page.inputValue('#filter-text'), '');
    assert.deepEqual(await waitForPosted(page, 'selected'), { type: 'selected', id: edge.id });
    const center = await page.evaluate((id) => {
      const label = [...document.querySelectorAll('g.edge-label')].find((g) => g.getAttribute('data-id') === id);
      const box = label?.getBoundingClientRect();
      const svg = document.querySelector('#graph')?.getBoundingClientRect();
      return box && svg ? { dx: box.x + box.width / 2 - (svg.x + svg.width / 2), dy: box.y - (svg.y + svg.height / 2) } : null;
    }, edge.id);
    assert.ok(center && Math.abs(center.dx) < 80 && Math.abs(center.dy) < 40, `revealed edge is centered: ${JSON.stringify(center)}`);
  });

  test('view state survives a reload (getState/setState)', async () => {
    const { page } = session;
    const edge = edgeOf('worker-2');
    const groupPositions = (): Promise<Record<string, [number, number]>> => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#graph g.group')].map((g) => {
      const [x, y] = /translate\(([-\d.]+),([-\d.]+)\)/.exec(g.getAttribute('transform') ?? '')?.slice(1).map(Number) ?? [NaN, NaN];
      return [g.getAttribute('data-id') ?? '', [x, y]];
    })));
    const stateWrites = (): Promise<number> => page.evaluate(() => (window as unknown as { __stateWrites: number }).__stateWrites);

    await post(page, { type: 'snapshot', snapshot: recorded.snapshot }); // the same picture before and after the reload
    await page.selectOption('#layout', 'force');
    await page.waitForTimeout(3000); // settle: positions are saved when the simulation stops
    await page.locator(`#graph g.edge-label[data-id="${edge.id}"] text.edge-age`).dispatchEvent('click');
    await page.mouse.move(600, 400);
    await page.mouse.wheel(0, -300);
    await page.fill('#filter-text', 'worker');
    await page.waitForTimeout(500);
    const writes = await stateWrites();
    assert.ok(writes > 0, 'state was saved');
    const before = { transform: await page.getAttribute('#graph g.viewport', 'transform'), groups: await groupPositions() };

    await page.reload();
    await waitForPosted(page, 'ready');
    await post(page, { type: 'snapshot', snapshot: recorded.snapshot });
    await page.locator('#details h2', { hasText: 'Connection' }).waitFor();
    assert.equal(await page.inputValue('#layout'), 'force');
    assert.equal(await page.inputValue('#filter-text'), 'worker');
    assert.equal(await page.getAttribute('#graph g.viewport', 'transform'), before.transform, 'zoom transform restored');
    const after = await groupPositions();
    assert.deepEqual(Object.keys(after).sort(), Object.keys(before.groups).sort(), 'same groups under the restored filter');
    for (const [id, [x, y]] of Object.entries(before.groups)) {
      assert.ok(Math.abs(after[id][0] - x) <= 1 && Math.abs(after[id][1] - y) <= 1, `${id} stays at ${x},${y} (now ${after[id]})`);
    }
    assert.ok((await page.locator('#details').textContent())?.includes('tcp://0.0.0.0:5556'), 'selection restored');
    assert.equal(await page.locator(`#graph g.edge.selected[data-id="${edge.id}"]`).count(), 1);

    await page.selectOption('#layout', 'layered');
    await page.waitForTimeout(300);
    await page.reload();
    await waitForPosted(page, 'ready');
    assert.equal(await page.inputValue('#layout'), 'layered', 'layout choice restored');
  });
});

describe('themes', () => {
  for (const theme of Object.keys(THEMES)) {
    test(`renders in ${theme} (screenshot)`, async () => {
      const session = await open(theme);
      try {
        const { page } = session;
        await page.click('#legend-toggle');
        await post(page, { type: 'snapshot', snapshot: recorded.snapshot });
        await page.waitForFunction((n) => document.querySelectorAll('#graph g.edge').length === n, recorded.snapshot.edges.length);
        await page.waitForTimeout(2500); // let the force layout settle and fit
        await page.locator(`#graph g.edge-label[data-id="${edgeOf('worker-3').id}"] text.edge-age`).dispatchEvent('click');
        await page.locator('#details h2', { hasText: 'Connection' }).waitFor();
        assert.equal(await page.evaluate(() => document.body.classList.contains(`vscode-${new URLSearchParams(location.search).get('theme')}`)), true);
        const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        assert.notEqual(background, 'rgba(0, 0, 0, 0)');
        await page.screenshot({ path: path.join(SCREENSHOTS, `graph-${theme}.png`) });
        assert.deepEqual(session.problems, []);
      } finally {
        await session.context.close();
      }
    });
  }
});

/** 500 sockets: 10 brokers × 2 ROUTERs, 480 single-DEALER processes connected to them. */
function syntheticSnapshot(): TopologySnapshot {
  const takenAt = Date.now();
  const runtime = { name: 'node', version: '20', binding: 'zeromq.js 6.8.0', libzmq: '4.3.5', disconnectMsg: true };
  const node = (id: string, name: string, pid: number): NodeView => ({
    id, pid, host: 'h', name, title: name, runtime, agent: { name: 'a', version: '1' }, state: 'live', startedAt: takenAt, lastSeenAt: takenAt, dropped: 0, malformed: 0,
  });
  const socket = (id: string, nodeId: string, type: SocketView['type'], name: string, binds: string[], connects: string[]): SocketView => ({
    id, nodeId, type, name, options: { disconnectMsg: false }, binds, connects, closed: false, routingId: { hex: Buffer.from(name).toString('hex'), text: name },
  });
  const nodes: NodeView[] = [];
  const sockets: SocketView[] = [];
  const edges: EdgeView[] = [];
  const states: EdgeView['state'][] = ['connected', 'connected', 'connected', 'late', 'dead', 'retrying', 'disconnected'];
  for (let b = 0; b < 10; b++) {
    nodes.push(node(`b${b}`, `broker-${b}`, 1000 + b));
    sockets.push(socket(`b${b}/1`, `b${b}`, 'ROUTER', 'frontend', [`tcp://0.0.0.0:${6000 + b}`], []));
    sockets.push(socket(`b${b}/2`, `b${b}`, 'ROUTER', 'backend', [`tcp://0.0.0.0:${7000 + b}`], []));
  }
  for (let p = 0; p < 480; p++) {
    const target = `b${p % 10}/${p % 2 === 0 ? 1 : 2}`;
    nodes.push(node(`p${p}`, `peer-${p}`, 2000 + p));
    sockets.push(socket(`p${p}/1`, `p${p}`, 'DEALER', `peer-${p}`, [], [`tcp://localhost:${target}`]));
    const state = states[p % states.length];
    edges.push({
      id: `e${p}`, from: `p${p}/1`, to: target, endpoint: `tcp://0.0.0.0:${target}`, state, heartbeatAgeMs: 500 + p, trafficAgeMs: 300, rates: { out: 1, in: 1 },
      messageTypes: {}, lastDisconnect: state === 'disconnected' ? { at: takenAt, message: 'GONE', reason: 'peer process exited' } : null, retryStorm: false, timeline: [],
    });
  }
  return { schema: 1, takenAt, nodes, sockets, edges };
}

describe('large graphs: the canvas renderer', () => {
  test('500 sockets are drawn on a canvas: frame rate, click and tooltip by hit test, SVG export', async () => {
    const session = await open('dark');
    try {
      const { page } = session;
      const snapshot = syntheticSnapshot();
      assert.equal(snapshot.sockets.length, 500);
      const started = Date.now();
      await post(page, { type: 'snapshot', snapshot });
      await page.waitForFunction(() => document.querySelector('#graph')?.getAttribute('data-edges') === '480');
      await page.waitForFunction(() => document.querySelector('#graph')?.getAttribute('data-layout') === 'settled', undefined, { polling: 100, timeout: 40_000 });
      const settledMs = Date.now() - started;
      assert.equal(await page.getAttribute('#graph', 'data-renderer'), 'canvas');
      assert.equal(await page.getAttribute('#graph', 'data-engine'), 'elk', 'the canvas draws the same layered layout (ELK routes: webview-elk.test.ts checks its scene)');
      assert.equal(await page.locator('#graph g.edge, #graph g.socket').count(), 0, 'the SVG holds no items in canvas mode');
      assert.equal(await page.locator('#graph-canvas').isVisible(), true);

      const measure = (zoomedIn: boolean): Promise<{ fps: number; transforms: number }> => page.evaluate(async (zoomIn) => {
        const svg = document.querySelector('#graph') as SVGSVGElement;
        const viewport = document.querySelector('#graph g.viewport') as SVGGElement;
        const box = svg.getBoundingClientRect();
        const wheel = (deltaY: number): void => {
          svg.dispatchEvent(new WheelEvent('wheel', { deltaY, clientX: box.left + box.width / 2, clientY: box.top + box.height / 2, bubbles: true, cancelable: true }));
        };
        const scale = (): number => Number(/scale\(([\d.]+)\)/.exec(viewport.getAttribute('transform') ?? '')?.[1] ?? 1);
        for (let i = 0; zoomIn && scale() < 1.1 && i < 100; i++) {
          wheel(-100);
        }
        const seen = new Set<string>();
        let frames = 0;
        const start = performance.now();
        await new Promise<void>((resolve) => {
          const frame = (): void => {
            frames++;
            seen.add(viewport.getAttribute('transform') ?? '');
            if (performance.now() - start >= 2500) {
              resolve();
              return;
            }
            // Alternate small zoom steps around the center: each frame redraws the whole graph.
            wheel(frames % 20 < 10 ? -40 : 40);
            requestAnimationFrame(frame);
          };
          requestAnimationFrame(frame);
        });
        return { fps: frames / ((performance.now() - start) / 1000), transforms: seen.size };
      }, zoomedIn);
      const overview = await measure(false);
      const close = await measure(true);
      console.log(`[webview perf] 500 sockets, 480 edges (canvas): layout settled in ${settledMs} ms; pan/zoom ${overview.fps.toFixed(1)} fps fitted, ${close.fps.toFixed(1)} fps zoomed in`);
      assert.ok(overview.transforms > 10 && close.transforms > 10, 'the zoom really changed every few frames');
      assert.ok(overview.fps >= 10, `fitted view: ${overview.fps.toFixed(1)} fps`);
      assert.ok(close.fps >= 10, `zoomed in: ${close.fps.toFixed(1)} fps`);

      // Reveal centres an edge; a click there must find it by hit test (the SVG has no element for it).
      const edge = snapshot.edges[3];
      await post(page, { type: 'reveal', id: edge.id });
      await page.locator('#details h2', { hasText: 'Connection' }).waitFor();
      await page.keyboard.press('Escape');
      await page.waitForFunction(() => !document.querySelector('#details')?.textContent?.includes('Connection'));
      await page.waitForTimeout(400); // motion settles: labels (and their hit boxes) are back
      const box = await page.locator('#graph').boundingBox();
      assert.ok(box);
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 - 8);
      await page.locator('#tooltip').waitFor({ state: 'visible' });
      assert.ok((await page.locator('#tooltip').textContent())?.includes(edge.endpoint), 'hovering the edge shows its tooltip');
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2 - 8);
      await page.locator('#details h2', { hasText: 'Connection' }).waitFor();
      assert.deepEqual(await waitForPosted(page, 'selected'), { type: 'selected', id: edge.id });
      await page.screenshot({ path: path.join(SCREENSHOTS, 'graph-500-sockets.png') });

      // The export is a real SVG of every item, and the page goes back to the canvas afterwards.
      await post(page, { type: 'requestSvg', requestId: 9 });
      const answer = await waitForPosted(page, 'svg');
      const svg = answer.type === 'svg' ? answer.svg : '';
      assert.equal((svg.match(/<g data-id="e\d+"/g) ?? []).length, 2 * 480, 'every edge and its label are in the export');
      assert.ok(svg.includes('⊘ GONE'), 'disconnect badges are exported');
      assert.equal(await page.getAttribute('#graph', 'data-renderer'), 'canvas');
      assert.equal(await page.locator('#graph g.edge').count(), 0);
      assert.deepEqual(session.problems, []);
    } finally {
      await session.context.close();
    }
  });
});
