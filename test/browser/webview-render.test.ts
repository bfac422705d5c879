/**
 * The graph webview in headless Chromium: real bundle, real CSP, recorded topology.
 * Only acquireVsCodeApi is a shim (see webviewPage.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { EdgeView, NodeView, SocketView, TopologyDiff, TopologySnapshot } from '../../src/model/snapshot';
import type { HostMessage, WebviewMessage } from '../../webview/messages';
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
    assert.match(await ageText(page, edgeOf('worker-1').id), /^♥ \d+\.\ds ✓ connected$/);
    assert.match(await ageText(page, edgeOf('worker-2').id), /^♥ \d+\.\ds ◔ late$/);
    assert.match(await ageText(page, edgeOf('client-1').id), /^traffic \d+\.\ds ✓ connected$/, 'no heartbeat seen: traffic age');
    assert.match(await ageText(page, edgeOf('status-watch').id), /^no traffic yet … connecting$/);

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

describe('performance', () => {
  test('500 sockets: pan/zoom frame rate', async () => {
    const session = await open('dark');
    try {
      const { page } = session;
      const snapshot = syntheticSnapshot();
      assert.equal(snapshot.sockets.length, 500);
      const started = Date.now();
      await post(page, { type: 'snapshot', snapshot });
      await page.waitForFunction(() => document.querySelectorAll('#graph g.socket').length === 500);
      // Settled = no group moved for half a second (the simulation stops itself).
      await page.waitForFunction(() => {
        const w = window as unknown as { __lastPositions?: string; __stableSince?: number };
        const now = [...document.querySelectorAll('#graph g.group')].slice(0, 40).map((g) => g.getAttribute('transform')).join();
        if (now !== w.__lastPositions) {
          w.__lastPositions = now;
          w.__stableSince = performance.now();
          return false;
        }
        return performance.now() - (w.__stableSince ?? 0) > 500;
      }, undefined, { polling: 100, timeout: 40_000 });
      const settledMs = Date.now() - started;

      const measure = (zoomedIn: boolean): Promise<{ fps: number; frames: number; transforms: number }> => page.evaluate(async (zoomIn) => {
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
        const fps = frames / ((performance.now() - start) / 1000);
        return { fps, frames, transforms: seen.size };
      }, zoomedIn);

      const edgeLabelsShown = (): Promise<boolean> => page.evaluate(() => {
        const label = document.querySelector('#graph g.edge-label text.edge-age');
        return label !== null && getComputedStyle(label).display !== 'none';
      });
      const overview = await measure(false);
      await page.waitForTimeout(400);
      const labelsFitted = await edgeLabelsShown();
      const close = await measure(true);
      await page.waitForTimeout(400);
      const labelsClose = await edgeLabelsShown();
      console.log(`[webview perf] 500 sockets, 480 edges: layout settled in ${settledMs} ms; pan/zoom ${overview.fps.toFixed(1)} fps fitted (edge labels at rest: ${labelsFitted ? 'on' : 'off'}), ${close.fps.toFixed(1)} fps zoomed in (edge labels at rest: ${labelsClose ? 'on' : 'off'})`);
      assert.ok(overview.transforms > 10 && close.transforms > 10, 'the zoom really changed every few frames');
      assert.ok(labelsClose, 'zoomed in and at rest, edge labels are drawn');
      assert.ok(overview.fps >= 10, `fitted view: ${overview.fps.toFixed(1)} fps`);
      assert.ok(close.fps >= 10, `zoomed in: ${close.fps.toFixed(1)} fps`);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'graph-500-sockets.png') });
      assert.deepEqual(session.problems, []);
    } finally {
      await session.context.close();
    }
  });
});
