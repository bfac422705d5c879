/**
 * Graph scale: the webview bundle in headless Chromium (as test/browser loads it: graphPanel.ts's page
 * and CSP, an acquireVsCodeApi shim) fed synthetic snapshots of 100…2,000 sockets with 3× edges and
 * diffs at 10 Hz. Measured in the page: initial render time, frames per second (requestAnimationFrame
 * callbacks) with updates alone and with pan/zoom on top, and main-thread long tasks. Where 1,000
 * sockets miss 30 fps, a Chrome trace of the pan/zoom phase says where the main thread's time goes.
 * Each size runs with the renderer the webview picks (SVG for small graphs, canvas for large ones);
 * 1,000 sockets also run forced to SVG (`?renderer=svg`), so both renderers' numbers stand side by side.
 * The layout the webview picks for these graphs (they have ROUTERs) is the layered one: ELK in its web
 * worker up to webview/elkLayout.ts ELK_MAX_EDGES, the built-in layering above; its time is reported
 * apart from the frame rates (ELK runs off the main thread). `--sizes 100,500` picks the sizes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, ensureBundle, startWebviewServer, type WebviewServer } from '../test/browser/webviewPage';
import { syntheticDiffs, syntheticSnapshot } from './lib/synthetic';
import { atLeast, isQuick, RESULTS_DIR, ROOT, summarize, writeResult, type Row } from './lib/report';

const quick = isQuick();
const profileAlways = process.argv.includes('--profile');
type Renderer = 'auto' | 'svg';
const sizesIndex = process.argv.indexOf('--sizes');
const onlySizes = sizesIndex >= 0 ? (process.argv[sizesIndex + 1] ?? '').split(',').map(Number).filter((n) => n > 0) : null;
const settings = quick
  ? { sizes: [100, 1000], runs: 1, settleLimitMs: 5000, phaseMs: 1500, svgAlso: [] as number[] }
  : { sizes: [100, 500, 1000, 2000], runs: 3, settleLimitMs: 30_000, phaseMs: 4000, svgAlso: [1000] };
if (onlySizes) {
  settings.sizes = onlySizes;
  settings.svgAlso = settings.svgAlso.filter((n) => onlySizes.includes(n));
}
/** How often the layout state is polled. */
const SETTLE_CHECK_MS = 100;
const DIFF_INTERVAL_MS = 100;
const FPS_TARGET = 30;
const TARGET_SOCKETS = 1000;
const VIEWPORT = { width: 1280, height: 800 };

interface PhaseResult {
  /** The phase's real length (the last pan/zoom step may overrun it). */
  seconds: number;
  fps: number;
  /** Longest gap between two frames. */
  worstFrameMs: number;
  longTasks: number;
  longTaskMs: number;
  longestTaskMs: number;
}

interface SizeRun {
  sockets: number;
  edges: number;
  run: number;
  /** Asked for (`auto` = the webview's choice) and what really drew (the page's data-renderer). */
  requested: Renderer;
  renderer: string;
  /** What laid the processes out: 'elk', 'built-in' (layered, too many edges for ELK) or 'force' (the page's data-engine). */
  engine: string;
  initialRenderMs: number;
  /** Snapshot posted → no group moves any more (capped at settleLimitMs; null = still moving then). */
  layoutSettledMs: number | null;
  /** ELK's layout, request → answer, in its worker (the page's data-layout-ms); null when ELK did not lay it out. */
  elkMs: number | null;
  updates: PhaseResult;
  panZoom: PhaseResult;
}

/** Installed in the page: a frame counter and a long-task observer, read per phase. */
function instrumentPage(): void {
  const w = window as unknown as { __bench: { frames: number[]; longTasks: { start: number; duration: number }[] } };
  w.__bench = { frames: [], longTasks: [] };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) w.__bench.longTasks.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: 'longtask', buffered: true });
  const frame = (at: number) => {
    w.__bench.frames.push(at);
    if (w.__bench.frames.length > 100_000) w.__bench.frames.splice(0, 50_000);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

async function phaseBetween(page: Page, from: number, to: number): Promise<PhaseResult> {
  return page.evaluate(([start, end]) => {
    const b = (window as unknown as { __bench: { frames: number[]; longTasks: { start: number; duration: number }[] } }).__bench;
    const frames = b.frames.filter((t) => t >= start && t <= end);
    let worst = 0;
    for (let i = 1; i < frames.length; i++) worst = Math.max(worst, frames[i] - frames[i - 1]);
    const tasks = b.longTasks.filter((t) => t.start >= start && t.start <= end);
    return {
      seconds: (end - start) / 1000,
      fps: frames.length / ((end - start) / 1000),
      worstFrameMs: worst,
      longTasks: tasks.length,
      longTaskMs: tasks.reduce((sum, t) => sum + t.duration, 0),
      longestTaskMs: tasks.reduce((max, t) => Math.max(max, t.duration), 0),
    };
  }, [from, to] as const);
}

/**
 * Waits until the layout is final (the page says so on #graph's data-layout; diffs keep flowing
 * meanwhile); ms since the snapshot was posted (page clock, to the poll), or null at the cap.
 */
async function waitForLayout(page: Page): Promise<number | null> {
  const settled = () => page.evaluate(() => (document.querySelector('#graph')?.getAttribute('data-layout') === 'settled'
    ? performance.now() - (window as unknown as { __postedAt: number }).__postedAt : null));
  const started = Date.now();
  while (Date.now() - started < settings.settleLimitMs) {
    const ms = await settled();
    if (ms !== null) return ms;
    await page.waitForTimeout(SETTLE_CHECK_MS);
  }
  return null;
}

const pageNow = (page: Page): Promise<number> => page.evaluate(() => performance.now());

/** Drags and wheel-zooms around the middle of the graph until `until` (a Node clock time). */
async function panAndZoom(page: Page, until: number): Promise<void> {
  const cx = VIEWPORT.width / 2;
  const cy = VIEWPORT.height / 2;
  let i = 0;
  while (Date.now() < until) {
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.move(cx + (i % 2 ? -120 : 120), cy + 60, { steps: 8 });
    await page.mouse.up();
    await page.mouse.wheel(0, i % 2 ? 240 : -240);
    i++;
  }
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** JS self time by function (ms per second of the profile), the top `limit`. */
function hotFunctions(profile: CpuProfile, limit: number): { fn: string; msPerSecond: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    const us = profile.timeDeltas[i] ?? 0;
    totalUs += us;
    if (!frame) return;
    const where = frame.url ? ` ${path.basename(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'}${where}`;
    totals.set(key, (totals.get(key) ?? 0) + us);
  });
  const seconds = totalUs / 1e6;
  return [...totals].map(([fn, us]) => ({ fn, msPerSecond: us / 1000 / seconds })).sort((a, b) => b.msPerSecond - a.msPerSecond).slice(0, limit);
}

async function measureSize(browser: Browser, server: WebviewServer, sockets: number, run: number, trace: boolean, requested: Renderer): Promise<{ result: SizeRun; trace?: Buffer; profile?: CpuProfile }> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(requested === 'auto' ? server.url : `${server.url}?renderer=${requested}`);
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
    await page.evaluate(instrumentPage);
    const snapshot = syntheticSnapshot(sockets, Date.now());
    const diffs = syntheticDiffs(snapshot, 50, DIFF_INTERVAL_MS);
    // Drawn = the page says it drew every edge (data-edges, set by either renderer), then two frames:
    // the canvas paints on the frame after the render.
    const initialRenderMs = await page.evaluate(async ({ snap, edges }) => {
      const t0 = performance.now();
      (window as unknown as { __postedAt: number }).__postedAt = t0;
      window.postMessage({ type: 'snapshot', snapshot: snap }, '*');
      await new Promise<void>((resolve) => {
        const check = () => {
          if (Number(document.querySelector('#graph')?.getAttribute('data-edges')) >= edges) requestAnimationFrame(() => requestAnimationFrame(() => resolve()));
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      });
      return performance.now() - t0;
    }, { snap: snapshot, edges: snapshot.edges.length });
    const renderer = await page.evaluate(() => document.querySelector('#graph')?.getAttribute('data-renderer') ?? '?');
    // Live diffs at 10 Hz from inside the page, so the feed costs what VS Code's postMessage costs.
    await page.evaluate(({ list, interval, start }) => {
      let i = 0;
      setInterval(() => {
        const diff = list[i % list.length];
        i++;
        window.postMessage({ type: 'diff', diff: { ...diff, takenAt: start + i * interval } }, '*');
      }, interval);
    }, { list: diffs, interval: DIFF_INTERVAL_MS, start: snapshot.takenAt });
    const layoutSettledMs = await waitForLayout(page);
    const { engine, elkMs } = await page.evaluate(() => {
      const graph = document.querySelector('#graph');
      const ms = graph?.getAttribute('data-layout-ms');
      return { engine: graph?.getAttribute('data-engine') ?? '?', elkMs: ms === null || ms === undefined ? null : Number(ms) };
    });

    const u0 = await pageNow(page);
    await page.waitForTimeout(settings.phaseMs);
    const u1 = await pageNow(page);
    const updates = await phaseBetween(page, u0, u1);

    const cdp = trace ? await context.newCDPSession(page) : undefined;
    if (cdp) {
      await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink', 'cc'] });
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
      await cdp.send('Profiler.start');
    }
    const p0 = await pageNow(page);
    await panAndZoom(page, Date.now() + settings.phaseMs);
    const p1 = await pageNow(page);
    const profile = cdp ? (await cdp.send('Profiler.stop')).profile as CpuProfile : undefined;
    const traceBuffer = trace ? await browser.stopTracing() : undefined;
    const panZoom = await phaseBetween(page, p0, p1);
    if (problems.length > 0) throw new Error(`page errors at ${sockets} sockets: ${problems.join('; ')}`);
    return { result: { sockets, edges: snapshot.edges.length, run, requested, renderer, engine, initialRenderMs, layoutSettledMs, elkMs, updates, panZoom }, trace: traceBuffer, profile };
  } finally {
    await context.close();
  }
}

interface TraceEvent { name: string; ph: string; dur?: number; tid: number; pid: number; args?: { name?: string } }

/** Main-thread time by event name (top-level events only), per second of the traced phase. */
function summarizeTrace(buffer: Buffer, phaseSeconds: number): { name: string; msPerSecond: number }[] {
  const events = (JSON.parse(buffer.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
  const mainThreads = new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const totals = new Map<string, number>();
  // Timeline categories nest (FunctionCall inside FireAnimationFrame…): sum the ones that say what the work is.
  const interesting = new Set(['FunctionCall', 'TimerFire', 'FireAnimationFrame', 'EventDispatch', 'UpdateLayoutTree', 'Layout', 'PrePaint',
    'Paint', 'Layerize', 'UpdateLayer', 'CompositeLayers', 'HitTest', 'MajorGC', 'MinorGC', 'V8.GC_SCAVENGER', 'ParseHTML', 'Commit', 'v8.run', 'ScheduleStyleRecalculation']);
  for (const e of events) {
    if (e.ph !== 'X' || e.dur === undefined || !mainThreads.has(`${e.pid}:${e.tid}`) || !interesting.has(e.name)) continue;
    totals.set(e.name, (totals.get(e.name) ?? 0) + e.dur / 1000);
  }
  return [...totals].map(([name, ms]) => ({ name, msPerSecond: ms / phaseSeconds })).sort((a, b) => b.msPerSecond - a.msPerSecond);
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  ensureBundle();
  const server = await startWebviewServer();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const runs: SizeRun[] = [];
  let traceSummary: { sockets: number; breakdown: { name: string; msPerSecond: number }[]; hot: { fn: string; msPerSecond: number }[] } | undefined;
  try {
    const cases: { sockets: number; requested: Renderer }[] = [
      ...settings.sizes.map((sockets) => ({ sockets, requested: 'auto' as const })),
      ...settings.svgAlso.map((sockets) => ({ sockets, requested: 'svg' as const })),
    ];
    for (let run = 0; run < settings.runs; run++) {
      for (const { sockets, requested } of cases) {
        const { result } = await measureSize(browser, server, sockets, run, false, requested);
        runs.push(result);
        process.stderr.write(`graph: ${sockets} sockets (${result.renderer}, ${result.engine} layout${result.elkMs === null ? '' : ` ${result.elkMs} ms`}) run ${run + 1}: render ${Math.round(result.initialRenderMs)} ms, `
          + `layout settled ${result.layoutSettledMs === null ? 'capped' : `${Math.round(result.layoutSettledMs)} ms`}, ${result.updates.fps.toFixed(1)} fps updates, ${result.panZoom.fps.toFixed(1)} fps pan/zoom\n`);
      }
    }
    const atTarget = runs.filter((r) => r.sockets === TARGET_SOCKETS && r.requested === 'auto');
    const missed = summarize(atTarget.map((r) => r.panZoom.fps)).median < FPS_TARGET || summarize(atTarget.map((r) => r.updates.fps)).median < FPS_TARGET;
    if (atTarget.length > 0 && ((missed && !quick) || profileAlways)) {
      const { result, trace, profile } = await measureSize(browser, server, TARGET_SOCKETS, settings.runs, true, 'auto');
      if (trace && profile) {
        fs.mkdirSync(RESULTS_DIR, { recursive: true });
        fs.writeFileSync(path.join(RESULTS_DIR, `graph-${TARGET_SOCKETS}-panzoom.trace.json`), trace);
        fs.writeFileSync(path.join(RESULTS_DIR, `graph-${TARGET_SOCKETS}-panzoom.cpuprofile`), JSON.stringify(profile));
        traceSummary = { sockets: TARGET_SOCKETS, breakdown: summarizeTrace(trace, result.panZoom.seconds), hot: hotFunctions(profile, 15) };
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const rows: Row[] = [];
  const groups = [...settings.sizes.map((sockets) => ({ sockets, requested: 'auto' as Renderer })), ...settings.svgAlso.map((sockets) => ({ sockets, requested: 'svg' as Renderer }))];
  for (const { sockets, requested } of groups) {
    const mine = runs.filter((r) => r.sockets === sockets && r.requested === requested);
    const drew = [...new Set(mine.map((r) => r.renderer))].join('+');
    const engines = [...new Set(mine.map((r) => r.engine))].join('+');
    const group = `${sockets} sockets / ${mine[0].edges} edges, ${drew}${requested === 'auto' ? '' : ' (forced)'}, ${engines} layout`;
    const of = (f: (r: SizeRun) => number) => summarize(mine.map(f));
    const fpsTarget = (value: number) => (sockets === TARGET_SOCKETS && requested === 'auto' ? { target: atLeast(value, FPS_TARGET) } : {});
    const updatesFps = of((r) => r.updates.fps);
    const panFps = of((r) => r.panZoom.fps);
    rows.push({ group, metric: 'initial render (snapshot posted → all edges in the DOM + a frame)', unit: 'ms', value: of((r) => r.initialRenderMs) });
    const settled = mine.map((r) => r.layoutSettledMs);
    rows.push({
      group, metric: `layout settled (snapshot → positions final; ${settings.settleLimitMs / 1000} s cap, ${settled.filter((v) => v === null).length} of ${settled.length} runs hit it)`,
      unit: 'ms', value: summarize(settled.map((v) => v ?? settings.settleLimitMs)),
    });
    const elk = mine.map((r) => r.elkMs).filter((v): v is number => v !== null);
    if (elk.length > 0) {
      rows.push({ group, metric: `ELK layout in its worker (request → answer, off the main thread; ${elk.length} of ${mine.length} runs)`, unit: 'ms', value: summarize(elk) });
    }
    rows.push({ group, metric: 'fps, 10 Hz diffs (after the layout settled or the cap)', unit: 'fps', value: updatesFps, ...fpsTarget(updatesFps.median) });
    rows.push({ group, metric: 'fps, pan/zoom + 10 Hz diffs', unit: 'fps', value: panFps, ...fpsTarget(panFps.median) });
    rows.push({ group, metric: 'worst frame gap, pan/zoom', unit: 'ms', value: of((r) => r.panZoom.worstFrameMs) });
    rows.push({ group, metric: 'long tasks per second, 10 Hz diffs', unit: '1/s', value: of((r) => r.updates.longTasks / r.updates.seconds) });
    rows.push({ group, metric: 'long-task time per second, pan/zoom', unit: 'ms/s', value: of((r) => r.panZoom.longTaskMs / r.panZoom.seconds) });
    rows.push({ group, metric: 'longest task, pan/zoom', unit: 'ms', value: of((r) => r.panZoom.longestTaskMs) });
  }
  const notes = [
    `Headless Chromium (${CHROMIUM_ARGS.join(' ')}), viewport ${VIEWPORT.width}×${VIEWPORT.height}, software rendering; fps = requestAnimationFrame callbacks per second (60 is the ceiling).`,
    `Processes of 1 ROUTER + 4 DEALERs; 3 edges per socket; 2% disconnected, 5% late; each 10 Hz diff re-sends 10% of the edges (1% of them change state). ${settings.runs} run(s) per size, a fresh page each; ${settings.phaseMs} ms per phase, measured once the layout settled (or at the cap).`,
    'Pan/zoom = playwright mouse drags and wheel steps in a loop (CDP input), so it is as fast as the page lets it be.',
    'Renderer: the webview draws from 300 visible sockets on with a <canvas> (webview/canvasRenderer.ts), below with SVG; "svg (forced)" rows load the page with ?renderer=svg. "Layout settled" = the page\'s #graph[data-layout] turned "settled".',
    'Layout: these graphs have ROUTERs, so the webview lays them out layered: by ELK in a web worker (the built-in layering is drawn until ELK answers) up to 1,000 edges, by the built-in layering above (webview/elkLayout.ts ELK_MAX_EDGES: ELK\'s time grows with edges × layers spanned, and these graphs\' edges cross between random processes). The ELK row is its time alone; the fps rows are measured after it answered.',
  ];
  if (traceSummary) {
    notes.push(`Chrome trace, ${traceSummary.sockets} sockets, pan/zoom + diffs, main-thread ms per second by trace event (these nest: FunctionCall runs inside FireAnimationFrame/TimerFire/EventDispatch): ${traceSummary.breakdown.slice(0, 10).map((b) => `${b.name} ${b.msPerSecond.toFixed(0)}`).join(', ')} (${path.relative(ROOT, path.join(RESULTS_DIR, `graph-${TARGET_SOCKETS}-panzoom.trace.json`))}; load it in chrome://tracing or DevTools).`);
    notes.push(`JS self time, same phase, ms per second: ${traceSummary.hot.slice(0, 12).map((h) => `${h.fn} ${h.msPerSecond.toFixed(0)}`).join(', ')} (${path.relative(ROOT, path.join(RESULTS_DIR, `graph-${TARGET_SOCKETS}-panzoom.cpuprofile`))}; "(program)" is Blink's own work: style, layout, paint).`);
  }
  writeResult({ benchmark: 'graph', mode: quick ? 'quick' : 'full', startedAt: new Date(startedAt).toISOString(), durationMs: Date.now() - startedAt, rows, notes, raw: { settings, runs, traceSummary } });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
