/**
 * The timeline under the graph in headless Chromium (issue 16): the real bundle and page under their
 * CSP, driven by mouse and keyboard. The test plays the host: it answers each `seek` with that
 * instant's `timeline` and snapshot, built from the recorded fixture as a replay would give them —
 * worker-3 connected before its kill, disconnected with WORKER_GONE after — and checks what is posted
 * and what the graph and details pane show. Only acquireVsCodeApi is a shim (webviewPage.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { EdgeView, TopologyDiff, TopologySnapshot } from '../../src/shared/snapshot';
import type { HostMessage, WebviewMessage } from '../../src/shared/messages';
import type { Comparison, TimelineMarker, TimelineView } from '../../src/shared/timeline';
import { formatTime } from '../../src/shared/format';
import { CHROMIUM_ARGS, ensureBundle, ROOT, startWebviewServer, type WebviewServer } from './webviewPage';

const recorded = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'webview', 'snapshot.json'), 'utf8')) as { snapshot: TopologySnapshot; diffs: TopologyDiff[] };
const SCREENSHOTS = path.join(ROOT, 'test-results', 'webview');
const HOSTILE = '<img src=x onerror=alert(1)>';

const edgeOf = (name: string): EdgeView => {
  const socket = recorded.snapshot.sockets.find((s) => s.name === name);
  const edge = recorded.snapshot.edges.find((e) => e.from === socket?.id);
  assert.ok(edge, `fixture has an edge from ${name}`);
  return edge;
};
const W3 = edgeOf('worker-3');
const WATCH = edgeOf('status-watch');
/** worker-3 is killed here (its disconnect message arrives at this instant). */
const KILL = W3.lastDisconnect?.at ?? NaN;
const START = KILL - 40_000;
const END = recorded.snapshot.takenAt; // KILL + 20 s
const MARKERS: TimelineMarker[] = [
  { at: START + 10_000, kind: 'late', text: 'worker-2 → broker: late heartbeat', id: edgeOf('worker-2').id },
  { at: KILL, kind: 'disconnect', text: `worker-3 → broker: ⊘ WORKER_GONE ${HOSTILE}`, id: W3.id },
  { at: KILL, kind: 'exit', text: 'worker-3 (pid 4203) exited', id: W3.from.split('/')[0] },
  { at: START + 52_000, kind: 'retry-storm', text: 'client-2 → broker: retry storm', id: edgeOf('client-2').id },
];

/**
 * The graph at `at`, as a replay gives it: from the kill on, the recorded picture; before it, worker-3
 * alive and connected, the status-watch connection not made yet, every timeline cut at `at`.
 */
function pictureAt(at: number): TopologySnapshot {
  const snapshot = structuredClone(recorded.snapshot);
  snapshot.takenAt = at;
  if (at >= KILL) {
    return snapshot;
  }
  snapshot.edges = snapshot.edges.filter((e) => e.id !== WATCH.id);
  for (const edge of snapshot.edges) {
    edge.timeline = edge.timeline.filter((entry) => entry.at <= at);
    if (edge.id === W3.id) {
      Object.assign(edge, { state: 'connected', lastDisconnect: null, exited: false, heartbeatAgeMs: 800, trafficAgeMs: 300 });
    }
  }
  const node = snapshot.nodes.find((n) => n.id === W3.from.split('/')[0]);
  assert.ok(node);
  Object.assign(node, { state: 'live', lastSeenAt: at, exitedAt: undefined });
  return snapshot;
}

function timelineAt(at: number | null, over: Partial<TimelineView> = {}): TimelineView {
  return { source: 'recording', title: 'run.zmqrec', startAt: START, endAt: END, at, speed: 0, markers: MARKERS, ...over };
}

interface Session {
  context: BrowserContext;
  page: Page;
  problems: string[];
}

let browser: Browser;
let server: WebviewServer;

async function open(): Promise<Session> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') {
      problems.push(`console: ${message.text()}`);
    }
  });
  await page.goto(`${server.url}?theme=dark`);
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
  return { context, page, problems };
}

async function post(page: Page, message: HostMessage): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message);
}

async function posted(page: Page): Promise<WebviewMessage[]> {
  return page.evaluate(() => (window as unknown as { __posted: WebviewMessage[] }).__posted);
}

async function postedOf<T extends WebviewMessage['type']>(page: Page, type: T): Promise<Array<Extract<WebviewMessage, { type: T }>>> {
  return (await posted(page)).filter((m): m is Extract<WebviewMessage, { type: T }> => m.type === type);
}

/** Waits until the last message of `type` the page posted equals `expected`. */
async function waitForLast(page: Page, expected: WebviewMessage): Promise<void> {
  await page.waitForFunction((want) => {
    const all = (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === want.type);
    return JSON.stringify(all.at(-1)) === JSON.stringify(want);
  }, expected, { timeout: 5000 }).catch(async () => {
    const all = (await posted(page)).filter((m) => m.type === expected.type);
    assert.fail(`expected the last ${expected.type} to be ${JSON.stringify(expected)}, posted: ${JSON.stringify(all.slice(-5))}`);
  });
}

/** The host's answer to a seek, in src/host/timeline.ts's order: the graph's picture of that instant, then the timeline. */
async function answer(page: Page, at: number, over: Partial<TimelineView> = {}): Promise<void> {
  await post(page, { type: 'snapshot', snapshot: pictureAt(at) });
  await post(page, { type: 'timeline', timeline: timelineAt(at, over) });
}

/** Waits for the seek to `at` and answers it. */
async function seekAnswered(page: Page, at: number): Promise<void> {
  await waitForLast(page, { type: 'seek', at });
  await answer(page, at);
}

async function edgeState(page: Page, id: string): Promise<{ cls: string; label: string; badge: string | null }> {
  return page.evaluate((edgeId) => {
    const g = document.querySelector(`#graph g.edge[data-id="${CSS.escape(edgeId)}"]`);
    const label = document.querySelector(`#graph g.edge-label[data-id="${CSS.escape(edgeId)}"]`);
    const badge = label?.querySelector('g.badge');
    return {
      cls: g?.getAttribute('class') ?? '(not drawn)',
      label: label?.querySelector('text.edge-age')?.textContent ?? '',
      badge: badge && getComputedStyle(badge).display !== 'none' ? badge.textContent : null,
    };
  }, id);
}

/** The client x of an instant on the bar (the axis line spans the track's mapped width). */
async function clientXOf(page: Page, at: number): Promise<{ x: number; y: number }> {
  const geometry = await page.evaluate(() => {
    const axis = document.querySelector('#timeline .timeline-axis') as SVGLineElement;
    const box = document.querySelector('#timeline-track')?.getBoundingClientRect();
    return { left: box?.left ?? 0, top: box?.top ?? 0, x1: Number(axis.getAttribute('x1')), x2: Number(axis.getAttribute('x2')), y: Number(axis.getAttribute('y1')) };
  });
  return { x: geometry.left + geometry.x1 + ((at - START) / (END - START)) * (geometry.x2 - geometry.x1), y: geometry.top + geometry.y };
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

describe('timeline of a recording', () => {
  let session: Session;

  before(async () => {
    session = await open();
    await post(session.page, { type: 'snapshot', snapshot: pictureAt(END) });
    await session.page.waitForFunction((n) => document.querySelectorAll('#graph g.edge').length === n, recorded.snapshot.edges.length);
  });

  after(async () => {
    await session.context.close();
  });

  test('hidden until the host sends a timeline; then the span, the instant and markers by kind', async () => {
    const { page } = session;
    assert.equal(await page.locator('#timeline').isHidden(), true, 'no timeline message: no bar');
    await post(page, { type: 'timeline', timeline: timelineAt(END) });
    await page.locator('#timeline').waitFor({ state: 'visible' });
    const bar = await page.evaluate(() => {
      const track = document.querySelector('#timeline-track') as HTMLElement;
      return {
        role: track.getAttribute('role'),
        focusable: track.tabIndex,
        valuetext: track.getAttribute('aria-valuetext'),
        valuenow: track.getAttribute('aria-valuenow'),
        valuemax: track.getAttribute('aria-valuemax'),
        instant: document.querySelector('#timeline .timeline-instant')?.textContent,
        title: document.querySelector('#timeline .timeline-title')?.textContent,
        ends: [...document.querySelectorAll('#timeline .timeline-ends span')].map((s) => s.textContent),
        live: (document.querySelector('#timeline-live') as HTMLButtonElement).hidden,
        markers: [...document.querySelectorAll('#timeline .timeline-marker')].map((m) => ({
          kind: m.getAttribute('data-kind'), d: m.getAttribute('d'), fill: getComputedStyle(m).fill, title: m.querySelector('title')?.textContent ?? '',
        })),
        graphBottom: document.querySelector('#graph-container')?.getBoundingClientRect().bottom ?? 0,
        barTop: document.querySelector('#timeline')?.getBoundingClientRect().top ?? -1,
      };
    });
    assert.equal(bar.role, 'slider');
    assert.equal(bar.focusable, 0);
    assert.equal(bar.valuemax, '60000');
    assert.equal(bar.valuenow, '60000');
    assert.equal(bar.valuetext, `1 minute from the start, at ${formatTime(END)}`);
    assert.equal(bar.instant, `+1 min 00.0 s · ${formatTime(END)}`);
    assert.equal(bar.title, 'run.zmqrec');
    assert.deepEqual(bar.ends, [`+0.0 s · ${formatTime(START)}`, `+1 min 00.0 s · ${formatTime(END)}`]);
    assert.equal(bar.live, true, 'a recording has no Live button');
    assert.ok(bar.barTop >= bar.graphBottom - 1, `the bar is under the graph: ${bar.barTop} vs ${bar.graphBottom}`);

    assert.deepEqual(bar.markers.map((m) => m.kind).sort(), ['disconnect', 'exit', 'late', 'retry-storm']);
    assert.equal(new Set(bar.markers.map((m) => m.d?.replace(/[\d.-]+/g, 'n'))).size, 4, 'four kinds, four shapes');
    const fill = Object.fromEntries(bar.markers.map((m) => [m.kind, m.fill]));
    assert.equal(fill.disconnect, 'rgb(241, 76, 76)', 'disconnect: --vscode-charts-red');
    assert.equal(fill.late, 'rgb(204, 167, 0)', 'late: --vscode-charts-yellow');
    assert.equal(new Set(Object.values(fill)).size, 4, `four colours: ${JSON.stringify(fill)}`);
    const disconnect = bar.markers.find((m) => m.kind === 'disconnect');
    assert.equal(disconnect?.title, `disconnect\n${formatTime(KILL)} worker-3 → broker: ⊘ WORKER_GONE ${HOSTILE}`, 'tooltip: the marker text (as text)');
    assert.equal(await page.locator('img').count(), 0);

    await post(page, { type: 'timeline', timeline: null });
    await page.locator('#timeline').waitFor({ state: 'hidden' });
    await post(page, { type: 'timeline', timeline: timelineAt(END) });
    await page.locator('#timeline').waitFor({ state: 'visible' });
  });

  test('scrubbing to before and after the kill: the edge, its badge and its details follow the instant', async () => {
    const { page } = session;
    await page.focus('#timeline-track');
    await page.keyboard.press('Home');
    await seekAnswered(page, START);
    await page.waitForFunction((id) => document.querySelector(`#graph g.edge[data-id="${CSS.escape(id)}"]`)?.classList.contains('state-connected'), W3.id);
    const before = await edgeState(page, W3.id);
    assert.match(before.label, /^♥ 0\.8s\b/);
    assert.doesNotMatch(before.label, /disconnected/);
    assert.equal(before.badge, null, 'no disconnect badge before the kill');
    assert.equal(await page.locator(`#graph g.edge[data-id="${WATCH.id}"]`).count(), 0, 'status-watch had not connected yet');
    assert.equal(await page.locator('#timeline .timeline-instant').textContent(), `+0.0 s · ${formatTime(START)}`);

    // The picture of the past keeps its ages: the clock stands at the instant.
    await page.waitForTimeout(1200);
    assert.equal((await edgeState(page, W3.id)).label, before.label, 'ages do not tick at a past instant');

    await page.locator(`#graph g.edge-label[data-id="${W3.id}"] text.edge-age`).dispatchEvent('click');
    const details = page.locator('#details');
    await details.locator('h3', { hasText: `Timeline up to ${formatTime(START)}` }).waitFor();
    assert.ok(!(await details.textContent())?.includes('WORKER_GONE'), 'no disconnect in the details before the kill');

    // Shift+→ is a big step (10 s of this 60 s span), → a small one (1 s).
    await page.keyboard.press('Shift+ArrowRight');
    await waitForLast(page, { type: 'seek', at: START + 10_000 });
    await page.waitForTimeout(150); // past the seek throttle's interval: the next key goes out at once
    await page.keyboard.press('ArrowRight');
    await seekAnswered(page, START + 11_000);
    await page.waitForFunction(() => document.querySelector('#timeline-track')?.getAttribute('aria-valuenow') === '11000');

    await page.keyboard.press('End');
    await seekAnswered(page, END);
    await page.waitForFunction((id) => document.querySelector(`#graph g.edge[data-id="${CSS.escape(id)}"]`)?.classList.contains('state-disconnected'), W3.id);
    const afterKill = await edgeState(page, W3.id);
    assert.equal(afterKill.badge, '⊘ WORKER_GONE', 'the disconnect message is on the edge after the kill');
    assert.match(afterKill.label, /disconnected 20s ago/);
    await details.locator('h3', { hasText: `Timeline up to ${formatTime(END)}` }).waitFor();
    const text = await details.textContent() ?? '';
    assert.ok(text.includes('WORKER_GONE') && text.includes('disconnect-msg'), 'the details list the disconnect after the kill');
    assert.equal(await page.locator(`#graph g.edge[data-id="${WATCH.id}"]`).count(), 1);
  });

  test('Pause holds live updates, not the pictures of the past the timeline asks for', async () => {
    const { page } = session;
    await page.click('#pause');
    await waitForLast(page, { type: 'setPaused', paused: true });
    await page.focus('#timeline-track');
    await page.keyboard.press('Home');
    await seekAnswered(page, START);
    await page.waitForFunction((id) => document.querySelector(`#graph g.edge[data-id="${CSS.escape(id)}"]`)?.classList.contains('state-connected'), W3.id);
    await page.keyboard.press('End');
    await seekAnswered(page, END);
    await page.waitForFunction((id) => document.querySelector(`#graph g.edge[data-id="${CSS.escape(id)}"]`)?.classList.contains('state-disconnected'), W3.id);
    assert.doesNotMatch(await page.locator('#status').textContent() ?? '', /update\(s\) held/);
    await page.click('#pause');
    await waitForLast(page, { type: 'setPaused', paused: false });
  });

  test('PageUp/PageDown and the event buttons go from marker to marker and reveal what each names', async () => {
    const { page } = session;
    await page.focus('#timeline-track');
    await page.keyboard.press('Home');
    await seekAnswered(page, START);
    await page.keyboard.press('PageDown');
    await seekAnswered(page, START + 10_000);
    await waitForLast(page, { type: 'selected', id: edgeOf('worker-2').id });
    await page.waitForTimeout(150);
    await page.keyboard.press('PageDown');
    await seekAnswered(page, KILL);
    await waitForLast(page, { type: 'selected', id: W3.id });
    assert.equal((await edgeState(page, W3.id)).badge, '⊘ WORKER_GONE', 'at the kill marker: the disconnect is drawn');
    assert.match(await page.locator('#details').textContent() ?? '', /WORKER_GONE/);
    await page.waitForTimeout(150);
    await page.keyboard.press('PageUp');
    await seekAnswered(page, START + 10_000);

    assert.equal(await page.locator('#timeline-prev').isDisabled(), true, 'no event before the first');
    await page.click('#timeline-next');
    await seekAnswered(page, KILL);
    await page.waitForTimeout(150);
    await page.click('#timeline-next');
    await seekAnswered(page, START + 52_000);
    await waitForLast(page, { type: 'selected', id: edgeOf('client-2').id });
    await page.click('#timeline-prev');
    await seekAnswered(page, KILL);
  });

  test('Space plays and pauses at the chosen speed; the speed buttons play at 1×, 10×, 100×', async () => {
    const { page } = session;
    await page.focus('#timeline-track');
    await page.keyboard.press(' ');
    await waitForLast(page, { type: 'play', speed: 1 });
    await answer(page, KILL, { speed: 1 });
    await page.waitForFunction(() => document.querySelector('#timeline-play')?.getAttribute('aria-pressed') === 'true');
    assert.match(await page.locator('#timeline-play').textContent() ?? '', /Pause/);
    assert.equal(await page.getAttribute('#timeline-speed-1', 'aria-pressed'), 'true');
    // Playing, the host sends a picture every tick and the timeline about once a second: the handle follows the pictures.
    await post(page, { type: 'snapshot', snapshot: pictureAt(KILL + 500) });
    await page.waitForFunction(() => document.querySelector('#timeline-track')?.getAttribute('aria-valuenow') === '40500');
    await page.keyboard.press(' ');
    await waitForLast(page, { type: 'play', speed: 0 });
    await answer(page, KILL, { speed: 0 });
    await page.click('#timeline-speed-100');
    await waitForLast(page, { type: 'play', speed: 100 });
    await answer(page, KILL, { speed: 100 });
    await page.click('#timeline-speed-10');
    await waitForLast(page, { type: 'play', speed: 10 });
    await answer(page, KILL, { speed: 0 });
    await page.focus('#timeline-track');
    await page.keyboard.press(' ');
    await waitForLast(page, { type: 'play', speed: 10 }); // Space plays at the last speed chosen
    await answer(page, KILL, { speed: 0 });
  });

  test('dragging the handle posts at most ~10 seeks a second and always the release point', async () => {
    const { page } = session;
    await answer(page, START);
    const from = await clientXOf(page, START + 6000);
    const to = await clientXOf(page, START + 54_000);
    const seeksBefore = (await postedOf(page, 'seek')).length;
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    const started = Date.now();
    const steps = 40;
    for (let i = 1; i <= steps; i++) {
      await page.mouse.move(from.x + ((to.x - from.x) * i) / steps, from.y);
      await page.waitForTimeout(15);
    }
    // While the button is held the handle follows the hand, whatever the host said last.
    const handleX = await page.evaluate(() => /translate\(([-\d.]+)/.exec(document.querySelector('#timeline .timeline-handle')?.getAttribute('transform') ?? '')?.[1]);
    await page.mouse.up();
    const dragMs = Date.now() - started;
    const box = await page.locator('#timeline-track').boundingBox();
    assert.ok(box);
    assert.ok(Math.abs(Number(handleX) + box.x - to.x) <= 1, `handle under the pointer: ${handleX} + ${box.x} vs ${to.x}`);

    await page.waitForTimeout(300);
    const seeks = (await postedOf(page, 'seek')).slice(seeksBefore).map((m) => m.at);
    const perSecondCap = Math.ceil(dragMs / 100) + 2;
    assert.ok(seeks.length >= 2 && seeks.length <= perSecondCap, `${seeks.length} seeks in ${dragMs} ms of dragging (cap ${perSecondCap})`);
    const last = seeks.at(-1) ?? NaN;
    const msPerPixel = (END - START) / (box.width - 18);
    assert.ok(Math.abs(last - (START + 54_000)) <= msPerPixel + 1, `the final seek is the release point: ${last - START} ms in`);
    assert.ok(seeks.every((at, i) => i === 0 || (at ?? 0) >= (seeks[i - 1] ?? 0)), 'seeks follow the drag');
    await answer(page, last ?? END);
  });

  test('a click on a marker seeks to it and selects what it names', async () => {
    const { page } = session;
    await page.focus('#timeline-track');
    await page.keyboard.press('Home');
    await seekAnswered(page, START);
    await page.locator('#timeline .timeline-marker[data-kind="disconnect"]').click();
    await seekAnswered(page, KILL);
    await waitForLast(page, { type: 'selected', id: W3.id });
    await page.locator('#details h2', { hasText: 'Connection' }).waitFor();
    assert.match(await page.locator('#details').textContent() ?? '', /WORKER_GONE/);
  });

  test('compare: Shift+click marks t1, Compare posts t1..t2, the answer is a list whose items reveal in the graph', async () => {
    const { page } = session;
    await answer(page, END);
    const markAt = START + 12_000;
    const point = await clientXOf(page, markAt);
    const seeksBefore = (await postedOf(page, 'seek')).length;
    await page.keyboard.down('Shift');
    await page.mouse.click(point.x, point.y);
    await page.keyboard.up('Shift');
    assert.equal((await postedOf(page, 'seek')).length, seeksBefore, 'Shift+click marks, it does not seek');
    assert.equal(await page.getAttribute('#timeline .timeline-mark-flag', 'visibility'), null, 'the mark is drawn');
    await page.click('#timeline-compare');
    const [compare] = (await postedOf(page, 'compare')).slice(-1);
    assert.ok(compare, 'compare posted');
    const msPerPixel = (END - START) / ((await page.locator('#timeline-track').boundingBox())?.width ?? 1);
    assert.ok(Math.abs(compare.from - markAt) <= msPerPixel + 1, `from = the mark: ${compare.from - START}`);
    assert.equal(compare.to, END, 'to = the instant shown');

    const comparison: Comparison = {
      from: compare.from,
      to: compare.to,
      changes: [
        { change: 'state', id: W3.id, text: 'worker-3 → broker: connected → disconnected (WORKER_GONE)' },
        { change: 'added', id: WATCH.id, text: `status-watch → broker: connecting ${HOSTILE}` },
      ],
    };
    await post(page, { type: 'comparison', comparison });
    const list = page.locator('#comparison');
    await list.waitFor({ state: 'visible' });
    assert.equal(await list.locator('h3').textContent(), 'Changes from +12.0 s to +1 min 00.0 s: 1 added, 1 state change');
    assert.deepEqual(await list.locator('.comparison-item').allTextContents(), [
      '~ worker-3 → broker: connected → disconnected (WORKER_GONE)',
      `+ status-watch → broker: connecting ${HOSTILE}`,
    ]);
    assert.equal(await page.locator('img').count(), 0, 'texts from the host are text');

    // An item the graph holds now is revealed at once.
    const seeks = (await postedOf(page, 'seek')).length;
    await list.locator('.comparison-item', { hasText: 'worker-3' }).click();
    await waitForLast(page, { type: 'selected', id: W3.id });
    await page.locator('#details h2', { hasText: 'Connection' }).waitFor();
    assert.equal((await postedOf(page, 'seek')).length, seeks, 'no seek needed');
    await page.waitForTimeout(300); // the reveal's centring settles
    await page.screenshot({ path: path.join(SCREENSHOTS, 'timeline-recording.png') });

    // One the graph does not hold at this instant: seek to where it exists, then reveal it.
    await page.focus('#timeline-track');
    await page.keyboard.press('Home');
    await seekAnswered(page, START);
    await page.waitForFunction((id) => !document.querySelector(`#graph g.edge[data-id="${CSS.escape(id)}"]`), WATCH.id);
    await list.locator('.comparison-item', { hasText: 'status-watch' }).click();
    await seekAnswered(page, END);
    await waitForLast(page, { type: 'selected', id: WATCH.id });
    await page.locator(`#graph g.edge.selected[data-id="${WATCH.id}"]`).waitFor();

    await list.getByRole('button', { name: 'Close the comparison' }).click();
    await list.waitFor({ state: 'hidden' });
  });

  test('no page errors and no CSP violations', () => {
    assert.deepEqual(session.problems, []);
  });
});

describe('timeline of the live graph (the ring)', () => {
  test('following live: Live disabled; Space plays the ring; ← steps into the past, L, Live and End come back', async () => {
    const session = await open();
    try {
      const { page } = session;
      const ring = (at: number | null): TimelineView => timelineAt(at, { source: 'live', title: 'last 10 min', startAt: END - 600_000, endAt: END });
      await post(page, { type: 'snapshot', snapshot: pictureAt(END) });
      await post(page, { type: 'timeline', timeline: ring(null) });
      await page.locator('#timeline').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#timeline .timeline-instant').textContent(), 'live');
      assert.equal(await page.getAttribute('#timeline-track', 'aria-valuetext'), 'live: following the running system');
      assert.equal(await page.locator('#timeline-live').isVisible(), true);
      assert.equal(await page.locator('#timeline-live').isDisabled(), true, 'already live');

      await page.focus('#timeline-track');
      await page.keyboard.press(' ');
      await waitForLast(page, { type: 'play', speed: 1 }); // the host plays the ring from its start
      await post(page, { type: 'snapshot', snapshot: pictureAt(END) });
      assert.equal(await page.locator('#timeline .timeline-instant').textContent(), 'live', 'a live picture does not move the bar');
      await page.keyboard.press('ArrowLeft'); // 10 min: a small step is 10 s
      await waitForLast(page, { type: 'seek', at: END - 10_000 });
      await post(page, { type: 'timeline', timeline: ring(END - 10_000) });
      await page.waitForFunction(() => document.querySelector('#timeline .timeline-instant')?.textContent?.startsWith('−10.0 s'));
      assert.equal(await page.getAttribute('#timeline-track', 'aria-valuetext'), `10 seconds ago, at ${formatTime(END - 10_000)}`);
      assert.equal(await page.locator('#timeline-live').isDisabled(), false);

      await page.keyboard.press('l');
      await waitForLast(page, { type: 'seek', at: null });
      await post(page, { type: 'timeline', timeline: ring(null) });
      await page.waitForFunction(() => document.querySelector('#timeline .timeline-instant')?.textContent === 'live');

      const back = async (): Promise<void> => {
        await page.waitForTimeout(150); // past the seek throttle's interval
        await page.focus('#timeline-track');
        await page.keyboard.press('ArrowLeft');
        await waitForLast(page, { type: 'seek', at: END - 10_000 });
        await post(page, { type: 'timeline', timeline: ring(END - 10_000) });
      };
      await back();
      await page.click('#timeline-live');
      await waitForLast(page, { type: 'seek', at: null });
      await post(page, { type: 'timeline', timeline: ring(null) });
      await back();
      await page.keyboard.press('End');
      await waitForLast(page, { type: 'seek', at: null }); // the end of the ring is live, not a frozen instant
      assert.equal((await postedOf(page, 'seek')).filter((m) => m.at === null).length, 3);
      await post(page, { type: 'timeline', timeline: ring(null) });
      await page.screenshot({ path: path.join(SCREENSHOTS, 'timeline-live.png') });
      assert.deepEqual(session.problems, []);
    } finally {
      await session.context.close();
    }
  });
});
