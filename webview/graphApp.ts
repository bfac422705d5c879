/**
 * The graph page's controller: it builds the modules on the elements the bootstrap (main.ts) found
 * and decides what is drawn when. Host messages update the model; a full render re-joins on the
 * next frame, a diff that changes no structure is patched in place; the layout runs in animation
 * frames until it settles; ages tick by rewriting only the label texts that changed.
 */
import type { HostMessage } from '../src/shared/messages';
import type { TopologyDiff } from '../src/shared/snapshot';
import { CanvasView } from './canvasView';
import { PendingDraw, planPatch } from './drawQueue';
import { kindOf, visibleGraph, type Filters, type GroupView } from './graphModel';
import { collectorNow, indexVisible, replaceVisible, type GraphState } from './graphState';
import type { HostBridge } from './hostBridge';
import { Highlight } from './highlight';
import { DEFAULT_GROUP_THRESHOLD, groupAlike } from './grouping';
import { SelectionController } from './selection';
import { buildElkGraph, readElkLayout } from './elkLayout';
import { ElkRunner } from './elkRunner';
import { edgeCurve, fillSlots, labelAnchor, routeExtent, LARGE_GRAPH_SOCKETS, savedPositions, socketCenter } from './geometry';
import { GroupSimulation, LayoutLoop } from './simulation';
import { exportSvg } from './svgExport';
import { SvgRenderer, type DragHandlers } from './svgRenderer';
import { Toolbar, type ToolbarActions, type ToolbarElements } from './toolbar';
import { Tooltip } from './tooltips';
import { layoutOf, type LayoutMode } from './viewState';
import { EDGE_LABEL_MIN_ZOOM, ZoomView } from './zoomView';

/** From this many visible sockets on, the graph is drawn on a canvas: SVG cannot hold 30 fps there. */
const CANVAS_MIN_SOCKETS = 300;
/** How long a reveal waits for the snapshot of the instant the timeline sought to. */
const REVEAL_WAIT_MS = 5000;

/** The page's elements, found by the bootstrap. */
export interface GraphPage {
  svg: SVGSVGElement;
  canvas: HTMLCanvasElement;
  container: HTMLElement;
  tooltip: HTMLElement;
  details: HTMLElement;
  toolbar: ToolbarElements;
}

export class GraphApp implements ToolbarActions {
  readonly toolbar: Toolbar;
  readonly selection: SelectionController;
  readonly highlight: Highlight;
  private readonly svg: SvgRenderer;
  private readonly zoom: ZoomView;
  private readonly canvas: CanvasView;
  private readonly simulation = new GroupSimulation();
  private readonly layout: LayoutLoop;
  private readonly elk = new ElkRunner();
  private readonly pending = new PendingDraw();
  private renderQueued = false;
  private svgForExport = false;
  /** An item to reveal once the next snapshot is drawn (the timeline sought to where it exists), until a deadline. */
  private pendingReveal: { id: string; until: number } | null = null;
  /** Above this many alike peers on one bound socket, they are drawn as one group (grouping.ts; 0: never). */
  private groupThreshold = DEFAULT_GROUP_THRESHOLD;
  /** Groups of alike peers the user expanded. */
  private readonly expanded = new Set<string>();
  /** An item a reveal centred while the layered layout it caused was still running: centred again once that layout lands. */
  private centreAfterLayout: { id: string; structure: string } | null = null;

  /** `pinnedRenderer`: 'svg' or 'canvas' pins the renderer (the benchmark compares both), else chosen by size. */
  constructor(private readonly state: GraphState, private readonly page: GraphPage, private readonly bridge: HostBridge, private readonly pinnedRenderer: string | null) {
    const tooltip = new Tooltip(page.tooltip, page.container);
    const drag: DragHandlers = {
      start: (id, active) => {
        if (this.simulation.dragStart(id, active, layoutOf(state.view, state.model))) {
          this.layout.run();
        }
      },
      move: (id, dx, dy) => {
        if (this.simulation.dragBy(id, dx, dy, layoutOf(state.view, state.model))) {
          this.positionAll();
        }
      },
      end: (id, active) => {
        this.simulation.dragEnd(id, active, layoutOf(state.view, state.model));
        this.rememberPositions();
        bridge.saveState();
      },
    };
    // A click on a group of alike peers (its box, socket or edge) expands it rather than selecting it.
    const select = (id: string | null): void => {
      if (id === null || !this.expandAlike((g) => id === g.id || id.startsWith(`${g.id}/`) || id.startsWith(`${g.id}->`))) {
        this.selection.select(id);
      }
    };
    this.svg = new SvgRenderer(page.svg, state, { select, tooltip, drag, now: () => collectorNow(state) });
    this.selection = new SelectionController(state, page.details, bridge, (id) => {
      this.svg.markSelection(id);
      this.canvas.request(true);
    });
    this.highlight = new Highlight(page.svg, state, { select, canvasChanged: () => this.canvas.request(true) });
    this.canvas = new CanvasView({
      canvas: page.canvas, svg: this.svg.svg, viewport: this.svg.viewport.node() as SVGGElement, state, bodies: this.simulation.bodies, routes: this.simulation.routes,
      zoom: () => this.zoom, tooltip, drag, highlight: this.highlight,
    });
    this.zoom = new ZoomView(this.svg.svg, this.svg.viewport, state, {
      grabsBox: (event) => this.canvas.dragSubjectAt(event) !== null,
      moved: () => this.canvas.request(),
      save: () => bridge.saveState(),
    });
    this.svg.svg.on('click', (event: MouseEvent) => {
      if (state.canvasMode) {
        select(this.canvas.hitAt(event)?.id ?? null);
      } else if (event.target === page.svg) {
        select(null);
      }
    });
    this.canvas.attach();
    this.layout = new LayoutLoop(this.simulation, {
      draw: () => this.positionAll(),
      settled: () => {
        this.rememberPositions();
        if (!state.userMovedView) {
          this.fitView();
        }
        bridge.saveState();
      },
      state: (layout) => {
        if (page.svg.dataset.layout !== layout) {
          page.svg.dataset.layout = layout;
        }
      },
      large: () => state.visible.sockets.length >= LARGE_GRAPH_SOCKETS,
    });
    this.toolbar = new Toolbar(page.toolbar, state);
  }

  /** The first picture: legend, controls and pan/zoom as saved, then an (empty) render. */
  start(): void {
    this.toolbar.buildLegend();
    this.toolbar.sync();
    if (this.state.view.transform) {
      this.zoom.set(this.state.view.transform);
    }
    this.zoom.applyLevelOfDetail(this.zoom.current().k);
  }

  onHostMessage(message: HostMessage): void {
    const state = this.state;
    switch (message.type) {
      case 'snapshot':
        state.model.applySnapshot(message.snapshot);
        state.clock.sync(state.model.takenAt, Date.now());
        state.receivedAnything = true;
        break;
      case 'diff':
        state.model.applyDiff(message.diff);
        state.clock.sync(state.model.takenAt, Date.now());
        state.receivedAnything = true;
        if (!state.paused) {
          this.schedulePatch(message.diff);
          return;
        }
        break;
      case 'reveal':
        this.reveal(message.id);
        return;
      case 'options':
        this.setGroupThreshold(message.options.groupThreshold);
        return;
      case 'paused':
        this.setPaused(message.paused);
        return;
      case 'requestSvg':
        this.bridge.post({ type: 'svg', requestId: message.requestId, svg: this.svgExport() });
        return;
    }
    if (state.paused && state.instant === null) {
      // Frozen picture: the model keeps up (bounded like the store), the drawing waits for resume.
      // Pause holds live updates only: a picture of the past the timeline asked for is drawn.
      state.heldUpdates++;
      this.toolbar.refresh();
      return;
    }
    this.scheduleRender();
    if (message.type === 'snapshot' && this.pendingReveal !== null) {
      const { id, until } = this.pendingReveal;
      this.pendingReveal = null;
      if (Date.now() <= until) {
        this.reveal(id);
      }
    }
  }

  // ---- timeline hooks (timeline.ts) ----------------------------------------------------------------

  /** The timeline's instant (null: live): ages stay as at that instant, the details list history up to it. */
  showInstant(at: number | null): void {
    const changed = at !== this.state.instant;
    this.state.instant = at;
    this.state.clock.hold(at !== null);
    this.selection.invalidate();
    if (changed && at !== null && this.state.paused) {
      // The seek's snapshot may have come first and been held: draw the past the user asked for.
      this.state.heldUpdates = 0;
      this.scheduleRender();
    }
  }

  /** Reveals an item now if the graph holds it, and (`afterSeek`) again once the seek's snapshot is drawn. */
  revealSoon(id: string, afterSeek: boolean): void {
    if (this.has(id)) {
      this.reveal(id);
    }
    // A seek's snapshot that never comes must not reveal the item at some later, unrelated snapshot.
    this.pendingReveal = afterSeek ? { id, until: Date.now() + REVEAL_WAIT_MS } : null;
  }

  has(id: string): boolean {
    return kindOf(this.state.model, id) !== undefined;
  }

  /** The host's zmqTopology.graph.groupThreshold. */
  setGroupThreshold(threshold: number): void {
    if (threshold !== this.groupThreshold) {
      this.groupThreshold = threshold;
      this.render();
    }
  }

  /** Expands the drawn group of alike peers `which` picks, if any; true if one was. */
  private expandAlike(which: (group: GroupView) => boolean): boolean {
    const group = this.state.visible.groups.find((g) => g.alike !== undefined && which(g));
    if (group === undefined) {
      return false;
    }
    this.expanded.add(group.id);
    this.render();
    return true;
  }

  // ---- toolbar actions ---------------------------------------------------------------------------

  filtersChanged(filters: Filters): void {
    this.state.view.filters = filters;
    this.bridge.saveState();
    this.render();
  }

  layoutChanged(layout: LayoutMode): void {
    this.state.view.layout = layout;
    this.state.view.positions = {};
    this.simulation.relayout();
    this.state.userMovedView = false;
    this.render();
    this.bridge.saveState();
  }

  /** The fit button, and a resize before the user moved the view: fit, and keep fitting. */
  fit(): void {
    this.state.userMovedView = false;
    this.fitView();
  }

  private fitView(): void {
    this.zoom.fit(this.simulation.bodies, routeExtent(this.simulation.routes));
  }

  togglePause(): void {
    const next = !this.state.paused;
    this.setPaused(next);
    this.bridge.post({ type: 'setPaused', paused: next });
  }

  legendToggled(): void {
    this.state.view.legendOpen = !this.state.view.legendOpen;
    this.toolbar.showLegend();
    this.bridge.saveState();
  }

  setPaused(next: boolean): void {
    this.state.paused = next;
    if (!next) {
      this.state.heldUpdates = 0;
      this.render();
    }
    this.toolbar.refresh();
  }

  // ---- drawing -----------------------------------------------------------------------------------

  /** A full render on the next frame (structure, filters, snapshot). */
  private scheduleRender(): void {
    this.pending.full = true;
    this.queueDraw();
  }

  /** Draws the items of a diff on the next frame: by patching when it changes no structure. */
  private schedulePatch(diff: TopologyDiff): void {
    this.pending.noteDiff(diff);
    this.queueDraw();
  }

  private queueDraw(): void {
    if (!this.renderQueued) {
      this.renderQueued = true;
      requestAnimationFrame(() => this.flushRender());
    }
  }

  /** Draws a pending update now (a reveal right after a snapshot must see the snapshot drawn). */
  private flushRender(): void {
    if (this.renderQueued) {
      this.renderQueued = false;
      if (this.pending.full || !this.patch()) {
        this.render();
      }
    }
  }

  render(): void {
    const state = this.state;
    this.pending.clear();
    const visible = state.visible = groupAlike(visibleGraph(state.model, state.view.filters), this.groupThreshold, this.expanded);
    const pinned = this.pinnedRenderer;
    state.canvasMode = !this.svgForExport && (pinned === 'canvas' || (pinned !== 'svg' && visible.sockets.length >= CANVAS_MIN_SOCKETS));
    fillSlots(state.slots, visible.groups);
    // In canvas mode the SVG keeps no items (the joins empty it) and only takes the input.
    this.svg.render(state.canvasMode ? [] : visible.groups, state.canvasMode ? [] : visible.edges);
    state.index = indexVisible(visible);
    this.canvas.show(state.canvasMode);
    // For tests and the benchmark: which renderer drew, and how many connections it drew.
    this.page.svg.dataset.renderer = state.canvasMode ? 'canvas' : 'svg';
    this.page.svg.dataset.edges = String(visible.edges.length);

    this.placeBodies();
    this.positionAll();
    this.tickAges(true);
    this.selection.refresh();
    this.highlight.refresh();
    this.toolbar.refresh();
  }

  /** Draws the pending diffs in place; false (having changed nothing) when a full render is needed. */
  private patch(): boolean {
    const plan = planPatch(this.pending, this.state);
    if (plan === null) {
      return false;
    }
    this.pending.clear();
    const { visible, index } = this.state;
    for (const group of plan.groups) {
      replaceVisible(visible.groups, index.groups, group);
    }
    for (const socket of plan.sockets) {
      replaceVisible(visible.sockets, index.sockets, socket);
    }
    for (const edge of plan.edges) {
      replaceVisible(visible.edges, index.edges, edge);
    }
    if (this.state.canvasMode) {
      this.canvas.request(true);
    } else {
      this.svg.patch(plan.groups, plan.sockets, plan.edges, collectorNow(this.state));
    }
    this.selection.refreshDetails();
    this.toolbar.refresh();
    return true;
  }

  /** One body per visible group; the layout runs, or the positions are final (and fitted if the user did not move the view). */
  private placeBodies(): void {
    const state = this.state;
    const layout = layoutOf(state.view, state.model);
    const placed = this.simulation.place({ visible: state.visible, slots: state.slots, layout, saved: state.view.positions });
    if (placed !== 'unchanged') {
      // For tests and the benchmark: what lays the processes out.
      this.page.svg.dataset.engine = layout === 'force' ? 'force' : placed === 'elk' || placed === 'layered' ? 'elk' : 'built-in';
    }
    if (placed === 'run') {
      this.layout.run();
    } else if (placed !== 'unchanged') {
      this.layout.stop();
      this.rememberPositions();
      if (!state.userMovedView && state.receivedAnything) {
        requestAnimationFrame(() => {
          if (!state.userMovedView) {
            this.fitView();
          }
        });
      }
      if (placed === 'elk') {
        this.layoutLayered();
      }
    }
  }

  /**
   * Asks ELK (in its worker) for the layered layout of what is drawn now, and applies the answer
   * unless the structure changed meanwhile (the newer request's answer will). Until then the
   * built-in layering is on screen and the layout is 'running'.
   */
  private layoutLayered(): void {
    const { state, page } = this;
    const structure = this.simulation.structure;
    const visible = state.visible;
    page.svg.dataset.layout = 'running';
    const started = performance.now();
    void this.elk.layout(buildElkGraph(visible, state.slots), (why) => {
      page.svg.dataset.elkFailed = why;
    }).then((laidOut) => {
      if (laidOut === 'superseded' || this.simulation.structure !== structure) {
        return;
      }
      if (laidOut) {
        delete page.svg.dataset.elkFailed;
        this.simulation.applyLayered(readElkLayout(laidOut), state.slots, visible);
        // For tests and the benchmark: how long the layered layout took, apart from drawing.
        page.svg.dataset.layoutMs = String(Math.round(performance.now() - started));
        this.positionAll();
        this.rememberPositions();
        if (!state.userMovedView) {
          this.fitView();
        }
        if (this.centreAfterLayout?.structure === structure) {
          this.centreOn(this.centreAfterLayout.id);
          this.centreAfterLayout = null;
        }
        this.bridge.saveState();
      }
      page.svg.dataset.layout = 'settled';
    });
  }

  /** Moves everything drawn to the bodies' positions. */
  private positionAll(): void {
    if (this.state.canvasMode) {
      this.canvas.request(true);
    } else {
      this.svg.position(this.simulation.bodies, this.simulation.routes);
    }
  }

  /** Saves the groups' positions into the view state (not before anything was drawn: keep what the previous page saved). */
  private rememberPositions(): void {
    if (this.state.receivedAnything) {
      this.state.view.positions = savedPositions(this.simulation.bodies, this.state.model, this.state.view.positions);
    }
  }

  /** Rewrites the ages that changed (`force`: also while paused, and hidden labels too). */
  tickAges(force = false): void {
    if ((this.state.paused && !force) || document.hidden) {
      return;
    }
    if (force || this.svg.edgeLabelsShown()) {
      this.svg.drawAges(collectorNow(this.state));
      if (this.state.canvasMode && this.zoom.current().k >= EDGE_LABEL_MIN_ZOOM) {
        this.canvas.request();
      }
    }
    this.selection.tick();
  }

  private reveal(id: string): void {
    this.flushRender();
    const { model, slots, view } = this.state;
    const bodies = this.simulation.bodies;
    if (kindOf(model, id) === undefined) {
      this.toolbar.setStatus('That item is not in the topology (any more).');
      return;
    }
    // An item inside a group of alike peers is shown by expanding the group (an edge by its connecting side).
    const edgeFrom = model.edges.get(id)?.item.from;
    const process = model.nodes.has(id) ? id : model.sockets.get(edgeFrom ?? id)?.item.nodeId;
    let rendered = this.expandAlike((g) => process !== undefined && g.alike?.members.includes(process) === true);
    const shown = this.state.visible.edges.some((e) => e.id === id) || slots.has(id) || bodies.has(id);
    if (!shown) {
      // Revealing something the filters hide: drop the filters rather than pretend it is not there.
      view.filters = { text: '', socketType: '', state: '', hideDisconnected: false };
      this.toolbar.sync();
      this.render();
      rendered = true;
    }
    this.centreAfterLayout = rendered && this.page.svg.dataset.layout === 'running' ? { id, structure: this.simulation.structure } : null;
    this.selection.select(id);
    this.centreOn(id);
  }

  /** Centres the view on an item as drawn now (an edge on its label). */
  private centreOn(id: string): void {
    const { slots } = this.state;
    const bodies = this.simulation.bodies;
    const edge = this.state.visible.edges.find((e) => e.id === id);
    const routes = this.simulation.routes;
    const curve = edge ? edgeCurve(slots, bodies, edge, routes) : undefined;
    const point = curve && edge ? labelAnchor(curve, routes.get(edge.id)) : socketCenter(slots, bodies, id) ?? bodies.get(id);
    if (point) {
      this.zoom.centerOn(point);
    }
  }

  /** The export is an SVG file whatever draws the page: a canvas-mode graph is drawn as SVG once for it. */
  private svgExport(): string {
    const viewport = this.svg.viewport.node() as SVGGElement;
    if (!this.state.canvasMode) {
      return exportSvg(this.page.svg, viewport);
    }
    this.svgForExport = true;
    try {
      this.render();
      return exportSvg(this.page.svg, viewport);
    } finally {
      this.svgForExport = false;
      this.render();
    }
  }
}
