/**
 * Graph interactions in the real webview (real bundle, real CSP, headless Chromium): the
 * neighbourhood highlight on hover and keyboard focus, find-and-centre, and groups of alike peers
 * (collapsed above the host's threshold, expanded by a click or a find).
 * Only acquireVsCodeApi is a shim (see webviewPage.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { TopologySnapshot } from '../../src/shared/snapshot';
import type { HostMessage, WebviewMessage } from '../../src/shared/messages';
import { CHROMIUM_ARGS, ensureBundle, ROOT, startWebviewServer, type WebviewServer } from './webviewPage';
import { alikePeers } from './topologies';

const recorded = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'webview', 'snapshot.json'), 'utf8')) as { snapshot: TopologySnapshot };
const BROKER = 'devbox:4100:a1';
const WORKER_1 = 'devbox:4201:w1';
const WORKER_1_EDGE = 'devbox:4201:w1/1->devbox:4100:a1/2#776f726b65722d31';

let browser: Browser;
let server: WebviewServer;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

async function post(message: HostMessage): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message);
}

async function postedOf(type: WebviewMessage['type']): Promise<WebviewMessage[]> {
  const all = await page.evaluate(() => (window as unknown as { __posted: WebviewMessage[] }).__posted);
  return all.filter((m) => m.type === type);
}

/** Opacity as seen of every drawn group, socket, edge and edge label (its own times its ancestors'), by kind and id. */
async function opacities(): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const result: Record<string, number> = {};
    for (const element of document.querySelectorAll('#graph g.group, #graph g.socket, #graph g.edge, #graph g.edge-label')) {
      const kind = element.getAttribute('class')?.split(' ')[0] ?? '';
      let opacity = 1;
      for (let at: Element | null = element; at !== null && at.id !== 'graph'; at = at.parentElement) {
        opacity *= Number(getComputedStyle(at).opacity);
      }
      result[`${kind} ${element.getAttribute('data-id') ?? ''}`] = opacity;
    }
    return result;
  });
}

/** The keys of `opacities()` not dimmed (an exited process is at 0.5 by its own state, dimmed at 0.1). */
function lit(all: Record<string, number>): string[] {
  return Object.entries(all).filter(([, opacity]) => opacity > 0.4).map(([key]) => key).sort();
}

/** Distance (px) from the drawn item's box centre to the graph's centre. */
async function offCentre(selector: string): Promise<{ dx: number; dy: number } | null> {
  return page.evaluate((s) => {
    const box = document.querySelector(s)?.getBoundingClientRect();
    const svg = document.querySelector('#graph')?.getBoundingClientRect();
    return box && svg ? { dx: box.x + box.width / 2 - (svg.x + svg.width / 2), dy: box.y + box.height / 2 - (svg.y + svg.height / 2) } : null;
  }, selector);
}

before(async () => {
  ensureBundle();
  server = await startWebviewServer();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') {
      problems.push(`console: ${message.text()}`);
    }
  });
  await page.goto(`${server.url}?theme=dark`);
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
  await post({ type: 'snapshot', snapshot: recorded.snapshot });
  await page.waitForFunction((n) => document.querySelectorAll('#graph g.edge').length === n, recorded.snapshot.edges.length);
  await page.waitForFunction(() => document.querySelector('#graph')?.getAttribute('data-layout') === 'settled', undefined, { timeout: 20_000 });
});

after(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
  assert.deepEqual(problems, [], 'no page errors');
});

describe('neighbourhood highlight', () => {
  test('hovering a process lights its sockets, edges and peers and dims the rest; leaving restores all', async () => {
    const before = await opacities();
    assert.ok(Object.keys(before).length > 20, 'items are drawn');
    const everything = lit(before);

    await page.hover(`#graph g.group[data-id="${WORKER_1}"] text.group-label`);
    assert.equal(await page.getAttribute('#graph', 'class').then((c) => c?.includes('hood-active')), true);
    assert.deepEqual(lit(await opacities()), [
      `edge ${WORKER_1_EDGE}`, `edge-label ${WORKER_1_EDGE}`,
      `group ${BROKER}`, `group ${WORKER_1}`,
      `socket ${BROKER}/2`, `socket ${WORKER_1}/1`,
    ], "worker-1, its DEALER, its edge and the broker's backend stay; the broker's frontend and PUB and all the others dim");
    const border = await page.evaluate((id) => getComputedStyle(document.querySelector(`#graph g.socket[data-id="${id}"] .socket-box`) as Element).stroke, `${BROKER}/2`);
    assert.equal(border, 'rgb(0, 127, 212)', 'the lit peer socket is outlined in --vscode-focusBorder');

    await page.mouse.move(2, 790); // the empty corner of the graph: nothing hovered
    assert.deepEqual(lit(await opacities()), everything);
  });

  test('a diff patching a lit edge keeps it lit (the renderer rewrites its class attribute)', async () => {
    await page.hover(`#graph g.group[data-id="${WORKER_1}"] text.group-label`);
    const edge = recorded.snapshot.edges.find((e) => e.id === WORKER_1_EDGE);
    assert.ok(edge);
    await post({ type: 'diff', diff: { takenAt: recorded.snapshot.takenAt + 500, edges: [{ ...edge, state: 'late' }] } });
    await page.waitForFunction((id) => document.querySelector(`#graph g.edge[data-id="${id}"]`)?.classList.contains('state-late'), WORKER_1_EDGE);
    const after = await opacities();
    assert.equal(after[`edge ${WORKER_1_EDGE}`], 1, 'still lit after the patch');
    assert.ok(after[`edge devbox:4301:c1/1->devbox:4100:a1/1#3c696d67207372633d78206f6e6572726f723d616c6572742831293e`] < 0.4, 'the others still dim');
    await post({ type: 'diff', diff: { takenAt: recorded.snapshot.takenAt + 600, edges: [edge] } });
    await page.mouse.move(2, 790);
  });

  test('focusing a process with the keyboard lights its neighbourhood; Enter selects it', async () => {
    await page.focus('#filter-text');
    // Tab from the toolbar goes through its controls into the graph's processes.
    let focused = '';
    for (let i = 0; i < 30 && !focused.startsWith('group '); i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => {
        const active = document.activeElement;
        return active?.matches('#graph g.group') ? `group ${active.getAttribute('data-id') ?? ''}` : active?.id ?? '';
      });
    }
    assert.match(focused, /^group /, 'a process box takes the keyboard focus');
    const id = focused.slice('group '.length);
    assert.equal(await page.getAttribute('#graph', 'class').then((c) => c?.includes('hood-active') ?? false), true, 'focus lights a neighbourhood');
    assert.ok(lit(await opacities()).includes(`group ${id}`), 'the focused process is lit');

    await page.focus(`#graph g.group[data-id="${WORKER_1}"]`);
    assert.deepEqual(lit(await opacities()).filter((k) => k.startsWith('group ')), [`group ${BROKER}`, `group ${WORKER_1}`]);
    await page.keyboard.press('Enter');
    await page.waitForFunction((wid) => document.querySelector(`#graph g.group[data-id="${wid}"]`)?.classList.contains('selected'), WORKER_1);
    assert.deepEqual((await postedOf('selected')).at(-1), { type: 'selected', id: WORKER_1 });
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    assert.equal(await page.getAttribute('#graph', 'class').then((c) => c?.includes('hood-active') ?? false), false, 'blur ends the highlight');
  });
});

describe('find', () => {
  test('Ctrl+F opens the box; Enter centres and selects each match in turn and says n of m; Escape closes', async () => {
    assert.equal(await page.isVisible('#find-text'), false, 'closed at first');
    await page.mouse.click(2, 790); // the graph has the focus
    await page.keyboard.press('Control+f');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'find-text');
    await page.keyboard.type('worker-2');
    assert.equal(await page.textContent('#find .find-count'), '2 matches');

    await page.keyboard.press('Enter');
    assert.equal(await page.textContent('#find .find-count'), '1 of 2');
    const w2 = 'devbox:4202:w2';
    await page.waitForFunction((id) => document.querySelector(`#graph g.group[data-id="${id}"]`)?.classList.contains('selected'), w2);
    assert.deepEqual((await postedOf('selected')).at(-1), { type: 'selected', id: w2 });
    const centre = await offCentre(`#graph g.group[data-id="${w2}"] rect.group-box`);
    assert.ok(centre && Math.abs(centre.dx) < 4 && Math.abs(centre.dy) < 4, `the process is centred: ${JSON.stringify(centre)}`);
    await page.locator('#details h2').first().waitFor();
    assert.match(await page.textContent('#details') ?? '', /worker-2/);

    await page.keyboard.press('Enter');
    assert.equal(await page.textContent('#find .find-count'), '2 of 2');
    assert.deepEqual((await postedOf('selected')).at(-1), { type: 'selected', id: `${w2}/1` }, 'then its socket');
    const socketCentre = await offCentre(`#graph g.socket[data-id="${w2}/1"] rect.socket-box`);
    assert.ok(socketCentre && Math.abs(socketCentre.dx) < 4 && Math.abs(socketCentre.dy) < 4, `the socket is centred: ${JSON.stringify(socketCentre)}`);
    await page.keyboard.press('Enter');
    assert.equal(await page.textContent('#find .find-count'), '1 of 2', 'wraps');
    await page.keyboard.press('Shift+Enter');
    assert.equal(await page.textContent('#find .find-count'), '2 of 2', 'Shift+Enter goes back');

    await page.fill('#find-text', 'nothing like it');
    assert.equal(await page.textContent('#find .find-count'), 'no match');
    await page.keyboard.press('Escape');
    assert.equal(await page.isVisible('#find-text'), false, 'Escape closes the box');
    assert.equal(await page.evaluate(() => document.querySelector('#graph g.socket.selected')?.getAttribute('data-id')), `${w2}/1`, "the box's Escape leaves the selection alone");
  });

  test('find reaches what the filter hides (the filter is dropped, as for a reveal), by endpoint and routing id', async () => {
    await page.fill('#filter-text', 'client');
    await page.waitForFunction(() => !document.querySelector('#graph g.group[data-id="devbox:4400:m1"]'));
    await page.click('#find-toggle');
    await page.fill('#find-text', ':5557');
    assert.equal(await page.textContent('#find .find-count'), '2 matches', "the PUB's bound endpoint and the SUB's connected one");
    await page.press('#find-text', 'Enter');
    await page.waitForFunction(() => document.querySelector('#graph g.socket[data-id="devbox:4100:a1/3"]')?.classList.contains('selected'));
    assert.equal(await page.inputValue('#filter-text'), '', 'the filter that hid the match is dropped');
    const centre = await offCentre('#graph g.socket[data-id="devbox:4100:a1/3"] rect.socket-box');
    assert.ok(centre && Math.abs(centre.dx) < 4 && Math.abs(centre.dy) < 4, `centred: ${JSON.stringify(centre)}`);

    await page.fill('#find-text', 'ghost');
    await page.press('#find-text', 'Enter');
    assert.equal(await page.textContent('#find .find-count'), '1 of 2');
    assert.deepEqual((await postedOf('selected')).at(-1), { type: 'selected', id: '?peer:devbox:4100:a1/2:67686f73742d37' }, 'the unknown peer (named for its routing id)');
    await page.click('#find-toggle');
    assert.equal(await page.isVisible('#find-text'), false, 'the button closes it too');
  });
});

describe('details', () => {
  test('a socket passed to a proxy says in its details why it shows no traffic', async () => {
    const id = `${BROKER}/2`;
    const socket = recorded.snapshot.sockets.find((s) => s.id === id);
    assert.ok(socket && !socket.proxied);
    await post({ type: 'reveal', id });
    await page.waitForFunction((sid) => document.querySelector(`#graph g.socket[data-id="${sid}"]`)?.classList.contains('selected'), id);
    assert.doesNotMatch(await page.textContent('#details') ?? '', /proxy/);
    await post({ type: 'diff', diff: { takenAt: recorded.snapshot.takenAt + 700, sockets: [{ ...socket, proxied: true }] } });
    await post({ type: 'reveal', id });
    await page.waitForFunction(() => document.querySelector('#details')?.textContent?.includes('forwarded by a proxy in native code'));
    await post({ type: 'diff', diff: { takenAt: recorded.snapshot.takenAt + 800, sockets: [socket] } });
  });

  test('a socket whose bind failed has an error outline, the port it meant in its box, and the error and the holder in its details', async () => {
    const socket = recorded.snapshot.sockets.find((s) => s.binds.length === 0 && !s.unknown)!;
    const holder = recorded.snapshot.sockets.find((s) => s.binds.length > 0 && !s.unknown)!;
    assert.ok(socket && holder);
    const failed = [{ op: 'bind' as const, endpoint: 'tcp://*:5599', error: 'Address already in use', at: recorded.snapshot.takenAt, times: 4, heldBy: holder.id }];
    await post({ type: 'diff', diff: { takenAt: recorded.snapshot.takenAt + 850, sockets: [{ ...socket, failed }] } });
    await page.waitForFunction((sid) => document.querySelector(`#graph g.socket[data-id="${sid}"]`)?.classList.contains('failed'), socket.id);
    const drawn = await page.evaluate((sid) => {
      const g = document.querySelector(`#graph g.socket[data-id="${sid}"]`);
      const box = g?.querySelector('rect.socket-box');
      return { endpoint: g?.querySelector('text.socket-endpoint')?.textContent, stroke: box ? getComputedStyle(box).stroke : '' };
    }, socket.id);
    assert.match(drawn.endpoint ?? '', /✖:5599/, 'the port it meant, marked');
    assert.equal(drawn.stroke, 'rgb(244, 135, 113)', 'outlined in --vscode-errorForeground (dark theme)');
    await post({ type: 'reveal', id: socket.id });
    await page.waitForFunction(() => document.querySelector('#details')?.textContent?.includes('Address already in use'));
    const details = await page.textContent('#details') ?? '';
    assert.match(details, /bind tcp:\/\/\*:5599 failed: Address already in use \(4 times\)/);
    assert.match(details, new RegExp(`bound by ${holder.type}`), 'names the socket that held the port');
    await post({ type: 'diff', diff: { takenAt: recorded.snapshot.takenAt + 860, sockets: [socket] } });
    await page.waitForFunction((sid) => !document.querySelector(`#graph g.socket[data-id="${sid}"]`)?.classList.contains('failed'), socket.id);
  });

  test('two connections with one routing id: the refused one is faded with a badge, and its details say why, naming the other', async () => {
    const edges = recorded.snapshot.edges;
    const served = edges.find((e) => edges.some((o) => o.to === e.to && o.id !== e.id))!;
    const refused = edges.find((e) => e.to === served.to && e.id !== served.id)!;
    assert.ok(served && refused, 'two edges into one socket');
    // Both ends say connected: that is the point of the mark.
    const clash = (edge: typeof served, other: typeof served, serves: boolean) => ({ ...edge, state: 'connected' as const, lastDisconnect: null, routingIdClash: { with: [other.id], serves, handover: false } });
    await post({ type: 'diff', diff: { takenAt: recorded.snapshot.takenAt + 900, edges: [clash(served, refused, true), clash(refused, served, false)] } });
    await post({ type: 'reveal', id: refused.id });
    await page.waitForFunction(() => document.querySelector('#details')?.textContent?.includes('never reads this connection'));
    const otherSocket = recorded.snapshot.sockets.find((k) => k.id === served.from)!;
    assert.match(await page.textContent('#details') ?? '', new RegExp(`held by ${otherSocket.type}`), 'names the connection that holds the id');
    const edgeOf = (id: string) => page.evaluate((eid) => {
      const g = document.querySelector(`#graph g.edge[data-id="${eid}"]`);
      const label = document.querySelector(`#graph g.edge-label[data-id="${eid}"] g.badge`);
      return { classes: g?.getAttribute('class') ?? '', badge: label?.getAttribute('display') === 'none' ? null : label?.textContent ?? null };
    }, id);
    const drawn = await edgeOf(refused.id);
    assert.match(drawn.classes, /\brouting-id-refused\b/);
    assert.equal(drawn.badge, '⚠ refused: routing id in use');
    assert.equal((await edgeOf(served.id)).badge, '⚠ routing id shared');
    await post({ type: 'diff', diff: { takenAt: recorded.snapshot.takenAt + 1000, edges: [served, refused] } });
    await page.waitForFunction((eid) => !document.querySelector(`#graph g.edge[data-id="${eid}"]`)?.classList.contains('routing-id-refused'), refused.id);
    // Revealing an edge zooms in on it; the next tests expect the whole graph in view.
    await page.click('#fit');
  });
});

describe('groups of alike peers', () => {
  const groupIds = (): Promise<string[]> => page.evaluate(() => [...document.querySelectorAll('#graph g.group')].map((g) => g.getAttribute('data-id') ?? '').sort());

  async function show(snapshot: TopologySnapshot, groups: number): Promise<void> {
    await post({ type: 'snapshot', snapshot: { ...snapshot, takenAt: Date.now() } });
    await page.waitForFunction((n) => document.querySelectorAll('#graph g.group').length === n, groups);
  }

  test('25 workers on one ROUTER are one box "worker ×25" with one edge in their worst state; a click expands it', async () => {
    await show(alikePeers(25, 3, (n) => (n === 7 ? 'late' : 'connected')), 1 + 1 + 3);
    const alike = (await groupIds()).find((id) => id.startsWith('alike:')) ?? '';
    assert.ok(alike, 'a group of alike peers is drawn');
    const box = page.locator(`#graph g.group[data-id="${alike}"]`);
    assert.equal(await box.locator('text.group-label').textContent(), 'worker ×25');
    assert.equal(await box.getAttribute('class').then((c) => c?.includes('alike-group')), true);
    const edges = await page.evaluate(() => [...document.querySelectorAll('#graph g.edge')].map((g) => g.getAttribute('class') ?? ''));
    assert.equal(edges.length, 1 + 3, 'one aggregate edge for the workers, one per client');
    assert.equal(edges.filter((c) => c.includes('state-late')).length, 1, 'the aggregate takes the worst member state');
    const labels = await page.evaluate(() => [...document.querySelectorAll('#graph g.edge-label text.edge-age')].map((t) => t.textContent ?? ''));
    assert.ok(labels.includes('◔ Σ 75/s'), `the aggregate's label sums the 25 workers' msg/s: ${JSON.stringify(labels)}`);

    await box.locator('text.group-label').click();
    await page.waitForFunction((n) => document.querySelectorAll('#graph g.group').length === n, 1 + 25 + 3);
    assert.equal((await groupIds()).some((id) => id.startsWith('alike:')), false, 'expanded: every worker is its own box');
    assert.notDeepEqual((await postedOf('selected')).at(-1), { type: 'selected', id: alike }, 'the click expanded, it did not select');
  });

  test('the host’s groupThreshold applies at once: 8 alike peers group above 5, never with 0', async () => {
    await show(alikePeers(8, 0, () => 'connected', 'bee'), 1 + 8);
    await post({ type: 'options', options: { groupThreshold: 5 } });
    await page.waitForFunction(() => document.querySelectorAll('#graph g.group').length === 2);
    assert.equal(await page.locator('#graph g.group.alike-group text.group-label').textContent(), 'bee ×8');
    await post({ type: 'options', options: { groupThreshold: 0 } });
    await page.waitForFunction(() => document.querySelectorAll('#graph g.group').length === 9);
    await post({ type: 'options', options: { groupThreshold: 20 } });
  });

  test('finding a process inside a group expands the group and centres the process', async () => {
    await show(alikePeers(30, 0, () => 'connected', 'drone'), 1 + 1);
    await page.click('#find-toggle');
    await page.fill('#find-text', '117');
    assert.equal(await page.textContent('#find .find-count'), '1 match', 'pid 117 is drone w17');
    await page.press('#find-text', 'Enter');
    await page.waitForFunction(() => document.querySelector('#graph g.group[data-id="w17"]')?.classList.contains('selected'));
    assert.equal(await page.locator('#graph g.group').count(), 1 + 30);
    await page.waitForFunction(() => document.querySelector('#graph')?.getAttribute('data-layout') === 'settled', undefined, { timeout: 20_000 });
    const centre = await offCentre('#graph g.group[data-id="w17"] rect.group-box');
    assert.ok(centre && Math.abs(centre.dx) < 4 && Math.abs(centre.dy) < 4, `centred: ${JSON.stringify(centre)}`);
    await page.press('#find-text', 'Escape');
  });
});
