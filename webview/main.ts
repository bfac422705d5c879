/**
 * The graph webview's bootstrap, and the webpack entry (dist/webview.js): the one module that calls
 * acquireVsCodeApi() and looks up the page's elements (src/views/graphPanel.ts writes the page).
 * It builds the state and the modules and wires the page's events to them; every other module only
 * exports what this one calls, so importing them does nothing.
 *
 * The modules: hostBridge (messages, saved state), graphApp (what is drawn when), svgRenderer and
 * canvasView (+ canvasRenderer) (the two renderers), simulation (group layout; the layered one by
 * ELK: elkLayout builds and reads its graph, elkRunner runs it in a web worker), zoomView (pan/zoom,
 * level of detail), selection (+ details), tooltips, toolbar, timeline (+ comparisonList), highlight
 * (hover/focus neighbourhood) and findBox (the find box); graphModel, graphState, drawQueue, itemText,
 * layout, elkLayout, timelineModel, viewState, neighbourhood, find and grouping (alike peers as one
 * group, applied by graphApp before the layout) are pure and tested in Node.
 */
import { byId } from './dom';
import { GraphApp } from './graphApp';
import { createGraphState } from './graphState';
import { FindBox } from './findBox';
import { HostBridge, type VsCodeApi } from './hostBridge';
import { TimelineBar } from './timeline';
import { parseViewState } from './viewState';

declare function acquireVsCodeApi(): VsCodeApi;

const AGE_TICK_MS = 200;

function main(): void {
  const vscode = acquireVsCodeApi();
  const state = createGraphState(parseViewState(vscode.getState()));
  const bridge = new HostBridge(vscode, state.view);

  const svg = byId('graph', SVGSVGElement);
  const canvas = document.createElement('canvas');
  canvas.id = 'graph-canvas';
  canvas.hidden = true;
  svg.after(canvas);
  const app = new GraphApp(state, {
    svg,
    canvas,
    container: byId('graph-container', HTMLDivElement),
    tooltip: byId('tooltip', HTMLDivElement),
    details: byId('details', HTMLElement),
    toolbar: {
      filterText: byId('filter-text', HTMLInputElement),
      filterType: byId('filter-type', HTMLSelectElement),
      filterState: byId('filter-state', HTMLSelectElement),
      hideDisconnected: byId('hide-disconnected', HTMLInputElement),
      layoutSelect: byId('layout', HTMLSelectElement),
      fitButton: byId('fit', HTMLButtonElement),
      pauseButton: byId('pause', HTMLButtonElement),
      legendButton: byId('legend-toggle', HTMLButtonElement),
      legend: byId('legend', HTMLDivElement),
      statusText: byId('status', HTMLSpanElement),
      emptyMessage: byId('empty', HTMLDivElement),
    },
  // `?renderer=svg|canvas` pins the renderer (the benchmark compares both; VS Code never passes it).
  }, bridge, new URLSearchParams(location.search).get('renderer'));

  app.toolbar.bind(app);
  new FindBox(byId('toolbar', HTMLDivElement), byId('status', HTMLSpanElement), {
    model: () => state.model,
    reveal: (id) => app.revealSoon(id, false),
  }).listen(document);
  // The timeline bar goes under the graph; hidden until the host sends a timeline (timeline.ts).
  const timelineRoot = document.createElement('section');
  timelineRoot.id = 'timeline';
  byId('main', HTMLDivElement).after(timelineRoot);
  const timeline = new TimelineBar(timelineRoot, {
    post: (message) => bridge.post(message),
    instantChanged: (at) => app.showInstant(at),
    revealSoon: (id, afterSeek) => app.revealSoon(id, afterSeek),
    has: (id) => app.has(id),
  });
  new ResizeObserver(() => timeline.resized()).observe(timelineRoot);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && state.view.selection !== null) {
      app.selection.select(null);
    }
  });
  new ResizeObserver(() => {
    if (!state.userMovedView) {
      app.fit();
    }
  }).observe(svg);
  bridge.listen(window, (message) => {
    if (message.type === 'timeline') {
      timeline.update(message.timeline);
    } else if (message.type === 'comparison') {
      timeline.showComparison(message.comparison);
    } else {
      if (message.type === 'snapshot') {
        timeline.pictured(message.snapshot.takenAt);
      }
      app.onHostMessage(message);
    }
  });

  app.start();
  setInterval(() => app.tickAges(), AGE_TICK_MS);
  app.render();
  bridge.post({ type: 'ready' });
}

main();
